// Dot segments ('.' and '..', RFC 3986 §3.3) in a request's path are refused, not resolved. hapi's router
// removes them before route lookup (@hapi/call `normalize`, after decoding `%2E`), so a path a client built
// from an untrusted value ran another route than the one it named: DELETE /tasks/{id}/reminders/%2e%2e
// deleted the task, DELETE /lists/{id}/members/.. the list; neither `rid` nor `user_id` was ever validated.
// Browsers and fetch() resolve dot segments before sending, so only a hand-built request carries one.
import type { Server } from '@hapi/hapi';
import { badRequest } from './errors.ts';

/** The path of a request target (RFC 9112 §3.2): origin-form `/a/b?q`, or absolute-form `http://host/a/b?q`. */
function pathOf(target: string): string {
  let path = target;
  if (!path.startsWith('/')) {
    const authority = path.indexOf('//');
    const start = authority === -1 ? -1 : path.indexOf('/', authority + 2);
    path = start === -1 ? '' : path.slice(start);
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/**
 * True when the request target `target` (as sent: `request.raw.req.url`) has a path segment that is `.` or
 * `..`, written plainly or percent-encoded (`%2e`, any case: RFC 3986 §2.3 makes them equivalent).
 */
export function hasDotSegment(target: string): boolean {
  const path = pathOf(target);
  if (!/\.|%2e/i.test(path)) return false; // most paths: no dot at all
  return path.split('/').some((segment) => {
    const plain = segment.replace(/%2e/gi, '.');
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
