// Issue 16 over the real API, on PGlite and on PostgreSQL: a new user's zone is marked not chosen until set;
// a reminder that fired while no socket was open is listed as unacknowledged, acknowledging it on one
// device reaches the others, and it can be snoozed to tomorrow 09:00 in the user's zone. Replay still
// rebuilds every task exactly. The app runs on a manual clock, moved by the test, so timers fire when told.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TestApp } from '../helpers/app.ts';
import { appsOnManualClocks } from '../helpers/api-suite.ts';
import { call as fetchCall } from '../helpers/time-scenarios.ts';
import { connectSocket } from '../helpers/socket.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { tomorrowAt } from '../../actors/task/snooze.ts';
import { replayAtRest } from '../helpers/replay.ts';

type Json = Record<string, unknown>;
const { databases, apps, clocks } = appsOnManualClocks();

/** A fetch to `app` as the token's user: its status and JSON body (`{}` when empty). */
const call = (app: TestApp, token: string, method: string, path: string, body?: unknown) =>
  fetchCall({ url: app.url, token: app.token, label: 'reminders-missed' }, token, method, path, body);
async function ok(app: TestApp, token: string, method: string, path: string, body?: unknown): Promise<Json> {
  const reply = await call(app, token, method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}
const iso = (ms: number) => new Date(ms).toISOString();
const waiting = async (app: TestApp, token: string, query = '') =>
  (await ok(app, token, 'GET', `/reminders?state=unacknowledged${query}`)) as {
    reminders: Json[];
    next_cursor: string | null;
  };

for (const name of databases) {
  test(`${name}: a new user's zone is UTC and not chosen until PATCH /me chooses it, UTC included`, async (t) => {
    const app = apps[name]!;
    const token = app.token(`zone-${randomUUID()}`);
    t.like(await ok(app, token, 'GET', '/me'), { timezone: 'UTC', timezone_chosen: false });
    t.like(await ok(app, token, 'PATCH', '/me', { timezone: 'UTC' }), { timezone: 'UTC', timezone_chosen: true });
    t.like(await ok(app, token, 'GET', '/me'), { timezone: 'UTC', timezone_chosen: true });
    const other = app.token(`zone-${randomUUID()}`);
    t.like(await ok(app, other, 'PATCH', '/me', { timezone: 'asia/kolkata' }), {
      timezone: 'Asia/Kolkata',
      timezone_chosen: true,
    });
    const bad = await call(app, other, 'PATCH', '/me', { timezone: 'Mars/Olympus' });
    t.is(bad.status, 400);
    t.is(bad.body.field, 'timezone');
  });

  test(`${name}: a reminder fired while no socket was open waits; acknowledging on one device clears it on the others`, (t) =>
    clocks[name].exclusive(async () => {
      const app = apps[name]!;
      const clock = clocks[name];
      const user = `missed-${randomUUID()}`;
      const token = app.token(user);
      await ok(app, token, 'PATCH', '/me', { timezone: 'Pacific/Auckland' });
      const remindAt = clock.now() + clock.leadMs;
      const task = await ok(app, token, 'POST', '/tasks', {
        title: 'Water the plants',
        due_date: iso(remindAt + clock.leadMs),
        reminders: [{ at: iso(remindAt) }, { at: iso(remindAt + 60_000) }],
      });
      const idAt = (ms: number) => (task.reminders as Json[]).find((r) => r.remind_at === iso(ms))?.id as string;
      const [rid, later] = [idAt(remindAt), idAt(remindAt + 60_000)];
      t.deepEqual((await waiting(app, token)).reminders, [], 'nothing has fired yet');
      // Acknowledging a reminder that has not fired is a conflict naming its state.
      const early = await call(app, token, 'POST', `/tasks/${task.id}/reminders/${rid}/acknowledge`);
      t.is(early.status, 409);
      t.regex(early.body.message as string, /has not fired yet/);

      await clock.reach(remindAt); // fires with no socket open
      const page = await eventuallyValue(
        () => waiting(app, token),
        (p) => p.reminders.length === 1,
        { what: `${name}: the fired reminder is listed as unacknowledged`, timeoutMs: 30_000 },
      );
      t.like(page.reminders[0], {
        id: rid,
        task_id: task.id,
        status: 'notified',
        unacknowledged: true,
        remind_at: iso(remindAt),
        task: { id: task.id, title: 'Water the plants', due_date: iso(remindAt + clock.leadMs) },
      });
      t.is(page.next_cursor, null);

      // Two devices open now; the one acknowledges, the other hears of it.
      const [a, b] = await Promise.all([connectSocket(app.url, token), connectSocket(app.url, token)]);
      try {
        const acked = await ok(app, token, 'POST', `/tasks/${task.id}/reminders/${rid}/acknowledge`);
        t.like(acked, { id: rid, unacknowledged: false, status: 'notified' });
        for (const socket of [a, b]) {
          await eventuallyValue(
            () => socket.messages.find((m) => m.type === 'reminder.acknowledged'),
            (m) => m !== undefined,
            { what: `${name}: reminder.acknowledged reaches every socket`, timeoutMs: 10_000 },
          );
          t.is(socket.messages.find((m) => m.type === 'reminder.acknowledged')?.data.reminder_id, rid);
        }
        t.deepEqual((await waiting(app, token)).reminders, [], 'no longer waiting');
        // Again (the other device's button): the same answer, no second event.
        const again = await ok(app, token, 'POST', `/tasks/${task.id}/reminders/${rid}/acknowledge`);
        t.like(again, { id: rid, unacknowledged: false });
        const history = (await ok(app, token, 'GET', `/tasks/${task.id}/history`)).events as Json[];
        t.is(history.filter((e) => e.event_type === 'reminder.acknowledged').length, 1);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }

      // The second fires; snoozed to tomorrow 09:00 in Auckland, it no longer waits and is due then.
      await clock.reach(remindAt + 60_000);
      await eventuallyValue(
        () => waiting(app, token),
        (p) => p.reminders.length === 1,
        { what: `${name}: the second reminder waits`, timeoutMs: 30_000 },
      );
      const snoozed = await ok(app, token, 'POST', `/tasks/${task.id}/reminders/${later}/snooze`, {
        tomorrow_at: '09:00',
      });
      const nine = tomorrowAt(new Date(clock.now()), 'Pacific/Auckland', '09:00').toISOString();
      t.like(snoozed, { id: later, status: 'pending', unacknowledged: false, remind_at: nine, snoozed: true });
      t.deepEqual((await waiting(app, token)).reminders, []);
      const read = await ok(app, token, 'GET', `/tasks/${task.id}`);
      t.like(
        (read.reminders as Json[]).find((r) => r.id === later),
        { remind_at: nine, snoozed: true },
      );
      t.like(
        (read.reminders as Json[]).find((r) => r.id === rid),
        { snoozed: false },
      );
      const refused = await call(app, token, 'POST', `/tasks/${task.id}/reminders/${later}/snooze`, {
        tomorrow_at: '9am',
      });
      t.is(refused.status, 400);
      t.is(refused.body.field, 'tomorrow_at');

      // Someone else's task, an unknown reminder: 404.
      const stranger = app.token(`stranger-${randomUUID()}`);
      t.is((await call(app, stranger, 'POST', `/tasks/${task.id}/reminders/${rid}/acknowledge`)).status, 404);
      t.is((await call(app, token, 'POST', `/tasks/${task.id}/reminders/${randomUUID()}/acknowledge`)).status, 404);

      // Migrations 022's fill-in and 023's correction, on the rows as the release before them left them (none
      // snoozed), give what replay folds from the events.
      await app.app.db.query('UPDATE reminders SET snoozed = false');
      for (const file of ['022_reminder_snoozed.sql', '023_ties_by_next_occurrence_fold_numbers.sql']) {
        const text = readFileSync(new URL(`../../host/db/migrations/${file}`, import.meta.url), 'utf8');
        for (const statement of text.split(';').filter((x) => /^\s*(--[^\n]*\n\s*)*UPDATE reminders/.test(x)))
          await app.app.db.query(statement);
      }
      const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
      t.deepEqual(report.mismatches, []);
      t.is(report.matched, report.tasks);
    }));

  test(`${name}: waiting reminders page newest first, leave out completed and deleted tasks`, (t) =>
    clocks[name].exclusive(async () => {
      const app = apps[name]!;
      const clock = clocks[name];
      const token = app.token(`pages-${randomUUID()}`);
      const base = clock.now() + clock.leadMs;
      const tasks: Json[] = [];
      for (let i = 0; i < 5; i++)
        tasks.push(
          await ok(app, token, 'POST', '/tasks', {
            title: `t${i}`,
            due_date: iso(base + clock.leadMs),
            reminders: [{ at: iso(base + i * 1000) }],
          }),
        );
      await clock.reach(base + 4000);
      await eventuallyValue(
        () => waiting(app, token),
        (p) => p.reminders.length === 5,
        { what: `${name}: five reminders wait`, timeoutMs: 30_000 },
      );
      await ok(app, token, 'POST', `/tasks/${tasks[4]!.id}/complete`);
      await ok(app, token, 'DELETE', `/tasks/${tasks[3]!.id}`);
      const first = await waiting(app, token, '&limit=2');
      t.deepEqual(
        first.reminders.map((r) => (r.task as Json).title),
        ['t2', 't1'],
      );
      t.truthy(first.next_cursor);
      const second = await waiting(app, token, `&limit=2&cursor=${first.next_cursor}`);
      t.deepEqual(
        second.reminders.map((r) => (r.task as Json).title),
        ['t0'],
      );
      t.is(second.next_cursor, null);
      for (const query of ['&cursor=nope', '&limit=0']) {
        const bad = await call(app, token, 'GET', `/reminders?state=unacknowledged${query}`);
        t.is(bad.status, 400, query);
      }
      t.is((await call(app, token, 'GET', '/reminders')).status, 400, 'state is required');
    }));
}
