// /events (sync and recovery), /me, /recurrence/preview, /admin/events, /health, /ready, /auth/dev-token.
import Boom from '@hapi/boom';
import type { Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { userOf, metaOf } from '../context.ts';
import { encodeCursor, decodeCursor } from '../present.ts';
import type { Credentials } from '../auth.ts';
import { occurrences } from '../../actors/recurrence/index.ts';
import { checkZone, readInstant } from '../../actors/task/time.ts';
import { seriesStart, startOf, checkSeriesRule } from '../../actors/task/index.ts';
import { readDue } from '../../actors/task/all-day.ts';
import { notFound } from '../../actors/errors.ts';
import { signToken } from '../tokens.ts';
import { withinBudget } from '../page-budget.ts';
import { costly } from '../costly-reads.ts';

export function eventRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'GET',
    path: '/events',
    options: {
      tags: ['api', 'events'],
      description: "The caller's events in seq order, after a seq (sync and recovery after a reconnect)",
      validate: { query: S.eventsQuery },
      handler: async (request) => {
        const { after, limit } = request.query as { after: number; limit: number };
        const user = userOf(request);
        // At most `limit` events and at most MAX_PAGE_BYTES of them: next_after is the last seq returned,
        // so has_more stays true and a client that follows it gets every event once.
        const { items: events } = withinBudget(
          (await deps.reads.eventsAfter(user, after, limit)).map((e) => ({ ...e, type: e.event_type })),
        );
        const last_seq = await deps.reads.lastSeq(user);
        const next = events.at(-1)?.seq ?? after;
        return { events, next_after: next, last_seq, has_more: next < last_seq };
      },
    },
  });
}

export function meRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'GET',
    path: '/me',
    options: {
      tags: ['api', 'me'],
      description:
        'The caller: id, time zone (UTC until chosen), whether it was ever chosen (timezone_chosen), last event seq',
      handler: async (request) => {
        const user = await deps.users.get(userOf(request));
        return { id: user.id, timezone: user.timezone, timezone_chosen: user.timezone_chosen, last_seq: user.last_seq };
      },
    },
  });
  server.route({
    method: 'PATCH',
    path: '/me',
    // A zone change reschedules every series and all-day task that follows the zone, one task turn each: a
    // costly request (an attacker's ten at once on 1,000 series held the server for a minute and a half).
    options: costly({
      tags: ['api', 'me'],
      description:
        'Choose the time zone (IANA); series that follow it keep their wall-clock times. Choosing the zone the user already has records the choice',
      validate: { payload: S.patchMe, headers: S.writeHeaders },
      handler: async (request) => {
        const result = await deps.runtime.setTimezone(userOf(request), {
          timezone: (request.payload as { timezone: string }).timezone,
          meta: metaOf(request),
        });
        return {
          id: result.user.id,
          timezone: result.user.timezone,
          timezone_chosen: result.user.timezone_chosen,
          last_seq: result.user.last_seq,
        };
      },
    }),
  });
}

export function recurrenceRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'POST',
    path: '/recurrence/preview',
    options: costly({
      tags: ['api', 'recurrence'],
      description:
        "Occurrences of a rule from a wall-clock start in a zone (timezone, or home_of: a task's home user's zone), as UTC instants",
      validate: { payload: S.preview },
      handler: async (request) => {
        const p = request.payload as {
          rule: string;
          start: string;
          timezone?: string;
          home_of?: string;
          after?: string;
          limit: number;
        };
        /**
         * The zone a task the caller can read follows: its own, else its home user's (its creator's); a 404 as
         * GET /tasks/{id} otherwise. A task whose creator left its list has their zone of then as its own.
         */
        const homeZone = async (taskId: string): Promise<string> => {
          const task = await deps.tasks.get(userOf(request), taskId);
          if (!task) throw notFound('task', 'home_of');
          return task.timezone ?? (await deps.users.get(task.user_id)).timezone;
        };
        const zone = p.home_of === undefined ? checkZone('timezone', p.timezone) : await homeZone(p.home_of);
        // The start is read as a series' start is (actors/task/series.ts startOf): the wall-clock time as
        // written when it has no offset and names no other zone (a start inside a DST gap moves only its own
        // day, not every occurrence), else that instant's wall-clock time in the zone — so a preview shows
        // what saving the same start as a series' due date makes.
        // A start named on the second pass of a repeated hour is that instant, as a series' (seriesStart).
        const instant = readInstant('start', p.start, zone);
        const start = seriesStart({ dtstart_local: startOf('start', p.start, instant, zone), due_date: instant }, zone);
        // What saving it as a series' due date and rule would refuse, the preview refuses too (400 naming rule).
        checkSeriesRule(p.rule, start, zone, readDue('start', p.start, zone).due_day !== null, 'rule');
        const after = p.after ? new Date(readInstant('after', p.after, zone)) : undefined;
        const list = occurrences(p.rule, start, zone, { limit: p.limit, ...(after ? { after } : {}) });
        return { occurrences: list.map((d) => d.toISOString()), timezone: zone };
      },
    }),
  });
}

