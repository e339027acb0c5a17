// nes on the app's own server and port: sockets authenticate with the same JWT strategy as REST; the
// only subscription is /events, and a publish reaches only the sockets of the event's user.
//
// A socket follows its token:
// - it belongs to the user it was opened for: a `reauth` with another user's token is refused and
//   the socket closed; a `reauth` for the same user replaces the credentials (and so the expiry);
// - it is closed when the token in force expires (`credentials.expiresAt`, api/auth.ts: exp + skew),
//   and an event published after that instant is never delivered to it, even if the close is late;
// - nes' per-user index (maxConnectionsPerUser) counts each open socket once, under its one user.
import { createRequire } from 'node:module';
import Boom from '@hapi/boom';
import Nes from '@hapi/nes';
import type { Server } from '@hapi/hapi';
import client from 'prom-client';
import { MAX_PAYLOAD_BYTES } from '../api/schemas.ts';
import type { Publish } from './hub.ts';
import { frameProblem, echoOf } from './frames.ts';

export interface RealtimeOptions {
  /** Heartbeat tuned so a dead link is noticed within ~5 s (nes' default notices after ~20 s). */
  heartbeat?: { interval: number; timeout: number };
  /** Sockets one user may hold open at once on this instance (nes `auth.maxConnectionsPerUser`; default 100). */
  maxConnectionsPerUser?: number;
  onSockets?: (open: number) => void;
  /**
   * Largest WebSocket message (bytes) a client may send; a bigger one closes that socket with 1009
   * before any of it is parsed. Default: MAX_PAYLOAD_BYTES (api/schemas.ts), the REST body limit.
   */
  maxMessageBytes?: number;
  /**
   * How many messages one socket may send (every kind: hello, reauth, sub, unsub, ping, request): a token
   * bucket per socket, `burst` at first and `perSecond` after. A socket over it is closed (1008) and what it
   * sent after that is dropped unread. Default MESSAGE_BUDGET.
   */
  messageBudget?: MessageBudget;
  /** Registers tasklane_realtime_misrouted_total here (the app's /metrics registry). */
  registry?: client.Registry;
}

/** A socket's message budget: messages per second, and the burst it may send at once. */
export interface MessageBudget {
  perSecond: number;
  burst: number;
}

/**
 * The default MessageBudget. The dashboard sends a hello, one sub, a ping answer every heartbeat (2.5 s) and
 * a reauth when its token is renewed: a few a minute. Commands go through the REST API and its rate limit.
 */
export const MESSAGE_BUDGET: MessageBudget = { perSecond: 20, burst: 100 };

export const EVENTS_PATH = '/events';

/** The parts of a nes 14 socket this module touches; `_setCredentials` is private (see below). */
interface NesAuthResult {
  credentials?: unknown;
  artifacts?: unknown;
  strategy?: unknown;
}
interface NesSocket {
  id: string;
  server: Server;
  _ws: { close(code: number, reason: string): void; terminate(): void };
  _listener: object;
  _onMessage(message: unknown): Promise<void> | undefined;
  /** Sends nes' error frame for `err` (a Boom), echoing the frame's type and id. */
  _error(err: Error, request?: { type?: string; id?: string | number }): Promise<void>;
  auth: { isAuthenticated: boolean; credentials: unknown; artifacts: unknown; strategy?: unknown; _verified: number };
  disconnect(): Promise<void>;
  isOpen(): boolean;
  _setCredentials(auth: NesAuthResult): void;
}

const userOf = (credentials: unknown): string | undefined => {
  const user = (credentials as { user?: unknown } | null | undefined)?.user;
  return typeof user === 'string' && user.length > 0 ? user : undefined;
};
const expiresAtOf = (credentials: unknown): number | undefined => {
  const at = (credentials as { expiresAt?: unknown } | null | undefined)?.expiresAt;
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
};
/** True once the token in force is past its expiry (credentials without an expiry never expire here). */
const expired = (credentials: unknown, now = Date.now()): boolean => {
  const at = expiresAtOf(credentials);
  return at !== undefined && now >= at;
};

