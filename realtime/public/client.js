// tasklane browser sync client: one user's event stream over the nes WebSocket, with recovery.
//
// Guarantees to `onEvent`: every event of the user exactly once, strictly in `seq` order, with no gap.
// - Socket messages may arrive out of order or twice: they are buffered, de-duplicated by seq and
//   applied in order; an early arrival waits for the missing seqs, which are fetched with
//   GET /events?after= when they have not arrived within `gapWaitMs`.
// - On every (re)connect the client subscribes first and then backfills with GET /events?after=lastSeq
//   (paging until has_more is false), so nothing committed while it was away is lost.
// - Reconnects use exponential backoff with full jitter (nes' own reconnect is turned off: no jitter).
// - When the socket cannot connect `failuresBeforePolling` times in a row (a proxy that blocks
//   WebSockets, a server without them), it polls GET /events?after= every `pollEveryMs` and says so,
//   and keeps trying the socket in the background.
// - `lastSeq` is persisted per user in localStorage, so a reload resumes where the page stopped.
//
// No dependencies besides window.nes (served at /assets/nes.js).

const DEFAULTS = {
  baseDelayMs: 250,
  maxDelayMs: 5000,
  /** Background socket attempts while polling back off further than normal reconnects. */
  pollingMaxDelayMs: 30000,
  pollEveryMs: 30000,
  gapWaitMs: 300,
  failuresBeforePolling: 3,
  connectTimeoutMs: 5000,
  pageLimit: 500,
};

/** @typedef {'connecting'|'live'|'offline'|'polling'|'unauthorized'|'stopped'} SyncState */

export class AuthError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AuthError';
  }
}

export const seqKey = (userId) => `tasklane.lastSeq:${userId}`;

export function readStoredSeq(userId, storage = globalThis.localStorage) {
  try {
    const text = storage?.getItem(seqKey(userId));
    if (text === null || text === undefined || text === '') return null;
    const value = Number(text);
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  } catch {
    return null;
  }
}