export function adminRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'GET',
    path: '/admin/events',
    options: {
      tags: ['api', 'admin'],
      description: 'Audit of events across users; needs a token with role: admin',
      validate: { query: S.adminEventsQuery },
      handler: async (request) => {
        if ((request.auth.credentials as unknown as Credentials).role !== 'admin')
          throw Boom.forbidden('admin role required');
        const q = request.query as {
          user?: string;
          type?: string;
          aggregate_id?: string;
          actor?: string;
          list?: string;
          from?: string;
          to?: string;
          after?: string;
          limit: number;
        };
        const after = q.after ? decodeCursor('after', q.after, { timestamp: 'instant', event_id: 'uuid' }) : undefined;
        // from/to without an offset are wall-clock times in the caller's zone (their users row).
        const zone = q.from || q.to ? (await deps.users.get(userOf(request))).timezone : 'UTC';
        const read = await deps.reads.adminEvents({
          limit: q.limit,
          ...(q.user ? { user: q.user } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.aggregate_id ? { aggregate_id: q.aggregate_id } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.list ? { list: q.list } : {}),
          ...(q.from ? { from: readInstant('from', q.from, zone) } : {}),
          ...(q.to ? { to: readInstant('to', q.to, zone) } : {}),
          ...(after ? { after } : {}),
        });
        // At most `limit` events and at most MAX_PAGE_BYTES of them; `next` follows the last one returned.
        const { items: events, cut } = withinBudget(read);
        const last = events.at(-1);
        return {
          events,
          next:
            (cut || read.length === q.limit) && last
              ? encodeCursor({ timestamp: last.timestamp, event_id: last.event_id })
              : null,
        };
      },
    },
  });
}

export function healthRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'GET',
    path: '/health',
    options: { auth: false, tags: ['api', 'ops'], description: 'Liveness', handler: () => ({ status: 'ok' }) },
  });
  server.route({
    method: 'GET',
    path: '/ready',
    options: {
      auth: false,
      tags: ['api', 'ops'],
      description: 'Readiness: actor mode, database, Kafka, outbox backlog',
      handler: async (_request, h) => {
        const state = await deps.readiness();
        return h.response(state).code(state.ready ? 200 : 503);
      },
    },
  });
}

export function devTokenRoutes(server: Server, deps: ApiDeps): void {
  if (!deps.auth.devSignIn || !deps.auth.secret) return;
  const secret = deps.auth.secret;
  server.route({
    method: 'POST',
    path: '/auth/dev-token',
    options: {
      auth: false,
      tags: ['api', 'auth'],
      description: 'Development sign-in (AUTH_DEV only): a token for any user id',
      validate: { payload: S.devToken },
      handler: (request) => {
        const { user_id, admin } = request.payload as { user_id: string; admin?: boolean };
        return {
          token: signToken(secret, user_id, {
            admin: admin === true,
            ...(deps.auth.maxLifetimeSec ? { ttl: deps.auth.maxLifetimeSec } : {}),
          }),
          user_id,
        };
      },
    },
  });
}
