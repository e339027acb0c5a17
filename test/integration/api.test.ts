// The REST API's contracts against the real app on embedded PGlite, through hapi's server.inject (the
// wire is not the point here: test/integration/api-malformed.test.ts and socket.test.ts keep real HTTP
// and WebSockets): every route, user isolation, malformed input, and token checks.
import test from 'ava';
import { randomUUID, createHmac } from 'node:crypto';
import { loadConfig } from '../../host/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector, type Call } from '../helpers/inject.ts';
import { replayAtRest } from '../helpers/replay.ts';

let t0: TestApp;
let call: Call;
test.before(async () => {
  // AUTH_DEV=false: the embedded shape's default dev sign-in off, as outside that shape.
  t0 = await startTestApp({ database: 'pglite', env: { AUTH_DEV: 'false' } });
  call = injector(t0.app.server);
});
test.after.always(async () => {
  await t0?.stop();
});

const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

test('a task goes through its whole life over the API, with history carrying from/to and the correlation id', async (t) => {
  const alice = t0.token(`alice-${randomUUID()}`);
  const correlation = randomUUID();
  const created = await call('POST', '/tasks', {
    token: alice,
    body: { title: 'Write report', due_date: future(48), reminders: [{ before: 'PT1H' }] },
    headers: { 'x-correlation-id': correlation },
  });
  t.is(created.status, 201);
  t.is(created.headers.get('x-correlation-id'), correlation);
  const id = created.body.id as string;
  t.is(created.headers.get('location'), `/tasks/${id}`);
  t.is((created.body.reminders as unknown[]).length, 1);

  const got = await call('GET', `/tasks/${id}`, { token: alice });
  t.is(got.status, 200);
  t.is(got.body.title, 'Write report');
  t.is(got.headers.get('etag'), '"2"');

  const patched = await call('PATCH', `/tasks/${id}`, {
    token: alice,
    body: { title: 'Write the report', description: 'Q3' },
    headers: { 'if-match': '2' },
  });
  t.is(patched.status, 200);
  t.is(patched.body.version, 3);
  const stale = await call('PATCH', `/tasks/${id}`, {
    token: alice,
    body: { title: 'stale' },
    headers: { 'if-match': '2' },
  });
  t.is(stale.status, 412);
  t.regex(stale.body.message as string, /version mismatch/);

  t.is((await call('POST', `/tasks/${id}/complete`, { token: alice })).body.completed, true);
  const undone = await call('POST', `/tasks/${id}/uncomplete`, { token: alice });
  t.is(undone.body.completed, false);
  t.deepEqual(
    (undone.body.reminders as { status: string }[]).map((r) => r.status),
    ['pending'],
    "the completion's cancelled reminder is back",
  );

  const history = await call('GET', `/tasks/${id}/history`, { token: alice });
  const events = history.body.events as {
    event_type: string;
    version: number;
    correlation_id: string;
    data: Record<string, unknown>;
  }[];
  t.deepEqual(
    events.map((e) => e.event_type),
    [
      'task.created',
      'reminder.scheduled',
      'task.updated',
      'task.completed',
      'reminder.cancelled',
      'task.uncompleted',
      'reminder.scheduled',
    ],
  );
  t.deepEqual(
    events.map((e) => e.version),
    [1, 2, 3, 4, 5, 6, 7],
  );
  t.deepEqual(events[2]?.data.changes, {
    title: { from: 'Write report', to: 'Write the report' },
    description: { from: null, to: 'Q3' },
  });
  t.is(events[0]?.correlation_id, correlation);

  t.is((await call('DELETE', `/tasks/${id}`, { token: alice })).status, 204);
  t.is((await call('GET', `/tasks/${id}`, { token: alice })).status, 404);
  t.is((await call('PATCH', `/tasks/${id}`, { token: alice, body: { title: 'x' } })).status, 404);
  t.is((await call('GET', `/tasks/${id}/history`, { token: alice })).status, 200, 'a deleted task keeps its history');
});

