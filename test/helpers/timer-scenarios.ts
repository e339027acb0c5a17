// Timer behaviour a user notices, written once and run on every runtime (direct on PGlite, direct on
// PostgreSQL, Dapr): spawns and reminders fire when due, exactly once, never after complete/delete, and
// come back after an uncomplete.
//
// No scenario depends on how fast the machine is. The app's time is a TestClock: the direct runtime runs
// on a manual clock that the scenario moves to the due time (so a timer fires with the clock standing at
// its time, and its lateness is exactly 0); Dapr runs on the wall clock. Either way a scenario waits for
// an event with a deadline, and "never (again)" is decided by `settle`, which waits for signals after which
// nothing more can come, not for a stretch of time.
import type { ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { connectSocket, type Collector } from './socket.ts';
import type { TestClock } from './clock.ts';
import { eventually } from './eventually.ts';
import { EARLY_TOLERANCE_MS, LATE_AFTER_MS } from '../../actors/task/index.ts';
import { SWEEPER_GRACE_MS } from '../../host/app.ts';

export interface Target {
  url: string;
  token(user: string): string;
  label: string;
}

/** An app whose timers a scenario drives: its clock, and its sweeper's count of sweeps started (`tasklane_sweeps_total` on /metrics). */
export interface TimerTarget extends Target {
  clock: TestClock;
  sweeps(): Promise<number>;
}

type Json = Record<string, unknown>;
type Message = Collector['messages'][number];

export const api = async (target: Target, token: string, method: string, p: string, body?: unknown): Promise<Json> => {
  const res = await fetch(`${target.url}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p} → ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Json) : {};
};

const byType = (socket: Collector, type: string): Message[] => socket.messages.filter((m) => m.type === type);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Lateness measured on the wall clock lands in .stack/results/lateness.jsonl for the README's report. */
export function recordLateness(label: string, kind: 'spawn' | 'reminder', lateMs: number): void {
  const dir = path.join(import.meta.dirname, '..', '..', '.stack', 'results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(
    path.join(dir, 'lateness.jsonl'),
    `${JSON.stringify({ label, kind, late_ms: lateMs, at: new Date().toISOString() })}\n`,
  );
}

/**
 * What a fire event says about its time. On a manual clock standing at the due time: exactly on time,
 * not late. On the wall clock: never earlier than the decider allows, and the late flag agrees with the
 * lateness it reports (the figure itself goes to the report, not into an assertion).
 */
function firedOnTime(
  t: ExecutionContext,
  target: TimerTarget,
  kind: 'spawn' | 'reminder',
  event: Message | undefined,
  dueAt: number,
): void {
  const data = (event?.data ?? {}) as { late_ms?: number; late?: boolean };
  const firedAt = Date.parse(event?.timestamp ?? '');
  if (target.clock.manual) {
    t.is(firedAt, dueAt, `${kind} fired with the clock at its time`);
    t.is(data.late_ms, 0);
    t.is(data.late, false);
    return;
  }
  t.true(firedAt >= dueAt - EARLY_TOLERANCE_MS, `${kind} fired ${dueAt - firedAt} ms before its time`);
  t.is(data.late_ms, Math.max(0, firedAt - dueAt));
  t.is(data.late, (data.late_ms ?? 0) > LATE_AFTER_MS);
  recordLateness(target.label, kind, firedAt - dueAt);
  t.log(`${target.label}: ${kind} ${firedAt - dueAt} ms after its time`);
}

/** One user with an open socket, set up with times `lead` ahead of the app's clock. */
interface Session {
  user: string;
  token: string;
  socket: Collector;
  lead: number;
  /** A whole-second instant `lead + ms` ahead of the app's time when the setup began (epoch ms). */
  at(ms?: number): number;
}

/**
 * Runs `setup` as a fresh user with an open socket. On the wall clock a busy machine may answer the setup
 * only after its first timer was due (the decider would then refuse the time, or the timer would fire
 * before a later step of the setup): the setup is then run again as another user with twice the lead,
 * up to three times. A manual clock stands still, so the first attempt always holds.
 */
async function arrange<T>(target: TimerTarget, name: string, setup: (s: Session) => Promise<T>): Promise<Session & T> {
  for (let attempt = 1, lead = target.clock.leadMs; ; attempt++, lead *= 2) {
    const user = `${name}-${randomUUID()}`;
    const token = target.token(user);
    const socket = await connectSocket(target.url, token);
    const start = target.clock.now();
    let earliest = Infinity;
    const session: Session = {
      user,
      token,
      socket,
      lead,
      at(ms = 0) {
        const at = Math.ceil((start + lead + ms) / 1000) * 1000;
        earliest = Math.min(earliest, at);
        return at;
      },
    };
    let result: T | undefined;
    let failure: unknown;
    try {
      result = await setup(session);
    } catch (error) {
      failure = error;
    }
    const inTime = target.clock.now() < earliest - EARLY_TOLERANCE_MS;
    if (inTime && failure === undefined) return Object.assign(session, result as T);
    await socket.close();
    if (inTime || attempt === 3)
      throw (
        failure ?? new Error(`${target.label}: the setup took longer than its lead of ${lead} ms, ${attempt} times`)
      );
  }
}

/**
 * Returns once nothing more can come for `taskId` from timers due by the app's time now: the sweeper has
 * started two sweeps since (so one whole sweep ran with the clock already past every due time here, and
 * handed anything it found to the runtime), then a turn on the task ran behind anything queued for it
 * (turns on one task run in order; a deleted task's turn answers 404), then a marker task created after
 * it reached the socket (the socket carries a user's events in commit order).
 */
export async function settle(target: TimerTarget, s: Pick<Session, 'token' | 'socket'>, taskId: string): Promise<void> {
  const from = await target.sweeps();
  await eventually(async () => (await target.sweeps()) >= from + 2, {
    what: `${target.label}: two more sweeps after sweep ${from}`,
  });
  const res = await fetch(`${target.url}/tasks/${taskId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ description: 'settled' }),
  });
  if (res.status !== 200 && res.status !== 404)
    throw new Error(`PATCH /tasks/${taskId} → ${res.status} ${await res.text()}`);
  const marker = await api(target, s.token, 'POST', '/tasks', { title: 'marker' });
  await eventually(
    () =>
      s.socket.messages.some(
        (m) => m.type === 'task.created' && (m as Message & { aggregate_id?: string }).aggregate_id === marker.id,
      ),
    { what: `${target.label}: the marker task on the socket` },
  );
}

