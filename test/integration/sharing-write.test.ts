// Shared lists, the write side (issue 17): the membership routes (api/routes/sharing.ts) running on the
// ListActor turn (host/lists/turn.ts), and `persist` fanning each event out to its audience: the event
// stored once, in its canonical recipient's stream, and a delivery row with a seq of their own for every
// other recipient. Checked through the REST API and, for the streams, in the events and event_deliveries
// tables themselves, on embedded PGlite and on PostgreSQL.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';
import { ok, injectedApps, DATABASES, type Database } from '../helpers/api-suite.ts';
import { inboxIdOf } from '../../actors/list/index.ts';
import { decide } from '../../actors/task/index.ts';
import { loadTask, persist, readScopes, readUser, retryable } from '../../host/tasks/store.ts';
import { DomainError } from '../../actors/errors.ts';
import { GroupCommit } from '../../host/tasks/group-commit.ts';
import { readMetric } from '../helpers/metrics.ts';
import { eventually } from '../helpers/eventually.ts';
import { replayAtRest } from '../helpers/replay.ts';
import { ManualClock } from '../helpers/clock.ts';

type Json = Record<string, unknown>;

const suite = injectedApps();

interface StreamRow {
  seq: number;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  actor_id: string | null;
  scope: string[] | null;
  canonical: boolean;
}

/** `userId`'s stream as the tables hold it: their events rows and their delivery rows, in seq order. */
async function streamOf(app: TestApp, userId: string): Promise<StreamRow[]> {
  const rows = await app.app.db.query<StreamRow>(
    `SELECT seq::int AS seq, event_id::text AS event_id, event_type, aggregate_id, actor_id, scope::text[] AS scope, true AS canonical
       FROM events WHERE user_id = $1
     UNION ALL
     SELECT d.seq::int, e.event_id::text, e.event_type, e.aggregate_id, e.actor_id, e.scope::text[], false
       FROM event_deliveries d JOIN events e ON e.event_id = d.event_id WHERE d.user_id = $1
     ORDER BY seq`,
    [userId],
  );
  return rows.rows;
}

/** Asserts `userId`'s stream is exactly seqs 1..users.last_seq, each once; returns it. */
async function gapless(t: ExecutionContext, app: TestApp, userId: string): Promise<StreamRow[]> {
  const stream = await streamOf(app, userId);
  const last = await app.app.db.query<{ last_seq: number }>(
    'SELECT last_seq::int AS last_seq FROM users WHERE id = $1',
    [userId],
  );
  t.deepEqual(
    stream.map((r) => r.seq),
    Array.from({ length: Number(last.rows[0]?.last_seq ?? 0) }, (_, i) => i + 1),
    `${userId}'s events and deliveries are seqs 1..last_seq, each once`,
  );
  return stream;
}

/** A user with a token; their user row exists once they made a request. */
function person(app: TestApp, name: string) {
  const id = `${name}-${randomUUID()}`;
  return { id, token: app.token(id) };
}

/** Alice's new list shared with Bob, who accepted: the list id and the three users. */
async function sharedList(database: Database) {
  const { app, call } = suite(database);
  const alice = person(app, 'alice');
  const bob = person(app, 'bob');
  const carol = person(app, 'carol');
  for (const u of [alice, bob, carol]) await ok(call('GET', '/me', { token: u.token }));
  const list = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Groceries' } }), 201);
  const id = list.id as string;
  await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: bob.id } }), 201);
  await ok(call('POST', `/invitations/${id}/accept`, { token: bob.token }));
  return { app, call, alice, bob, carol, id };
}

/**
 * Alice's list `name` shared with Bob, who accepted, on an app of its own whose clock moves only when the
 * test moves it (a timer fires when the test says); the caller stops the app.
 */
async function sharedOnClock(database: Database, name: string) {
  const clock = new ManualClock();
  const app = await startTestApp({ database, clock: clock.date });
  const call = injector(app.app.server);
  const [alice, bob] = [person(app, 'alice'), person(app, 'bob')];
  for (const u of [alice, bob]) await ok(call('GET', '/me', { token: u.token }));
  const id = (await ok(call('POST', '/lists', { token: alice.token, body: { name } }), 201)).id as string;
  await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: bob.id } }), 201);
  await ok(call('POST', `/invitations/${id}/accept`, { token: bob.token }));
  return { clock, app, call, alice, bob, id };
}

