// Reminders you missed (issue 16): the user's fired reminders that wait to be acknowledged, and the
// acknowledgement itself. Snooze lives with the task's other reminder routes (routes/tasks.ts).
import Boom from '@hapi/boom';
import type { Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { userOf, metaOf, conditional } from '../context.ts';
import { presentReminder, encodeCursor, decodeCursor } from '../present.ts';
import { withinBudget } from '../page-budget.ts';

export function reminderRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'GET',
    path: '/reminders',
    options: {
      tags: ['api', 'reminders'],
      description:
        'Fired reminders not yet acknowledged on any device (`state=unacknowledged`), of open tasks, newest first; cursor paging',
      validate: { query: S.remindersQuery },
      handler: async (request) => {
        const q = request.query as { limit: number; cursor?: string };
        const after = q.cursor ? decodeCursor('cursor', q.cursor, { remind_at: 'instant', id: 'uuid' }) : undefined;
        const read = await deps.reads.unacknowledgedReminders(userOf(request), {
          limit: q.limit + 1,
          ...(after ? { after } : {}),
        });
        // At most `limit` reminders and at most MAX_PAGE_BYTES of them; the cursor is the last one returned.
        const { items, cut } = withinBudget(
          read.slice(0, q.limit).map((w) => ({ ...presentReminder(w.reminder), task: w.task })),
        );
        const last = items.at(-1);
        const more = cut || read.length > q.limit;
        return {
          reminders: items,
          next_cursor:
            more && last?.remind_at
              ? encodeCursor({ remind_at: new Date(last.remind_at).toISOString(), id: last.id })
              : null,
        };
      },
    },
  });

  server.route({
    method: 'POST',
    path: '/tasks/{id}/reminders/{rid}/acknowledge',
    options: {
      tags: ['api', 'tasks'],
      description:
        'Acknowledge a fired reminder (reminder.acknowledged reaches every device of the user); again: nothing changes',
      validate: { params: S.reminderParams, headers: S.ifMatchHeaders },
      handler: async (request) => {
        const { id, rid } = request.params as { id: string; rid: string };
        const result = await deps.runtime.executeTask(id, {
          userId: userOf(request),
          command: conditional(request, { type: 'acknowledge_reminder', reminder_id: rid }),
          meta: metaOf(request),
        });
        if (!result.task || result.task.deleted_at !== null) throw Boom.notFound('task not found');
        const reminder = result.task.reminders.find((r) => r.id === rid);
        if (!reminder) throw Boom.notFound('reminder not found');
        return presentReminder(reminder);
      },
    },
  });
}