export const historyOf = async (target: Target, token: string, id: string, type: string): Promise<Json[]> =>
  ((await api(target, token, 'GET', `/tasks/${id}/history`)).events as Json[]).filter((e) => e.event_type === type);

export async function seriesSpawnsOnTime(t: ExecutionContext, target: TimerTarget): Promise<void> {
  const s = await arrange(target, 'spawn', async (s) => {
    const due = s.at();
    const series = await api(target, s.token, 'POST', '/tasks', {
      title: 'Daily standup',
      due_date: iso(due),
      recurrence_rule: 'FREQ=DAILY',
    });
    return { due, series };
  });
  try {
    t.is(s.series.next_occurrence, iso(s.due));
    await target.clock.reach(s.due);
    await eventually(() => byType(s.socket, 'recurring.spawned').length > 0, {
      what: `${target.label}: the series spawned`,
    });
    firedOnTime(t, target, 'spawn', byType(s.socket, 'recurring.spawned')[0], s.due);
    // The same turn spawns tomorrow's instance ahead of its time (the series always shows its next one).
    const list = (await api(target, s.token, 'GET', `/tasks?series_id=${s.series.id as string}&sort=due&order=asc`))
      .tasks as Json[];
    t.is(list.length, 2);
    t.like(list[0], { series_id: s.series.id, occurrence_at: iso(s.due), due_date: iso(s.due) });
    t.like(list[1], { series_id: s.series.id, occurrence_at: iso(s.due + 86_400_000), completed: false });
    const after = await api(target, s.token, 'GET', `/tasks/${s.series.id as string}`);
    t.is(after.next_occurrence, iso(s.due + 2 * 86_400_000));
    await settle(target, s, s.series.id as string);
    const occurrences = (e: { data?: unknown }) => (e.data as { occurrence_at: string }).occurrence_at;
    const spawned = [iso(s.due), iso(s.due + 86_400_000)];
    t.deepEqual(byType(s.socket, 'recurring.spawned').map(occurrences), spawned, 'each occurrence spawned once');
    t.deepEqual(
      (await historyOf(target, s.token, s.series.id as string, 'recurring.spawned')).map(occurrences),
      spawned,
    );
  } finally {
    await s.socket.close();
  }
}