test('If-Match: a version as sent in the ETag ("3"), or * (RFC 9110: any current version), and only those', async (t) => {
  const token = t0.token(`ifm-${randomUUID()}`);
  const task = await call('POST', '/tasks', { token, body: { title: 'Pack' } });
  const id = task.body.id as string;
  const any = await call('PATCH', `/tasks/${id}`, { token, body: { priority: 2 }, headers: { 'if-match': '*' } });
  t.is(any.status, 200);
  const etag = any.headers.get('etag') ?? '';
  const quoted = await call('PATCH', `/tasks/${id}`, { token, body: { priority: 3 }, headers: { 'if-match': etag } });
  t.is(quoted.status, 200);
  const stale = await call('PATCH', `/tasks/${id}`, { token, body: { priority: 1 }, headers: { 'if-match': etag } });
  t.is(stale.status, 412);
  // A task's own routes (its reminders, undo) compare it with the task's version too.
  const current = (await call('GET', `/tasks/${id}`, { token })).headers.get('etag') ?? '';
  const reminded = await call('POST', `/tasks/${id}/reminders`, {
    token,
    body: { at: new Date(Date.now() + 3_600_000).toISOString() },
    headers: { 'if-match': current },
  });
  t.is(reminded.status, 201, reminded.text);
  const late = await call('POST', `/tasks/${id}/reminders`, {
    token,
    body: { at: new Date(Date.now() + 7_200_000).toISOString() },
    headers: { 'if-match': current },
  });
  t.is(late.status, 412, 'the version moved with the reminder added');
  const history = (await call('GET', `/tasks/${id}/history`, { token })).body.events as {
    event_type: string;
    event_id: string;
  }[];
  const added = history.findLast((e) => e.event_type === 'reminder.scheduled');
  const undoStale = await call('POST', `/tasks/${id}/undo`, {
    token,
    body: { event_id: added?.event_id },
    headers: { 'if-match': current },
  });
  t.is(undoStale.status, 412, undoStale.text);
  const now = (await call('GET', `/tasks/${id}`, { token })).headers.get('etag') ?? '';
  const undone = await call('POST', `/tasks/${id}/undo`, {
    token,
    body: { event_id: added?.event_id },
    headers: { 'if-match': now },
  });
  t.is(undone.status, 200, undone.text);
});

test('reminders: add, snooze, remove; a past reminder is refused naming the field', async (t) => {
  const token = t0.token(`rem-${randomUUID()}`);
  const task = await call('POST', '/tasks', { token, body: { title: 'Dentist', due_date: future(24) } });
  const id = task.body.id as string;
  const added = await call('POST', `/tasks/${id}/reminders`, { token, body: { before: 'PT30M' } });
  t.is(added.status, 201);
  t.is(added.body.status, 'pending');
  t.is(added.body.offset, 'PT30M');
  const rid = added.body.id as string;
  // Snooze postpones a fired reminder; this one has not fired (test/integration/time-reports.test.ts snoozes a fired one).
  const snoozed = await call('POST', `/tasks/${id}/reminders/${rid}/snooze`, { token, body: { for: 'PT10M' } });
  t.is(snoozed.status, 409);
  t.regex(snoozed.body.message as string, /pending/);
  const past = await call('POST', `/tasks/${id}/reminders`, {
    token,
    body: { at: new Date(Date.now() - 60_000).toISOString() },
  });
  t.is(past.status, 400);
  t.regex(past.body.message as string, /^at: .* already in the past/);
  // Whether joi or the decider refuses a value, the field is named as the request body names it: here
  // the body is the reminder (`at`); in a create, the reminder inside its list (`reminders[0].at`).
  const fields = async (path: string, body: unknown) => {
    const res = await call('POST', path, { token, body });
    t.is(res.status, 400, JSON.stringify(res.body));
    return res.body.field;
  };
  const pastAt = new Date(Date.now() - 60_000).toISOString();
  t.deepEqual(
    [
      await fields(`/tasks/${id}/reminders`, { at: 'not a time' }),
      await fields(`/tasks/${id}/reminders`, { at: pastAt }),
      await fields(`/tasks/${id}/reminders`, { before: 'an hour' }),
      await fields(`/tasks/${id}/reminders`, { before: 'P30D' }),
      await fields('/tasks', { title: 'x', due_date: future(24), reminders: [{ at: 'not a time' }] }),
      await fields('/tasks', { title: 'x', due_date: future(24), reminders: [{ at: pastAt }] }),
    ],
    ['at', 'at', 'before', 'before', 'reminders[0].at', 'reminders[0].at'],
  );
  t.is((await call('DELETE', `/tasks/${id}/reminders/${rid}`, { token })).status, 204);
  t.is((await call('DELETE', `/tasks/${id}/reminders/${rid}`, { token })).status, 404);
  const reminders = (await call('GET', `/tasks/${id}`, { token })).body.reminders as { status: string }[];
  t.deepEqual(
    reminders.map((r) => r.status),
    ['cancelled'],
  );
});

