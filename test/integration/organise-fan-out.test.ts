// A list delete reaches each of its tasks as that task's own turn (host/users/turn.ts afterOrganise). That
// fan-out runs after the UserActor's turn has ended: the owner's next list and label commands are answered
// while it runs (before, they queued behind it: seconds for 1,000 tasks, minutes on a loaded server),
// and the DELETE itself is answered once every task has moved. The task turns are held at a gate here,
// so "while it runs" is a fact of the test, not a race against the clock.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { UserTurns } from '../../host/users/turn.ts';
import { ListTurns } from '../../host/lists/turn.ts';
import { DirectRuntime } from '../../actors/runtime/direct.ts';
import { inboxIdOf } from '../../actors/list/index.ts';
import type { TaskCall } from '../../actors/ports.ts';
import { ADAPTERS } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';

const meta = () => ({ correlationId: randomUUID() });

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: while a list delete moves its tasks, the owner's next list and label commands are answered; the DELETE waits for its tasks`, async (t) => {
    const { db, drop } = await adapter.open();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    try {
      let runtime: DirectRuntime | undefined;
      let held = 0;
      const dispatch = async (taskId: string, call: TaskCall) => {
        if (call.command.type === 'list_deleted') {
          held++;
          await gate;
        }
        return (runtime as DirectRuntime).executeTask(taskId, call);
      };
      runtime = new DirectRuntime({
        task: new TaskTurns(db, { dispatch }),
        user: new UserTurns(db, { dispatch }),
        list: new ListTurns(db),
      });
      const user = `u-${randomUUID()}`;
      const listId = randomUUID();
      await runtime.organise(user, {
        command: { type: 'create_list', id: listId, data: { name: 'Move' } },
        meta: meta(),
      });
      const ids = Array.from({ length: 20 }, () => randomUUID());
      for (const id of ids)
        await runtime.executeTask(id, {
          userId: user,
          command: { type: 'create', id, data: { title: 'boxed', list_id: listId } },
          meta: meta(),
        });

      let answered = false;
      const deleting = runtime
        .organise(user, { command: { type: 'delete_list', list_id: listId, tasks: 'move' }, meta: meta() })
        .then((result) => {
          answered = true;
          return result;
        });
      await eventually(() => held > 0, { what: "the list delete's fan-out reached its first task", timeoutMs: 30_000 });

      // The owner's next commands on their lists and labels, while every task turn of the fan-out is held.
      const next = (async () => {
        const label = await (runtime as DirectRuntime).organise(user, {
          command: { type: 'create_label', id: randomUUID(), data: { name: 'meanwhile' } },
          meta: meta(),
        });
        const list = await (runtime as DirectRuntime).organise(user, {
          command: { type: 'create_list', id: randomUUID(), data: { name: 'Next' } },
          meta: meta(),
        });
        return { label, list };
      })();
      let settled: Awaited<typeof next> | undefined;
      void next.then((value) => {
        settled = value;
      });
      const { label, list } = await eventually(() => settled, {
        what: "the owner's label and list creates answered while the list delete's task turns are held",
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      t.is(label.label?.name, 'meanwhile');
      t.is(list.list?.name, 'Next');
      t.false(answered, 'the DELETE is not answered before its tasks have moved');

      open();
      const deleted = await deleting;
      t.not(deleted.list?.deleted_at ?? null, null);
      const rows = await db.query<{ list_id: string }>(
        'SELECT list_id::text AS list_id FROM tasks WHERE id = ANY($1)',
        [ids],
      );
      t.deepEqual(
        rows.rows.map((r) => r.list_id),
        ids.map(() => inboxIdOf(user)),
        "every task is back in the owner's Inbox once the DELETE is answered",
      );
    } finally {
      open();
      await drop();
    }
  });
}