// Per-socket expiry timers; a socket that is gone takes its entry with it.
const expiryTimers = new WeakMap<NesSocket, NodeJS.Timeout>();
/** setTimeout's ceiling (~24.8 days); a longer wait is re-armed when it fires. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function armExpiry(socket: NesSocket): void {
  clearTimeout(expiryTimers.get(socket));
  expiryTimers.delete(socket);
  const at = expiresAtOf(socket.auth.credentials);
  if (at === undefined) return;
  const timer = setTimeout(
    () => {
      expiryTimers.delete(socket);
      if (!expired(socket.auth.credentials)) return armExpiry(socket); // replaced meanwhile, or the ceiling
      closeExpired(socket);
    },
    Math.min(Math.max(at - Date.now(), 0), MAX_TIMEOUT_MS),
  );
  timer.unref();
  expiryTimers.set(socket, timer);
}

function closeExpired(socket: NesSocket): void {
  if (!socket.isOpen()) return;
  socket.server.log(['nes', 'auth', 'info'], {
    socket: socket.id,
    user: userOf(socket.auth.credentials),
    reason: 'token expired',
  });
  void socket.disconnect();
}

function disarmExpiry(socket: NesSocket): void {
  clearTimeout(expiryTimers.get(socket));
  expiryTimers.delete(socket);
}

/**
 * nes 14.0.1 (lib/socket.js) sets a socket's credentials in the private `Socket#_setCredentials`, on
 * `hello` and again on every `reauth`, with no hook to refuse or observe it. As shipped it (a) accepts
 * a reauth for another user, and (b) pushes the socket into the per-user index again under the new
 * user while the old entry stays, and removal on close only looks under the last user: the old user's
 * count leaks until restart ("Too many connections"), and the socket keeps the old user's
 * subscription index entry (his events). nes offers no `onReauth`; so this wraps that one method, once
 * per process, on the Socket prototype:
 * - first authentication: nes' own method (index + maxConnectionsPerUser); if it refuses, the socket
 *   is left unauthenticated and closed, so an over-limit socket cannot subscribe after a failed hello;
 * - a later one for the same user: credentials, artifacts and the verify clock replaced in place,
 *   without indexing the socket twice;
 * - a later one for another user, or credentials without a user: 401 and the socket is closed.
 * Every accepted authentication (re)arms the expiry timer. Re-check this when upgrading nes.
 */
const guarded = Symbol.for('tasklane.nes.setCredentials');
function guardCredentials(): void {
  const SocketClass = createRequire(import.meta.url)('@hapi/nes/lib/socket.js') as {
    prototype: NesSocket & { [guarded]?: true };
  };
  const proto = SocketClass.prototype;
  if (proto[guarded]) return;
  const original = proto._setCredentials;
  const refuse = (socket: NesSocket, message: string): never => {
    setTimeout(() => void socket.disconnect()); // after the error reply is queued, as nes' reauth does
    throw Boom.unauthorized(message);
  };
  proto._setCredentials = function (this: NesSocket, auth: NesAuthResult): void {
    const next = userOf(auth?.credentials);
    if (next === undefined) refuse(this, 'Socket credentials must name a user');
    if (this.auth.isAuthenticated) {
      const current = userOf(this.auth.credentials);
      if (current !== next) {
        this.server.log(['nes', 'auth', 'warn'], {
          socket: this.id,
          user: current,
          attempted: next,
          reason: 'reauth for another user refused',
        });
        refuse(this, 'A socket stays with the user it was opened for: reauthenticate with a token for that user');
      }
      this.auth.credentials = auth.credentials;
      this.auth.artifacts = auth.artifacts;
      this.auth.strategy = auth.strategy;
      this.auth._verified = Date.now();
    } else {
      try {
        original.call(this, auth);
      } catch (error) {
        Object.assign(this.auth, { isAuthenticated: false, credentials: null, artifacts: null });
        setTimeout(() => void this.disconnect());
        throw error;
      }
    }
    armExpiry(this);
  };
  proto[guarded] = true;
}

/** Each nes listener's message budget (set by registerNes), for the one wrapper on the Socket prototype. */
const budgets = new WeakMap<object, MessageBudget>();
/** Each socket's bucket: tokens left, and when they were counted (epoch ms); `closed` once it went over. */
const buckets = new WeakMap<NesSocket, { tokens: number; at: number; closed: boolean }>();
/** How long a socket closed for flooding has to answer the close frame before it is cut off (ms). */
const FLOOD_CLOSE_GRACE_MS = 1000;

/**
 * Bounds how many messages a socket may send. nes 14.0.1 (lib/socket.js `_onMessage`) handles every frame
 * as it arrives, all at once and without back-pressure: one client sending 50,000 `reauth` frames (each an
 * injected /nes/auth request) stalled every request for seconds and took the process from 0.8 to 2.2 GB. A
 * flood of sub/unsub or request frames is the same kind. nes has no hook before its handling; so this wraps
 * that one method, once per process: each frame takes a token from its socket's bucket (MessageBudget), and
 * a frame over the budget closes the socket (1008, policy violation, cut off after FLOOD_CLOSE_GRACE_MS),
 * after which nothing it sent is parsed or handled. A frame within the budget is handed to nes only when
 * its shape is one nes handles (./frames.ts frameProblem); else it is answered 400 here. Re-check this when
 * upgrading nes.
 */