test('list: filters and cursor paging', async (t) => {
  const token = t0.token(`list-${randomUUID()}`);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      (
        await call('POST', '/tasks', {
          token,
          body: { title: `task ${i} ${i % 2 ? 'odd' : 'even'}`, due_date: future(i + 1) },
        })
      ).body.id as string,
    );
  await call('POST', `/tasks/${ids[0]}/complete`, { token });
  const page1 = await call('GET', '/tasks?limit=2', { token });
  t.deepEqual(
    (page1.body.tasks as { id: string }[]).map((x) => x.id),
    [ids[4], ids[3]],
  );
  const page2 = await call('GET', `/tasks?limit=2&cursor=${page1.body.next_cursor as string}`, { token });
  t.deepEqual(
    (page2.body.tasks as { id: string }[]).map((x) => x.id),
    [ids[2], ids[1]],
  );
  const page3 = await call('GET', `/tasks?limit=2&cursor=${page2.body.next_cursor as string}`, { token });
  t.deepEqual(
    (page3.body.tasks as { id: string }[]).map((x) => x.id),
    [ids[0]],
  );
  t.is(page3.body.next_cursor, null);
  t.deepEqual(
    ((await call('GET', '/tasks?completed=true', { token })).body.tasks as { id: string }[]).map((x) => x.id),
    [ids[0]],
  );
  t.is(((await call('GET', '/tasks?q=odd', { token })).body.tasks as unknown[]).length, 2);
  t.is(
    ((await call('GET', `/tasks?due_before=${encodeURIComponent(future(2.5))}`, { token })).body.tasks as unknown[])
      .length,
    2,
  );
  t.is(
    ((await call('GET', `/tasks?due_after=${encodeURIComponent(future(2.5))}`, { token })).body.tasks as unknown[])
      .length,
    3,
  );
});

