// The read side of shared lists (issue 17), on PostgreSQL and PGlite, with memberships made through the
// sharing routes (share, accept, remove). A member sees the shared list's tasks in every listing and by id; a stranger and a removed member get
// 404 and see none of them; a member's stream (GET /events and the socket) holds their deliveries in
// seq order with no gap; and a user who shares nothing keeps today's index-ordered task pages.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, outboxDrained, type TestApp } from '../helpers/app.ts';
import { connectSocket } from '../helpers/socket.ts';
import { readMetric } from '../helpers/metrics.ts';
import { listTasksQuery } from '../../host/reads.ts';
import { TASK_FIELDS } from '../../host/tasks/rows.ts';
import type { TaskSort } from '../../api/ports.ts';

interface Api {
  status: number;
  body: Record<string, unknown>;
}

function client(app: TestApp) {
  return async (user: string, method: string, path: string, body?: unknown): Promise<Api> => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${app.token(user)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

type Task = { id: string; title: string; list_id: string };
const ids = (r: Api, key = 'tasks') => (r.body[key] as Task[]).map((t) => t.id).sort();
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

/** Makes `member` an active editor of `list` (owned by `owner`): the owner shares it, the member accepts. */
async function makeMember(api: ReturnType<typeof client>, list: string, owner: string, member: string): Promise<void> {
  const shared = await api(owner, 'POST', `/lists/${list}/members`, { user_id: member, role: 'editor' });
  if (shared.status !== 201) throw new Error(`share: ${shared.status} ${JSON.stringify(shared.body)}`);
  const accepted = await api(member, 'POST', `/invitations/${list}/accept`);
  if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
}

for (const database of ['pglite', 'postgres'] as const) {
  test(`${database}: a member sees a shared list's tasks everywhere; a stranger and a removed member get 404 and see none`, async (t) => {
    const app = await startTestApp({ database });
    const api = client(app);
    try {
      const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((u) => `${u}-${randomUUID()}`) as [
        string,
        string,
        string,
        string,
      ];
      for (const u of [alice, bob, carol, dave]) t.is((await api(u, 'GET', '/me')).status, 200);
      const list = (await api(alice, 'POST', '/lists', { name: 'Groceries' })).body as { id: string };
      const milk = (
        await api(alice, 'POST', '/tasks', {
          title: 'buy oat milk',
          list_id: list.id,
          due_date: tomorrow(),
          reminders: [{ before: 'PT1H' }],
        })
      ).body as unknown as Task;
      const eggs = (await api(alice, 'POST', '/tasks', { title: 'buy eggs', list_id: list.id }))
        .body as unknown as Task;
      const diary = (await api(alice, 'POST', '/tasks', { title: 'private diary', due_date: tomorrow() }))
        .body as unknown as Task;
      const own = (await api(bob, 'POST', '/tasks', { title: 'bob oat plan' })).body as unknown as Task;
      const shared = [milk.id, eggs.id].sort();
      await makeMember(api, list.id, alice, bob);
      await makeMember(api, list.id, alice, dave);

      // The member: every listing, by id, history.
      t.deepEqual(ids(await api(bob, 'GET', '/tasks')), [...shared, own.id].sort());
      t.deepEqual(ids(await api(bob, 'GET', `/tasks?list_id=${list.id}`)), shared);
      t.deepEqual(ids(await api(bob, 'GET', '/tasks?q=oat')), [milk.id, own.id].sort());
      t.deepEqual(ids(await api(bob, 'GET', '/tasks?sort=title&order=asc&limit=1')), [own.id], 'paged across both');
      const counts = (await api(bob, 'GET', '/views/counts')).body as { lists: Record<string, number> };
      t.is(counts.lists[list.id], 2);
      const upcoming = (await api(bob, 'GET', '/views/upcoming?days=3')).body as { days: { tasks: Task[] }[] };
      t.deepEqual(
        upcoming.days.flatMap((d) => d.tasks.map((x) => x.id)),
        [milk.id],
      );
      t.true(((await api(bob, 'GET', '/lists')).body.lists as { id: string }[]).some((l) => l.id === list.id));
      t.is((await api(bob, 'GET', `/tasks/${milk.id}`)).status, 200);
      t.deepEqual(
        ((await api(bob, 'GET', `/tasks/${milk.id}/history`)).body.events as unknown[]).length,
        0,
        'a history holds what reached the user: the task was made before the member joined',
      );
      t.is((await api(alice, 'PATCH', `/tasks/${milk.id}`, { priority: 2 })).status, 200);
      const history = await api(bob, 'GET', `/tasks/${milk.id}/history`);
      t.is(history.status, 200);
      t.deepEqual(
        (history.body.events as { event_type: string }[]).map((e) => e.event_type),
        ['task.updated'],
        "the member sees the task's history since he joined, and not the owner's reminder (reminders are private)",
      );
      // As it reached him: in his own stream (his user_id and seq, as GET /events gives it), saying who made it.
      const [edit] = history.body.events as { event_id: string; user_id: string; seq: number; actor_id: string }[];
      const synced = (
        (await api(bob, 'GET', '/events?after=0')).body.events as { event_id: string; seq: number }[]
      ).find((e) => e.event_id === edit?.event_id);
      t.like(edit, { user_id: bob, actor_id: alice, seq: synced?.seq });
      t.deepEqual(
        ((await api(alice, 'GET', `/tasks/${milk.id}/history`)).body.events as { event_type: string }[]).map(
          (e) => e.event_type,
        ),
        ['task.created', 'reminder.scheduled', 'task.updated'],
      );
      // The owner still sees their own tasks, and the member's tasks stay theirs.
      t.deepEqual(ids(await api(alice, 'GET', '/tasks')), [...shared, diary.id].sort());

      // The stranger: nothing in any listing, 404 by id.
      const none = async (user: string, what: string) => {
        for (const path of ['/tasks', `/tasks?list_id=${list.id}`, '/tasks?q=buy', '/tasks?sort=due'])
          t.deepEqual(ids(await api(user, 'GET', path)), [], `${what}: ${path}`);
        const c = (await api(user, 'GET', '/views/counts')).body as { lists: Record<string, number> };
        t.false(list.id in c.lists, `${what}: counts`);
        const u = (await api(user, 'GET', '/views/upcoming?days=3')).body as { days: { tasks: Task[] }[] };
        t.deepEqual(
          u.days.flatMap((d) => d.tasks),
          [],
          `${what}: upcoming`,
        );
        t.false(
          ((await api(user, 'GET', '/lists')).body.lists as { id: string }[]).some((l) => l.id === list.id),
          `${what}: lists`,
        );
        for (const id of [milk.id, eggs.id]) {
          t.is((await api(user, 'GET', `/tasks/${id}`)).status, 404, `${what}: GET ${id}`);
          t.is((await api(user, 'GET', `/tasks/${id}/history`)).status, 404, `${what}: history`);
          t.is((await api(user, 'GET', `/tasks/${id}/occurrences`)).status, 404, `${what}: occurrences`);
          t.is((await api(user, 'PATCH', `/tasks/${id}`, { title: 'x' })).status, 404, `${what}: PATCH`);
          t.is((await api(user, 'POST', `/tasks/${id}/complete`, {})).status, 404, `${what}: complete`);
          t.is((await api(user, 'DELETE', `/tasks/${id}`)).status, 404, `${what}: DELETE`);
        }
      };
      await none(carol, 'stranger');
      t.is(
        (await api(bob, 'GET', `/tasks/${diary.id}`)).status,
        404,
        "the member does not see the owner's private task",
      );

      // The removed member: 404 from the next request on.
      t.is((await api(dave, 'GET', `/tasks/${eggs.id}`)).status, 200);
      t.is((await api(alice, 'DELETE', `/lists/${list.id}/members/${dave}`)).status, 204);
      await none(dave, 'removed');
      t.deepEqual(ids(await api(alice, 'GET', '/tasks')), [...shared, diary.id].sort(), 'the owner is unaffected');
    } finally {
      await app.stop();
    }
  });

  test(`${database}: a member's stream holds their deliveries in seq order without gaps, on GET /events and on the socket`, async (t) => {
    const app = await startTestApp({ database });
    const api = client(app);
    try {
      const alice = `alice-${randomUUID()}`;
      const bob = `bob-${randomUUID()}`;
      const list = (await api(alice, 'POST', '/lists', { name: 'Groceries' })).body as { id: string };
      const aliceSocket = await connectSocket(app.url, app.token(alice));
      const bobSocket = await connectSocket(app.url, app.token(bob));
      try {
        await api(bob, 'POST', '/tasks', { title: 'bob first' }); // bob's seq 1
        await makeMember(api, list.id, alice, bob); // bob's 2: list.shared (alice's, delivered); 3: his acceptance
        const milk = (await api(alice, 'POST', '/tasks', { title: 'milk', list_id: list.id })).body as unknown as Task;
        await api(alice, 'POST', `/tasks/${milk.id}/complete`, {}); // bob's 4 and 5: alice's, delivered
        const aliceEvents = (
          await app.app.db.query<{ event_id: string }>(
            `SELECT event_id::text AS event_id FROM events WHERE aggregate_id = $1 ORDER BY version`,
            [milk.id],
          )
        ).rows.map((r) => r.event_id);
        t.is(aliceEvents.length, 2);
        await api(bob, 'POST', '/tasks', { title: 'bob after' }); // bob's seq 6

        const read = (await api(bob, 'GET', '/events?after=0')).body as {
          events: { seq: number; user_id: string; event_id: string; event_type: string; aggregate_id: string }[];
          last_seq: number;
        };
        t.deepEqual(
          read.events.map((e) => [e.seq, e.event_type]),
          [
            [1, 'task.created'],
            [2, 'list.shared'],
            [3, 'list.invitation_accepted'],
            [4, 'task.created'],
            [5, 'task.completed'],
            [6, 'task.created'],
          ],
        );
        t.is(read.last_seq, 6);
        t.true(read.events.every((e) => e.user_id === bob));
        t.deepEqual(
          read.events.slice(3, 5).map((e) => [e.event_id, e.aggregate_id]),
          [
            [aliceEvents[0], milk.id],
            [aliceEvents[1], milk.id],
          ],
        );
        t.deepEqual(
          ((await api(bob, 'GET', '/events?after=4')).body.events as { seq: number }[]).map((e) => e.seq),
          [5, 6],
        );
        // Alice's own stream is gapless too, with bob's acceptance delivered to her.
        const aliceRead = (await api(alice, 'GET', '/events?after=0')).body as {
          events: { seq: number; event_type: string }[];
        };
        t.deepEqual(
          aliceRead.events.map((e) => e.seq),
          aliceRead.events.map((_, i) => i + 1),
        );
        t.true(aliceRead.events.some((e) => e.event_type === 'list.invitation_accepted'));

        // The relay publishes the copies, keyed by bob, and the hub hands them to bob's socket, in order.
        await bobSocket.waitFor(6);
        t.deepEqual(
          bobSocket.messages.map((m) => [m.seq, m.user_id]),
          [1, 2, 3, 4, 5, 6].map((seq) => [seq, bob]),
        );
        t.deepEqual(
          bobSocket.messages.slice(3, 5).map((m) => m.event_id),
          aliceEvents,
        );
        await outboxDrained(app);
        t.false(
          aliceSocket.messages.some((m) => m.user_id !== alice),
          "no copy of bob's reached alice's socket",
        );

        // Defence in depth: a message for bob's sockets that is not bob's is dropped and counted.
        t.is(await readMetric(app.url, 'tasklane_realtime_misrouted_total'), 0);
        await app.app.server.publish('/events', { ...bobSocket.messages[3], user_id: alice, seq: 99 }, { user: bob });
        await api(bob, 'POST', '/tasks', { title: 'bob marker' }); // seq 7, after the stray one on the same path
        await bobSocket.waitFor(7);
        t.deepEqual(
          bobSocket.messages.map((m) => m.seq),
          [1, 2, 3, 4, 5, 6, 7],
        );
        t.is(await readMetric(app.url, 'tasklane_realtime_misrouted_total'), 1);

        // The admin audit names who received each event.
        const admin = (await fetch(`${app.url}/admin/events?aggregate_id=${milk.id}`, {
          headers: { authorization: `Bearer ${app.token('root', { admin: true })}` },
        }).then((r) => r.json())) as { events: { event_id: string; recipients: string[]; actor_id: string | null }[] };
        t.deepEqual(
          admin.events.map((e) => [e.event_id, e.recipients]),
          aliceEvents.map((id) => [id, [alice, bob]]),
        );
        // One of bob's edits: stored in bob's stream, issued by bob, scoped to the list.
        const patched = await api(bob, 'PATCH', `/tasks/${milk.id}`, { title: 'oat milk' });
        t.is(patched.status, 200, JSON.stringify(patched.body));
        const edit = (
          await app.app.db.query<{ event_id: string }>(
            `SELECT event_id::text AS event_id FROM events WHERE aggregate_id = $1 AND version = 3`,
            [milk.id],
          )
        ).rows[0]?.event_id;
        const audit = async (query: string) =>
          (
            (await fetch(`${app.url}/admin/events?${query}`, {
              headers: { authorization: `Bearer ${app.token('root', { admin: true })}` },
            }).then((r) => r.json())) as {
              events: { event_id: string; actor_id: string | null; lists: string[] | null }[];
            }
          ).events;
        t.deepEqual(
          (await audit(`actor=${bob}&aggregate_id=${milk.id}`)).map((e) => [e.event_id, e.actor_id, e.lists]),
          [[edit, bob, [list.id]]],
        );
        t.deepEqual(
          (await audit(`list=${list.id}`)).map((e) => e.event_id),
          [
            ...(
              await app.app.db.query<{ event_id: string }>(
                `SELECT event_id::text AS event_id FROM events WHERE aggregate_id = $1 AND event_type <> 'list.created'
                  ORDER BY version`,
                [list.id],
              )
            ).rows.map((r) => r.event_id),
            ...aliceEvents,
            edit,
          ],
          "the list's events since it was shared: the share, the acceptance, and its task's",
        );
        t.deepEqual(
          (await audit(`user=${bob}&aggregate_id=${milk.id}`)).map((e) => e.event_id),
          [...aliceEvents, edit],
          "bob's stream: alice's events delivered to him and his own",
        );
        t.deepEqual(
          (await audit(`user=${alice}&aggregate_id=${milk.id}`)).map((e) => e.event_id),
          [...aliceEvents, edit],
          "alice's stream: her own events and bob's edit delivered to her",
        );
        // Bob's edit of alice's task is alice's task still: hers by id and in her listing, with his title.
        const seen = await api(alice, 'GET', `/tasks/${milk.id}`);
        t.like(seen.body, { title: 'oat milk', version: 3 });
      } finally {
        await Promise.all([aliceSocket.close(), bobSocket.close()]);
      }
    } finally {
      await app.stop();
    }
  });

  test(`${database}: GET /lists says who is in a list now (member_count, invited_count) through invitations, answers and removals; shared stays once shared`, async (t) => {
    const app = await startTestApp({ database });
    const api = client(app);
    try {
      const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => `${u}-${randomUUID()}`) as [
        string,
        string,
        string,
      ];
      for (const u of [alice, bob, carol]) t.is((await api(u, 'GET', '/me')).status, 200);
      const list = (await api(alice, 'POST', '/lists', { name: 'Trip' })).body as { id: string };
      const seen = async (u: string) =>
        ((await api(u, 'GET', '/lists')).body.lists as Record<string, unknown>[]).find((l) => l.id === list.id);
      const counts = async (u = alice) => {
        const l = await seen(u);
        return l && [l.shared, l.member_count, l.invited_count];
      };
      t.like(list, { shared: false, member_count: 1, invited_count: 0 }, 'a new list: the owner alone');
      t.deepEqual(await counts(), [false, 1, 0]);
      for (const u of [bob, carol])
        t.is((await api(alice, 'POST', `/lists/${list.id}/members`, { user_id: u, role: 'editor' })).status, 201);
      t.deepEqual(await counts(), [true, 1, 2], 'two invitations out');
      t.is((await api(bob, 'POST', `/invitations/${list.id}/accept`)).status, 200);
      t.deepEqual(await counts(), [true, 2, 1], 'bob joined');
      t.deepEqual(await counts(bob), [true, 2, 1], 'bob sees the same counts');
      t.is((await api(carol, 'POST', `/invitations/${list.id}/decline`)).status, 204);
      t.deepEqual(await counts(), [true, 2, 0], 'carol declined');
      t.is((await api(alice, 'DELETE', `/lists/${list.id}/members/${bob}`)).status, 204);
      t.deepEqual(await counts(), [true, 1, 0], 'bob removed: nobody else is in it, though it was shared');
      t.like((await api(alice, 'GET', `/lists/${list.id}`)).body, { shared: true, member_count: 1, invited_count: 0 });
    } finally {
      await app.stop();
    }
  });

  test(`${database}: deleting a list reaches those still invited to it, on GET /events and the socket, and ends their invitation; who declined hears nothing`, async (t) => {
    const app = await startTestApp({ database });
    const api = client(app);
    try {
      const [alice, carol, erin] = ['alice', 'carol', 'erin'].map((u) => `${u}-${randomUUID()}`) as [
        string,
        string,
        string,
      ];
      for (const u of [alice, carol, erin]) t.is((await api(u, 'GET', '/me')).status, 200);
      const list = (await api(alice, 'POST', '/lists', { name: 'Trip' })).body as { id: string };
      for (const u of [carol, erin])
        t.is((await api(alice, 'POST', `/lists/${list.id}/members`, { user_id: u, role: 'editor' })).status, 201);
      t.is((await api(erin, 'POST', `/invitations/${list.id}/decline`)).status, 204);
      const invitations = async (u: string) =>
        ((await api(u, 'GET', '/invitations')).body.invitations as { list_id: string }[]).map((i) => i.list_id);
      t.deepEqual(await invitations(carol), [list.id]);
      // Her invitation has gone out before she connects: the socket then carries only what comes after.
      await outboxDrained(app);
      const carolSocket = await connectSocket(app.url, app.token(carol));
      try {
        t.is((await api(alice, 'DELETE', `/lists/${list.id}`)).status, 204);
        type Row = { seq: number; event_type: string; aggregate_id: string };
        const stream = async (u: string) => (await api(u, 'GET', '/events?after=0')).body.events as Row[];
        const carolRows = await stream(carol);
        t.deepEqual(
          carolRows.map((e) => [e.seq, e.event_type, e.aggregate_id]),
          [
            [1, 'list.shared', list.id],
            [2, 'list.deleted', list.id],
          ],
          "carol's stream: her invitation, then the deletion that ended it",
        );
        await carolSocket.waitFor(1);
        t.deepEqual(
          carolSocket.messages.map((m) => [m.seq, m.type]),
          [[2, 'list.deleted']],
          'the deletion on her socket, which she opened after the invitation',
        );
        t.deepEqual(await invitations(carol), [], 'the invitation is gone');
        t.is((await api(carol, 'POST', `/invitations/${list.id}/accept`)).status, 404);
        t.deepEqual(
          (await stream(erin)).map((e) => e.event_type),
          ['list.shared', 'list.invitation_declined'],
          'erin declined: the list is nothing of hers any more',
        );
      } finally {
        await carolSocket.close();
      }
    } finally {
      await app.stop();
    }
  });

  test(`${database}: a page of 5,000 tasks reads no more rows than before shared lists, and about a page once the user shares a list`, async (t) => {
    const app = await startTestApp({ database });
    const api = client(app);
    try {
      const user = `perf-${randomUUID()}`;
      const seed = (await api(user, 'POST', '/tasks', { title: 'seed', due_date: tomorrow(), priority: 2 }))
        .body as unknown as Task;
      const fields = TASK_FIELDS as readonly string[];
      const value = (f: string) =>
        f === 'title'
          ? `title || ' ' || g`
          : f === 'created_at' || f === 'due_date'
            ? `${f} - g * interval '1 minute'`
            : f === 'priority'
              ? '1 + g % 4'
              : f;
      await app.app.db.query(
        `INSERT INTO tasks (id, user_id, ${fields.join(', ')})
         SELECT gen_random_uuid(), user_id, ${fields.map(value).join(', ')} FROM tasks, generate_series(1, 4999) g WHERE id = $1`,
        [seed.id],
      );
      // Everyone else: 300 lists of another user, 10 tasks each, so the statistics look like a server's
      // (many lists, a few tasks each) and not like one user's database.
      const crowd = `crowd-${randomUUID()}`;
      t.is((await api(crowd, 'GET', '/me')).status, 200);
      await app.app.db.query(
        `INSERT INTO lists (id, user_id, name, color, position, inbox, version, created_at, updated_at)
         SELECT gen_random_uuid(), $1, 'list ' || g, NULL, g, false, 1, now(), now() FROM generate_series(1, 300) g`,
        [crowd],
      );
      const crowdValue = (f: string) => (f === 'list_id' ? 'l.id' : f === 'title' ? `t.title || ' ' || g` : `t.${f}`);
      await app.app.db.query(
        `INSERT INTO tasks (id, user_id, ${fields.join(', ')})
         SELECT gen_random_uuid(), l.user_id, ${fields.map(crowdValue).join(', ')}
           FROM tasks t, lists l, generate_series(1, 10) g WHERE t.id = $1 AND l.user_id = $2`,
        [seed.id, crowd],
      );
      await app.app.db.query('ANALYZE');
      const rowsRead = async (text: string, params: unknown[]) => {
        const plan = await app.app.db.query<{ 'QUERY PLAN': unknown }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
          params,
        );
        const raw = plan.rows[0]?.['QUERY PLAN'];
        const root = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
        return tasksRead((root[0] as { Plan: PlanNode }).Plan);
      };
      for (const sort of Object.keys(BEFORE) as TaskSort[])
        for (const order of ['asc', 'desc'] as const) {
          const query = listTasksQuery(user, { sort, order, limit: 50 });
          const read = await rowsRead(query.text, query.params);
          // The query before shared lists: the user's tasks on the sort's index, in the same order.
          const before = await rowsRead(
            `SELECT id FROM tasks WHERE user_id = $1 AND deleted_at IS NULL ORDER BY ${BEFORE[sort](order)} LIMIT 51`,
            [user],
          );
          t.true(read <= before + 5, `${sort} ${order}: read ${read} tasks rows for a page of 50, before ${before}`);
          // The default page (created, newest first) and due dates ascending come from an index in order.
          if ((sort === 'created' && order === 'desc') || (sort === 'due' && order === 'asc'))
            t.true(read <= 60, `${sort} ${order}: read ${read} tasks rows for a page of 50`);
        }
      t.is((((await api(user, 'GET', '/tasks?limit=50')).body.tasks as Task[]) ?? []).length, 50);

      // Once users share, a page still reads about a page: the other members' tasks through their lists,
      // never everyone's tasks. Here a friend's small list is shared with the user of the 5,000 tasks.
      const friend = `friend-${randomUUID()}`;
      const small = (await api(friend, 'POST', '/lists', { name: 'Small' })).body as { id: string };
      for (const title of ['one', 'two', 'three'])
        t.is((await api(friend, 'POST', '/tasks', { title, list_id: small.id })).status, 201);
      await makeMember(api, small.id, friend, user);
      await app.app.db.query('ANALYZE');
      for (const [who, page] of [
        [user, 50],
        [friend, 3],
      ] as const)
        for (const sort of ['created', 'due', 'title'] as TaskSort[]) {
          const query = listTasksQuery(who, { sort, order: sort === 'created' ? 'desc' : 'asc', limit: 50 });
          const read = await rowsRead(query.text, query.params);
          if (read > 200) {
            const plan = await app.app.db.query(`EXPLAIN ANALYZE ${query.text}`, query.params);
            t.log(plan.rows.map((r) => Object.values(r)[0]).join('\n'));
          }
          t.true(
            read <= 200,
            `sharing, ${who.split('-')[0]} by ${sort}: read ${read} tasks rows for a page of ${page}`,
          );
          const rows = await app.app.db.query(query.text, query.params);
          t.is(rows.rows.length, who === user ? 51 : 3);
        }
    } finally {
      await app.stop();
    }
  });
}

/** ORDER BY of GET /tasks per sort as it was before shared lists (host/reads.ts SORTS). */
const BEFORE: Record<TaskSort, (order: 'asc' | 'desc') => string> = {
  due: (o) => `due_date ${o} NULLS LAST, id ${o}`,
  priority: (o) =>
    `priority ${o}, COALESCE(CASE WHEN is_recurring THEN next_occurrence ELSE due_date END, 'infinity'::timestamptz) ${o}, id ${o}`,
  created: (o) => `created_at ${o}, id ${o}`,
  title: (o) => `lower(title) COLLATE "C" ${o}, id ${o}`,
  completed: (o) => `completed_at ${o} NULLS LAST, id ${o}`,
};

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** The tasks rows a plan read: every scan of tasks, its rows out and those its filter removed, over all loops. */
function tasksRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'tasks'
      ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1)
      : 0;
  return own + (node.Plans ?? []).reduce((n, p) => n + tasksRead(p), 0);
}
