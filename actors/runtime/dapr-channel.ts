// The two HTTP channels between this process and its daprd, without the SDK's layers (its ActorProxy
// client and DaprServer's Express app), following the Dapr actor API (docs.dapr.io, reference/api/actors_api)
// and what @dapr/dapr 3.18 sends and answers:
// - `SidecarChannel`: this process → daprd (`PUT /v1.0/actors/<type>/<id>/method/<method>`), one
//   kept-alive undici connection pool (half the client CPU per call of node:http's request, measured:
//   30 against 63 µs), the JSON body sent as it is given;
// - `serveActors`: daprd → this process (the app channel, daprd's --app-port): `GET /dapr/config`,
//   `PUT /actors/<type>/<id>/method/<method>`, `PUT /actors/<type>/<id>/method/remind/<name>`,
//   `PUT /actors/<type>/<id>/method/timer/<name>`, `DELETE /actors/<type>/<id>`, `GET /healthz`,
//   `GET /dapr/subscribe`, on a plain node:http server.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { Pool, errors as undiciErrors } from 'undici';

/**
 * `value` (a reminder name, a method) as one URL path segment: percent-encoded as `encodeURIComponent`
 * does, and also `.`, `!`, `'`, `(`, `)`, `*` and `~`, which it leaves as they are. So no value can read
 * as a dot segment (`.` or `..`, which URL resolution removes: RFC 3986 §5.2.4) or as anything but
 * itself. The result holds only `A-Z a-z 0-9 _ - %`.
 */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/[.!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The Dapr actor id for an id of ours (a user id, a task id): `pathSegment(id)`, so it holds only
 * `A-Z a-z 0-9 _ - %`. daprd refuses actor ids with `/`, `\`, `#`, `?`, control characters, or that
 * are `.` or `..` (dapr pkg/actors ValidateName: 400 ERR_BAD_REQUEST), while a user id may hold any of
 * the first four (api/schemas.ts `subjectProblem`); ids of letters, digits, `_` and `-` (UUIDs) are
 * their own actor id. Reversed by `idFromActorSegment`.
 */
export function daprActorId(id: string): string {
  return pathSegment(id);
}

/** The URL path segment for actor `id` in daprd's actor API: the Dapr actor id, itself path-encoded. */
export function actorIdSegment(id: string): string {
  return pathSegment(daprActorId(id));
}

/**
 * Our id from the actor-id segment of a path daprd calls on the app channel (`/actors/<type>/<segment>/…`).
 * daprd puts the Dapr actor id into that path as it is, not encoded again (daprd 1.18,
 * test/integration/actor-id-dapr.test.ts), and the actor id is `pathSegment(id)`, so one decode gives
 * the id back. Throws URIError on a malformed segment.
 */
export function idFromActorSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/**
 * daprd answered an actor call with a non-2xx status. The message has the form the SDK's HTTP client
 * gave it (`{"error","error_msg","status","url"}` as JSON text), which api/errors.ts reads to tell a
 * sidecar that is away (daprd's ERR_ACTOR_* codes, 502/503/504) from anything else.
 */
export class DaprCallError extends Error {
  constructor(
    readonly status: number,
    statusText: string,
    body: string,
    url: string,
  ) {
    super(JSON.stringify({ error: statusText, error_msg: body, status, url }));
    this.name = 'DaprCallError';
  }
}

/**
 * A transport failure on the way to daprd (refused, reset, hung up). The message names the URL, as
 * node-fetch's did ("request to <url> failed, reason: …"), so api/errors.ts sees it was an actor call;
 * `code` is the socket error's (ECONNREFUSED: nothing listens, the sidecar is away).
 */
export class DaprTransportError extends Error {
  readonly code: string | undefined;
  constructor(url: string, cause: Error & { code?: string }) {
    super(`request to ${url} failed, reason: ${cause.message}`, { cause });
    this.name = 'DaprTransportError';
    this.code = cause.code;
  }
}

export interface SidecarChannelOptions {
  host: string;
  port: number;
  /** DAPR_API_TOKEN: sent as `dapr-api-token` when daprd requires it for its API. */
  apiToken?: string | undefined;
  /** Connections kept to daprd (default 64: more than the API's concurrent requests on 2 cores need). */
  maxSockets?: number;
  /** How long one call may take before it is abandoned (ms, default 60 000). */
  timeoutMs?: number;
}

/** undici's errors for an answer that did not come in time, as the `ETIMEDOUT` they stand for here. */
function timedOut(error: unknown): boolean {
  return (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  );
}

/**
 * Calls daprd's actor API over kept-alive HTTP/1.1 connections (an undici Pool for calls, so no
 * connection set-up per call and little work per request; one node:http Agent for the rare health probe).
 * Bodies are strings in and out: the caller serialises once and parses once.
 */
export class SidecarChannel {
  private readonly agent: http.Agent;
  private readonly pool: Pool;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(private readonly options: SidecarChannelOptions) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 2, scheduling: 'lifo' });
    this.base = `http://${options.host}:${options.port}`;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.pool = new Pool(this.base, {
      connections: options.maxSockets ?? 64,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      // undici's own connect limit is 10 s; a shorter call limit holds for connecting too.
      connect: { timeout: Math.min(this.timeoutMs, 10_000) },
    });
    this.headers = {
      'content-type': 'application/json',
      ...(options.apiToken ? { 'dapr-api-token': options.apiToken } : {}),
    };
  }

  /**
   * Invokes `method` on actor `type`/`id` with a JSON `body`; resolves with the actor's answer (text).
   * Rejects with DaprCallError (daprd answered non-2xx) or DaprTransportError (no answer).
   */
  invoke(type: string, id: string, method: string, body: string): Promise<string> {
    return this.send('PUT', `/v1.0/actors/${type}/${actorIdSegment(id)}/method/${method}`, body);
  }

  /**
   * Sends `body` (JSON text) to `path` on daprd (e.g. `/v1.0-alpha1/publish/bulk/<pubsub>/<topic>`);
   * resolves with the answer (text) on 2xx. Rejects with DaprCallError (non-2xx) or DaprTransportError
   * (no answer: refused, reset, or none within `timeoutMs`, then with code ETIMEDOUT).
   */
  async send(method: 'PUT' | 'POST', path: string, body: string): Promise<string> {
    let status: number;
    let text: string;
    try {
      const answer = await this.pool.request({ method, path, headers: this.headers, body });
      status = answer.statusCode;
      text = await answer.body.text();
    } catch (error) {
      const cause = timedOut(error)
        ? Object.assign(new Error(`no answer within ${this.timeoutMs} ms`, { cause: error }), { code: 'ETIMEDOUT' })
        : (error as Error & { code?: string });
      throw new DaprTransportError(this.base + path, cause);
    }
    if (status >= 200 && status < 300) return text;
    throw new DaprCallError(status, http.STATUS_CODES[status] ?? '', text, this.base + path);
  }

  /** GET `path` on daprd; resolves with the status (rejects when nothing answers). */
  status(path: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.options.host,
          port: this.options.port,
          method: 'GET',
          path,
          agent: this.agent,
          headers: this.headers,
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
        ),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Closes the connections: calls under way finish first; a call after this rejects with a
   * DaprTransportError (undici's UND_ERR_CLOSED, which actors/runtime/dapr-errors.ts reads as the sidecar away).
   */
  close(): void {
    this.agent.destroy();
    void this.pool.close().catch(() => undefined);
  }
}