/** The second reminder is a lead after the first: on a manual clock it is then out of every lookahead until the clock gets there. */
export async function twoRemindersFireOnceEach(t: ExecutionContext, target: TimerTarget): Promise<void> {
  const s = await arrange(target, 'remind', async (s) => {
    const first = s.at();
    const second = s.at(s.lead);
    const task = await api(target, s.token, 'POST', '/tasks', {
      title: 'Call mum',
      due_date: iso(s.at(10 * s.lead)),
      reminders: [{ at: iso(first) }, { at: iso(second) }],
    });
    return { first, second, task };
  });
  try {
    const idAt = (at: number) => (s.task.reminders as Json[]).find((r) => r.remind_at === iso(at))?.id;
    const [firstId, secondId] = [idAt(s.first), idAt(s.second)];
    t.truthy(firstId && secondId, 'both reminders are scheduled at the times sent');
    const fired = () => byType(s.socket, 'reminder.triggered');
    await target.clock.reach(s.first);
    await eventually(() => fired().length >= 1, { what: `${target.label}: the first reminder fired` });
    t.is(fired()[0]?.data.reminder_id, firstId, 'the earlier reminder fires first');
    if (target.clock.manual) {
      await settle(target, s, s.task.id as string);
      t.is(fired().length, 1, 'the second reminder waits for its own time');
    }
    await target.clock.reach(s.second);
    await eventually(() => fired().length >= 2, { what: `${target.label}: the second reminder fired` });
    await settle(target, s, s.task.id as string);
    t.is(fired().length, 2, 'each fired exactly once');
    t.deepEqual(
      fired().map((m) => m.data.reminder_id),
      [firstId, secondId],
    );
    firedOnTime(t, target, 'reminder', fired()[0], s.first);
    firedOnTime(t, target, 'reminder', fired()[1], s.second);
    for (const m of fired()) t.is(m.data.title, 'Call mum');
    t.is((await historyOf(target, s.token, s.task.id as string, 'reminder.triggered')).length, 2);
    const after = await api(target, s.token, 'GET', `/tasks/${s.task.id as string}`);
    t.deepEqual(
      (after.reminders as Json[]).map((r) => r.status),
      ['notified', 'notified'],
    );
  } finally {
    await s.socket.close();
  }
}

/**
 * Past a due time by this much, the Dapr runtime's sweeper would also have fired a timer it found
 * pending; a scenario proving "never" moves the clock this far past (and `settle` waits two sweeps more).
 */
const PAST_EVERY_GRACE_MS = SWEEPER_GRACE_MS;

export async function completedTaskNeverFires(t: ExecutionContext, target: TimerTarget): Promise<void> {
  const s = await arrange(target, 'done', async (s) => {
    const due = s.at();
    const task = await api(target, s.token, 'POST', '/tasks', {
      title: 'Done early',
      due_date: iso(s.at(10 * s.lead)),
      reminders: [{ at: iso(due) }],
    });
    const completed = await api(target, s.token, 'POST', `/tasks/${task.id as string}/complete`);
    return { due, task, completed };
  });
  try {
    t.deepEqual(
      (s.completed.reminders as Json[]).map((r) => r.status),
      ['cancelled'],
    );
    await target.clock.reach(s.due + PAST_EVERY_GRACE_MS);
    await settle(target, s, s.task.id as string);
    t.is(byType(s.socket, 'reminder.triggered').length, 0);
    t.deepEqual(await historyOf(target, s.token, s.task.id as string, 'reminder.triggered'), []);
    const after = await api(target, s.token, 'GET', `/tasks/${s.task.id as string}`);
    t.deepEqual(
      (after.reminders as Json[]).map((r) => r.status),
      ['cancelled'],
    );
  } finally {
    await s.socket.close();
  }
}

