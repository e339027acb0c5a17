// /tasks: create, list, read, edit, complete, delete, reminders, history and occurrences.
import { randomUUID } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Server, Request } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { badRequest } from '../errors.ts';
import { presentTask, presentReminder, encodeTaskCursor, decodeTaskCursor } from '../present.ts';
import { viewFilter, windowsOf, type View } from '../views.ts';
import type { SortOrder, TaskFilter, TaskSort } from '../ports.ts';
import { userOf, metaOf, conditional } from '../context.ts';
import type { TaskCommand, TaskState } from '../../actors/task/index.ts';
import { seriesStart } from '../../actors/task/index.ts';
import { occurrences } from '../../actors/recurrence/index.ts';
import { readInstant } from '../../actors/task/time.ts';
import { withinBudget } from '../page-budget.ts';
import { homeZones } from '../home-zone.ts';
import type { SnoozeChoice } from '../../actors/task/snooze.ts';
import { costly } from '../costly-reads.ts';
import { searchFilters } from '../search.ts';
import { notSpawnedAfter } from '../upcoming.ts';

const api = (description: string, extra: Record<string, unknown> = {}) => ({
  tags: ['api', 'tasks'],
  description,
  ...extra,
});

export function taskRoutes(server: Server, deps: ApiDeps): void {
  // Failures are mapped once, in api/errors.ts' onPreResponse extension: handlers just call and return.
  const run = async (request: Request, taskId: string, command: TaskCommand): Promise<TaskState> => {
    const result = await deps.runtime.executeTask(taskId, { userId: userOf(request), command, meta: metaOf(request) });
    if (!result.task || (result.task.deleted_at !== null && command.type !== 'delete'))
      throw Boom.notFound('task not found');
    return result.task;
  };
  // Each member sees only their own reminders on a task (issue 17): the caller is the viewer.
  const respond = (request: Request) => (task: TaskState) => presentTask(task, userOf(request));

  server.route({
    method: 'POST',
    path: '/tasks',
    options: {
      ...api('Create a task'),
      validate: { payload: S.createTask, headers: S.writeHeaders },
      handler: async (request, h) => {
        const id = randomUUID();
        const task = await run(request, id, {
          type: 'create',
          id,
          data: request.payload as Extract<TaskCommand, { type: 'create' }>['data'],
        });
        // task.id, not id: a retry with the same Idempotency-Key answers with the task the first call created.
        return h
          .response(respond(request)(task))
          .code(201)
          .header('location', `/tasks/${task.id}`)
          .etag(String(task.version));
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/tasks',
    options: {
      ...api(
        'List tasks: search, filters (assignee: me or a user id), a view (today, upcoming, overdue, completed in your zone; assigned to you), sort, cursor paging',
      ),
      validate: { query: S.listTasksQuery },
      handler: async (request) => {
        const q = request.query as {
          completed?: boolean;
          due_before?: string;
          due_after?: string;
          series_id?: string;
          list_id?: string;
          label?: string;
          priority?: number;
          assignee?: string;
          q?: string;
          view?: View;
          sort?: TaskSort;
          order?: SortOrder;
          limit: number;
          cursor?: string;
        };
        // Filters without an offset are wall-clock times in the caller's zone (their users row), and the views' days are theirs.
        const zone = q.due_before || q.due_after || q.view ? (await deps.users.get(userOf(request))).timezone : 'UTC';
        const view = q.view ? viewFilter(q.view, windowsOf(zone, deps.clock())) : undefined;
        const sort: TaskSort = q.sort ?? view?.sort ?? 'created';
        const order: SortOrder =
          q.order ??
          (q.sort === undefined && view ? view.order : sort === 'created' || sort === 'completed' ? 'desc' : 'asc');
        // A view's window and the request's own bounds both hold (a view places all-day tasks by date: `window`).
        const due_before = q.due_before ? readInstant('due_before', q.due_before, zone) : undefined;
        const due_after = q.due_after ? readInstant('due_after', q.due_after, zone) : undefined;
        if (view && q.completed !== undefined && q.completed !== view.completed)
          return { tasks: [], next_cursor: null };
        // `assignee=me` is the caller; the Assigned to me view is theirs, so it and another assignee match nothing.
        const named = q.assignee === 'me' ? userOf(request) : q.assignee;
        if (q.view === 'assigned' && named !== undefined && named !== userOf(request))
          return { tasks: [], next_cursor: null };
        const assignee = q.view === 'assigned' ? userOf(request) : named;
        const completed = view?.completed ?? q.completed;
        const search = q.q !== undefined ? await searchFilters(deps.reads, userOf(request), q.q) : {};
        const filter: TaskFilter = {
          sort,
          order,
          limit: q.limit,
          ...(completed !== undefined ? { completed } : {}),
          ...(due_before ? { due_before } : {}),
          ...(due_after ? { due_after } : {}),
          ...(view?.window ? { window: view.window } : {}),
          ...(view?.completed_after ? { completed_after: view.completed_after } : {}),
          ...(view?.no_series ? { no_series: true } : {}),
          ...(q.series_id ? { series_id: q.series_id } : {}),
          // `#List` and `@label` in the search are filters (api/search.ts); a filter given as such wins.
          ...search,
          ...(q.list_id ? { list_id: q.list_id } : {}),
          ...(q.label ? { label: q.label } : {}),
          ...(q.priority !== undefined ? { priority: q.priority } : {}),
          ...(assignee !== undefined ? { assignee } : {}),
          ...(q.cursor ? { cursor: decodeTaskCursor(q.cursor, sort, order) } : {}),
        };
        const page = await deps.reads.listTasks(userOf(request), filter);
        // At most `limit` tasks and at most MAX_PAGE_BYTES of them: the cursor follows the last one returned.
        const { items: tasks, cut } = withinBudget(page.tasks.map(respond(request)));
        const last = tasks.at(-1);
        const next =
          (page.more || cut) && last
            ? encodeTaskCursor({ sort, order, key: page.keys[tasks.length - 1] ?? null, id: last.id })
            : null;
        return { tasks, next_cursor: next };
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/tasks/{id}',
    options: {
      ...api('A task with its reminders'),
      validate: { params: S.taskId },
      handler: async (request, h) => {
        const task = await deps.tasks.get(userOf(request), (request.params as { id: string }).id);
        if (!task) throw Boom.notFound('task not found');
        return h.response(respond(request)(task)).etag(String(task.version));
      },
    },
  });

  server.route({
    method: 'PATCH',
    path: '/tasks/{id}',
    options: {
      ...api('Edit fields; null clears. If-Match: <version> → 412 on mismatch'),
      validate: { params: S.taskId, payload: S.patchTask, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const task = await run(
          request,
          (request.params as { id: string }).id,
          conditional(request, {
            type: 'update' as const,
            data: request.payload as Extract<TaskCommand, { type: 'update' }>['data'],
          }),
        );
        return h.response(respond(request)(task)).etag(String(task.version));
      },
    },
  });

  for (const action of ['complete', 'uncomplete'] as const) {
    server.route({
      method: 'POST',
      path: `/tasks/{id}/${action}`,
      options: {
        ...api(
          action === 'complete'
            ? 'Complete a task (cancels its pending reminders). On a calendar series with no occurrence open: completes its next occurrence ahead of its time and answers with that occurrence (409 naming the open one otherwise)'
            : 'Mark a task not completed',
        ),
        validate: { params: S.taskId, headers: S.ifMatchHeaders },
        handler: async (request, h) => {
          const task = await run(
            request,
            (request.params as { id: string }).id,
            conditional(request, { type: action }),
          );
          return h.response(respond(request)(task)).etag(String(task.version));
        },
      },
    });
  }

  server.route({
    method: 'POST',
    path: '/tasks/{id}/undo',
    options: {
      ...api(
        'Undo a completion, a delete, an edit, an added or a removed reminder: appends events that correct it (each names it in `data.corrects`); history is never edited. 409 when already undone or a later change would be overwritten; 404 for an event of another task',
      ),
      validate: { params: S.taskId, payload: S.undo, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        // Lower case, as event ids are stored: the uuid schema (api/schemas.ts) reads every id so.
        const eventId = (request.payload as { event_id: string }).event_id;
        const task = await run(
          request,
          (request.params as { id: string }).id,
          conditional(request, { type: 'undo', event_id: eventId }),
        );
        return h.response(respond(request)(task)).etag(String(task.version));
      },
    },
  });

  server.route({
    method: 'DELETE',
    path: '/tasks/{id}',
    options: {
      ...api('Delete a task: pending reminders are cancelled and a series stops spawning'),
      validate: { params: S.taskId, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        await run(request, (request.params as { id: string }).id, conditional(request, { type: 'delete' as const }));
        return h.response().code(204);
      },
    },
  });

  server.route({
    method: 'POST',
    path: '/tasks/{id}/reminders',
    options: {
      ...api(
        'Add a reminder of your own: {before: "PT1H"} relative to the due date, or {at: ISO}; on a shared task each member sees and acts on their own reminders only (another\'s: 404), and while it is assigned only the assignee may add one (409)',
      ),
      validate: { params: S.taskId, payload: S.reminderPayload, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const before = await deps.tasks.get(userOf(request), (request.params as { id: string }).id);
        if (!before) throw Boom.notFound('task not found');
        const known = new Set(before.reminders.map((r) => r.id));
        const task = await run(
          request,
          before.id,
          conditional(request, { type: 'add_reminder', data: request.payload as { before: string } }),
        );
        // A replayed first answer (same Idempotency-Key) is the task as that turn left it, so the reminder
        // it added is already known here; it is the one created by that turn (at the task's updated_at).
        const mine = task.reminders.filter((r) => r.user_id === userOf(request));
        const added = mine.find((r) => !known.has(r.id)) ?? mine.findLast((r) => r.created_at === task.updated_at);
        if (!added) throw Boom.conflict('the reminder was not added');
        return h.response(presentReminder(added)).code(201);
      },
    },
  });

  server.route({
    method: 'DELETE',
    path: '/tasks/{id}/reminders/{rid}',
    options: {
      ...api('Remove a reminder'),
      validate: { params: S.reminderParams, headers: S.ifMatchHeaders },
      handler: async (request, h) => {
        const { id, rid } = request.params as { id: string; rid: string };
        await run(request, id, conditional(request, { type: 'remove_reminder', reminder_id: rid }));
        return h.response().code(204);
      },
    },
  });

  server.route({
    method: 'POST',
    path: '/tasks/{id}/reminders/{rid}/snooze',
    options: {
      ...api(
        'Snooze one fired reminder: it fires again once, {for: "PT10M"} from now, {until: instant}, or {tomorrow_at: "09:00"} in the zone of the task\'s creator (yours for your own tasks)',
      ),
      validate: { params: S.reminderParams, payload: S.snooze, headers: S.ifMatchHeaders },
      handler: async (request) => {
        const { id, rid } = request.params as { id: string; rid: string };
        const task = await run(
          request,
          id,
          conditional(request, {
            type: 'snooze_reminder' as const,
            reminder_id: rid,
            ...(request.payload as SnoozeChoice),
          }),
        );
        const reminder = task.reminders.find((r) => r.id === rid);
        return reminder ? presentReminder(reminder) : Boom.notFound('reminder not found');
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/tasks/{id}/history',
    options: {
      ...api("The task's events in version order, a page at a time: pass `next` as `after` while `has_more`"),
      validate: { params: S.taskId, query: S.historyQuery },
      handler: async (request) => {
        const { after, limit } = request.query as { after: number; limit: number };
        const read = await deps.tasks.history(userOf(request), (request.params as { id: string }).id, {
          after,
          limit: limit + 1,
        });
        if (!read) throw Boom.notFound('task not found');
        // At most `limit` events and at most MAX_PAGE_BYTES of them; `next` is the last version returned.
        const { items: events, cut } = withinBudget(read.slice(0, limit));
        const has_more = cut || read.length > limit;
        return { events, next: events.at(-1)?.version ?? after, has_more };
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/tasks/{id}/occurrences',
    options: costly({
      ...api("A series' upcoming occurrence instants (UTC ISO)"),
      validate: { params: S.taskId, query: S.occurrencesQuery },
      handler: async (request) => {
        const user = await deps.users.get(userOf(request));
        const task = await deps.tasks.get(userOf(request), (request.params as { id: string }).id);
        if (!task) throw Boom.notFound('task not found');
        if (!task.is_recurring || !task.recurrence_rule || !task.due_date)
          throw badRequest('id', 'task is not recurring: it has no recurrence_rule');
        // Its own zone, else its home user's: another member's series keeps its wall-clock times.
        const zone = await homeZones(deps.users, user)(task);
        // An after-completion series has no calendar beyond what it has scheduled: its next due follows a completion.
        if (task.recurrence_mode === 'after_completion')
          return {
            occurrences: task.next_occurrence === null ? [] : [task.next_occurrence],
            timezone: zone,
          };
        // What it has not spawned yet, as Upcoming lists it.
        const after = notSpawnedAfter(task, deps.clock());
        if (after === null) return { occurrences: [], timezone: zone };
        const list = occurrences(task.recurrence_rule, seriesStart(task, zone), zone, {
          after,
          limit: (request.query as { limit: number }).limit,
        });
        return { occurrences: list.map((d) => d.toISOString()), timezone: zone };
      },
    }),
  });
}