/** An actor type's methods as daprd calls them: the parsed JSON body in, a JSON-serialisable answer out. */
export interface ActorType {
  methods: Record<string, (id: string, body: unknown) => Promise<unknown>>;
  /**
   * A reminder fired (`PUT …/method/remind/<name>`); `data` is the reminder's registered data, parsed from
   * JSON when it is a JSON string (as the SDK's receiveReminder got it).
   */
  remind?: (id: string, name: string, data: unknown) => Promise<void>;
}

/** The actor runtime settings daprd reads from `GET /dapr/config` (durations as Go duration strings). */
export interface ActorConfig {
  actorIdleTimeout: string;
  actorScanInterval: string;
  drainOngoingCallTimeout: string;
  drainRebalancedActors: boolean;
}

export interface AppChannelOptions {
  /** Where to listen: loopback, as the sidecar shares the app's host, pod or network namespace. */
  host: string;
  port: number;
  /** APP_API_TOKEN: when set, daprd sends it as `dapr-api-token` and every other caller gets 401. */
  token?: string | undefined;
  types: Record<string, ActorType>;
  config: ActorConfig;
  /** How long an idle connection from daprd is kept (ms); must outlast daprd's own idle timeout (90 s). */
  keepAliveMs: number;
  /** Largest request body accepted (bytes, default 4 MiB as the SDK's body parsers); larger is a 413. */
  maxBodyBytes?: number;
  /** An actor method or reminder threw (not a value it returned): the answer is a 500. */
  onError?: (error: unknown) => void;
}

function send(res: http.ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(
        size > limit
          ? undefined
          : chunks.length === 1
            ? (chunks[0] as Buffer).toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
      ),
    );
    req.on('error', reject);
  });
}

