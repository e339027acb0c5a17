// What a failed call to daprd means: the one classifier of "the sidecar is away", used by the Dapr
// runtime (actors/runtime/dapr.ts: a refused connection makes the turn fall back in-process) and by the
// API's error mapping (api/errors.ts: an actor call daprd could not complete is a 503 with Retry-After).
// The app speaks daprd's HTTP actor API through actors/runtime/dapr-channel.ts, which rejects with
// DaprCallError (daprd answered non-2xx; message `{"error","error_msg","status","url"}`, `error_msg`
// carrying daprd's own code) or DaprTransportError (no answer; "request to <url> failed, reason: …",
// `code` the socket error's). Domain errors never look like these: actor methods return them as values.

/** An error and its causes (`cause` chains, as node:http and undici build them), at most 5 deep. */
export function causeChain(error: unknown): Array<{ code: string; message: string }> {
  const out: Array<{ code: string; message: string }> = [];
  for (
    let e: unknown = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    out.push({ code: typeof code === 'string' ? code : '', message: typeof message === 'string' ? message : '' });
  }
  return out;
}

/** Nothing listens where daprd should: the socket's ECONNREFUSED, as a code or in a message. */
const REFUSED = /ECONNREFUSED/;

/**
 * daprd refused the connection (nothing listens on its port): the call never reached it, so the turn
 * may run in-process instead (DaprRuntime's fallback).
 */
export function sidecarRefused(error: unknown): boolean {
  return causeChain(error).some(({ code, message }) => code === 'ECONNREFUSED' || REFUSED.test(message));
}

/**
 * daprd's own codes for an actor call it could not complete (ERR_ACTOR_INVOKE_METHOD when daprd could
 * not reach the app, e.g. "connection reset by peer" while the app restarts; ERR_ACTOR_RUNTIME_NOT_FOUND
 * while the actor runtime or placement is not ready), and the app's own words when no daprd answered.
 */
const DAPR_ERROR =
  /ERR_ACTOR_[A-Z_]+|ERR_DIRECT_INVOKE|no Dapr sidecar answered|daprd (is )?(not reachable|unreachable|unavailable)/i;
/** The failure was on a call to daprd (its actor API's URL, or daprd named). */
const DAPR_CALL = /\/v1\.0\/actors\/|daprd|dapr sidecar/i;
/** The connection failed, or daprd answered 502/503/504. */
const TRANSPORT =
  /connection reset by peer|socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|other side closed|broken pipe|context deadline exceeded|fetch failed|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_CLOSED|UND_ERR_DESTROYED|"status":\s*(502|503|504)\b/i;

/**
 * The Dapr sidecar (or the app behind it) could not complete an actor call: daprd's own error code, or
 * a transport failure on a call to daprd. True for whatever `sidecarRefused` is true for on such a call.
 */
export function sidecarAway(error: unknown): boolean {
  const links = causeChain(error);
  if (links.some((l) => DAPR_ERROR.test(l.message))) return true;
  return (
    links.some((l) => DAPR_CALL.test(l.message)) &&
    links.some((l) => TRANSPORT.test(l.message) || TRANSPORT.test(l.code))
  );
}
