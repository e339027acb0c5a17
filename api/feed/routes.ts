// The calendar feed (issue 16, deliverable 7): a per-user secret URL that calendar apps subscribe to.
//
// - POST /me/calendar-feed makes the caller's feed, or replaces it: a new secret (32 random bytes, base64url),
//   answered once as `webcal://<host>/feeds/<secret>.ics` and its https:// twin. Only the secret's SHA-256 is
//   stored, so the URL cannot be shown again: GET /me/calendar-feed says whether a feed exists and since when,
//   and a user who lost the URL makes a new one (which revokes the old). Idempotency-Key is not offered (the
//   header is not documented here and a retry is not replayed): the answer holds a secret that is never stored,
//   so a retry makes another URL, and the lost answer's URL, which no one has seen, stops working.
// - DELETE /me/calendar-feed revokes it (204 whether or not there was one); the URL then answers 404.
// - GET /feeds/{secret}.ics needs no token: the secret is the credential. It is looked up by its hash through a
//   unique index (the attacker cannot choose hashes, so timing says nothing about stored secrets) and compared
//   again in constant time; an unknown or a revoked secret answers the same 404 (no oracle), a malformed one a
//   400 naming `secret` (its format is public, and it costs no lookup). Lookups are rate limited per client
//   address (there is no user before the lookup) by the same limiter as every route. The answer is text/calendar with a strong ETag (the body's SHA-256; If-None-Match → 304) and
//   `Cache-Control: private, no-cache`. No Last-Modified: a task that leaves the feed (completed, deleted) has
//   no date the feed could show, so If-Modified-Since could not be answered truthfully.
// - Bounded work: at most MAX_FEED_TASKS open tasks, soonest due first (then those without a due date), read in
//   pages and rendered in slices with the event loop free between them, and at most MAX_FEED_BYTES of VTODO text
//   (4 MiB; about 0.5 KB a task as usual, up to ~60 KB with a long description): the body is built in memory.
//   Reducing the COUNT of series takes expansion, bounded per feed by
//   FEED_COUNT_BUDGET occurrences; a series past it is written with its next occurrence and no RRULE.
//   `X-Feed-Truncated: true` says that tasks were left out or series written without their RRULE.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import { userOf } from '../context.ts';
import * as S from '../schemas.ts';
import type { TaskState } from '../../actors/task/index.ts';
import { FeedWriter } from './ical.ts';
import { homeZones, withHomeZones } from '../home-zone.ts';
import { costly } from '../costly-reads.ts';
import { clientAddress, forwardedHeader } from '../client-address.ts';

/** The most open tasks one feed lists (soonest due first); the rest are left out and the answer says so. */
export const MAX_FEED_TASKS = 2000;
/** Tasks read per query while building a feed. */
const FEED_PAGE = 500;
/** Tasks rendered between two yields to the event loop, at most. */
const YIELD_EVERY = 50;
/** VTODO text (UTF-8 bytes) rendered between two yields to the event loop, at most (about one long description's worth of slices). */
const YIELD_BYTES = 256 * 1024;
/** The secret in the URL: 32 bytes as unpadded base64url. */
export const FEED_SECRET = /^[A-Za-z0-9_-]{43}$/;
export const FEED_CALENDAR_NAME = 'tasklane';

/** The path's secret: malformed is a 400 naming `secret` (the format is public, so that tells nothing). */
const feedParams = S.Joi.object({
  secret: S.Joi.string().pattern(FEED_SECRET, { name: '43 base64url characters' }).required(),
});

/**
 * `text` (a path or URL) with any feed secret replaced by `<secret>`: the secret is a credential, so request logs
 * (api/server.ts hands this to hapi-pino for the request line and the serialized `req.url`) never hold one.
 */
