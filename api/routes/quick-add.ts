// POST /quick-add/preview: quick add's preview. Reads one line of plain English in the caller's zone against
// their lists and labels (api/quick-add/parse.ts) and answers the fields POST /tasks would get. It
// creates nothing.
import type { Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { userOf } from '../context.ts';
import { parseQuickAdd } from '../quick-add/parse.ts';

export function quickAddRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'POST',
    path: '/quick-add/preview',
    options: {
      tags: ['api', 'tasks'],
      description:
        'Quick add preview: {text} in plain English → the body POST /tasks would get (title, due_date, recurrence_rule, priority, list_id, labels), with notes on what was not understood. Creates nothing.',
      validate: { payload: S.parseTask },
      handler: async (request) => {
        const userId = userOf(request);
        const user = await deps.users.get(userId);
        const [lists, labels] = await Promise.all([deps.reads.lists(userId), deps.reads.labels(userId)]);
        const result = parseQuickAdd({
          text: (request.payload as { text: string }).text,
          now: new Date(),
          zone: user.timezone,
          lists: lists.map((l) => ({ id: l.id, name: l.name })),
          labels: labels.map((l) => ({ id: l.id, name: l.name })),
        });
        return { ...result, timezone: user.timezone };
      },
    },
  });
}
