// The address a request comes from, for what is counted per client rather than per user (the calendar
// feed's rate limit and its costly-read turns: the feed needs no token). Behind proxies every request
// comes from the proxy's address, so one client could use up everyone's allowance (an attacker's pass:
// twelve loops on their own feed answered every other feed 429). TRUST_PROXY_HOPS says how many proxies
// in front of the app append to X-Forwarded-For (the chart's ingress: 1); 0 (the default) trusts no header,
// as a client can write any X-Forwarded-For it likes.
import type { Request, Server } from '@hapi/hapi';

const hopsOf = new WeakMap<object, number>();

/** Trusts `hops` proxies in front of `server` (TRUST_PROXY_HOPS): each appends the address it was reached from. */
export function registerClientAddress(server: Server, hops: number): void {
  hopsOf.set(server, hops);
}

/**
 * The client's address: with no trusted proxy the connection's; else the address the outermost trusted
 * proxy was reached from, counting from the right of X-Forwarded-For (what each proxy appended), never
 * further than the header goes (RFC 7239 §5.2's chain; express' "trust proxy" N).
 */
export function clientAddress(request: Request): string {
  const remote = request.info.remoteAddress;
  const hops = hopsOf.get(request.server) ?? 0;
  if (hops === 0) return remote;
  const header: unknown = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  const chain = [remote, ...forwarded.reverse()];
  return chain[Math.min(hops, chain.length - 1)] ?? remote;
}

/**
 * The first value of a proxy's header (`x-forwarded-host`, `x-forwarded-proto`) when a proxy is trusted
 * (TRUST_PROXY_HOPS above 0), else undefined: without one, the client wrote it, and what the app says of
 * itself (a calendar feed's URL) must not be theirs to choose.
 */
export function forwardedHeader(request: Request, name: `x-forwarded-${string}`): string | undefined {
  if ((hopsOf.get(request.server) ?? 0) === 0) return undefined;
  const value: unknown = request.headers[name];
  const first = typeof value === 'string' ? value.split(',')[0]?.trim() : undefined;
  return first ? first : undefined;
}