test("recurrence: preview, a series' occurrences, and /me time zone changes that move the next occurrence", async (t) => {
  const user = `tz-${randomUUID()}`;
  const token = t0.token(user);
  const preview = await call('POST', '/recurrence/preview', {
    token,
    body: { rule: 'FREQ=DAILY;COUNT=3', start: '2026-03-28T09:00', timezone: 'Europe/Berlin' },
  });
  t.deepEqual(preview.body.occurrences, [
    '2026-03-28T08:00:00.000Z',
    '2026-03-29T07:00:00.000Z',
    '2026-03-30T07:00:00.000Z',
  ]);
  const bad = await call('POST', '/recurrence/preview', {
    token,
    body: { rule: 'FREQ=DAILY;BYSETPOS=1', start: '2026-03-28T09:00', timezone: 'Europe/Berlin' },
  });
  t.is(bad.status, 400);
  t.regex(bad.body.message as string, /^rule: .*BYSETPOS/);
  // A start written in another zone (RFC 9557 suffix) is previewed as saving it as a series' due date makes it:
  // 09:00 in New York (already on summer time) is 14:00 in Berlin, and the series recurs at 14:00 Berlin time,
  // over Berlin's own change on the 29th.
  const written = await call('POST', '/recurrence/preview', {
    token,
    body: { rule: 'FREQ=DAILY;COUNT=3', start: '2026-03-28T09:00[America/New_York]', timezone: 'Europe/Berlin' },
  });
  t.deepEqual(written.body.occurrences, [
    '2026-03-28T13:00:00.000Z',
    '2026-03-29T12:00:00.000Z',
    '2026-03-30T12:00:00.000Z',
  ]);
  // A start named on the second pass of New York's repeated 01:30 (EST, 06:30Z) is previewed from there, as a
  // series saved with that due date starts; the wall time alone is the first pass (EDT, 05:30Z).
  for (const [start, first] of [
    ['2027-11-07T01:30:00-05:00', '2027-11-07T06:30:00.000Z'],
    ['2027-11-07T01:30', '2027-11-07T05:30:00.000Z'],
  ] as const) {
    const fold = await call('POST', '/recurrence/preview', {
      token,
      body: { rule: 'FREQ=DAILY;COUNT=2', start, timezone: 'America/New_York' },
    });
    t.deepEqual(fold.body.occurrences, [first, '2027-11-08T06:30:00.000Z'], start);
  }

  t.is((await call('PATCH', '/me', { token, body: { timezone: 'Europe/Berlin' } })).body.timezone, 'Europe/Berlin');
  const series = await call('POST', '/tasks', {
    token,
    body: { title: 'Gym', due_date: '2030-01-07T07:00', recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO' },
  });
  t.is(series.body.next_occurrence, '2030-01-07T06:00:00.000Z');
  const occ = await call('GET', `/tasks/${series.body.id as string}/occurrences?limit=3`, { token });
  t.deepEqual(occ.body.occurrences, [
    '2030-01-07T06:00:00.000Z',
    '2030-01-14T06:00:00.000Z',
    '2030-01-21T06:00:00.000Z',
  ]);
  const me = await call('PATCH', '/me', { token, body: { timezone: 'America/New_York' } });
  t.is(me.body.timezone, 'America/New_York');
  const moved = await call('GET', `/tasks/${series.body.id as string}`, { token });
  t.is(moved.body.next_occurrence, '2030-01-07T12:00:00.000Z', '07:00 in New York');
  const history = (await call('GET', `/tasks/${series.body.id as string}/history`, { token })).body.events as {
    event_type: string;
  }[];
  t.is(history.at(-1)?.event_type, 'recurring.rescheduled');
  t.is((await call('GET', '/me', { token })).body.timezone, 'America/New_York');
});

test("GET /events returns the caller's events after a seq, in order, with no gap", async (t) => {
  const token = t0.token(`ev-${randomUUID()}`);
  const id = (await call('POST', '/tasks', { token, body: { title: 'e1' } })).body.id as string;
  for (let i = 0; i < 4; i++) await call('PATCH', `/tasks/${id}`, { token, body: { title: `e${i + 2}` } });
  const all = await call('GET', '/events?after=0', { token });
  t.deepEqual(
    (all.body.events as { seq: number }[]).map((e) => e.seq),
    [1, 2, 3, 4, 5],
  );
  const after = await call('GET', '/events?after=3&limit=1', { token });
  t.deepEqual(
    (after.body.events as { seq: number; type: string }[]).map((e) => [e.seq, e.type]),
    [[4, 'task.updated']],
  );
  t.is(after.body.has_more, true);
  t.is(after.body.last_seq, 5);
});

test("isolation: another user's task is a 404 on every route, and their events are invisible", async (t) => {
  const owner = t0.token(`owner-${randomUUID()}`);
  const other = t0.token(`other-${randomUUID()}`);
  const id = (
    await call('POST', '/tasks', {
      token: owner,
      body: { title: 'private', due_date: future(5), recurrence_rule: null },
    })
  ).body.id as string;
  const rid = (await call('POST', `/tasks/${id}/reminders`, { token: owner, body: { before: 'PT1H' } })).body
    .id as string;
  const attempts: [string, string, unknown?][] = [
    ['GET', `/tasks/${id}`],
    ['PATCH', `/tasks/${id}`, { title: 'mine now' }],
    ['POST', `/tasks/${id}/complete`],
    ['POST', `/tasks/${id}/uncomplete`],
    ['DELETE', `/tasks/${id}`],
    ['POST', `/tasks/${id}/reminders`, { before: 'PT2H' }],
    ['DELETE', `/tasks/${id}/reminders/${rid}`],
    ['POST', `/tasks/${id}/reminders/${rid}/snooze`, { for: 'PT5M' }],
    ['GET', `/tasks/${id}/history`],
    ['GET', `/tasks/${id}/occurrences`],
  ];
  for (const [method, path, body] of attempts) {
    const res = await call(method, path, { token: other, ...(body !== undefined ? { body } : {}) });
    t.is(res.status, 404, `${method} ${path}`);
  }
  t.deepEqual((await call('GET', '/tasks', { token: other })).body.tasks, []);
  t.deepEqual((await call('GET', '/events?after=0', { token: other })).body.events, []);
  const still = await call('GET', `/tasks/${id}`, { token: owner });
  t.is(still.body.title, 'private');
  t.is(still.body.version, 2);
});

test('admin audit: only for role admin, filters by user and type', async (t) => {
  const user = `audited-${randomUUID()}`;
  await call('POST', '/tasks', { token: t0.token(user), body: { title: 'audit me' } });
  t.is((await call('GET', '/admin/events', { token: t0.token(user) })).status, 403);
  const res = await call('GET', `/admin/events?user=${user}&type=task.created`, {
    token: t0.token('root', { admin: true }),
  });
  t.is(res.status, 200);
  t.deepEqual(
    (res.body.events as { user_id: string; event_type: string }[]).map((e) => [e.user_id, e.event_type]),
    [[user, 'task.created']],
  );
});

test('operations: health, readiness with mode and backlog, metrics, OpenAPI', async (t) => {
  t.deepEqual((await call('GET', '/health')).body, { status: 'ok' });
  const ready = await call('GET', '/ready');
  t.is(ready.status, 200);
  t.like(ready.body, { ready: true, mode: 'direct', database: 'up' });
  t.is(typeof ready.body.outbox_backlog, 'number');
  const metrics = (await call('GET', '/metrics')).text;
  for (const name of [
    'tasklane_http_request_duration_seconds',
    'tasklane_events_written_total',
    'tasklane_outbox_backlog',
    'tasklane_open_sockets',
    'tasklane_actor_mode{mode="direct"} 1',
  ])
    t.true(metrics.includes(name), name);
  const spec = await call('GET', '/docs/openapi.json');
  t.is(spec.status, 200);
  const paths = Object.keys(spec.body.paths as Record<string, unknown>);
  for (const p of [
    '/tasks',
    '/tasks/{id}',
    '/tasks/{id}/reminders/{rid}/snooze',
    '/recurrence/preview',
    '/events',
    '/me',
    '/admin/events',
  ])
    t.true(paths.includes(p), p);
  // Outside the embedded shape (a DATABASE_URL) the dev sign-in is off by default; off, its route is absent.
  t.false(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: t0.dataDir,
      JWT_SECRET: t0.secret,
      DATABASE_URL: 'postgres://db.invalid/tasklane',
    }).auth.devSignIn,
  );
  t.is(
    (await call('POST', '/auth/dev-token', { body: { user_id: 'mallory', admin: true } })).status,
    404,
    'dev sign-in is off',
  );
});

