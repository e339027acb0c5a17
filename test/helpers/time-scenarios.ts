// The time bugs found in public reports (issue 12, item 6), written once and run on every runtime
// (direct on PGlite, direct on PostgreSQL, Dapr): a series whose start lies in a DST gap, zone names
// kept as sent, and snooze of a reminder that has not fired.
import type { ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import type { Db } from '../../host/db/index.ts';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { loadTask } from '../../host/tasks/store.ts';
import { fold, type TaskState } from '../../actors/task/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { eventually } from './eventually.ts';
import type { Target } from './timer-scenarios.ts';

type Json = Record<string, unknown>;
export interface Res {
  status: number;
  body: Json;
}

export async function call(target: Target, token: string, method: string, p: string, body?: unknown): Promise<Res> {
  const res = await fetch(`${target.url}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

async function ok(
  t: ExecutionContext,
  target: Target,
  token: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<Json> {
  const res = await call(target, token, method, p, body);
  if (res.status >= 300) t.fail(`${method} ${p} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Daily at 02:30 New York time from 2027-03-14, the day the clocks jump from 02:00 to 03:00. */
const NY_GAP_START = '2027-03-14T02:30:00';
const NY_EXPECTED = ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z', '2027-03-16T06:30:00.000Z'];
/** Lord Howe Island moves its clocks by 30 minutes: 02:00 → 02:30 on 2027-10-03. */
const LHI_GAP_START = '2027-10-03T02:15';
const LHI_EXPECTED = ['2027-10-02T15:45:00.000Z', '2027-10-03T15:15:00.000Z', '2027-10-04T15:15:00.000Z'];

const occurrencesOf = async (t: ExecutionContext, target: Target, token: string, id: string): Promise<unknown> =>
  (await ok(t, target, token, 'GET', `/tasks/${id}/occurrences?limit=3`)).occurrences;

/** Folding a task's stored events rebuilds its row exactly, the wall-clock start included (what replay checks). */
async function replaysExactly(t: ExecutionContext, db: Db, userId: string, id: string): Promise<TaskState> {
  const events = await db.query<EventEnvelope>(
    `SELECT event_id::text AS event_id, event_type, user_id, aggregate_type, aggregate_id, version, seq, "timestamp",
    correlation_id::text AS correlation_id, causation_id::text AS causation_id, data FROM events WHERE aggregate_id = $1 ORDER BY version`,
    [id],
  );
  const row = await loadTask(db, userId, id);
  const rebuilt = fold(events.rows.map((e) => ({ ...e, timestamp: new Date(e.timestamp).toISOString() })));
  t.deepEqual(rebuilt, row, `task ${id} rebuilt from its events equals its row`);
  return row as TaskState;
}

/**
 * A series starting in a DST gap is at 02:30 local every day after its first (07:30Z, then 06:30Z),
 * whichever way the start got into the gap: created there, a PATCH of its due date, a PATCH /me that
 * moves it into a zone where its start is in a gap, and Lord Howe's 30-minute gap. The spawned
 * instances carry the same due dates (spawned by a task service on the same database with a clock set
 * to the occurrences, since they lie in 2027). Every row replays exactly from its events.
 */
export async function dstGapSeries(t: ExecutionContext, target: Target, db: Db): Promise<void> {
  const user = `gap-${randomUUID()}`;
  const token = target.token(user);
  t.is((await ok(t, target, token, 'PATCH', '/me', { timezone: 'America/New_York' })).timezone, 'America/New_York');
  const preview = await ok(t, target, token, 'POST', '/recurrence/preview', {
    rule: 'FREQ=DAILY',
    start: NY_GAP_START,
    timezone: 'America/New_York',
    limit: 3,
  });
  t.deepEqual(preview.occurrences, NY_EXPECTED, 'the preview answers so');

  const created = await ok(t, target, token, 'POST', '/tasks', {
    title: 'gap: created',
    due_date: NY_GAP_START,
    recurrence_rule: 'FREQ=DAILY',
  });
  t.like(created, { due_date: NY_EXPECTED[0], next_occurrence: NY_EXPECTED[0] });
  t.deepEqual(await occurrencesOf(t, target, token, created.id as string), NY_EXPECTED, 'created in the gap');

  const patched = await ok(t, target, token, 'POST', '/tasks', {
    title: 'gap: patched',
    due_date: '2027-03-10T09:00',
    recurrence_rule: 'FREQ=DAILY',
  });
  await ok(t, target, token, 'PATCH', `/tasks/${patched.id as string}`, { due_date: NY_GAP_START });
  t.deepEqual(
    await occurrencesOf(t, target, token, patched.id as string),
    NY_EXPECTED,
    'due date patched into the gap',
  );

  const lhi = await ok(t, target, token, 'POST', '/tasks', {
    title: 'gap: Lord Howe',
    timezone: 'Australia/Lord_Howe',
    due_date: LHI_GAP_START,
    recurrence_rule: 'FREQ=DAILY',
  });
  t.deepEqual(await occurrencesOf(t, target, token, lhi.id as string), LHI_EXPECTED, 'Lord Howe');

  const mover = `gap-move-${randomUUID()}`;
  const moverToken = target.token(mover);
  const moved = await ok(t, target, moverToken, 'POST', '/tasks', {
    title: 'gap: moved by /me',
    due_date: NY_GAP_START,
    recurrence_rule: 'FREQ=DAILY',
  });
  t.is(moved.due_date, '2027-03-14T02:30:00.000Z', 'in UTC there is no gap');
  await ok(t, target, moverToken, 'PATCH', '/me', { timezone: 'America/New_York' });
  const after = await ok(t, target, moverToken, 'GET', `/tasks/${moved.id as string}`);
  t.like(after, { due_date: NY_EXPECTED[0], next_occurrence: NY_EXPECTED[0] });
  t.deepEqual(
    await occurrencesOf(t, target, moverToken, moved.id as string),
    NY_EXPECTED,
    'moved into the gap by PATCH /me',
  );

  // Spawning: the instances' due dates. Each turn also spawns the next instance ahead of its time, so the
  // two turns (at the first two occurrences) spawn the first three.
  let now = new Date(NY_EXPECTED[0] as string);
  const service = new TaskTurns(db, { clock: () => now, cacheSize: 0 });
  for (const occurrence of NY_EXPECTED.slice(0, 2)) {
    now = new Date(occurrence);
    await service.execute(user, created.id as string, { type: 'spawn' });
  }
  const instances = await ok(t, target, token, 'GET', `/tasks?series_id=${created.id as string}`);
  t.deepEqual(
    (instances.tasks as { due_date: string }[]).map((x) => x.due_date).sort(),
    NY_EXPECTED,
    'spawned instances',
  );
  t.deepEqual(await occurrencesOf(t, target, token, created.id as string), [
    '2027-03-17T06:30:00.000Z',
    '2027-03-18T06:30:00.000Z',
    '2027-03-19T06:30:00.000Z',
  ]);

  for (const [owner, id] of [
    [user, created.id],
    [user, patched.id],
    [user, lhi.id],
    [mover, moved.id],
  ] as [string, string][]) {
    const row = await replaysExactly(t, db, owner, id);
    t.is(
      row.dtstart_local,
      id === lhi.id ? '2027-10-03T02:15:00' : NY_GAP_START,
      'the wall-clock start is stored as written',
    );
  }
}

/** Current IANA names that the runtime's ICU resolves to backward links (Europe/Kyiv → Europe/Kiev, …). */
export const CURRENT_ZONES = [
  'Europe/Kyiv',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/Nuuk',
  'Asia/Ho_Chi_Minh',
  'Asia/Yangon',
  'Pacific/Kanton',
  'America/Argentina/Buenos_Aires',
];
const INVALID_ZONES = ['Europe/Atlantis', 'Kyiv', '+02:00', 'UTC+2', '../Europe/Kyiv', 'x'.repeat(65)];

/** Zone names come back as sent, in /me, tasks and events; invalid ones are a 400 naming `timezone` on every route. */
export async function zoneNamesKeptAsSent(t: ExecutionContext, target: Target): Promise<void> {
  const token = target.token(`zones-${randomUUID()}`);
  const series = await ok(t, target, token, 'POST', '/tasks', {
    title: 'zones',
    due_date: '2027-06-01T09:00',
    recurrence_rule: 'FREQ=WEEKLY',
  });
  const sid = series.id as string;
  for (const zone of CURRENT_ZONES) {
    t.is((await ok(t, target, token, 'PATCH', '/me', { timezone: zone })).timezone, zone, `PATCH /me ${zone}`);
    t.is((await ok(t, target, token, 'GET', '/me')).timezone, zone);
    t.is(
      (await ok(t, target, token, 'POST', '/tasks', { title: zone, timezone: zone, due_date: '2027-06-01T09:00' }))
        .timezone,
      zone,
      `POST /tasks ${zone}`,
    );
    t.is(
      (await ok(t, target, token, 'PATCH', `/tasks/${sid}`, { timezone: zone })).timezone,
      zone,
      `PATCH /tasks ${zone}`,
    );
    t.is((await ok(t, target, token, 'GET', `/tasks/${sid}/occurrences?limit=1`)).timezone, zone);
    const preview = await call(target, token, 'POST', '/recurrence/preview', {
      rule: 'FREQ=DAILY',
      start: '2027-06-01T09:00',
      timezone: zone,
      limit: 1,
    });
    t.is(preview.status, 200, `preview ${zone}`);
  }
  const events = (await ok(t, target, token, 'GET', '/events?after=0&limit=500')).events as {
    event_type: string;
    data: { changes?: { timezone?: { to: string } }; task?: { timezone: string | null } };
  }[];
  t.deepEqual(
    events.filter((e) => e.event_type === 'user.timezone_changed').map((e) => e.data.changes?.timezone?.to),
    CURRENT_ZONES,
    'user.timezone_changed',
  );
  t.deepEqual(
    events.filter((e) => e.event_type === 'task.created' && e.data.task?.timezone).map((e) => e.data.task?.timezone),
    CURRENT_ZONES,
    'task.created',
  );
  t.deepEqual(
    events
      .filter((e) => e.event_type === 'task.updated' && e.data.changes?.timezone)
      .map((e) => e.data.changes?.timezone?.to),
    CURRENT_ZONES,
    'task.updated',
  );

  for (const zone of INVALID_ZONES) {
    const answers = [
      await call(target, token, 'PATCH', '/me', { timezone: zone }),
      await call(target, token, 'POST', '/tasks', { title: 'bad zone', timezone: zone }),
      await call(target, token, 'PATCH', `/tasks/${sid}`, { timezone: zone }),
      await call(target, token, 'POST', '/recurrence/preview', {
        rule: 'FREQ=DAILY',
        start: '2027-06-01T09:00',
        timezone: zone,
        limit: 1,
      }),
    ];
    for (const res of answers) {
      t.is(res.status, 400, `${zone}: ${JSON.stringify(res.body)}`);
      t.regex(String(res.body.message), /^"?timezone/, zone);
    }
  }
  t.is(
    (await ok(t, target, token, 'GET', '/me')).timezone,
    CURRENT_ZONES[CURRENT_ZONES.length - 1],
    'a refused zone changed nothing',
  );
}

/**
 * Snooze postpones a fired reminder. One that has not fired (due in 18 months) is a 409 naming its
 * state and stays where it was; once a reminder fired, snooze moves it to now + the duration.
 */
export async function snoozeOnlyFired(t: ExecutionContext, target: Target): Promise<void> {
  const token = target.token(`snooze-${randomUUID()}`);
  const due = new Date(Date.now() + 548 * 86_400_000).toISOString();
  const task = await ok(t, target, token, 'POST', '/tasks', {
    title: 'in 18 months',
    due_date: due,
    reminders: [{ before: 'PT1H' }],
  });
  const reminder = (task.reminders as { id: string; remind_at: string }[])[0] as { id: string; remind_at: string };
  const refused = await call(target, token, 'POST', `/tasks/${task.id as string}/reminders/${reminder.id}/snooze`, {
    for: 'PT10M',
  });
  t.is(refused.status, 409);
  t.regex(String(refused.body.message), /pending/);
  const still = await ok(t, target, token, 'GET', `/tasks/${task.id as string}`);
  t.like((still.reminders as unknown[])[0], { id: reminder.id, remind_at: reminder.remind_at, status: 'pending' });

  // A reminder due a moment ahead; when a busy machine answered only after that moment (a 400: the time
  // is already past), again with twice the lead. Then wait, with a deadline, until it fired.
  let soon: Json | undefined;
  for (let lead = 1500; !soon; lead *= 2) {
    const res = await call(target, token, 'POST', '/tasks', {
      title: 'fires now',
      reminders: [{ at: new Date(Date.now() + lead).toISOString() }],
    });
    if (res.status < 300) soon = res.body;
    else if (res.status !== 400 || lead >= 24_000)
      throw new Error(`POST /tasks with a reminder ${lead} ms ahead → ${res.status} ${JSON.stringify(res.body)}`);
  }
  const rid = ((soon.reminders as { id: string }[])[0] as { id: string }).id;
  const statusOf = async () =>
    ((await ok(t, target, token, 'GET', `/tasks/${soon.id as string}`)).reminders as { status: string }[])[0]?.status;
  await eventually(async () => (await statusOf()) === 'notified', { what: `${target.label}: the reminder fired` });
  const before = Date.now();
  const snoozed = await call(target, token, 'POST', `/tasks/${soon.id as string}/reminders/${rid}/snooze`, {
    for: 'PT10M',
  });
  t.is(snoozed.status, 200);
  const at = Date.parse(String(snoozed.body.remind_at));
  t.true(at >= before + 600_000 && at <= Date.now() + 600_000, `snoozed to ${String(snoozed.body.remind_at)}`);
  t.is(snoozed.body.status, 'pending');
}