const limited = Symbol.for('tasklane.nes.onMessage');
function limitMessages(): void {
  const SocketClass = createRequire(import.meta.url)('@hapi/nes/lib/socket.js') as {
    prototype: NesSocket & { [limited]?: true };
  };
  const proto = SocketClass.prototype;
  if (proto[limited]) return;
  const original = proto._onMessage;
  // A frame of a shape nes does not handle is answered with nes' own error frame and goes no further (./frames.ts).
  const checked = (socket: NesSocket, message: unknown) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(message));
    } catch {
      return original.call(socket, message); // nes answers "Cannot parse message"
    }
    const problem = frameProblem(parsed);
    if (problem === null) return original.call(socket, message);
    return socket._error(Boom.badRequest(problem), echoOf(parsed));
  };
  proto._onMessage = function (this: NesSocket, message: unknown) {
    const budget = budgets.get(this._listener);
    if (budget === undefined) return checked(this, message);
    const now = Date.now();
    const bucket = buckets.get(this) ?? { tokens: budget.burst, at: now, closed: false };
    buckets.set(this, bucket);
    if (bucket.closed) return undefined;
    bucket.tokens = Math.min(budget.burst, bucket.tokens + ((now - bucket.at) / 1000) * budget.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return checked(this, message);
    }
    bucket.closed = true;
    this.server.log(['nes', 'flood', 'warn'], {
      socket: this.id,
      user: userOf(this.auth.credentials),
      reason: `more than ${budget.burst} messages at once or ${budget.perSecond}/s: socket closed`,
    });
    this._ws.close(1008, 'too many messages');
    setTimeout(() => this._ws.terminate(), FLOOD_CLOSE_GRACE_MS).unref();
    return undefined;
  };
  proto[limited] = true;
}

/** nes' listener on `server` (nes 14: `server.plugins.nes._listener`, what each socket's `_listener` is). */
function listenerOf(server: Server): object {
  const listener = (server.plugins as { nes?: { _listener?: object } }).nes?._listener;
  if (listener === undefined) throw new Error('nes internals changed: no listener (realtime/nes.ts listenerOf)');
  return listener;
}

/**
 * Bounds the size of a client's messages. nes 14.0.1 (lib/listener.js) builds its `ws` server (ws 8)
 * from `{ server, verifyClient }` only, so ws' default `maxPayload` of 100 MiB applies, and nes
 * JSON-parses each message on the event loop: one 30 MB message of nested brackets stalled every
 * request for ~10 s. nes has no option for it (`payload.maxChunkChars` splits what the server sends),
 * but ws reads `options.maxPayload` at each upgrade, so it is set on nes' server once registered:
 * a bigger message makes ws close that socket (1009) while receiving, before nes sees it.
 * Re-check this when upgrading nes or ws.
 */
function limitMessageSize(server: Server, maxBytes: number): void {
  const wss = (listenerOf(server) as { _wss?: { options?: { maxPayload?: number } } })._wss;
  if (!wss?.options || typeof wss.options.maxPayload !== 'number') {
    throw new Error('nes internals changed: cannot bound WebSocket message size (realtime/nes.ts limitMessageSize)');
  }
  wss.options.maxPayload = maxBytes;
}

export async function registerNes(server: Server, options: RealtimeOptions = {}): Promise<Publish> {
  guardCredentials();
  limitMessages();
  // nes calls onDisconnection for every socket that closes, onConnection only after a successful
  // hello: count only sockets that were counted in, or failed hellos drive the gauge below zero.
  const counted = new WeakSet<object>();
  let open = 0;
  await server.register({
    plugin: Nes,
    options: {
      // minAuthVerifyInterval stays nes' default (the heartbeat interval): a message from the client
      // re-verifies the token's time claims through @hapi/jwt; the timer and filter here need no message.
      auth: { type: 'direct', index: true, maxConnectionsPerUser: options.maxConnectionsPerUser ?? 100 },
      heartbeat: options.heartbeat ?? { interval: 2500, timeout: 2000 },
      // The socket only delivers events; commands go through the REST API. Without this nes answers a
      // client's `message` frame 501, a server error for a client's mistake.
      onMessage: () => {
        throw Boom.badRequest('message: this socket takes no messages; send commands to the REST API');
      },
      onConnection: (socket: object) => {
        counted.add(socket);
        open++;
        options.onSockets?.(open);
      },
      onDisconnection: (socket: object) => {
        disarmExpiry(socket as NesSocket);
        if (!counted.delete(socket)) return;
        open--;
        options.onSockets?.(open);
      },
    },
  });
  limitMessageSize(server, options.maxMessageBytes ?? MAX_PAYLOAD_BYTES);
  budgets.set(listenerOf(server), options.messageBudget ?? MESSAGE_BUDGET);
  // Defence in depth (shared lists, issue 17): a publish already reaches only its user's sockets (nes'
  // user index), and an event reaches another member only as their own copy (user_id = that member);
  // a message whose user_id is not the socket's user is dropped and counted, and the count must stay 0.
  const misrouted = new client.Counter({
    name: 'tasklane_realtime_misrouted_total',
    help: "Socket messages dropped because their user_id is not the socket's user; any value above 0 is a bug",
    registers: options.registry ? [options.registry] : [],
  });
  server.subscription(EVENTS_PATH, {
    auth: { mode: 'required', entity: 'user', index: true },
    // Delivery checks the token in force at the moment of each publish: an expiry timer that fires
    // late (a busy event loop) can never let an event through to an expired socket.
    filter: (_path: string, message: unknown, { socket, credentials }: { socket: unknown; credentials?: unknown }) => {
      if (expired(credentials)) {
        closeExpired(socket as NesSocket);
        return false;
      }
      if ((message as { user_id?: unknown }).user_id === userOf(credentials)) return true;
      misrouted.inc();
      return false;
    },
  });
  return (userId, message) => server.publish(EVENTS_PATH, message, { user: userId });
}