/** Full jitter: a uniform delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, baseMs, capMs, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Answers that leave it open whether a write was applied (or say "try again"): retried with the same key. */
const AMBIGUOUS_STATUS = new Set([502, 503, 504]);
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** A fresh Idempotency-Key: 128 random bits as hex (getRandomValues also works outside secure contexts, unlike randomUUID). */
export function newIdempotencyKey(crypto = globalThis.crypto) {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * fetch for one user action. A write (POST, PATCH, PUT, DELETE) carries a fresh `Idempotency-Key`
 * unless `init.headers` has one; when its outcome is unknown — no answer at all (fetch rejects) or
 * 502/503/504 — it is sent again with the SAME key, so the server applies the action at most once and
 * answers the retry as it answered the first call (DESIGN: "Retries are safe"; keys are kept 24 h).
 * Between tries it waits Retry-After (seconds) or a full-jitter backoff, both capped at `maxDelayMs`.
 * Resolves with the last Response; rejects with the last network error when no try got an answer.
 * @param {string} url
 * @param {RequestInit & {headers?: Record<string, string>}} [init]
 * @param {{attempts?: number, baseDelayMs?: number, maxDelayMs?: number, fetchFn?: typeof fetch,
 *   newKey?: () => string, sleep?: (ms: number) => Promise<void>, random?: () => number}} [options]
 * @returns {Promise<Response>}
 */
export async function sendAction(url, init = {}, options = {}) {
  const {
    attempts = 4,
    baseDelayMs = 250,
    maxDelayMs = 5000,
    fetchFn = (u, i) => globalThis.fetch(u, i),
    newKey = () => newIdempotencyKey(),
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random = Math.random,
  } = options;
  const method = String(init.method ?? 'GET').toUpperCase();
  const headers = { ...(init.headers ?? {}) };
  if (WRITE_METHODS.has(method) && !Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key'))
    headers['idempotency-key'] = newKey();
  for (let attempt = 0; ; attempt++) {
    const last = attempt + 1 >= attempts;
    let response;
    try {
      response = await fetchFn(url, { ...init, headers });
    } catch (error) {
      if (last) throw error;
      await sleep(backoffDelay(attempt, baseDelayMs, maxDelayMs, random));
      continue;
    }
    if (last || !AMBIGUOUS_STATUS.has(response.status)) return response;
    const retryAfter = Number(response.headers.get('retry-after'));
    await sleep(
      Number.isFinite(retryAfter) && retryAfter > 0
        ? Math.min(retryAfter * 1000, maxDelayMs)
        : backoffDelay(attempt, baseDelayMs, maxDelayMs, random),
    );
  }
}

export class SyncClient {
  /**
   * @param {object} o
   * @param {string} o.baseUrl         e.g. location.origin
   * @param {string} o.token           bearer JWT
   * @param {string} o.userId          whose stream this is (the key of the persisted seq)
   * @param {number} [o.initialSeq]    start after this seq (default: the persisted one, else 0)
   * @param {(event: object) => void} o.onEvent            each event, once, in seq order
   * @param {(state: SyncState, detail: object) => void} [o.onState]
   * @param {(error: unknown) => void} [o.onError]
   * @param {Storage} [o.storage]
   * @param {object} [o.options]       overrides of DEFAULTS
   */
  constructor(o) {
    this.baseUrl = o.baseUrl.replace(/\/$/, '');
    this.token = o.token;
    this.userId = o.userId;
    this.onEvent = o.onEvent;
    this.onState = o.onState ?? (() => {});
    this.onError = o.onError ?? ((error) => console.warn('tasklane sync:', error));
    this.storage = o.storage ?? globalThis.localStorage;
    this.options = { ...DEFAULTS, ...(o.options ?? {}) };
    this.Nes = o.nes ?? globalThis.nes;

    this.lastSeq = o.initialSeq ?? readStoredSeq(this.userId, this.storage) ?? 0;
    /** seq → event, arrived early, waiting for the gap before it to fill. */
    this.pending = new Map();

    this.state = 'stopped';
    this.detail = {};
    this.running = false;
    this.everLive = false;
    this.generation = 0; // bumps whenever the current socket is abandoned
    this.socket = null; // the nes client of the current generation
    this.attempting = false;
    this.retries = 0; // backoff exponent
    this.failures = 0; // consecutive failed connection attempts
    this.retryTimer = null;
    this.nextRetryAt = null;
    this.pollTimer = null;
    this.gapTimer = null;
    this.gapAttempts = 0;
    this.backfillRun = null; // the running backfill
    this.backfillAgain = false;

    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => {
      if (this.state !== 'live') this.setState('offline', { reason: 'the browser is offline' });
    };
  }

  // ------------------------------------------------------------------ lifecycle
  start() {
    if (this.running) return;
    this.running = true;
    // The seq started from is a point the page's snapshot is newer than: the next load may resume there.
    this.persist();
    globalThis.addEventListener?.('online', this.onOnline);
    globalThis.addEventListener?.('offline', this.onOffline);
    this.setState('connecting', { reconnecting: false });
    void this.attempt();
  }

  /** Stops everything: the socket, retries, polling. */
  stop() {
    this.running = false;
    globalThis.removeEventListener?.('online', this.onOnline);
    globalThis.removeEventListener?.('offline', this.onOffline);
    this.generation++;
    this.abandon(this.socket);
    this.socket = null;
    clearTimeout(this.retryTimer);
    clearTimeout(this.gapTimer);
    clearInterval(this.pollTimer);
    this.retryTimer = this.gapTimer = this.pollTimer = null;
    this.setState('stopped', {});
  }

  /** Try the socket now (e.g. the browser came back online), resetting the backoff. */
  reconnectNow() {
    if (!this.running || this.state === 'live' || this.attempting) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retries = 0;
    void this.attempt();
  }

  // ------------------------------------------------------------------ state
  setState(state, detail = {}) {
    const changed = state !== this.state || JSON.stringify(detail) !== JSON.stringify(this.detail);
    this.state = state;
    this.detail = detail;
    if (changed) {
      try {
        this.onState(state, detail);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  get polling() {
    return this.pollTimer !== null;
  }

  // ------------------------------------------------------------------ the socket
  wsUrl() {
    return this.baseUrl.replace(/^http/, 'ws');
  }

  async attempt() {
    if (!this.running || this.attempting) return;
    this.attempting = true;
    this.retryTimer = null;
    this.nextRetryAt = null;
    const gen = ++this.generation;
    this.abandon(this.socket);
    this.socket = null;
    if (!this.polling && this.state !== 'offline')
      this.setState('connecting', { reconnecting: this.everLive, attempt: this.failures + 1 });
    const client = new this.Nes.Client(this.wsUrl());
    // The nes client reports trouble through three callbacks; any of them on the live socket means
    // the link is gone (after a heartbeat timeout nes only calls close(), which on a dead link can
    // take long to report, so the client is abandoned right away).
    client.onDisconnect = (_willReconnect, log) => this.lost(gen, `closed (${log?.explanation ?? 'unknown'})`);
    client.onHeartbeatTimeout = () => this.lost(gen, 'heartbeat timeout');
    client.onError = (error) => {
      if (error?.type === 'ws' || error?.type === 'timeout' || error?.type === 'disconnect')
        this.lost(gen, error.message);
    };
    const current = () => {
      if (gen !== this.generation || !this.running) throw new Error('the connection was lost while connecting');
    };
    try {
      await client.connect({
        auth: { headers: { authorization: `Bearer ${this.token}` } },
        reconnect: false,
        timeout: this.options.connectTimeoutMs,
      });
      current();
      this.socket = client;
      // Subscribe first, then backfill: whatever commits in between arrives at least once, and the
      // seq buffer drops the second copy.
      await client.subscribe('/events', (message) => {
        if (gen === this.generation) this.ingest(message);
      });
      current();
      await this.backfill();
      current();
      this.failures = 0;
      this.retries = 0;
      this.everLive = true;
      this.stopPolling();
      this.setState('live', {});
    } catch (error) {
      if (gen === this.generation) this.generation++;
      this.abandon(client);
      if (this.socket === client) this.socket = null;
      if (!this.running) return;
      if (isAuthFailure(error)) {
        this.unauthorized(error);
        return;
      }
      this.failures++;
      this.onError(error);
      if (this.failures >= this.options.failuresBeforePolling) this.startPolling();
      else if (!this.polling)
        this.setState(navigatorOnline() ? 'connecting' : 'offline', {
          reconnecting: this.everLive,
          attempt: this.failures,
          error: messageOf(error),
        });
      this.scheduleRetry();
    } finally {
      this.attempting = false;
    }
  }

  /** The socket of generation `gen` went away. */
  lost(gen, reason) {
    if (gen !== this.generation || !this.running) return;
    this.generation++;
    this.abandon(this.socket);
    this.socket = null;
    if (this.attempting) return; // the attempt in progress reports its own failure
    this.retries = 0;
    if (!this.polling) this.setState(navigatorOnline() ? 'connecting' : 'offline', { reconnecting: true, reason });
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (!this.running || this.retryTimer) return;
    const cap = this.polling ? this.options.pollingMaxDelayMs : this.options.maxDelayMs;
    const delay = backoffDelay(this.retries++, this.options.baseDelayMs, cap);
    this.nextRetryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, delay);
  }

  abandon(client) {
    if (!client) return;
    client.onDisconnect = () => {};
    client.onHeartbeatTimeout = () => {};
    client.onError = () => {};
    client.disconnect().catch(() => {});
  }

  unauthorized(error) {
    this.stop();
    this.setState('unauthorized', { error: messageOf(error) });
  }

  // ------------------------------------------------------------------ polling fallback
  startPolling() {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollEveryMs);
    void this.poll();
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  async poll() {
    if (!this.running || this.state === 'live') return;
    try {
      await this.backfill();
      if (this.state !== 'live' && this.polling)
        this.setState('polling', { everyMs: this.options.pollEveryMs, lastPollAt: new Date().toISOString() });
    } catch (error) {
      if (error instanceof AuthError) {
        this.unauthorized(error);
        return;
      }
      if (this.state !== 'live') this.setState('offline', { reason: messageOf(error) });
    }
  }

  // ------------------------------------------------------------------ ordering
  /** Takes one event from any source (socket, backfill, poll); applies whatever is now in order. */
  ingest(event) {
    const seq = event?.seq;
    if (!Number.isSafeInteger(seq) || seq < 1) return;
    if (seq <= this.lastSeq || this.pending.has(seq)) return; // a duplicate
    this.pending.set(seq, event);
    this.drain();
  }

  drain() {
    while (this.pending.has(this.lastSeq + 1)) {
      const seq = this.lastSeq + 1;
      const event = this.pending.get(seq);
      this.pending.delete(seq);
      this.lastSeq = seq;
      try {
        this.onEvent(event);
      } catch (error) {
        this.onError(error);
      }
    }
    this.persist();
    if (this.pending.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = null;
      this.gapAttempts = 0;
    } else if (!this.gapTimer) {
      // Something before the earliest held event is missing: give the socket a moment, then fetch it.
      const wait = this.options.gapWaitMs * Math.min(2 ** this.gapAttempts, 32);
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        void this.fillGap();
      }, wait);
    }
  }

  async fillGap() {
    if (this.pending.size === 0) return;
    this.gapAttempts++;
    try {
      await this.backfill();
    } catch (error) {
      if (error instanceof AuthError) {
        this.unauthorized(error);
        return;
      }
      this.onError(error);
    }
    if (this.pending.size > 0 && !this.gapTimer && this.running) this.drain(); // re-arms the timer
  }

  persist() {
    if (!this.storage) return;
    try {
      // Tabs of one user share the key: never move it backwards.
      const stored = readStoredSeq(this.userId, this.storage) ?? 0;
      if (this.lastSeq > stored) this.storage.setItem(seqKey(this.userId), String(this.lastSeq));
    } catch {
      /* storage full or blocked: the seq then lives in memory only */
    }
  }

  // ------------------------------------------------------------------ backfill
  /**
   * GET /events?after=lastSeq, page after page until has_more is false. Runs one at a time; a call
   * while one runs makes it run once more afterwards (so a backfill asked for after a subscription
   * always starts after that subscription).
   */
  backfill() {
    if (this.backfillRun) {
      this.backfillAgain = true;
      return this.backfillRun;
    }
    const run = (async () => {
      try {
        do {
          this.backfillAgain = false;
          await this.backfillOnce();
        } while (this.backfillAgain);
      } finally {
        this.backfillRun = null;
      }
    })();
    this.backfillRun = run;
    return run;
  }

  async backfillOnce() {
    for (let pages = 0; pages < 10000; pages++) {
      const after = this.lastSeq;
      const body = await this.getJson(`/events?after=${after}&limit=${this.options.pageLimit}`);
      for (const event of body.events ?? []) this.ingest(event);
      if (!body.has_more || (body.events ?? []).length === 0) return;
    }
  }

  async getJson(path) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
      cache: 'no-store',
    });
    if (response.status === 401) throw new AuthError('the server rejected the token');
    if (!response.ok) throw new Error(`GET ${path.split('?')[0]}: HTTP ${response.status}`);
    return response.json();
  }
}

function isAuthFailure(error) {
  return error instanceof AuthError || error?.statusCode === 401 || error?.statusCode === 403;
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

function navigatorOnline() {
  return globalThis.navigator?.onLine !== false;
}
