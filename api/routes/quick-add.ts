// POST /quick-add/preview: quick add's preview. Reads one line of plain English in the caller's zone against
// their lists and labels (api/quick-add/parse.ts) and answers the fields POST /tasks would get. It
// creates nothing.
import type { Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { userOf } from '../context.ts';
import { parseQuickAdd, dateOrderOf } from '../quick-add/parse.ts';
import { costly } from '../costly-reads.ts';

export function quickAddRoutes(server: Server, deps: ApiDeps): void {
  server.route({
    method: 'POST',
    path: '/quick-add/preview',
    options: costly({
      tags: ['api', 'tasks'],
      description:
        'Quick add preview: {text} in plain English → the body POST /tasks would get (title, due_date, recurrence_rule, priority, list_id, labels), with notes on what was not understood. #List names any list the caller sees, those shared with them included. A date in figures ("3/4") is read in the order of `locale` (default en-US: month first), said back as `date_order`. Creates nothing.',
      validate: { payload: S.parseTask },
      handler: async (request) => {
        const userId = userOf(request);
        const user = await deps.users.get(userId);
        const [lists, labels] = await Promise.all([deps.reads.lists(userId), deps.reads.labels(userId)]);
        const { text, locale } = request.payload as { text: string; locale?: string };
        const dateOrder = dateOrderOf(locale ?? 'en-US');
        const result = parseQuickAdd({
          text,
          dateOrder,
          now: deps.clock(),
          zone: user.timezone,
          lists: lists.map((l) => ({ id: l.id, name: l.name })),
          labels: labels.map((l) => ({ id: l.id, name: l.name })),
        });
        // The list named with #List says, as GET /lists does, the caller's role in it, its owner and
        // whether it is shared: a list shared with the caller can be chosen too (issue 17).
        const chosen = result.list && lists.find((l) => l.id === result.list?.id);
        const list =
          result.list && chosen
            ? {
                ...result.list,
                role: chosen.user_id === userId ? 'owner' : 'editor',
                owner_id: chosen.user_id,
                shared: chosen.shared,
              }
            : result.list;
        return { ...result, list, timezone: user.timezone, date_order: dateOrder };
      },
    }),
  });
}