for (const database of DATABASES) {
  test(`${database}: a list is not handed to a member who owns as many lists as a user may make`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    // Bob makes lists until he may make no more (his Inbox counts).
    let made = 0;
    for (;;) {
      const res = await call('POST', '/lists', { token: bob.token, body: { name: `b${made}` } });
      if (res.status === 400) break;
      t.is(res.status, 201, res.text);
      made++;
      t.true(made < 1000, 'the cap ends it');
    }
    const refused = await call('POST', `/lists/${id}/owner`, { token: alice.token, body: { user_id: bob.id } });
    t.is(refused.status, 409, refused.text);
    t.like(refused.body, { field: 'user_id' });
    const members = await ok(call('GET', `/lists/${id}/members`, { token: alice.token }));
    t.is(members.owner_id, alice.id, 'alice still owns it');
  });

  test(`${database}: the owner deletes a shared list with its tasks and undoes a member's task's delete: it is back in the member's Inbox; a former member's task cannot come back`, async (t) => {
    const { call, alice, bob, carol, id } = await sharedList(database);
    await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: carol.id } }), 201);
    await ok(call('POST', `/invitations/${id}/accept`, { token: carol.token }));
    const tent = await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'tent', list_id: id } }), 201);
    const stove = await ok(call('POST', '/tasks', { token: carol.token, body: { title: 'stove', list_id: id } }), 201);
    // Carol leaves the list before it is deleted: her task stays in it, hers no more.
    await ok(call('DELETE', `/lists/${id}/members/${carol.id}`, { token: alice.token }), 204);
    const before = (await ok(call('GET', '/events?after=0&limit=500', { token: alice.token }))).last_seq as number;
    await ok(call('DELETE', `/lists/${id}?tasks=delete`, { token: alice.token }), 204);
    const deletes = (
      (await ok(call('GET', `/events?after=${before}&limit=500`, { token: alice.token }))).events as Json[]
    ).filter((e) => e.event_type === 'task.deleted');
    const deleteOf = (task: Json) => deletes.find((e) => e.aggregate_id === task.id)?.event_id;
    t.truthy(deleteOf(tent));
    t.truthy(deleteOf(stove));

    const undone = await call('POST', `/tasks/${tent.id}/undo`, {
      token: alice.token,
      body: { event_id: deleteOf(tent) },
    });
    t.is(undone.status, 200, undone.text);
    const inboxOf = async (token: string) =>
      ((await ok(call('GET', '/lists', { token }))).lists as Json[]).find((l) => l.inbox)?.id;
    const back = await ok(call('GET', `/tasks/${tent.id}`, { token: bob.token }));
    t.like(back, { title: 'tent', list_id: await inboxOf(bob.token), deleted_at: null });
    const bobs = (await ok(call('GET', '/events?after=0&limit=500', { token: bob.token }))).events as Json[];
    t.true(
      bobs.some((e) => e.event_type === 'task.restored' && e.aggregate_id === tent.id),
      "the restore is in bob's stream",
    );
    t.is((await call('GET', `/tasks/${tent.id}`, { token: alice.token })).status, 404, "not in alice's lists");

    const refused = await call('POST', `/tasks/${stove.id}/undo`, {
      token: alice.token,
      body: { event_id: deleteOf(stove) },
    });
    t.is(refused.status, 409, refused.text);
    t.like(refused.body, { field: 'event_id' });
    t.regex(String(refused.body.message), /its creator had left it/);
    t.is((await call('GET', `/tasks/${stove.id}`, { token: carol.token })).status, 404, 'nothing handed back to carol');
  });

  for (const gone of ['leaves', 'is removed'] as const)
    test(`${database}: a member who made a task ${gone}; the owner edits, deletes and undoes the delete: it is back in the list, and nothing of it reaches the one gone`, async (t) => {
      const { call, alice, bob, id } = await sharedList(database);
      const task = await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'x', list_id: id } }), 201);
      await ok(
        call('DELETE', `/lists/${id}/members/${bob.id}`, { token: gone === 'leaves' ? bob.token : alice.token }),
        204,
      );
      const since = (await ok(call('GET', '/events?after=0&limit=500', { token: bob.token }))).last_seq as number;
      const path = `/tasks/${task.id}`;
      await ok(call('PATCH', path, { token: alice.token, body: { title: 'Layoffs', description: 'after bob left' } }));
      await ok(call('DELETE', path, { token: alice.token }), 204);
      const history = (await ok(call('GET', `${path}/history?limit=100`, { token: alice.token }))).events as Json[];
      const deleted = history.find((e) => e.event_type === 'task.deleted');
      const undone = await call('POST', `${path}/undo`, { token: alice.token, body: { event_id: deleted?.event_id } });
      t.is(undone.status, 200, undone.text);
      t.like(undone.body, { list_id: id, title: 'Layoffs', deleted_at: null });
      t.like(await ok(call('GET', path, { token: alice.token })), { list_id: id, deleted_at: null });
      t.is((await call('GET', path, { token: bob.token })).status, 404, 'not handed to the one gone');
      const bobs = (await ok(call('GET', `/events?after=${since}&limit=500`, { token: bob.token }))).events as Json[];
      t.deepEqual(
        bobs.filter((e) => e.aggregate_id === task.id),
        [],
        "nothing of the task in bob's stream since he was gone",
      );
    });

  test(`${database}: a member deletes their task in a shared list, the owner deletes the list, the member undoes their delete: it is back in their Inbox`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    const tent = await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'tent', list_id: id } }), 201);
    await ok(call('DELETE', `/tasks/${tent.id}`, { token: bob.token }), 204);
    await ok(call('DELETE', `/lists/${id}`, { token: alice.token }), 204);
    // Its history is still its creator's to read (the list's editors lost access with it).
    const history = await ok(call('GET', `/tasks/${tent.id}/history`, { token: bob.token }));
    const deleted = (history.events as Json[]).find((e) => e.event_type === 'task.deleted');
    const undone = await call('POST', `/tasks/${tent.id}/undo`, {
      token: bob.token,
      body: { event_id: deleted?.event_id },
    });
    t.is(undone.status, 200, undone.text);
    t.is(undone.body.list_id, inboxIdOf(bob.id));
  });

  test(`${database}: a member's reminder made to pass by an earlier due date comes back with a later one (the edit reads who has access)`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    const due = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    const task = await ok(
      call('POST', '/tasks', { token: alice.token, body: { title: 'tent', list_id: id, due_date: due(24 * 60) } }),
      201,
    );
    await ok(call('POST', `/tasks/${task.id}/reminders`, { token: bob.token, body: { before: 'PT2H' } }), 201);
    const bobs = async () =>
      ((await ok(call('GET', `/tasks/${task.id}`, { token: bob.token }))).reminders as Json[]).find(
        (r) => r.user_id === bob.id,
      );
    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { due_date: due(30) } }));
    t.like(await bobs(), { cancelled: true, cancel_reason: 'passed' });
    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { due_date: due(48 * 60) } }));
    t.like(await bobs(), { cancelled: false, cancel_reason: null });
  });

  test(`${database}: a creator who left the list gets nothing back when the owner moves the due date later: no reminder, no event`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    const due = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    const task = await ok(
      call('POST', '/tasks', { token: bob.token, body: { title: 'stove', list_id: id, due_date: due(24 * 60) } }),
      201,
    );
    await ok(call('POST', `/tasks/${task.id}/reminders`, { token: bob.token, body: { before: 'PT2H' } }), 201);
    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { due_date: due(30) } }));
    await ok(call('DELETE', `/lists/${id}/members/${bob.id}`, { token: bob.token }), 204);
    const seqOf = async () => (await ok(call('GET', '/events?after=0&limit=1', { token: bob.token }))).last_seq;
    const before = await seqOf();
    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { due_date: due(48 * 60) } }));
    t.is(await seqOf(), before, 'nothing reaches the creator who left');
  });

  test(`${database}: a series renamed, prioritised and assigned: its open occurrences in the list take the same edit; a done one keeps what it was`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    // Daily, due in an hour, reminded two days before: two occurrences open at once.
    const series = await ok(
      call('POST', '/tasks', {
        token: alice.token,
        body: {
          title: 'Feed the cat',
          list_id: id,
          due_date: new Date(Date.now() + 3_600_000).toISOString(),
          recurrence_rule: 'FREQ=DAILY',
          reminders: [{ before: 'P2D' }],
        },
      }),
      201,
    );
    const occurrences = async () =>
      ((await ok(call('GET', `/tasks?series_id=${series.id}&limit=50`, { token: alice.token }))).tasks as Json[]).sort(
        (a, b) => String(a.occurrence_at).localeCompare(String(b.occurrence_at)),
      );
    const [first, second] = await eventually(async () => ((await occurrences()).length === 2 ? occurrences() : null), {
      what: 'two open occurrences',
    });
    await ok(call('POST', `/tasks/${second?.id}/complete`, { token: alice.token }));
    await ok(
      call('PATCH', `/tasks/${series.id}`, {
        token: alice.token,
        body: { title: 'Feed the cats', priority: 1, assignee: bob.id },
      }),
    );
    t.like(await ok(call('GET', `/tasks/${first?.id}`, { token: bob.token })), {
      title: 'Feed the cats',
      priority: 1,
      assignee: bob.id,
    });
    t.like(
      await ok(call('GET', `/tasks/${second?.id}`, { token: alice.token })),
      { title: 'Feed the cat', assignee: null, completed: true },
      'a done occurrence keeps what it was',
    );
    const mine = (await ok(call('GET', '/tasks?view=assigned', { token: bob.token }))).tasks as Json[];
    t.true(
      mine.some((x) => x.id === first?.id),
      'the open occurrence is in bob’s Assigned to me',
    );
  });

  // Serial: ava runs serial tests before the others, so nothing else writes while the counter is read.
  test.serial(`${database}: an event delivered to several members counts once as written`, async (t) => {
    const { app } = suite(database);
    const accepted = () => readMetric(app.url, 'tasklane_events_written_total', { type: 'list.invitation_accepted' });
    const before = await accepted();
    await sharedList(database);
    t.is((await accepted()) - before, 1);
  });

  test(`${database}: share, accept, and a task written in the list: every event in both users' streams, each stream gapless`, async (t) => {
    const { app, call } = suite(database);
    const alice = person(app, 'alice');
    const bob = person(app, 'bob');
    await ok(call('GET', '/me', { token: bob.token }));
    const list = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Groceries' } }), 201);
    const id = list.id as string;

    const shared = await ok(
      call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: bob.id, role: 'editor' } }),
      201,
    );
    t.like(shared, { list_id: id, owner_id: alice.id });
    t.deepEqual(
      (shared.members as Json[]).map((m) => [m.user_id, m.role, m.state]),
      [
        [alice.id, 'owner', 'active'],
        [bob.id, 'editor', 'invited'],
      ],
    );
    // Sharing again while invited changes nothing (200, no event).
    await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: bob.id } }), 200);
    const invitations = await ok(call('GET', '/invitations', { token: bob.token }));
    t.like((invitations.invitations as Json[])[0], { list_id: id, name: 'Groceries', invited_by: alice.id });
    t.regex(
      String((invitations.invitations as Json[])[0]?.invited_at),
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    );
    t.is(
      (await call('GET', `/lists/${id}/members`, { token: bob.token })).status,
      404,
      'an invitee does not see the members',
    );

    const accepted = await ok(call('POST', `/invitations/${id}/accept`, { token: bob.token }));
    t.deepEqual(
      (accepted.members as Json[]).map((m) => [m.user_id, m.state]),
      [
        [alice.id, 'active'],
        [bob.id, 'active'],
      ],
    );
    t.deepEqual((await ok(call('GET', '/invitations', { token: bob.token }))).invitations, []);

    const task = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'Milk', list_id: id } }), 201);
    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { title: 'Oat milk' } }));

    const aliceStream = await gapless(t, app, alice.id);
    const bobStream = await gapless(t, app, bob.id);
    const aboutList = (s: StreamRow[]) =>
      s.filter((r) => r.aggregate_id === id || r.aggregate_id === task.id).map((r) => [r.event_type, r.canonical]);
    t.deepEqual(aboutList(aliceStream), [
      ['list.created', true],
      ['list.shared', true],
      ['list.invitation_accepted', false],
      ['task.created', true],
      ['task.updated', true],
    ]);
    t.deepEqual(aboutList(bobStream), [
      ['list.shared', false],
      ['list.invitation_accepted', true],
      ['task.created', false],
      ['task.updated', false],
    ]);
    // Each event is stored once; its actor is who issued it, its scope the shared list.
    const accept = bobStream.find((r) => r.event_type === 'list.invitation_accepted');
    t.like(accept, { actor_id: bob.id, scope: [id] });
    t.like(
      aliceStream.find((r) => r.event_type === 'task.created'),
      { actor_id: alice.id, scope: [id] },
    );
    const copies = await app.app.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE event_id = ANY($1::uuid[])',
      [bobStream.map((r) => r.event_id)],
    );
    t.is(copies.rows[0]?.n, bobStream.length, 'no event row is duplicated');
    // The rows of the list as its state holds them.
    const members = await app.app.db.query<{ user_id: string; role: string; state: string }>(
      'SELECT user_id, role, state FROM list_members WHERE list_id = $1 ORDER BY role DESC',
      [id],
    );
    t.deepEqual(members.rows, [
      { user_id: alice.id, role: 'owner', state: 'active' },
      { user_id: bob.id, role: 'editor', state: 'active' },
    ]);
  });

  test(`${database}: concurrent writes in a shared list and in a member's own list keep both streams gapless, each shared event delivered once`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    const own = await ok(call('POST', '/lists', { token: bob.token, body: { name: 'Own' } }), 201);
    const writes = [
      ...Array.from({ length: 12 }, (_, i) =>
        call('POST', '/tasks', { token: alice.token, body: { title: `shared ${i}`, list_id: id } }),
      ),
      ...Array.from({ length: 12 }, (_, i) =>
        call('POST', '/tasks', { token: bob.token, body: { title: `own ${i}`, list_id: own.id } }),
      ),
    ];
    t.deepEqual(
      (await Promise.all(writes)).map((r) => r.status),
      writes.map(() => 201),
    );
    const bobStream = await gapless(t, app, bob.id);
    await gapless(t, app, alice.id);
    const created = bobStream.filter((r) => r.event_type === 'task.created');
    t.is(created.filter((r) => !r.canonical).length, 12, "each of Alice's tasks reached Bob once");
    t.is(created.filter((r) => r.canonical).length, 12);
  });

  test(`${database}: two lists shared each way, written at once by both owners: every write lands, each stream gapless`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    const theirs = await ok(call('POST', '/lists', { token: bob.token, body: { name: 'Theirs' } }), 201);
    await ok(call('POST', `/lists/${theirs.id}/members`, { token: bob.token, body: { user_id: alice.id } }), 201);
    await ok(call('POST', `/invitations/${theirs.id}/accept`, { token: alice.token }));
    // Each write moves both users' rows, in opposite canonical order: they must wait, not deadlock.
    const writes = Array.from({ length: 12 }, (_, i) => [
      call('POST', '/tasks', { token: alice.token, body: { title: `a${i}`, list_id: id } }),
      call('POST', '/tasks', { token: bob.token, body: { title: `b${i}`, list_id: theirs.id } }),
    ]).flat();
    t.deepEqual(
      (await Promise.all(writes)).map((r) => r.status),
      writes.map(() => 201),
    );
    for (const u of [alice, bob]) {
      const created = (await gapless(t, app, u.id)).filter((r) => r.event_type === 'task.created');
      t.is(created.filter((r) => r.canonical).length, 12);
      t.is(created.filter((r) => !r.canonical).length, 12);
    }
  });

  test(`${database}: a task write decided before a membership change is written only after deciding again on the new members`, async (t) => {
    const { app, call, alice, bob, carol, id } = await sharedList(database);
    const db = app.app.db;
    const write = async (userId: string, scopes: Awaited<ReturnType<typeof readScopes>>) => {
      const taskId = randomUUID();
      const now = new Date();
      const pending = decide({ type: 'create', id: taskId, data: { title: 'raced', list_id: id } }, null, {
        now,
        userId,
        userTimezone: 'UTC',
        newId: randomUUID,
      });
      const user = await readUser(db, userId);
      return persist(
        db,
        { userId, userVersion: user.version, tasks: new Map([[taskId, null]]), actor: userId, scopes },
        pending,
        { correlationId: randomUUID() },
        now,
      );
    };
    // Read before Carol joins: the write must not commit without her.
    const stale = await readScopes(db, [id]);
    await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: carol.id } }), 201);
    await ok(call('POST', `/invitations/${id}/accept`, { token: carol.token }));
    const refused = await write(alice.id, stale).then(
      () => null,
      (error: unknown) => error,
    );
    t.true(retryable(refused), 'the list guard fails: the turn decides again');
    const written = await write(alice.id, await readScopes(db, [id]));
    t.deepEqual(written.copies.map((c) => c.user_id).sort(), [bob.id, carol.id].sort());
    t.deepEqual(
      written.copies.map((c) => c.event_id),
      written.events.map((e) => e.event_id).flatMap((e) => [e, e]),
    );
    for (const u of [alice.id, bob.id, carol.id]) await gapless(t, app, u);

    // Bob is removed: his create in the list, on its current scope, is refused as for any list he cannot see.
    t.is((await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: alice.token })).status, 204);
    const stranger = await write(bob.id, await readScopes(db, [id])).then(
      () => null,
      (error: unknown) => error,
    );
    t.true(stranger instanceof DomainError && stranger.code === 'validation' && stranger.field === 'list_id');
  });

  test(`${database}: an editor moves their own task into the shared list: it reaches the owner, and the list guard admits the editor`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    const db = app.app.db;
    const task = await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'Napkins' } }), 201);
    const move = async () => {
      const state = await loadTask(db, bob.id, task.id as string);
      const now = new Date();
      const pending = decide({ type: 'update', data: { list_id: id } }, state, {
        now,
        userId: bob.id,
        userTimezone: 'UTC',
        newId: randomUUID,
        refs: { lists: new Set([id]), labels: new Set() },
      });
      const user = await readUser(db, bob.id);
      return persist(
        db,
        {
          userId: bob.id,
          userVersion: user.version,
          tasks: new Map([[task.id as string, state]]),
          actor: bob.id,
          scopes: await readScopes(db, [id]),
        },
        pending,
        { correlationId: randomUUID() },
        now,
      );
    };
    const moved = await move();
    t.is(moved.tasks.get(task.id as string)?.list_id, id);
    t.deepEqual(
      moved.copies.map((c) => [c.event_type, c.user_id]),
      [['task.updated', alice.id]],
    );
    t.like(moved.events[0], { user_id: bob.id, event_type: 'task.updated' });
    for (const u of [alice.id, bob.id]) await gapless(t, app, u);
  });

  test(`${database}: group commit writes a shared list's task alone and batches a private one as before`, async (t) => {
    const { app, alice, bob, id } = await sharedList(database);
    const db = app.app.db;
    const group = new GroupCommit(db);
    const create = async (listId: string) => {
      const taskId = randomUUID();
      const now = new Date();
      const pending = decide({ type: 'create', id: taskId, data: { title: 'grouped', list_id: listId } }, null, {
        now,
        userId: alice.id,
        userTimezone: 'UTC',
        newId: randomUUID,
      });
      const user = await readUser(db, alice.id);
      const scopes = await readScopes(db, [listId]);
      return group.persist(
        { userId: alice.id, userVersion: user.version, tasks: new Map([[taskId, null]]), actor: alice.id, scopes },
        pending,
        { correlationId: randomUUID() },
        now,
      );
    };
    const shared = await create(id);
    t.deepEqual(
      shared.copies.map((c) => c.user_id),
      [bob.id],
    );
    t.is(group.stats.turns, 0, 'the shared write bypassed the batches');
    const mine = await create(inboxIdOf(alice.id));
    t.deepEqual(mine.copies, []);
    t.is(group.stats.turns, 1, 'a private write still goes through group commit');
    for (const u of [alice.id, bob.id]) await gapless(t, app, u);
  });

  test(`${database}: two members edit one task at once: different fields both land, the same field ends as the later commit, a stale If-Match is 412`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    const task = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'Milk', list_id: id } }), 201);
    const path = `/tasks/${task.id}`;
    // Different fields at once: both land, whichever commits first.
    const [a, b] = await Promise.all([
      call('PATCH', path, { token: alice.token, body: { title: 'Oat milk' } }),
      call('PATCH', path, { token: bob.token, body: { priority: 3 } }),
    ]);
    t.deepEqual([a.status, b.status], [200, 200]);
    for (const who of [alice, bob])
      t.like(await ok(call('GET', path, { token: who.token })), { title: 'Oat milk', priority: 3, version: 3 });
    // The same field at once: the later commit wins, both read it, and both updates are in both streams.
    const [c, d] = await Promise.all([
      call('PATCH', path, { token: alice.token, body: { title: 'by alice' } }),
      call('PATCH', path, { token: bob.token, body: { title: 'by bob' } }),
    ]);
    t.deepEqual([c.status, d.status], [200, 200]);
    const later = [c.body, d.body].sort((x, y) => Number(y.version) - Number(x.version))[0];
    t.is(later?.version, 5);
    const final = await ok(call('GET', path, { token: bob.token }));
    t.is(final.title, later?.title, 'the later commit is the final state');
    t.deepEqual(await ok(call('GET', path, { token: alice.token })), final);
    for (const who of [alice, bob]) {
      const updates = (await gapless(t, app, who.id)).filter(
        (r) => r.aggregate_id === task.id && r.event_type === 'task.updated',
      );
      t.is(updates.length, 4, `${who.id} received every update`);
      t.deepEqual(
        updates.map((r) => r.actor_id).filter((x) => x === bob.id).length,
        2,
        'each update names who made it',
      );
    }
    // Labels are personal: another member cannot set them on the owner's task (a 400 naming labels).
    const label = await ok(call('POST', '/labels', { token: bob.token, body: { name: 'errands' } }), 201);
    const labelled = await call('PATCH', path, { token: bob.token, body: { labels: [label.id] } });
    t.is(labelled.status, 400);
    t.is(labelled.body.field, 'labels');
    // A write on a version another member has since moved past is refused, whatever field it touches.
    const stale = await call('PATCH', path, {
      token: alice.token,
      body: { description: 'stale' },
      headers: { 'if-match': '"3"' },
    });
    t.is(stale.status, 412);
    const fresh = await call('PATCH', path, {
      token: alice.token,
      body: { description: 'fresh' },
      headers: { 'if-match': `"${final.version}"` },
    });
    t.is(fresh.status, 200);
  });

  test(`${database}: another member's private reminder never fails an If-Match: the ETag a member holds stays good until a change they can see`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    const due = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const task = await ok(
      call('POST', '/tasks', { token: alice.token, body: { title: 'Milk', list_id: id, due_date: due } }),
      201,
    );
    const path = `/tasks/${task.id}`;
    const seen = await call('GET', path, { token: alice.token });
    const etag = seen.headers.get('etag') ?? '';
    t.is(etag, `"${String(seen.body.version)}"`, 'the ETag is the version');
    // Bob adds, snoozes nothing, removes his own reminder: three events alice never receives.
    const his = await ok(call('POST', `${path}/reminders`, { token: bob.token, body: { before: 'PT1H' } }), 201);
    const hisId = ((his.reminder ?? his) as Json).id as string;
    t.is((await call('DELETE', `${path}/reminders/${hisId}`, { token: bob.token })).status, 204);
    const edited = await call('PATCH', path, {
      token: alice.token,
      body: { title: 'Oat milk' },
      headers: { 'if-match': etag },
    });
    t.is(edited.status, 200, 'alice edits at the version she saw');
    t.is(edited.body.title, 'Oat milk');
    // Bob's edit conditioned on the version he saw before her edit: refused, her title is a change he sees.
    const stale = await call('PATCH', path, {
      token: bob.token,
      body: { title: 'Soy milk' },
      headers: { 'if-match': etag },
    });
    t.is(stale.status, 412);
    // Alice's own reminder after the version she names fails her own conditional edit (her other device's change).
    const current = await call('GET', path, { token: alice.token });
    await ok(call('POST', `${path}/reminders`, { token: alice.token, body: { before: 'PT2H' } }), 201);
    const own = await call('PATCH', path, {
      token: alice.token,
      body: { priority: 1 },
      headers: { 'if-match': current.headers.get('etag') ?? '' },
    });
    t.is(own.status, 412);
    const bobs = (await ok(call('GET', path, { token: bob.token }))).reminders as Json[];
    t.deepEqual(
      bobs.map((r) => [r.user_id, r.status]),
      [[bob.id, 'cancelled']],
      "bob sees his own removed reminder and none of alice's",
    );
  });

  test(`${database}: deleting a shared list gives each member's tasks back to their own Inbox, or deletes them all`, async (t) => {
    for (const mode of ['move', 'delete'] as const) {
      const { call, alice, bob, id } = await sharedList(database);
      const mine = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'alice', list_id: id } }), 201);
      const his = await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'bob', list_id: id } }), 201);
      t.is((await call('DELETE', `/lists/${id}?tasks=${mode}`, { token: alice.token })).status, 204);
      const inbox = async (who: { token: string }) => ({
        tasks: (await ok(call('GET', '/tasks', { token: who.token }))).tasks as Json[],
      });
      await eventually(
        async () => {
          const a = await inbox(alice);
          const b = await inbox(bob);
          return (
            a.tasks.every((x) => x.id !== his.id) &&
            b.tasks.every((x) => x.id !== mine.id) &&
            (mode === 'delete'
              ? a.tasks.length === 0 && b.tasks.length === 0
              : a.tasks.some((x) => x.id === mine.id && x.list_id !== id) &&
                b.tasks.some((x) => x.id === his.id && x.list_id !== id))
          );
        },
        { what: `the list's tasks after its delete (${mode})` },
      );
      if (mode === 'move') {
        const own = await ok(call('GET', `/tasks/${his.id}`, { token: bob.token }));
        const lists = (await ok(call('GET', '/lists', { token: bob.token }))).lists as Json[];
        t.is(own.list_id, lists.find((l) => l.inbox === true)?.id, "bob's task is in bob's Inbox");
        t.is(
          (await call('GET', `/tasks/${his.id}`, { token: alice.token })).status,
          404,
          'and no longer alice’s to see',
        );
      } else {
        t.is((await call('GET', `/tasks/${his.id}`, { token: bob.token })).status, 404);
      }
    }
  });

  test(`${database}: replay from the events table equals the rows of a shared list's history, for each member and for all`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    const task = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'Milk', list_id: id } }), 201);
    await ok(call('PATCH', `/tasks/${task.id}`, { token: bob.token, body: { title: 'Oat milk' } }));
    await ok(call('POST', '/tasks', { token: bob.token, body: { title: 'Bread', list_id: id } }), 201);
    await ok(call('POST', `/lists/${id}/owner`, { token: alice.token, body: { user_id: bob.id } }));
    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { priority: 2 } }));
    for (const user of [alice.id, bob.id, undefined]) {
      const report = await replayAtRest({ db: app.app.db, fromDb: true, ...(user ? { user } : {}) });
      t.deepEqual(report.mismatches, [], `replay ${user ?? 'of everyone'}`);
      if (user === alice.id)
        t.true(report.tasks >= 1, "alice's task is checked with bob's edit stored in bob's stream");
      if (user === bob.id) t.true((report.organisation?.checked ?? 0) >= 2, 'the list bob now owns is checked as his');
    }
  });

  test(`${database}: a member completes an instance of the owner's after-completion series: the next one is spawned in the list, the owner's, for both to see`, async (t) => {
    const { clock, app, call, alice, bob, id } = await sharedOnClock(database, 'Plants');
    try {
      const due = clock.now() + 3_600_000;
      const series = await ok(
        call('POST', '/tasks', {
          token: alice.token,
          body: {
            title: 'water the plants',
            list_id: id,
            due_date: new Date(due).toISOString(),
            recurrence_rule: 'FREQ=DAILY;INTERVAL=3',
            recurrence_mode: 'after_completion',
          },
        }),
        201,
      );
      const instances = async (who: { token: string }) =>
        (
          (await ok(call('GET', `/tasks?series_id=${series.id}&sort=due&order=asc`, { token: who.token })))
            .tasks as Json[]
        ).map((x) => ({ id: x.id, completed: x.completed, list_id: x.list_id }));
      await clock.reach(due);
      const [first] = await eventually(async () => ((await instances(bob)).length === 1 ? instances(bob) : null), {
        what: 'the first instance, spawned as its occurrence has come',
      });
      await ok(call('POST', `/tasks/${first?.id}/complete`, { token: bob.token }));
      const after = await instances(bob);
      t.is(after.length, 2, 'the next instance is there when the completion is answered');
      t.true(after.every((x) => x.list_id === id));
      t.deepEqual(await instances(alice), after, 'the owner sees the same instances');
    } finally {
      await app.stop();
    }
  });

  test(`${database}: a task moved out of a shared list with edits: its old members see it go and none of the edits, nor the history it makes elsewhere`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    const own = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Private' } }), 201);
    const task = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'Milk', list_id: id } }), 201);
    const path = `/tasks/${task.id}`;
    const body = { list_id: own.id, title: 'PRIVATE title', description: 'private notes' };
    await ok(call('PATCH', path, { token: alice.token, body }));
    await ok(call('PATCH', path, { token: alice.token, body: { title: 'Secret plan' } }));
    await ok(call('PATCH', path, { token: alice.token, body: { title: 'Milk again', description: null } }));
    await ok(call('PATCH', path, { token: alice.token, body: { list_id: id } }));
    const seen = JSON.stringify((await ok(call('GET', '/events?after=0', { token: bob.token }))).events);
    for (const secret of ['PRIVATE title', 'private notes', 'Secret plan'])
      t.false(seen.includes(secret), `bob's stream holds nothing of "${secret}"`);
    const moves = ((await ok(call('GET', '/events?after=0', { token: bob.token }))).events as Json[]).filter(
      (e) => e.aggregate_id === task.id && e.event_type === 'task.updated',
    );
    t.deepEqual(
      moves.map((e) => Object.keys((e.data as { changes: Json }).changes)),
      [['list_id'], ['list_id']],
      'bob saw it leave and come back',
    );
    const history = await ok(call('GET', `${path}/history`, { token: bob.token }));
    t.false(
      JSON.stringify(history.events).includes('Secret plan'),
      "bob's history of the task holds nothing of its time in alice's private list",
    );
    t.like(await ok(call('GET', path, { token: bob.token })), { title: 'Milk again', description: null });
    const hers = await ok(call('GET', `${path}/history`, { token: alice.token }));
    t.true(JSON.stringify(hers.events).includes('Secret plan'), 'alice reads all of it');
  });

  test(`${database}: a series a removed member made in the list keeps spawning there for the members left`, async (t) => {
    const { clock, app, call, alice, bob, id } = await sharedOnClock(database, 'Chores');
    try {
      const due = clock.now() + 3_600_000;
      const series = await ok(
        call('POST', '/tasks', {
          token: bob.token,
          body: {
            title: 'bins out',
            list_id: id,
            due_date: new Date(due).toISOString(),
            recurrence_rule: 'FREQ=DAILY',
          },
        }),
        201,
      );
      t.is((await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: alice.token })).status, 204);
      await clock.reach(due);
      const spawned = await eventually(
        async () => {
          const tasks = (await ok(call('GET', `/tasks?series_id=${series.id}`, { token: alice.token })))
            .tasks as Json[];
          return tasks.length > 0 ? tasks : null;
        },
        { what: "the instances of bob's series, for alice" },
      );
      t.true(spawned.every((x) => x.list_id === id && x.title === 'bins out'));
      t.is((await call('GET', `/tasks/${spawned[0]?.id}`, { token: bob.token })).status, 404, 'not for bob any more');
    } finally {
      await app.stop();
    }
  });

  test(`${database}: a removed member's series keeps their zone as its own and loses their labels: their later zone change and label delete reach nobody`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    await ok(call('PATCH', '/me', { token: bob.token, body: { timezone: 'Europe/Berlin' } }));
    const label = (await ok(call('POST', '/labels', { token: bob.token, body: { name: 'garden' } }), 201)).id as string;
    const series = await ok(
      call('POST', '/tasks', {
        token: bob.token,
        body: {
          title: 'water plants',
          list_id: id,
          due_date: '2027-03-01T09:00',
          recurrence_rule: 'FREQ=DAILY',
          labels: [label],
        },
      }),
      201,
    );
    t.is(series.timezone, null, "it follows bob's zone while he is a member");
    t.is((await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: alice.token })).status, 204);
    const pinned = await eventually(
      async () => {
        const now = await ok(call('GET', `/tasks/${String(series.id)}`, { token: alice.token }));
        return now.timezone === 'Europe/Berlin' ? now : null;
      },
      { what: "the series took bob's zone as its own when he went" },
    );
    t.deepEqual(pinned.labels, [], "bob's label left the task with him");
    t.is(pinned.next_occurrence, series.next_occurrence, 'its times did not move');
    const before = (await streamOf(app, alice.id)).length;
    await ok(call('PATCH', '/me', { token: bob.token, body: { timezone: 'Asia/Tokyo' } }));
    t.is((await call('DELETE', `/labels/${label}`, { token: bob.token })).status, 204);
    const after = await ok(call('GET', `/tasks/${String(series.id)}`, { token: alice.token }));
    t.like(after, { timezone: 'Europe/Berlin', next_occurrence: series.next_occurrence, version: pinned.version });
    t.deepEqual((await streamOf(app, alice.id)).slice(before), [], "nothing of bob's reaches alice any more");
    const preview = await ok(
      call('POST', '/recurrence/preview', {
        token: alice.token,
        body: { rule: 'FREQ=DAILY', start: '2027-03-01T09:00', home_of: series.id },
      }),
    );
    t.is(preview.timezone, 'Europe/Berlin', "the preview reads the series' own zone, not bob's");
  });

  test(`${database}: a private list writes as before: one stream, no delivery rows, the actor recorded, no scope`, async (t) => {
    const { app, call } = suite(database);
    const dana = person(app, 'dana');
    const list = await ok(call('POST', '/lists', { token: dana.token, body: { name: 'Mine' } }), 201);
    await ok(call('POST', '/tasks', { token: dana.token, body: { title: 'x', list_id: list.id } }), 201);
    const stream = await gapless(t, app, dana.id);
    t.true(stream.length >= 2);
    t.true(stream.every((r) => r.canonical && r.actor_id === dana.id && r.scope === null));
    const deliveries = await app.app.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM event_deliveries d JOIN events e ON e.event_id = d.event_id WHERE e.user_id = $1',
      [dana.id],
    );
    t.is(deliveries.rows[0]?.n, 0);
  });

  test(`${database}: after a removal the removed member gets its removal and nothing later`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    const task = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'Bread', list_id: id } }), 201);
    t.is((await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: alice.token })).status, 204);
    const before = await gapless(t, app, bob.id);
    t.is(
      before.at(-1)?.event_type,
      'list.member_removed',
      "the removal is the removed member's last event about the list",
    );

    await ok(call('PATCH', `/tasks/${task.id}`, { token: alice.token, body: { title: 'Rye bread' } }));
    await ok(call('PATCH', `/lists/${id}`, { token: alice.token, body: { name: 'Shopping' } }));
    const after = await gapless(t, app, bob.id);
    t.deepEqual(after, before, 'no delivery row for the removed member afterwards');
    const aliceStream = await gapless(t, app, alice.id);
    t.deepEqual(
      aliceStream.slice(-2).map((r) => r.event_type),
      ['task.updated', 'list.updated'],
    );
    t.is((await call('GET', `/lists/${id}/members`, { token: bob.token })).status, 404);
    t.is(
      (await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: bob.token })).status,
      404,
      'a removed member cannot leave',
    );
  });

  test(`${database}: a shared list's rename reaches its editors; an editor leaves and gets nothing later`, async (t) => {
    const { app, call, alice, bob, id } = await sharedList(database);
    await ok(call('PATCH', `/lists/${id}`, { token: alice.token, body: { name: 'Weekly shop' } }));
    const renamed = (await gapless(t, app, bob.id)).at(-1);
    t.like(renamed, { event_type: 'list.updated', canonical: false, actor_id: alice.id });
    t.is((await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: bob.token })).status, 204);
    const left = await gapless(t, app, bob.id);
    t.like(left.at(-1), { event_type: 'list.member_left', canonical: true, actor_id: bob.id });
    await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'Eggs', list_id: id } }), 201);
    t.deepEqual(await gapless(t, app, bob.id), left);
  });

  test(`${database}: refusals: a non-member 404, an editor doing the owner's part 403, conflicts 409, each naming the reason`, async (t) => {
    const { call, alice, bob, carol, id } = await sharedList(database);
    const status = async (method: string, path: string, token: string, body?: unknown) => {
      const reply = await call(method, path, { token, ...(body === undefined ? {} : { body }) });
      return { status: reply.status, message: String(reply.body.message ?? ''), field: reply.body.field };
    };
    // An editor may not share, remove or transfer: 403 saying only the owner may.
    const share = await status('POST', `/lists/${id}/members`, bob.token, { user_id: carol.id });
    t.is(share.status, 403);
    t.regex(share.message, /owner/);
    t.is((await status('DELETE', `/lists/${id}/members/${alice.id}`, bob.token)).status, 403);
    t.is((await status('POST', `/lists/${id}/owner`, bob.token, { user_id: bob.id })).status, 403);
    // A stranger learns nothing: 404 everywhere, as for a list that does not exist.
    for (const list of [id, randomUUID()]) {
      t.is((await status('GET', `/lists/${list}/members`, carol.token)).status, 404);
      t.is((await status('POST', `/lists/${list}/members`, carol.token, { user_id: bob.id })).status, 404);
      t.is((await status('POST', `/invitations/${list}/accept`, carol.token)).status, 404);
      t.is((await status('POST', `/invitations/${list}/decline`, carol.token)).status, 404);
    }
    // Conflicts: the Inbox, an active member, the owner leaving, a transfer to someone not yet in.
    const inbox = await status('POST', `/lists/${inboxIdOf(alice.id)}/members`, alice.token, { user_id: bob.id });
    t.is(inbox.status, 409);
    t.regex(inbox.message, /Inbox/);
    const again = await status('POST', `/lists/${id}/members`, alice.token, { user_id: bob.id });
    t.is(again.status, 409);
    t.regex(again.message, /already a member/);
    const leave = await status('DELETE', `/lists/${id}/members/${alice.id}`, alice.token);
    t.is(leave.status, 409);
    t.regex(leave.message, /transfer ownership first/);
    await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: carol.id } }), 201);
    const early = await status('POST', `/lists/${id}/owner`, alice.token, { user_id: carol.id });
    t.is(early.status, 409);
    t.regex(early.message, /not accepted/);
    t.is(early.field, 'user_id', 'the conflict names the field it is about');
    // Bad input: 400 naming the field.
    const self = await call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: alice.id } });
    t.is(self.status, 400);
    t.is(self.body.field, 'user_id');
    const role = await call('POST', `/lists/${id}/members`, {
      token: alice.token,
      body: { user_id: carol.id, role: 'owner' },
    });
    t.is(role.status, 400);
    t.regex(String(role.body.message), /role/);
  });

  test(`${database}: a move into a list the mover cannot see is a 400 naming list_id (not "task not found" for a task they see); nothing moves`, async (t) => {
    const { call, alice, bob, id } = await sharedList(database);
    const task = await ok(call('POST', '/tasks', { token: alice.token, body: { title: 'milk', list_id: id } }), 201);
    // The creator's Inbox, and a list of hers never shared: neither is a list Bob has.
    const herList = (await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Private' } }), 201))
      .id as string;
    for (const into of [inboxIdOf(alice.id), herList]) {
      const moved = await call('PATCH', `/tasks/${task.id}`, { token: bob.token, body: { list_id: into } });
      t.is(moved.status, 400, JSON.stringify(moved.body));
      t.is(moved.body.field, 'list_id');
      t.regex(String(moved.body.message), /no such list/);
    }
    t.is((await ok(call('GET', `/tasks/${task.id}`, { token: bob.token }))).list_id, id, 'still in the shared list');
    // Undoing a move back into a list the mover has lost meanwhile is refused the same way.
    const bobs = (await ok(call('POST', '/lists', { token: bob.token, body: { name: 'Bob shares' } }), 201))
      .id as string;
    await ok(call('POST', `/lists/${bobs}/members`, { token: bob.token, body: { user_id: alice.id } }), 201);
    await ok(call('POST', `/invitations/${bobs}/accept`, { token: alice.token }));
    await ok(call('PATCH', `/tasks/${task.id}`, { token: bob.token, body: { list_id: bobs } }));
    const history = await ok(call('GET', `/tasks/${task.id}/history?limit=100`, { token: bob.token }));
    const move = (history.events as Json[]).findLast((e) => e.event_type === 'task.updated');
    await ok(call('DELETE', `/lists/${id}/members/${bob.id}`, { token: alice.token }), 204);
    const undo = await call('POST', `/tasks/${task.id}/undo`, { token: bob.token, body: { event_id: move?.event_id } });
    t.true([400, 409].includes(undo.status), JSON.stringify(undo.body));
    t.is(undo.body.field, 'list_id', JSON.stringify(undo.body));
  });

  test(`${database}: sharing with a user id never seen answers as for a known user`, async (t) => {
    const { app, call } = suite(database);
    const alice = person(app, 'alice');
    const known = person(app, 'known');
    await ok(call('GET', '/me', { token: known.token }));
    const list = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Trip' } }), 201);
    const ghost = `ghost-${randomUUID()}`;
    const a = await call('POST', `/lists/${list.id}/members`, { token: alice.token, body: { user_id: known.id } });
    const b = await call('POST', `/lists/${list.id}/members`, { token: alice.token, body: { user_id: ghost } });
    t.is(a.status, 201);
    t.is(b.status, a.status);
    const keys = (m: Json | undefined) => Object.keys(m ?? {}).sort();
    t.deepEqual(keys((b.body.members as Json[]).at(-1)), keys((a.body.members as Json[]).at(-1)));
    t.like((b.body.members as Json[]).at(-1), { user_id: ghost, role: 'editor', state: 'invited' });
    // The new user sees the invitation once they sign in.
    const invitations = await ok(call('GET', '/invitations', { token: app.token(ghost) }));
    t.like((invitations.invitations as Json[])[0], { list_id: list.id, invited_by: alice.id });
  });

  test(`${database}: a retried share with the same Idempotency-Key answers as the first and applies once; another body is 422`, async (t) => {
    const { app, call } = suite(database);
    const alice = person(app, 'alice');
    const bob = person(app, 'bob');
    const carol = person(app, 'carol');
    const list = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Party' } }), 201);
    const key = randomUUID();
    const send = (user: string) =>
      call('POST', `/lists/${list.id}/members`, {
        token: alice.token,
        body: { user_id: user },
        headers: { 'idempotency-key': key },
      });
    const first = await send(bob.id);
    t.is(first.status, 201);
    // Bob declines meanwhile: the retry still answers what the first call answered.
    await call('POST', `/invitations/${list.id}/decline`, { token: bob.token });
    const retry = await send(bob.id);
    t.is(retry.status, 201);
    t.deepEqual(retry.body, first.body);
    const shares = await app.app.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1 AND event_type = 'list.shared'",
      [list.id],
    );
    t.is(shares.rows[0]?.n, 1, 'the retry applied nothing');
    const other = await send(carol.id);
    t.is(other.status, 422);
    t.is(other.body.field, 'idempotency-key');
  });

  test(`${database}: a removed member retrying their accept with its Idempotency-Key gets 404, not the members as they were`, async (t) => {
    const { call, alice, bob, id } = await (async () => {
      const { app, call } = suite(database);
      const alice = person(app, 'alice');
      const bob = person(app, 'bob');
      for (const u of [alice, bob]) await ok(call('GET', '/me', { token: u.token }));
      const list = await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Party' } }), 201);
      await ok(call('POST', `/lists/${list.id}/members`, { token: alice.token, body: { user_id: bob.id } }), 201);
      return { call, alice, bob, id: list.id as string };
    })();
    const accept = () =>
      call('POST', `/invitations/${id}/accept`, { token: bob.token, headers: { 'idempotency-key': 'accept-1' } });
    const first = await accept();
    t.is(first.status, 200);
    const again = await accept();
    t.deepEqual([again.status, again.body], [first.status, first.body], 'a retry while a member: the first answer');
    t.is((await call('DELETE', `/lists/${id}/members/${bob.id}`, { token: alice.token })).status, 204);
    const after = await accept();
    t.is(after.status, 404);
    t.false(JSON.stringify(after.body).includes(alice.id), 'nothing of the list in the answer');
    // A leave retried after it applied answers as the first time (204: nothing about the list).
    await ok(call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: bob.id } }), 201);
    await ok(call('POST', `/invitations/${id}/accept`, { token: bob.token }));
    const leave = () =>
      call('DELETE', `/lists/${id}/members/${bob.id}`, { token: bob.token, headers: { 'idempotency-key': 'leave-1' } });
    t.is((await leave()).status, 204);
    t.is((await leave()).status, 204);
  });

  test(`${database}: a transfer makes the editor the owner and the owner an editor`, async (t) => {
    const { app, call, alice, bob, carol, id } = await sharedList(database);
    const moved = await ok(call('POST', `/lists/${id}/owner`, { token: alice.token, body: { user_id: bob.id } }));
    t.is(moved.owner_id, bob.id);
    t.deepEqual(
      (moved.members as Json[]).map((m) => [m.user_id, m.role]),
      [
        [bob.id, 'owner'],
        [alice.id, 'editor'],
      ],
    );
    const row = await app.app.db.query<{ user_id: string }>('SELECT user_id FROM lists WHERE id = $1', [id]);
    t.is(row.rows[0]?.user_id, bob.id);
    // The new owner shares; the old one may not any more.
    await ok(call('POST', `/lists/${id}/members`, { token: bob.token, body: { user_id: carol.id } }), 201);
    t.is((await call('POST', `/lists/${id}/members`, { token: alice.token, body: { user_id: carol.id } })).status, 403);
    for (const u of [alice.id, bob.id, carol.id]) await gapless(t, app, u);
  });
}
