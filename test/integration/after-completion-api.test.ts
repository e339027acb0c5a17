// Repeat after completion through the REST API, on PGlite and on PostgreSQL, with the app on a manual
// clock: the first instance spawns on the calendar (its timer), each next one in the request that
// completes (or deletes) the open instance, due on the completion day at the series' time of day plus
// the rule, in the series' zone; undo and redo never spawn twice; replay rebuilds every row.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { startTestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';
import { ManualClock } from '../helpers/clock.ts';
import { eventually } from '../helpers/eventually.ts';
import { replayAtRest } from '../helpers/replay.ts';

type Json = Record<string, unknown>;
const HOUR = 3_600_000;
const ZONE = 'America/New_York';

for (const database of ['pglite', 'postgres'] as const) {
  test.serial(
    `${database}: an after-completion series spawns its next instance when the open one is completed`,
    async (t) => {
      const clock = new ManualClock();
      const app = await startTestApp({ database, clock: clock.date });
      try {
        const call = injector(app.app.server);
        const token = app.token(`every-${randomUUID()}`);
        const ok = async (method: string, path: string, body?: unknown, status = 200): Promise<Json> => {
          const reply = await call(method, path, { token, ...(body === undefined ? {} : { body }) });
          if (reply.status !== status)
            throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
          return reply.body;
        };
        const instances = async (seriesId: string): Promise<Json[]> =>
          ((await ok('GET', `/tasks?series_id=${seriesId}&sort=due&order=asc`)).tasks as Json[]) ?? [];

        // Refused with the reason, naming the field.
        const pinned = await call('POST', '/tasks', {
          token,
          body: {
            title: 'rent',
            due_date: '2030-01-01T09:00',
            recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
            recurrence_mode: 'after_completion',
          },
        });
        t.is(pinned.status, 400);
        t.regex(String(pinned.body.message), /^recurrence_rule: .*BYMONTHDAY pins days of the month/);
        const unknown = await call('POST', '/tasks', {
          token,
          body: {
            title: 'x',
            due_date: '2030-01-01T09:00',
            recurrence_rule: 'FREQ=DAILY',
            recurrence_mode: 'sometimes',
          },
        });
        t.is(unknown.status, 400);
        t.regex(String(unknown.body.message), /recurrence_mode/);

        // Every 3 days after I water the plants, at 07:15 New York time; first due in two hours.
        const firstDue = DateTime.fromMillis(clock.now() + 2 * HOUR, { zone: ZONE }).set({ second: 0, millisecond: 0 });
        const series = await ok(
          'POST',
          '/tasks',
          {
            title: 'water the plants',
            due_date: firstDue.toISO({ includeOffset: false }),
            timezone: ZONE,
            recurrence_rule: 'FREQ=DAILY;INTERVAL=3',
            recurrence_mode: 'after_completion',
            reminders: [{ before: 'PT30M' }],
          },
          201,
        );
        t.like(series, { recurrence_mode: 'after_completion', is_recurring: true });
        const sid = series.id as string;
        t.deepEqual((await ok('GET', `/tasks/${sid}/occurrences`)).occurrences, [series.next_occurrence]);

        await clock.reach(firstDue.toMillis());
        const [first] = await eventually(async () => ((await instances(sid)).length === 1 ? instances(sid) : null), {
          what: 'the first instance spawned on the calendar',
        });
        t.is(first?.due_date, firstDue.toUTC().toISO());
        t.like(await ok('GET', `/tasks/${sid}`), { next_occurrence: null });
        t.deepEqual(
          (await ok('GET', `/tasks/${sid}/occurrences`)).occurrences,
          [],
          'nothing on a calendar while it waits',
        );

        // Done a day and a half late: the next is due 3 days after the completion day, at 07:15 again.
        await clock.reach(firstDue.toMillis() + 36 * HOUR);
        const doneAt = DateTime.fromMillis(clock.now(), { zone: ZONE });
        await ok('POST', `/tasks/${first?.id}/complete`);
        const afterDone = await instances(sid);
        t.is(afterDone.length, 2, 'the next instance is there when the completion is answered');
        let second = afterDone.find((i) => i.id !== first?.id) as Json;
        const expected = doneAt.startOf('day').set({ hour: firstDue.hour, minute: firstDue.minute }).plus({ days: 3 });
        t.like(second, { completed: false, due_date: expected.toUTC().toISO(), series_id: sid });
        t.deepEqual(
          (second.reminders as Json[]).map((r) => r.remind_at),
          [expected.minus({ minutes: 30 }).toUTC().toISO()],
          'the series reminder comes with it',
        );

        // Undo and redo the completion, twice: still two instances.
        for (let i = 0; i < 2; i++) {
          await ok('POST', `/tasks/${first?.id}/uncomplete`);
          await ok('POST', `/tasks/${first?.id}/complete`);
        }
        t.is((await instances(sid)).length, 2);

        // Undone (POST …/undo), the completion takes back the instance it spawned, untouched; completed
        // again, the series spawns it once. The one after that makes undoing an older completion a 409.
        const completionOf = async (id: unknown) =>
          ((await ok('GET', `/tasks/${id}/history`)).events as Json[])
            .filter((e) => e.event_type === 'task.completed')
            .at(-1)?.event_id;
        await ok('POST', `/tasks/${first?.id}/undo`, { event_id: await completionOf(first?.id) });
        t.deepEqual(
          (await instances(sid)).map((i) => [i.id, i.completed]),
          [[first?.id, false]],
          'only the reopened instance is open',
        );
        await ok('POST', `/tasks/${first?.id}/complete`);
        const again = await instances(sid);
        t.is(again.length, 2);
        second = again.find((i) => i.id !== first?.id) as Json;
        t.is(second.due_date, expected.toUTC().toISO());

        // Deleting the open instance skips it: the series goes on from the deletion.
        await clock.reach(clock.now() + 24 * HOUR);
        const skippedAt = DateTime.fromMillis(clock.now(), { zone: ZONE });
        await ok('DELETE', `/tasks/${second.id}`, undefined, 204);
        const third = (await instances(sid)).find((i) => i.id !== first?.id && i.id !== second.id);
        t.is(
          third?.due_date,
          skippedAt
            .startOf('day')
            .set({ hour: firstDue.hour, minute: firstDue.minute })
            .plus({ days: 3 })
            .toUTC()
            .toISO(),
        );

        const stale = await call('POST', `/tasks/${first?.id}/undo`, {
          token,
          body: { event_id: await completionOf(first?.id) },
        });
        t.is(stale.status, 409, JSON.stringify(stale.body));
        t.regex(String(stale.body.message), /would leave two open instances/);

        const history = (await ok('GET', `/tasks/${sid}/history`)).events as Json[];
        t.deepEqual(
          history
            .filter((e) => e.event_type === 'recurring.spawned')
            .map((e) => Object.keys((e.data as Json).after ?? {}).sort()),
          [[], ['completed', 'instance_id'], ['completed', 'instance_id'], ['deleted', 'instance_id']],
        );

        const report = await replayAtRest({ db: app.app.db, fromDb: true });
        t.deepEqual(report.mismatches, []);
        t.is(report.matched, report.tasks);
      } finally {
        await app.stop();
      }
    },
  );
}