/** Completing by mistake and undoing it loses nothing: the reminder comes back and fires once, on time. */
export async function uncompletedTaskFiresAgain(t: ExecutionContext, target: TimerTarget): Promise<void> {
  const s = await arrange(target, 'undo', async (s) => {
    const due = s.at();
    const task = await api(target, s.token, 'POST', '/tasks', {
      title: 'Oops, not done',
      due_date: iso(s.at(10 * s.lead)),
      reminders: [{ at: iso(due) }],
    });
    await api(target, s.token, 'POST', `/tasks/${task.id as string}/complete`);
    const undone = await api(target, s.token, 'POST', `/tasks/${task.id as string}/uncomplete`);
    return { due, task, undone };
  });
  try {
    const id = s.task.id as string;
    t.deepEqual(
      (s.undone.reminders as Json[]).map((r) => r.status),
      ['pending'],
    );
    await target.clock.reach(s.due);
    await eventually(() => byType(s.socket, 'reminder.triggered').length > 0, {
      what: `${target.label}: the re-armed reminder fired`,
    });
    await settle(target, s, id);
    const fired = byType(s.socket, 'reminder.triggered');
    t.is(fired.length, 1, 'fired exactly once');
    firedOnTime(t, target, 'reminder', fired[0], s.due);
    t.is((await historyOf(target, s.token, id, 'reminder.triggered')).length, 1);
    const after = await api(target, s.token, 'GET', `/tasks/${id}`);
    t.deepEqual(
      (after.reminders as Json[]).map((r) => r.status),
      ['notified'],
    );
  } finally {
    await s.socket.close();
  }
}

export async function deletedSeriesNeverSpawns(t: ExecutionContext, target: TimerTarget): Promise<void> {
  const s = await arrange(target, 'deleted', async (s) => {
    const due = s.at();
    const series = await api(target, s.token, 'POST', '/tasks', {
      title: 'Cancelled class',
      due_date: iso(due),
      recurrence_rule: 'FREQ=DAILY',
    });
    await api(target, s.token, 'DELETE', `/tasks/${series.id as string}`);
    return { due, series };
  });
  try {
    const id = s.series.id as string;
    await target.clock.reach(s.due + PAST_EVERY_GRACE_MS);
    await settle(target, s, id);
    t.is(byType(s.socket, 'recurring.spawned').length, 0);
    t.deepEqual(await historyOf(target, s.token, id, 'recurring.spawned'), []);
    t.deepEqual((await api(target, s.token, 'GET', `/tasks?series_id=${id}`)).tasks, []);
  } finally {
    await s.socket.close();
  }
}

export async function zoneChangeMovesNextOccurrence(t: ExecutionContext, target: Target): Promise<void> {
  const token = target.token(`zone-${randomUUID()}`);
  await api(target, token, 'PATCH', '/me', { timezone: 'Asia/Tokyo' });
  const series = await api(target, token, 'POST', '/tasks', {
    title: 'Tea',
    due_date: '2031-06-02T16:00',
    recurrence_rule: 'FREQ=WEEKLY',
  });
  t.is(series.next_occurrence, '2031-06-02T07:00:00.000Z');
  await api(target, token, 'PATCH', '/me', { timezone: 'Europe/London' });
  t.is(
    (await api(target, token, 'GET', `/tasks/${series.id as string}`)).next_occurrence,
    '2031-06-02T15:00:00.000Z',
    '16:00 BST',
  );
}