// ---------------------------------------------------------------- tokens
function b64(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

test('expired, wrongly signed, alg none and exp-less tokens are refused over REST', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const good = t0.token('someone');
  const [h, , s] = good.split('.') as [string, string, string];
  const forged = `${h}.${b64({ sub: 'someone', exp: now + 3600 })}.${s}`;
  const wrongKey = (() => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const payload = b64({ sub: 'someone', exp: now + 3600 });
    return `${header}.${payload}.${createHmac('sha256', 'not-the-secret').update(`${header}.${payload}`).digest('base64url')}`;
  })();
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'someone', exp: now + 3600 })}.`;
  const expired = t0.token('someone', { ttl: -120 });
  for (const [name, token] of [
    ['forged payload', forged],
    ['wrong key', wrongKey],
    ['alg none', none],
    ['expired', expired],
    ['garbage', 'abc.def'],
  ] as const) {
    const res = await call('GET', '/tasks', { token });
    t.is(res.status, 401, name);
    t.is(typeof res.body.message, 'string');
  }
  t.is((await call('GET', '/tasks', { token: good })).status, 200);
});

test('ticking a series with no occurrence open completes its next one ahead of time; the series goes on; undone, that occurrence is open and the series names it', async (t) => {
  const user = `rent-${randomUUID()}`;
  const token = t0.token(user);
  const correlation = randomUUID();
  // Rent in 30 days at 09:00 UTC, monthly, with a reminder a day before: nothing spawns during the test.
  const first = new Date(Date.now() + 30 * 86_400_000);
  first.setUTCHours(9, 0, 0, 0);
  const created = await call('POST', '/tasks', {
    token,
    body: {
      title: 'Pay rent',
      due_date: first.toISOString(),
      recurrence_rule: 'FREQ=MONTHLY',
      reminders: [{ before: 'P1D' }],
    },
  });
  t.is(created.status, 201);
  const seriesId = created.body.id as string;
  const next = created.body.next_occurrence as string;
  t.is(Date.parse(next), first.getTime());

  const ticked = await call('POST', `/tasks/${seriesId}/complete`, {
    token,
    headers: { 'x-correlation-id': correlation },
  });
  t.is(ticked.status, 200, ticked.text);
  t.like(ticked.body, { series_id: seriesId, completed: true, title: 'Pay rent' });
  t.like(ticked.body.reminders, [{ offset: 'P1D', cancelled: true }], 'its reminder, cancelled by its completion');
  t.is(Date.parse(ticked.body.occurrence_at as string), first.getTime(), 'the occurrence it completed is the next one');
  const series = await call('GET', `/tasks/${seriesId}`, { token });
  t.like(series.body, { completed: false, is_recurring: true });
  t.true(Date.parse(series.body.next_occurrence as string) > first.getTime(), 'the series goes on from the one after');
  const history = await call('GET', `/tasks/${ticked.body.id}/history`, { token });
  t.deepEqual(
    (history.body.events as { event_type: string; correlation_id: string }[]).map((e) => [
      e.event_type,
      e.correlation_id,
    ]),
    [
      ['task.created', correlation],
      ['reminder.scheduled', correlation],
      ['task.completed', correlation],
      ['reminder.cancelled', correlation],
    ],
  );

  // Undone, the occurrence is open again; the series then names it rather than completing another.
  const completion = (history.body.events as { event_type: string; event_id: string }[]).find(
    (e) => e.event_type === 'task.completed',
  );
  const undone = await call('POST', `/tasks/${ticked.body.id}/undo`, {
    token,
    body: { event_id: completion?.event_id },
  });
  t.is(undone.status, 200, undone.text);
  t.false(undone.body.completed);
  // With its reminder armed again, a day before it (made with it and done, undone it is an occurrence like any).
  t.like(undone.body.reminders, [
    { offset: 'P1D', cancelled: false, remind_at: new Date(first.getTime() - 86_400_000).toISOString() },
  ]);
  const refused = await call('POST', `/tasks/${seriesId}/complete`, { token });
  t.is(refused.status, 409);
  t.regex(
    String(refused.body.message),
    new RegExp(`its occurrence ${ticked.body.id} due .* is open: complete that one`),
  );
  // Completing that one, then the series again, completes the month after.
  t.is((await call('POST', `/tasks/${ticked.body.id}/complete`, { token })).status, 200);
  const again = await call('POST', `/tasks/${seriesId}/complete`, { token });
  t.is(again.status, 200, again.text);
  t.is(again.body.occurrence_at, series.body.next_occurrence);
  const report = await replayAtRest({ db: t0.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, [], 'replay equals the rows');
  t.true(report.tasks >= 3);
});
