// POST /tasks/{id}/undo against the real app on PGlite and on PostgreSQL, over real HTTP and WebSockets:
// an undone completion, delete and edit come back for every socket of the user as compensating events
// that name what they correct; refusals are 404/409/400 naming the reason; an Idempotency-Key retry
// answers as the first call; and replay from the events table still equals every row.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectSocket } from '../helpers/socket.ts';
import { eventually } from '../helpers/eventually.ts';
import { replayAtRest } from '../helpers/replay.ts';

type Body = Record<string, unknown>;
interface Reply {
  status: number;
  body: Body;
}

const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

for (const database of ['pglite', 'postgres'] as const) {
  let app: TestApp;
  test.before(async () => {
    app = await startTestApp({ database });
  });
  test.after.always(async () => {
    await app?.stop();
  });

  const call = async (
    token: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Body) : {} };
  };
  /** The task's events of one type, in version order. */
  const eventsOf = async (token: string, id: string, type: string): Promise<Body[]> =>
    ((await call(token, 'GET', `/tasks/${id}/history?limit=200`)).body.events as Body[]).filter(
      (e) => e.event_type === type,
    );

  test.serial(
    `${database}: deleting a repeating task deletes its open occurrences too (a done one stays); undoing the delete brings all back`,
    async (t) => {
      const token = app.token(`series-${randomUUID()}`);
      // A reminder two days before each occurrence needs the first two there at once: two open occurrences.
      const series = (
        await call(token, 'POST', '/tasks', {
          title: 'Stretch',
          due_date: future(1),
          recurrence_rule: 'FREQ=DAILY',
          reminders: [{ before: 'P2D' }],
        })
      ).body;
      const occurrences = async () =>
        ((await call(token, 'GET', '/tasks?limit=200')).body.tasks as Body[]).filter((x) => x.series_id === series.id);
      const spawned = await eventually(async () => ((await occurrences()).length >= 2 ? occurrences() : undefined), {
        what: 'two occurrences spawned',
        timeoutMs: 30_000,
      });
      const [done, ...open] = spawned as [Body, ...Body[]];
      t.is((await call(token, 'POST', `/tasks/${done.id}/complete`)).status, 200);

      t.is((await call(token, 'DELETE', `/tasks/${series.id}`)).status, 204);
      const left = await occurrences();
      t.deepEqual(
        left.map((x) => x.id),
        [done.id],
        'the open occurrences went with their series; the completed one is history and stays',
      );
      const [seriesDeleted] = await eventsOf(token, series.id as string, 'task.deleted');
      for (const o of open) {
        const [gone] = await eventsOf(token, o.id as string, 'task.deleted');
        t.like(gone, { data: { reason: 'series_deleted' }, causation_id: seriesDeleted?.event_id }, 'caused by it');
      }
      // What the delete left is history while the series is gone: neither reopened nor restored open.
      const [completed] = await eventsOf(token, done.id as string, 'task.completed');
      const [firstGone] = await eventsOf(token, (open[0]?.id ?? '') as string, 'task.deleted');
      for (const [what, reopen] of [
        ['uncompleting the done one', () => call(token, 'POST', `/tasks/${done.id}/uncomplete`)],
        [
          'undoing its completion',
          () => call(token, 'POST', `/tasks/${done.id}/undo`, { event_id: completed?.event_id }),
        ],
        [
          'undoing the delete of an open one',
          () => call(token, 'POST', `/tasks/${open[0]?.id}/undo`, { event_id: firstGone?.event_id }),
        ],
      ] as const) {
        const refused = await reopen();
        t.is(refused.status, 409, `${what}: ${JSON.stringify(refused.body)}`);
        t.is(refused.body.field, 'series_id', what);
      }
      t.deepEqual(
        (await occurrences()).map((x) => [x.id, x.completed]),
        [[done.id, true]],
        'nothing of the deleted series was reopened',
      );

      const undone = await call(token, 'POST', `/tasks/${series.id}/undo`, { event_id: seriesDeleted?.event_id });
      t.is(undone.status, 200, JSON.stringify(undone.body));
      const back = await occurrences();
      t.deepEqual(
        back.map((x) => x.id).sort(),
        spawned.map((x) => x.id).sort(),
        'the series and every occurrence its delete took are back',
      );
      t.true(back.filter((x) => x.id !== done.id).every((x) => x.completed === false));
      const reopened = await call(token, 'POST', `/tasks/${done.id}/uncomplete`);
      t.is(reopened.status, 200, 'with the series back, the done one can be reopened');
    },
  );

  test.serial(
    `${database}: an undone completion brings the task back for a second socket, reminders re-armed`,
    async (t) => {
      const user = `undo-${randomUUID()}`;
      const token = app.token(user);
      const other = await connectSocket(app.url, token);
      try {
        const task = (
          await call(token, 'POST', '/tasks', {
            title: 'Water plants',
            due_date: future(5),
            reminders: [{ before: 'PT1H' }],
          })
        ).body;
        const id = task.id as string;
        const done = await call(token, 'POST', `/tasks/${id}/complete`);
        t.is(done.body.completed, true);
        const completion = (await eventsOf(token, id, 'task.completed'))[0] as Body;
        const key = { 'idempotency-key': randomUUID() };
        const undone = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: completion.event_id }, key);
        t.is(undone.status, 200);
        t.like(undone.body, { completed: false, completed_at: null });
        t.deepEqual(
          (undone.body.reminders as Body[]).map((r) => r.status),
          ['pending'],
        );
        // The other socket sees the compensating events, each naming the completion it corrects.
        await eventually(
          () => other.messages.some((m) => m.type === 'task.uncompleted' && m.data.corrects === completion.event_id),
          { what: 'task.uncompleted with corrects on the second socket', timeoutMs: 10_000, intervalMs: 20 },
        );
        const corrections = other.messages.filter((m) => m.data.corrects === completion.event_id).map((m) => m.type);
        t.deepEqual(corrections, ['task.uncompleted', 'reminder.scheduled']);
        // A retry with the same key answers as the first call and writes nothing.
        const retry = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: completion.event_id }, key);
        t.is(retry.status, 200);
        t.is(retry.body.version, undone.body.version);
        // Without the key, a second undo is a conflict naming the correction.
        const again = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: completion.event_id });
        t.is(again.status, 409);
        t.regex(again.body.message as string, /already undone by event/);
        t.is((await eventsOf(token, id, 'task.uncompleted')).length, 1);
      } finally {
        await other.close();
      }
    },
  );

  test.serial(`${database}: an undone delete brings the task back, its reminder armed again`, async (t) => {
    const token = app.token(`undo-${randomUUID()}`);
    const list = (await call(token, 'POST', '/lists', { name: 'Garden' })).body.id as string;
    const id = (
      await call(token, 'POST', '/tasks', {
        title: 'Mow',
        list_id: list,
        due_date: future(3),
        reminders: [{ before: 'PT1H' }],
      })
    ).body.id as string;
    t.is((await call(token, 'DELETE', `/tasks/${id}`)).status, 204);
    t.is((await call(token, 'GET', `/tasks/${id}`)).status, 404);
    const deletion = (await eventsOf(token, id, 'task.deleted'))[0] as Body;
    const back = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: deletion.event_id });
    t.is(back.status, 200);
    const got = await call(token, 'GET', `/tasks/${id}`);
    t.is(got.status, 200);
    t.like(got.body, { title: 'Mow', list_id: list, deleted_at: null });
    t.deepEqual(
      (got.body.reminders as Body[]).map((r) => r.status),
      ['pending'],
    );
    const restored = (await eventsOf(token, id, 'task.restored'))[0] as Body;
    t.is((restored.data as Body).corrects, deletion.event_id);
  });

  test.serial(
    `${database}: an edit is undone unless a later change to the same field would be overwritten`,
    async (t) => {
      const token = app.token(`undo-${randomUUID()}`);
      const id = (await call(token, 'POST', '/tasks', { title: 'Draft', due_date: future(10) })).body.id as string;
      await call(token, 'PATCH', `/tasks/${id}`, { title: 'Draft v2', due_date: future(20) });
      const [edit] = await eventsOf(token, id, 'task.updated');
      await call(token, 'PATCH', `/tasks/${id}`, { title: 'Draft v3' });
      const refused = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: (edit as Body).event_id });
      t.is(refused.status, 409);
      t.regex(refused.body.message as string, /title was changed again since/);
      // The later title edit undone first, then the first edit can go too: title and due date both back.
      const [, second] = await eventsOf(token, id, 'task.updated');
      t.is(
        (await call(token, 'POST', `/tasks/${id}/undo`, { event_id: (second as Body).event_id })).body.title,
        'Draft v2',
      );
      const dueMove = (await eventsOf(token, id, 'task.due_date_changed'))[0] as Body;
      const back = await call(token, 'POST', `/tasks/${id}/undo`, { event_id: dueMove.event_id });
      t.is(back.status, 200);
      t.is(back.body.title, 'Draft');
    },
  );

  test.serial(
    `${database}: another user's or another task's event is 404; an event that cannot be undone is 400 naming event_id`,
    async (t) => {
      const ann = app.token(`undo-${randomUUID()}`);
      const bob = app.token(`undo-${randomUUID()}`);
      const a1 = (await call(ann, 'POST', '/tasks', { title: 'a1' })).body.id as string;
      const a2 = (await call(ann, 'POST', '/tasks', { title: 'a2' })).body.id as string;
      await call(ann, 'POST', `/tasks/${a1}/complete`);
      const completion = (await eventsOf(ann, a1, 'task.completed'))[0] as Body;
      t.is((await call(ann, 'POST', `/tasks/${a2}/undo`, { event_id: completion.event_id })).status, 404);
      t.is((await call(bob, 'POST', `/tasks/${a1}/undo`, { event_id: completion.event_id })).status, 404);
      const creation = (await eventsOf(ann, a1, 'task.created'))[0] as Body;
      const refused = await call(ann, 'POST', `/tasks/${a1}/undo`, { event_id: creation.event_id });
      t.is(refused.status, 400);
      t.is(refused.body.field, 'event_id');
      const malformed = await call(ann, 'POST', `/tasks/${a1}/undo`, { event_id: 'nope' });
      t.is(malformed.status, 400);
      t.regex(malformed.body.message as string, /event_id/);
    },
  );

  test.serial(
    `${database}: replay from the events table equals every row after undone completions, deletes and edits`,
    async (t) => {
      const report = await replayAtRest({ db: app.app.db, fromDb: true });
      t.true(report.tasks >= 5, `${report.tasks} tasks replayed`);
      t.deepEqual(report.mismatches, []);
      t.is(report.matched, report.tasks);
    },
  );
}
