// /lists, /labels and /views: a user's lists and labels (commands run on the user's UserActor, in the
// user's event seq) and the views' counts and upcoming days, computed in the user's zone (issue 15).
import { randomUUID } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { presentList, presentLabel, presentTask } from '../present.ts';
import { userOf, metaOf, conditional } from '../context.ts';
import { daysOf, windowsOf } from '../views.ts';
import type { OrganiseCommand } from '../../actors/user/decider.ts';
import type { ListState } from '../../actors/list/index.ts';
import type { LabelState } from '../../actors/label/index.ts';
import { MAX_UPCOMING_SERIES, upcomingOccurrences } from '../upcoming.ts';
import { MAX_PAGE_BYTES, bytesOf } from '../page-budget.ts';
import { homeZones, withHomeZones } from '../home-zone.ts';
import { membersOf } from './sharing.ts';
import { costly } from '../costly-reads.ts';

const tagged = (tag: string, description: string) => ({ tags: ['api', tag], description });

/** At most this many tasks in GET /views/upcoming (more: `truncated`). */
const MAX_UPCOMING_TASKS = 5000;

export function listRoutes(server: Server, deps: ApiDeps): void {
  /**
   * The occurrences in [now, end) of the user's live series not spawned yet, each in its own zone or its
   * home user's (api/home-zone.ts), within one step budget (api/upcoming.ts); series not read are counted.
   */
  const seriesOccurrences = async (user: { id: string; timezone: string }, now: Date, end: string) => {
    const read = await deps.reads.series(user.id, end, MAX_UPCOMING_SERIES);
    const series = await withHomeZones(read.series, user.id, homeZones(deps.users, user));
    return upcomingOccurrences(series, {
      now,
      end: new Date(end),
      zone: user.timezone,
      unread: read.total - read.series.length,
    });
  };

  // Failures are mapped once (api/errors.ts): handlers just call and return.
  const organise = (request: Request, command: OrganiseCommand) =>
    deps.runtime.organise(userOf(request), { command, meta: metaOf(request) });
  const listOf = (list: ListState | null | undefined): ListState => {
    if (!list || list.deleted_at !== null) throw Boom.notFound('list not found');
    return list;
  };
  const labelOf = (label: LabelState | null | undefined): LabelState => {
    if (!label || label.deleted_at !== null) throw Boom.notFound('label not found');
    return label;
  };

  server.route({
    method: 'GET',
    path: '/lists',
    options: {
      ...tagged(
        'lists',
        "The caller's lists, by position, the Inbox first, then the lists shared with them; each with the caller's role, its owner and whether it is shared",
      ),
      handler: async (request) => {
        await deps.users.get(userOf(request)); // the user and their Inbox exist from the first request
        return { lists: (await deps.reads.lists(userOf(request))).map((l) => presentList(l, userOf(request))) };
      },
    },
  });
  server.route({
    method: 'POST',
    path: '/lists',
    options: {
      ...tagged('lists', 'Create a list'),
      validate: { payload: S.createList, headers: S.writeHeaders },
      handler: async (request, h) => {
        const id = randomUUID();
        const list = listOf(
          (await organise(request, { type: 'create_list', id, data: request.payload as { name: string } })).list,
        );
        return h
          .response(presentList(list, userOf(request)))
          .code(201)
          .header('location', `/lists/${list.id}`)
          .etag(String(list.version));
      },
    },
  });
  server.route({
    method: 'GET',
    path: '/lists/{id}',
    options: {
      ...tagged(
        'lists',
        'One list as GET /lists shows it, with who is in it now (its owner and active editors; others 404); ETag: its version',
      ),
      validate: { params: S.listId },
      handler: async (request, h) => {
        const list = await deps.sharing.list((request.params as { id: string }).id);
        // The access rule of GET /lists/{id}/members (membersOf): live, and the caller its owner or an active editor.
        if (!list || membersOf(list, userOf(request)) === null) throw Boom.notFound('list not found');
        return h.response(presentList(list, userOf(request))).etag(String(list.version));
      },
    },
  });
  server.route({
    method: 'PATCH',
    path: '/lists/{id}',
    options: {
      ...tagged(
        'lists',
        'Rename, recolour or reorder a list (its owner only: an editor of a shared list gets 403). If-Match: <version> → 412 on mismatch',
      ),
      validate: { params: S.listId, payload: S.patchList, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const list_id = (request.params as { id: string }).id;
        const list = listOf(
          (
            await organise(
              request,
              conditional(request, {
                type: 'update_list' as const,
                list_id,
                data: request.payload as { name?: string },
              }),
            )
          ).list,
        );
        return h.response(presentList(list, userOf(request))).etag(String(list.version));
      },
    },
  });
  server.route({
    method: 'DELETE',
    path: '/lists/{id}',
    options: {
      ...tagged(
        'lists',
        "Delete a list (its owner only: an editor of a shared list gets 403): its tasks move to the Inbox (tasks=move, the default; each member's own tasks to their own Inbox, those of members who left or were removed are deleted) or are deleted (tasks=delete); the Inbox cannot be deleted (409)",
      ),
      validate: { params: S.listId, query: S.deleteListQuery, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const list_id = (request.params as { id: string }).id;
        const result = await organise(
          request,
          conditional(request, {
            type: 'delete_list' as const,
            list_id,
            tasks: (request.query as { tasks: 'move' | 'delete' }).tasks,
          }),
        );
        if (!result.list) throw Boom.notFound('list not found');
        return h.response().code(204);
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/labels',
    options: {
      ...tagged('labels', "The caller's labels, by name"),
      handler: async (request) => ({ labels: (await deps.reads.labels(userOf(request))).map(presentLabel) }),
    },
  });
  server.route({
    method: 'POST',
    path: '/labels',
    options: {
      ...tagged('labels', 'Create a label; names are unique per user, case-insensitively (409 naming `name`)'),
      validate: { payload: S.createLabel, headers: S.writeHeaders },
      handler: async (request, h) => {
        const id = randomUUID();
        const label = labelOf(
          (await organise(request, { type: 'create_label', id, data: request.payload as { name: string } })).label,
        );
        return h
          .response(presentLabel(label))
          .code(201)
          .header('location', `/labels/${label.id}`)
          .etag(String(label.version));
      },
    },
  });
  server.route({
    method: 'PATCH',
    path: '/labels/{id}',
    options: {
      ...tagged(
        'labels',
        'Rename or recolour a label; every task carrying it shows the new name. If-Match: <version> → 412',
      ),
      validate: { params: S.listId, payload: S.patchLabel, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const label_id = (request.params as { id: string }).id;
        const label = labelOf(
          (
            await organise(
              request,
              conditional(request, {
                type: 'update_label' as const,
                label_id,
                data: request.payload as { name?: string },
              }),
            )
          ).label,
        );
        return h.response(presentLabel(label)).etag(String(label.version));
      },
    },
  });
  server.route({
    method: 'DELETE',
    path: '/labels/{id}',
    options: {
      ...tagged('labels', 'Delete a label: it is removed from every task that carries it'),
      validate: { params: S.listId, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const label_id = (request.params as { id: string }).id;
        const result = await organise(request, conditional(request, { type: 'delete_label' as const, label_id }));
        if (!result.label) throw Boom.notFound('label not found');
        return h.response().code(204);
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/views/counts',
    options: costly({
      ...tagged(
        'views',
        'Counts of the views (today, upcoming, overdue, completed in the last 7 days, in your zone; assigned: open tasks assigned to you), the occurrences of series still ahead today and in the 7 days of Upcoming (today_occurrences, upcoming_occurrences), open tasks per list, and when the counts next change with time alone (next_change_at: ask again then)',
      ),
      handler: async (request) => {
        const user = await deps.users.get(userOf(request));
        const now = deps.clock();
        const w = windowsOf(user.timezone, now);
        // Today lists a series' occurrences still ahead today (not spawned yet), as Upcoming's today does.
        // Upcoming's default window (GET /views/upcoming?days=7): its occurrences are counted with its tasks.
        const ahead = await seriesOccurrences(user, now, w.upcomingEnd);
        const today = ahead.occurrences.filter((o) => (o.date !== undefined ? o.date === w.today : o.at < w.todayEnd));
        const { next_due_at, ...counts } = await deps.reads.counts(user.id, w);
        // When these counts next change with time alone: a due time passing, a series' occurrence coming
        // (it leaves today_occurrences as it spawns), or the local midnight. Events change them too.
        const next_change_at = [next_due_at, ...today.map((o) => o.at), w.todayEnd]
          .filter((at): at is string => typeof at === 'string' && Date.parse(at) >= Date.parse(w.now))
          .reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b), w.todayEnd);
        return {
          ...counts,
          today_occurrences: today.length,
          upcoming_occurrences: ahead.occurrences.length,
          next_change_at,
        };
      },
    }),
  });
  server.route({
    method: 'GET',
    path: '/views/upcoming',
    options: costly({
      ...tagged(
        'views',
        'Open tasks due from now through the end of local day today + days, by local day, with the occurrences of series not yet spawned',
      ),
      validate: { query: S.upcomingQuery },
      handler: async (request) => {
        const user = await deps.users.get(userOf(request));
        const days = (request.query as { days: number }).days;
        const now = deps.clock();
        const window = daysOf(user.timezone, now, days);
        const end = window.at(-1)?.end as string;
        const tasks: ReturnType<typeof presentTask>[] = [];
        let tasksLeftOut = false;
        // Tasks and occurrences share one MAX_PAGE_BYTES budget (api/page-budget.ts) for the whole answer:
        // what is around them (the days, the counts) first, then each item; what does not fit is left out
        // and makes `truncated` (occurrences: their series count in series_left_out).
        let bytesLeft =
          MAX_PAGE_BYTES -
          bytesOf({
            timezone: user.timezone,
            truncated: false,
            series_left_out: Number.MAX_SAFE_INTEGER,
            days: window.map((day) => ({ date: day.date, tasks: [], occurrences: [] })),
          });
        for (let cursor: { key: string | null; id: string } | undefined, more = true; more; ) {
          const page = await deps.reads.listTasks(user.id, {
            completed: false,
            no_series: true,
            // Timed tasks from now on; all-day tasks by date, from today (issue 16).
            window: {
              due_after: now.toISOString(),
              due_before: end,
              day_from: window[0]?.date as string,
              day_before: windowsOf(user.timezone, now, days).upcomingEndDay,
            },
            sort: 'due',
            order: 'asc',
            limit: 200,
            ...(cursor ? { cursor } : {}),
          });
          let cut = false;
          for (const task of page.tasks.map((t) => presentTask(t, user.id))) {
            const size = bytesOf(task);
            if (size > bytesLeft && tasks.length > 0) {
              cut = true;
              break;
            }
            bytesLeft -= size;
            tasks.push(task);
          }
          const last = page.tasks.at(-1);
          more = !cut && page.more && last !== undefined && tasks.length < MAX_UPCOMING_TASKS;
          tasksLeftOut = cut || (page.more && !more);
          if (last) cursor = { key: page.keys.at(-1) ?? null, id: last.id };
        }
        // Each live series' occurrences in the window that it has not spawned yet (a spawned one is a
        // task above).
        const expanded = await seriesOccurrences(user, now, end);
        const occurrencesShown: typeof expanded.occurrences = [];
        const seriesCut = new Set<string>();
        for (const occurrence of expanded.occurrences) {
          const size = bytesOf(occurrence);
          if (size > bytesLeft) seriesCut.add(occurrence.series_id);
          else {
            bytesLeft -= size;
            occurrencesShown.push(occurrence);
          }
        }
        // A series both cut here and left out by the expansion (a cap reached) counts once.
        const seriesLeftOut =
          expanded.seriesLeftOut + [...seriesCut].filter((id) => !expanded.leftOutIds.has(id)).length;
        const within = <T>(items: T[], at: (item: T) => string | null, day: { start: string; end: string }) =>
          items.filter((item) => {
            const t = at(item);
            return t !== null && t >= day.start && t < day.end;
          });
        return {
          timezone: user.timezone,
          truncated: tasksLeftOut || seriesLeftOut > 0,
          series_left_out: seriesLeftOut,
          days: window.map((day) => ({
            date: day.date,
            tasks: tasks.filter((t) =>
              t.due_day !== null ? t.due_day === day.date : within([t], (x) => x.due_date, day).length > 0,
            ),
            // An all-day occurrence is on its date (in its series' zone), as an all-day task is on its due_day.
            occurrences: occurrencesShown.filter((o) =>
              o.date !== undefined ? o.date === day.date : within([o], (x) => x.at, day).length > 0,
            ),
          })),
        };
      },
    }),
  });
}