/** The SDK's reading of a body: JSON when it parses, else the text itself ('' when empty). */
function parse(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Serves daprd's calls to this app's actors on `host`:`port` and resolves once it listens. The routes
 * take commands for any user without a JWT (daprd is trusted), hence loopback and the app token.
 * Actor ids arrive URL-encoded (the SDK's getURLSafeId) and are decoded here. Reentrancy is not enabled
 * in `config`, so daprd sends no `Dapr-Reentrancy-Id` and nothing here reads one.
 */
export async function serveActors(options: AppChannelOptions): Promise<http.Server> {
  const expected = options.token ? Buffer.from(options.token) : undefined;
  const limit = options.maxBodyBytes ?? 4 * 2 ** 20;
  const configBody = JSON.stringify({ entities: Object.keys(options.types), ...options.config });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (expected) {
      const header = req.headers['dapr-api-token'];
      const got = Buffer.from(typeof header === 'string' ? header : '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        req.resume();
        send(
          res,
          401,
          JSON.stringify({ error: 'dapr-api-token missing or wrong: only the Dapr sidecar may call the actor routes' }),
        );
        return;
      }
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const parts = (q === -1 ? url : url.slice(0, q)).split('/');
    // parts[0] is '' (the path starts with '/').
    if (req.method === 'GET' && parts.length === 2 && parts[1] === 'healthz')
      return send(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (req.method === 'GET' && parts.length === 3 && parts[1] === 'dapr' && parts[2] === 'config')
      return send(res, 200, configBody);
    if (req.method === 'GET' && parts.length === 3 && parts[1] === 'dapr' && parts[2] === 'subscribe')
      return send(res, 200, '[]');
    const type = parts[1] === 'actors' && parts[2] !== undefined ? options.types[parts[2]] : undefined;
    if (!type || parts[3] === undefined) {
      req.resume();
      return send(res, 404, JSON.stringify({ error: `no route ${req.method} ${url}` }));
    }
    const id = idFromActorSegment(parts[3]);
    if (req.method === 'DELETE' && parts.length === 4) {
      // Deactivation: the actors keep no state in memory between turns (the database holds it).
      req.resume();
      return send(res, 200, '');
    }
    if ((req.method !== 'PUT' && req.method !== 'POST') || parts[4] !== 'method') {
      req.resume();
      return send(res, 404, JSON.stringify({ error: `no route ${req.method} ${url}` }));
    }
    const text = await readBody(req, limit);
    if (text === undefined) return send(res, 413, JSON.stringify({ error: `body over ${limit} bytes` }));
    if (parts.length === 7 && (parts[5] === 'remind' || parts[5] === 'timer')) {
      // daprd's body: { data, dueTime, period }; `data` as registered (here a JSON string).
      const fired = parse(text) as { data?: unknown } | string;
      const data = typeof fired === 'object' && fired !== null ? fired.data : undefined;
      const state = typeof data === 'string' ? parse(data) : data;
      if (parts[5] === 'timer' || !type.remind)
        return send(res, 404, JSON.stringify({ error: `${parts[2]} has no ${parts[5]} callback` }));
      await type.remind(id, decodeURIComponent(parts[6] as string), state);
      return send(res, 200, '');
    }
    const method = parts.length === 6 ? type.methods[parts[5] as string] : undefined;
    if (!method || !Object.hasOwn(type.methods, parts[5] as string)) {
      return send(
        res,
        500,
        JSON.stringify({
          error: 'ACTOR_METHOD_DOES_NOT_EXIST',
          errorMsg: `The actor method '${parts[5]}' does not exist on ${parts[2]}`,
        }),
      );
    }
    const answer = await method(id, parse(text));
    send(res, 200, typeof answer === 'string' ? answer : JSON.stringify(answer));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent)
        send(res, 500, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      else res.destroy();
    });
  });
  // daprd (Go's default transport) keeps an idle connection for 90 s and does not resend a PUT whose
  // reused connection was closed under it. Node's 5 s default closed idle connections first, so an
  // actor call after a quiet spell could meet a reset (500 from daprd, 503 to the user): hold them longer.
  server.keepAliveTimeout = options.keepAliveMs;
  server.headersTimeout = options.keepAliveMs + 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * Closes `server`: no new connections; idle kept-alive ones closed at once and each busy one as soon as
 * its running call has answered (a kept-alive connection would otherwise hold the close for `keepAliveMs`);
 * after `graceMs` whatever is left is cut.
 */
export async function closeServer(server: http.Server, graceMs = 30_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  server.closeIdleConnections();
  await closed.finally(() => {
    clearInterval(sweep);
    clearTimeout(cut);
  });
}