export function maskFeedSecret(text: string): string {
  return text.replace(/\/feeds\/[^/?#]*/g, '/feeds/<secret>');
}

const hashOf = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** `host[:port]` the client used (a trusted proxy's X-Forwarded-Host first), when it looks like one. */
function hostOf(request: Request): string {
  const candidate = forwardedHeader(request, 'x-forwarded-host') ?? request.info.host;
  return /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(candidate)
    ? candidate
    : `localhost:${String(request.server.info.port)}`;
}

/** The feed's URLs for a secret: webcal:// (what calendar apps open) and https:// (or http:// without TLS). */
function urlsOf(request: Request, secret: string): { url: string; https_url: string } {
  const forwardedProto = forwardedHeader(request, 'x-forwarded-proto');
  const proto =
    forwardedProto !== undefined && /^https?$/i.test(forwardedProto)
      ? forwardedProto.toLowerCase()
      : request.server.info.protocol === 'https'
        ? 'https'
        : 'http';
  const path = `${hostOf(request)}/feeds/${secret}.ics`;
  return { url: `webcal://${path}`, https_url: `${proto}://${path}` };
}

const notFound = () => Boom.notFound('no such calendar feed');

/** Waits for the event loop's next turn (other requests run meanwhile). */
const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes `tasks` into `writer` in order, the user's own reminders only (reminders belong to one member:
 * shared-lists plan, section 0), pausing (`pause`) between slices of the work so other requests run: after
 * YIELD_EVERY tasks, YIELD_BYTES of text, or a task whose zone was compared for the first time (tens of
 * milliseconds each: ical.ts `agrees`). Stops at the feed's byte limit (`truncated`); a task the writer
 * cannot express is left out (`skipped`) and handed to `onSkip`.
 */
export async function writeTasks(
  writer: FeedWriter,
  tasks: readonly TaskState[],
  userId: string,
  onSkip: (error: unknown, task: TaskState) => void,
  pause: () => Promise<void> = nextTurn,
): Promise<{ truncated: boolean; skipped: number }> {
  let skipped = 0;
  let yieldedAt = 0;
  let checksAt = writer.budget.zoneChecks;
  for (const [index, task] of tasks.entries()) {
    if (
      index > 0 &&
      (index % YIELD_EVERY === 0 || writer.bytes - yieldedAt >= YIELD_BYTES || writer.budget.zoneChecks !== checksAt)
    ) {
      await pause();
      yieldedAt = writer.bytes;
      checksAt = writer.budget.zoneChecks;
    }
    try {
      // The feed is full (MAX_FEED_BYTES): the tasks due later are left out, as past MAX_FEED_TASKS.
      if (!writer.add({ ...task, reminders: task.reminders.filter((r) => r.user_id === userId) }))
        return { truncated: true, skipped };
    } catch (error) {
      skipped++;
      onSkip(error, task);
    }
  }
  return { truncated: false, skipped };
}

export function feedRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'POST',
    path: '/me/calendar-feed',
    options: {
      tags: ['api', 'me'],
      description:
        "Make the caller's calendar feed, or replace it (the old URL stops working): answers its secret URL once",
      handler: async (request, h) => {
        const secret = randomBytes(32).toString('base64url');
        const stored = await deps.feeds.put(userOf(request), hashOf(secret));
        request.logger.info('calendar feed made (the previous one, if any, revoked)');
        return h.response({ ...urlsOf(request, secret), created_at: stored.created_at }).code(201);
      },
    },
  });
  server.route({
    method: 'GET',
    path: '/me/calendar-feed',
    options: {
      tags: ['api', 'me'],
      description: 'Whether the caller has a calendar feed, and since when (its URL is shown only when made)',
      handler: async (request) => {
        const stored = await deps.feeds.get(userOf(request));
        return { active: stored !== null, created_at: stored?.created_at ?? null };
      },
    },
  });
  server.route({
    method: 'DELETE',
    path: '/me/calendar-feed',
    options: {
      tags: ['api', 'me'],
      description: "Revoke the caller's calendar feed: its URL answers 404 from now on",
      handler: async (request, h) => {
        await deps.feeds.revoke(userOf(request));
        return h.response().code(204);
      },
    },
  });
  server.route({
    method: 'GET',
    path: '/feeds/{secret}.ics',
    options: costly({
      auth: false,
      tags: ['api', 'feeds'],
      description:
        "A user's open tasks, those of lists shared with them included, as an iCalendar feed (VTODO per task, VTIMEZONE, a VALARM per reminder of the user's own); the secret in the path is the credential",
      cache: { otherwise: 'private, no-cache' },
      validate: { params: feedParams },
      handler: async (request, h) => {
        if (deps.rateLimiter) {
          const wait = await deps.rateLimiter.take(`feed:${clientAddress(request)}`);
          if (wait > 0) {
            const boom = Boom.tooManyRequests(`rate limit exceeded: retry after ${wait} s`);
            boom.output.headers['retry-after'] = String(wait);
            throw boom;
          }
        }
        const hash = hashOf((request.params as { secret: string }).secret);
        const stored = await deps.feeds.byHash(hash);
        if (!stored || !timingSafeEqual(Buffer.from(stored.token_hash, 'hex'), Buffer.from(hash, 'hex')))
          throw notFound();
        const userId = stored.user_id;
        const [user, labels] = await Promise.all([deps.users.get(userId), deps.reads.labels(userId)]);
        const tasks: TaskState[] = [];
        let cursor: { key: string | null; id: string } | undefined;
        let truncated = false;
        for (;;) {
          const page = await deps.reads.listTasks(userId, {
            completed: false,
            sort: 'due',
            order: 'asc',
            limit: Math.min(FEED_PAGE, MAX_FEED_TASKS - tasks.length),
            ...(cursor ? { cursor } : {}),
          });
          tasks.push(...page.tasks);
          const last = page.tasks.at(-1);
          if (!page.more || !last) break;
          if (tasks.length >= MAX_FEED_TASKS) {
            truncated = true;
            break;
          }
          cursor = { key: page.keys.at(-1) ?? null, id: last.id };
        }
        // A task of another member that follows its home user's zone is written in that zone (api/home-zone.ts).
        const zoned = await withHomeZones(tasks, userId, homeZones(deps.users, user));
        const writer = new FeedWriter({
          name: FEED_CALENDAR_NAME,
          userZone: user.timezone,
          labelNames: new Map(labels.map((l) => [l.id, l.name])),
        });
        const written = await writeTasks(writer, zoned, userId, (error, task) => {
          // One task the writer cannot express must not take the whole calendar down (a calendar app
          // would keep failing on it): it is left out and logged, for a fix of the writer.
          request.logger.error({ err: error, task_id: task.id }, 'calendar feed: a task left out');
        });
        truncated ||= written.truncated;
        const skipped = written.skipped;
        const body = writer.finish();
        const etag = createHash('sha256').update(body).digest('base64url');
        // If-None-Match: * holds for any current representation (RFC 9110 §13.1.2): a GET is answered 304,
        // with the ETag a 200 would carry. (hapi compares listed tags only.)
        const none = request.headers['if-none-match'];
        if (typeof none === 'string' && none.trim() === '*') return h.response().code(304).etag(etag);
        const response = h
          .response(body)
          .type('text/calendar; charset=utf-8')
          .etag(etag)
          .header('content-disposition', 'inline; filename="tasklane.ics"')
          .header('x-robots-tag', 'noindex');
        if (truncated || writer.budget.simplified > 0) response.header('x-feed-truncated', 'true');
        request.logger.info(
          { feed_user: userId, tasks: tasks.length, truncated, simplified_series: writer.budget.simplified, skipped },
          'calendar feed served',
        );
        return response;
      },
    }),
  });
}
