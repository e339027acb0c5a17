// Tasks in shared lists (issue 17) over the real API, on PGlite and on PostgreSQL: each member sets and
// sees only their own reminders on a shared task; assigning it to a member cancels the others' reminders
// and stops them adding any (409) until it is unassigned, which re-arms theirs; removing a member cancels
// their reminders and clears their assignment (the ListActor's member_gone fan-out), and a reminder of a
// user who lost access to the task is cancelled when it comes due instead of notifying them. Replay still
// equals the rows. The app runs on a manual clock (test/helpers/clock.ts), so timers fire when told.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { TestApp } from '../helpers/app.ts';
import { appsOnManualClocks } from '../helpers/api-suite.ts';
import { call as fetchCall } from '../helpers/time-scenarios.ts';
import { connectSocket, type Collector } from '../helpers/socket.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { replayAtRest } from '../helpers/replay.ts';
import { inboxIdOf } from '../../actors/list/index.ts';

type Json = Record<string, unknown>;
const { databases, apps, clocks } = appsOnManualClocks();

const iso = (ms: number) => new Date(ms).toISOString();

function api(app: TestApp) {
  const call = (user: string, method: string, path: string, body?: unknown) =>
    fetchCall({ url: app.url, token: app.token, label: 'sharing-tasks' }, app.token(user), method, path, body);
  const ok = async (user: string, method: string, path: string, body?: unknown): Promise<Json> => {
    const reply = await call(user, method, path, body);
    if (reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  return { call, ok };
}

/** The reminders rows of a task, as the table holds them, in creation order. */
async function reminderRows(app: TestApp, taskId: string) {
  const rows = await app.app.db.query<{
    id: string;
    user_id: string;
    cancelled: boolean;
    cancel_reason: string | null;
    notified: boolean;
  }>(
    'SELECT id::text AS id, user_id, cancelled, cancel_reason, notified FROM reminders WHERE task_id = $1 ORDER BY created_at, id',
    [taskId],
  );
  return rows.rows;
}

/** Waits until `socket` got a message of `type` whose data satisfies `match`; returns it. */
const heard = (socket: Collector, what: string, type: string, match: (data: Json) => boolean = () => true) =>
  eventuallyValue(
    () => socket.messages.find((m) => m.type === type && match(m.data)),
    (m) => m !== undefined,
    { what, timeoutMs: 15_000 },
  );

for (const name of databases) {
  test(`${name}: two members each keep their own reminders on a shared task; assigning, unassigning and removing a member re-plan them`, (t) =>
    clocks[name].exclusive(async () => {
      const app = apps[name]!;
      const clock = clocks[name];
      const { call, ok } = api(app);
      const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => `${u}-${randomUUID()}`) as [
        string,
        string,
        string,
      ];
      for (const u of [alice, bob, carol]) await ok(u, 'GET', '/me');
      const list = (await ok(alice, 'POST', '/lists', { name: 'Groceries' })).id as string;
      const own = (await ok(alice, 'POST', '/lists', { name: 'Own' })).id as string;
      for (const u of [bob, carol]) {
        await ok(alice, 'POST', `/lists/${list}/members`, { user_id: u });
        await ok(u, 'POST', `/invitations/${list}/accept`);
      }
      const lead = clock.leadMs;
      const t0 = clock.now();
      const [aliceSocket, bobSocket, carolSocket] = (await Promise.all(
        [alice, bob, carol].map((u) => connectSocket(app.url, app.token(u))),
      )) as [Collector, Collector, Collector];
      try {
        // Each member sets their own reminder on alice's task; each sees only theirs.
        const task = await ok(alice, 'POST', '/tasks', {
          title: 'Milk',
          list_id: list,
          due_date: iso(t0 + 6 * lead),
          reminders: [{ at: iso(t0 + 3 * lead) }],
        });
        const id = task.id as string;
        t.is(task.assignee, null);
        const alices = (task.reminders as Json[])[0]?.id as string;
        const bobs = (await ok(bob, 'POST', `/tasks/${id}/reminders`, { at: iso(t0 + lead) })).id as string;
        const shown = async (user: string) =>
          ((await ok(user, 'GET', `/tasks/${id}`)).reminders as Json[]).map((r) => [r.id, r.user_id, r.status]);
        t.deepEqual(await shown(alice), [[alices, alice, 'pending']]);
        t.deepEqual(await shown(bob), [[bobs, bob, 'pending']]);
        t.deepEqual(await shown(carol), []);
        const listed = (await ok(bob, 'GET', `/tasks?list_id=${list}`)).tasks as Json[];
        t.deepEqual(
          (listed.find((x) => x.id === id)?.reminders as Json[]).map((r) => r.id),
          [bobs],
          'GET /tasks shows the viewer their own reminders only',
        );
        // Someone else's reminder is not there for them.
        t.is((await call(bob, 'DELETE', `/tasks/${id}/reminders/${alices}`)).status, 404);
        t.is((await call(carol, 'POST', `/tasks/${id}/reminders/${bobs}/snooze`, { for: 'PT10M' })).status, 404);

        // Bob's fires: only he is notified, and only he has it waiting.
        await clock.reach(t0 + lead);
        await heard(bobSocket, 'bob hears his reminder', 'reminder.triggered', (d) => d.reminder_id === bobs);
        t.deepEqual(
          ((await ok(bob, 'GET', '/reminders?state=unacknowledged')).reminders as Json[]).map((r) => r.id),
          [bobs],
        );
        t.deepEqual((await ok(alice, 'GET', '/reminders?state=unacknowledged')).reminders, []);
        t.is((await call(alice, 'POST', `/tasks/${id}/reminders/${bobs}/acknowledge`)).status, 404);
        await ok(bob, 'POST', `/tasks/${id}/reminders/${bobs}/acknowledge`);

        // Assigned to bob: alice's reminder is cancelled, and only bob may add one.
        const bobs2 = (await ok(bob, 'POST', `/tasks/${id}/reminders`, { at: iso(t0 + 2 * lead) })).id as string;
        const assigned = await ok(alice, 'PATCH', `/tasks/${id}`, { assignee: bob });
        t.is(assigned.assignee, bob);
        t.like((assigned.reminders as Json[])[0], { id: alices, status: 'cancelled', cancel_reason: 'assigned' });
        const refused = await call(alice, 'POST', `/tasks/${id}/reminders`, { at: iso(t0 + 4 * lead) });
        t.is(refused.status, 409);
        t.regex(refused.body.message as string, /assigned to/);
        const stranger = await call(alice, 'PATCH', `/tasks/${id}`, { assignee: `dave-${randomUUID()}` });
        t.is(stranger.status, 400);
        t.is(stranger.body.field, 'assignee');
        t.is((await call(alice, 'PATCH', `/tasks/${id}`, { assignee: 7 })).status, 400);
        // Every member hears of the assignment.
        await heard(carolSocket, 'carol hears the assignment', 'task.updated', (d) => {
          const changes = d.changes as Json | undefined;
          return (changes?.assignee as Json | undefined)?.to === bob;
        });

        // Unassigned: alice's reminder is back at its time.
        const unassigned = await ok(bob, 'PATCH', `/tasks/${id}`, { assignee: null });
        t.deepEqual(
          (unassigned.reminders as Json[]).map((r) => r.id),
          [bobs, bobs2],
          "bob's answer shows his reminders",
        );
        t.like(((await ok(alice, 'GET', `/tasks/${id}`)).reminders as Json[])[0], {
          id: alices,
          status: 'pending',
          remind_at: iso(t0 + 3 * lead),
        });

        // Assigned to bob again (by bob, with an Idempotency-Key), then bob is removed: his reminders are
        // cancelled, the assignment cleared, and alice's reminder re-armed.
        const keyed = () =>
          fetch(`${app.url}/tasks/${id}`, {
            method: 'PATCH',
            headers: {
              authorization: `Bearer ${app.token(bob)}`,
              'content-type': 'application/json',
              'idempotency-key': `assign-${id}`,
            },
            body: JSON.stringify({ assignee: bob }),
          });
        t.is((await keyed()).status, 200);
        t.is((await keyed()).status, 200, 'a retry while a member gets the first answer');
        await ok(alice, 'DELETE', `/lists/${list}/members/${bob}`);
        const after = await ok(alice, 'GET', `/tasks/${id}`);
        t.is(after.assignee, null);
        t.like((after.reminders as Json[])[0], { id: alices, status: 'pending' });
        t.is((await call(bob, 'GET', `/tasks/${id}`)).status, 404);
        t.is((await keyed()).status, 404, 'a retry after the removal is a 404, not the answer kept for the key');
        // (The manual clock stands still, so the rows are told apart by id, not by creation time.)
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
        t.deepEqual(
          (await reminderRows(app, id)).sort(byId).map((r) => [r.id, r.cancelled, r.cancel_reason]),
          [
            { id: alices, cancelled: false, cancel_reason: null },
            { id: bobs, cancelled: true, cancel_reason: 'member_removed' },
            { id: bobs2, cancelled: true, cancel_reason: 'member_removed' },
          ]
            .sort(byId)
            .map((r) => [r.id, r.cancelled, r.cancel_reason]),
        );

        // A task moved out of the list keeps carol's reminder on it, though she has no access any more:
        // when it comes due it is cancelled, and she is never notified.
        const bins = await ok(alice, 'POST', '/tasks', { title: 'Bins', list_id: list, due_date: iso(t0 + 6 * lead) });
        const carols = (await ok(carol, 'POST', `/tasks/${bins.id}/reminders`, { at: iso(t0 + 2 * lead + 60_000) }))
          .id as string;
        await ok(alice, 'PATCH', `/tasks/${bins.id}`, { list_id: own });
        t.is((await call(carol, 'GET', `/tasks/${bins.id}`)).status, 404);

        // Past bob's second reminder, carol's, and alice's: alice's fires; the others never notify anyone.
        await clock.reach(t0 + 3 * lead);
        await heard(aliceSocket, 'alice hears her reminder', 'reminder.triggered', (d) => d.reminder_id === alices);
        const healed = await eventuallyValue(
          () => reminderRows(app, bins.id as string),
          (rows) => rows[0]?.cancelled === true,
          { what: "carol's reminder is cancelled when it comes due", timeoutMs: 15_000 },
        );
        t.like(healed[0], { id: carols, user_id: carol, cancel_reason: 'member_removed', notified: false });
        t.false((await reminderRows(app, id)).find((r) => r.id === bobs2)?.notified);
        // A last event every socket still open on the list hears: nothing about a reminder came before it
        // that should not have.
        await ok(alice, 'PATCH', `/tasks/${id}`, { title: 'Oat milk' });
        await heard(carolSocket, 'carol hears the rename', 'task.updated', (d) => {
          const changes = d.changes as Json | undefined;
          return (changes?.title as Json | undefined)?.to === 'Oat milk';
        });
        const triggered = (s: Collector) =>
          s.messages.filter((m) => m.type === 'reminder.triggered').map((m) => m.data.reminder_id);
        t.deepEqual(triggered(bobSocket), [bobs]);
        t.deepEqual(triggered(carolSocket), []);
        t.deepEqual(triggered(aliceSocket), [alices]);
        const fired = await app.app.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM events WHERE event_type = 'reminder.triggered' AND data->>'reminder_id' = ANY($1)`,
          [[bobs2, carols]],
        );
        t.is(fired.rows[0]?.n, 0);
        for (const s of [aliceSocket, bobSocket, carolSocket])
          t.true(
            s.messages.every((m) => m.user_id !== undefined),
            'every message names its user',
          );
      } finally {
        await Promise.all([aliceSocket, bobSocket, carolSocket].map((s) => s.close()));
      }
      // The whole database (a replay by user reads a user's own stream, which holds only some of a shared
      // list's events), every task and list folded from its events equal to its row.
      const report = await replayAtRest({ db: app.app.db, fromDb: true });
      t.deepEqual(report.mismatches, []);
      t.is(report.matched, report.tasks);
    }));

  test(`${name}: the shared list deleted: a member's task moves to their own Inbox, the owner's reminder and assignment on it go`, async (t) => {
    const app = apps[name]!;
    const { call, ok } = api(app);
    const [alice, bob] = ['alice', 'bob'].map((u) => `${u}-${randomUUID()}`) as [string, string];
    for (const u of [alice, bob]) await ok(u, 'GET', '/me');
    const list = (await ok(alice, 'POST', '/lists', { name: 'Trip' })).id as string;
    await ok(alice, 'POST', `/lists/${list}/members`, { user_id: bob });
    await ok(bob, 'POST', `/invitations/${list}/accept`);
    const due = iso(clocks[name].now() + 6 * clocks[name].leadMs);
    const napkins = await ok(bob, 'POST', '/tasks', { title: 'Napkins', list_id: list, due_date: due });
    const alices = (await ok(alice, 'POST', `/tasks/${napkins.id}/reminders`, { before: 'PT1H' })).id as string;
    await ok(bob, 'PATCH', `/tasks/${napkins.id}`, { assignee: alice });
    t.is((await call(alice, 'DELETE', `/lists/${list}`)).status, 204);
    const moved = await ok(bob, 'GET', `/tasks/${napkins.id}`);
    t.like(moved, { list_id: inboxIdOf(bob), assignee: null });
    t.is((await call(alice, 'GET', `/tasks/${napkins.id}`)).status, 404);
    t.like((await reminderRows(app, napkins.id as string))[0], {
      id: alices,
      user_id: alice,
      cancelled: true,
      cancel_reason: 'member_removed',
    });
  });

  test(`${name}: a private task keeps its one user's reminders, and can be assigned only to that user`, async (t) => {
    const app = apps[name]!;
    const { call, ok } = api(app);
    const solo = `solo-${randomUUID()}`;
    const other = `other-${randomUUID()}`;
    await ok(other, 'GET', '/me');
    const task = await ok(solo, 'POST', '/tasks', {
      title: 'Own',
      due_date: iso(clocks[name].now() + 6 * clocks[name].leadMs),
      reminders: [{ before: 'PT1H' }],
      assignee: solo,
    });
    t.is(task.assignee, solo);
    t.is((task.reminders as Json[])[0]?.user_id, solo);
    const refused = await call(solo, 'PATCH', `/tasks/${task.id}`, { assignee: other });
    t.is(refused.status, 400);
    t.is(refused.body.field, 'assignee');
    t.is((await call(other, 'PATCH', `/tasks/${task.id}`, { assignee: other })).status, 404);
    const cleared = await ok(solo, 'PATCH', `/tasks/${task.id}`, { assignee: null });
    t.is(cleared.assignee, null);
    t.like((cleared.reminders as Json[])[0], { status: 'pending' });
  });

  test(`${name}: Assigned to me lists the open tasks assigned to the caller across lists, soonest due first; its count and the assignee filter agree`, async (t) => {
    const app = apps[name]!;
    const { call, ok } = api(app);
    const day = 86_400_000;
    const now = clocks[name].now();
    const [alice, bob] = ['alice', 'bob'].map((u) => `${u}-${randomUUID()}`) as [string, string];
    for (const u of [alice, bob]) await ok(u, 'GET', '/me');
    const list = (await ok(alice, 'POST', '/lists', { name: 'Home' })).id as string;
    await ok(alice, 'POST', `/lists/${list}/members`, { user_id: bob });
    await ok(bob, 'POST', `/invitations/${list}/accept`);
    const task = async (user: string, title: string, body: Json) =>
      (await ok(user, 'POST', '/tasks', { title, ...body })).id as string;
    const inTwoDays = await task(alice, 'Fix the tap', { list_id: list, assignee: bob, due_date: iso(now + 2 * day) });
    const undated = await task(alice, 'Sort the shed', { list_id: list, assignee: bob });
    const ownTomorrow = await task(bob, 'Call the plumber', { assignee: bob, due_date: iso(now + day) });
    const alices = await task(alice, 'Buy paint', { list_id: list, assignee: alice });
    await task(alice, 'Unassigned', { list_id: list });
    const done = await task(alice, 'Take the bins out', { list_id: list, assignee: bob });
    await ok(bob, 'POST', `/tasks/${done}/complete`);
    const reassigned = await task(alice, 'Paint the door', { list_id: list, assignee: bob });
    await ok(alice, 'PATCH', `/tasks/${reassigned}`, { assignee: alice });
    // A repeating task assigned to bob is there as its series (as a list shows it), counted once.
    const series = await task(alice, 'Water the plants', { list_id: list, due_date: iso(now + 3 * day) });
    await ok(alice, 'PATCH', `/tasks/${series}`, { recurrence_rule: 'FREQ=WEEKLY', assignee: bob });

    const ids = async (user: string, query: string) =>
      ((await ok(user, 'GET', `/tasks?${query}`)).tasks as Json[]).map((x) => x.id);
    t.deepEqual(
      await ids(bob, 'view=assigned'),
      [ownTomorrow, inTwoDays, series, undated],
      'open, by due date, undated last',
    );
    t.is((await ok(bob, 'GET', '/views/counts')).assigned, 4);
    t.deepEqual(await ids(alice, 'view=assigned').then((x) => x.sort()), [alices, reassigned].sort());
    t.is((await ok(alice, 'GET', '/views/counts')).assigned, 2);
    // The filter: `me` or a user id, completed ones included unless asked otherwise; the view is the caller's own.
    t.deepEqual((await ids(bob, 'assignee=me')).sort(), [inTwoDays, undated, ownTomorrow, done, series].sort());
    t.deepEqual((await ids(bob, `assignee=${encodeURIComponent(alice)}`)).sort(), [alices, reassigned].sort());
    t.deepEqual(await ids(bob, `view=assigned&assignee=${encodeURIComponent(alice)}`), []);
    t.deepEqual(await ids(bob, `view=assigned&assignee=me`), [ownTomorrow, inTwoDays, series, undated]);
    const tooLong = await call(bob, 'GET', `/tasks?assignee=${'x'.repeat(129)}`);
    t.is(tooLong.status, 400);
    t.is(tooLong.body.field, 'assignee');
  });
}
