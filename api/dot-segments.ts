// Dot segments ('.' and '..', RFC 3986 §3.3) in a request's path are refused, not resolved. hapi's router
// removes them before route lookup (@hapi/call `normalize`, after decoding `%2E`), so a path a client built
// from an untrusted value ran another route than the one it named: DELETE /tasks/{id}/reminders/%2e%2e
// deleted the task, DELETE /lists/{id}/members/.. the list; neither `rid` nor `user_id` was ever validated.
// Browsers and fetch() resolve dot segments before sending, so only a hand-built request carries one.
import type { Server } from '@hapi/hapi';
import { badRequest } from './errors.ts';

/**
 * The path segments of a request target (RFC 9112 §3.2) as the parser hapi gives it splits them. Origin-form
 * (`/a/b?q`): hapi reads it itself and @hapi/call's `normalize` splits on `/` only. Absolute-form
 * (`http://host/a/b?q`): hapi hands it to WHATWG `new URL()`, which first removes every tab and newline, treats
 * `\` as `/` in http(s) URLs (also between the scheme and the host, and takes any number of them there) and
 * then resolves dot segments itself. So for that form the whole target up to `?` or `#` is split on both:
 * the scheme and authority come out as segments too, and none of them is `.` or `..` in a target hapi can
 * route (a conservative read: it never misses a segment WHATWG would resolve).
 */
function segmentsOf(target: string): string[] {
  const absolute = !target.startsWith('/');
  const text = absolute ? target.replace(/[\t\n\r]/g, '') : target;
  const end = text.search(/[?#]/);
  const path = end === -1 ? text : text.slice(0, end);
  return path.split(absolute ? /[/\\]/ : '/');
}

/**
 * True when the request target `target` (as sent: `request.raw.req.url`) has a path segment that is `.` or
 * `..`, written plainly or percent-encoded (`%2e`, any case: RFC 3986 §2.3 makes them equivalent), split as
 * the parser hapi uses for its form splits it (`segmentsOf`).
 */
export function hasDotSegment(target: string): boolean {
  if (!/\.|%2e/i.test(target)) return false; // most targets: no dot at all
  return segmentsOf(target).some((segment) => {
    const plain = segment.replace(/%2e/gi, '.').trim();
    return plain === '.' || plain === '..';
  });
}

/** Refuses (400, field `path`) every request whose path holds a dot segment, before hapi's router resolves it. */
export function registerDotSegmentRefusal(server: Server): void {
  server.ext('onRequest', (request, h) => {
    if (!hasDotSegment(request.raw.req.url ?? '')) return h.continue;
    throw badRequest('path', "path: a segment is '.' or '..' (RFC 3986 §3.3); name the resource itself");
  });
}
