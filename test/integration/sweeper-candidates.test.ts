// The sweeper's source: PostgreSQL names candidate tasks, `timersOf` (the function the turns arm timers
// with) decides which timers are due. Whatever the sweeper returns is exactly what the turns would arm
// and is due by then: a pending reminder, a series' spawn ahead of its reminder lead; nothing of a
// completed task, a deleted series, a fired reminder, or a timer due later.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ADAPTERS } from '../helpers/db.ts';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { readTask } from '../../host/tasks/store.ts';
import { dueTimers } from '../../host/timers.ts';
import { timersOf, remindName, SPAWN } from '../../actors/task/timers.ts';

const HOUR = 3_600_000;

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: the sweeper returns the timers timersOf says are due, and only those`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const now = Date.parse('2031-05-01T08:00:00.000Z');
      let clock = now;
      const turns = new TaskTurns(db, { clock: () => new Date(clock) });
      const user = `u-${randomUUID()}`;
      const meta = () => ({ correlationId: randomUUID() });
      const at = (ms: number) => new Date(now + ms).toISOString();
      const create = async (
        data: Parameters<TaskTurns['execute']>[2] extends infer C
          ? C extends { type: 'create'; data: infer D }
            ? D
            : never
          : never,
      ) => {
        const id = randomUUID();
        await turns.execute(user, id, { type: 'create', id, data }, meta());
        return id;
      };
      const plain = await create({ title: 'two reminders', reminders: [{ at: at(HOUR) }, { at: at(3 * HOUR) }] });
      const done = await create({ title: 'completed', reminders: [{ at: at(HOUR) }] });
      await turns.execute(user, done, { type: 'complete' }, meta());
      const series = await create({
        title: 'daily',
        due_date: at(1.5 * HOUR),
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ before: 'PT1H' }],
      });
      const gone = await create({ title: 'deleted daily', due_date: at(1.5 * HOUR), recurrence_rule: 'FREQ=DAILY' });
      await turns.execute(user, gone, { type: 'delete' }, meta());
      const later = await create({ title: 'later', reminders: [{ at: at(5 * HOUR) }] });

      const until = now + 2 * HOUR;
      const due = await dueTimers(db).due(until, 100);
      const expected = [];
      for (const id of [plain, done, series, gone, later]) {
        const task = await readTask(db, user, id);
        if (task) expected.push(...timersOf(task, 'UTC').filter((timer) => timer.dueAt <= until));
      }
      t.deepEqual(
        due,
        expected.sort((a, b) => a.dueAt - b.dueAt),
      );
      const reminderId = (await readTask(db, user, plain))?.reminders.find((r) => r.remind_at === at(HOUR))?.id ?? '';
      t.deepEqual(
        due.map((timer) => `${timer.taskId}/${timer.name}`).sort(),
        [`${plain}/${remindName(reminderId)}`, `${series}/${SPAWN}`].sort(),
      );
      t.is(
        due.find((timer) => timer.name === SPAWN)?.dueAt,
        now + 0.5 * HOUR,
        'a spawn is due its largest reminder lead before the occurrence',
      );

      clock = now + HOUR; // its time has come
      await turns.execute(user, plain, { type: 'fire_reminder', reminder_id: reminderId }, meta());
      t.deepEqual(
        (await dueTimers(db).due(until, 100)).map((timer) => timer.taskId),
        [series],
        'a fired reminder is no longer due',
      );
    } finally {
      await drop();
    }
  });
}
