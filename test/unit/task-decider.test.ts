// The task decider alone: deterministic clock and ids, no database.
import test from 'ava';
import { decide, evolve, fold, type TaskState, type TaskCommand, type DecideContext } from '../../actors/task/index.ts';
import { timerChanges } from '../../actors/task/timers.ts';
import { DomainError } from '../../actors/errors.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';

function harness(start: string, initialZone = 'UTC') {
  let now = Date.parse(start);
  let userTimezone = initialZone;
  let n = 0;
  const versions = new Map<string, number>();
  let seq = 0;
  const states = new Map<string, TaskState | null>();
  const ctx = (): DecideContext => ({ now: new Date(now), userId: 'u1', userTimezone, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` });
  const stamp = (p: PendingEvent): EventEnvelope => {
    const version = (versions.get(p.aggregate_id) ?? 0) + 1;
    versions.set(p.aggregate_id, version);
    return { ...p, event_id: `e${++seq}`, user_id: 'u1', version, seq, timestamp: new Date(now).toISOString(), correlation_id: 'c', causation_id: null };
  };
  return {
    at: (iso: string) => { now = Date.parse(iso); },
    /** The user's zone from now on (after a `user.timezone_changed`). */
    zone: (zone: string) => { userTimezone = zone; },
    advance: (ms: number) => { now += ms; },
    state: (id: string) => states.get(id) ?? null,
    run(id: string, command: TaskCommand): EventEnvelope[] {
      const events = decide(command, states.get(id) ?? null, ctx()).map(stamp);
      for (const e of events) states.set(e.aggregate_id, evolve(states.get(e.aggregate_id) ?? null, e));
      return events;
    },
    create(id: string, data: Extract<TaskCommand, { type: 'create' }>['data']): EventEnvelope[] {
      return this.run(id, { type: 'create', id, data });
    },
  };
}

const types = (events: EventEnvelope[]) => events.map((e) => e.event_type);
const T1 = '11111111-1111-4111-8111-111111111111';

test('create emits task.created with the whole task, then one reminder.scheduled per reminder', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  const events = h.create(T1, { title: '  Buy milk ', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }, { at: '2026-02-13T08:00:00Z' }] });
  t.deepEqual(types(events), ['task.created', 'reminder.scheduled', 'reminder.scheduled']);
  const task = events[0]?.data.task as TaskState;
  t.is(task.title, 'Buy milk');
  t.is(task.due_date, '2026-02-14T18:00:00.000Z');
  t.is(task.completed, false);
  const state = h.state(T1);
  t.deepEqual(state?.reminders.map((r) => [r.offset, r.remind_at]), [['PT1H', '2026-02-14T17:00:00.000Z'], [null, '2026-02-13T08:00:00.000Z']]);
  t.is(state?.version, 3);
});

test('a due date without an offset is wall-clock time in the task zone; P1D before keeps the wall clock across DST', (t) => {
  const h = harness('2026-03-20T12:00:00Z');
  h.create(T1, { title: 'Berlin', timezone: 'Europe/Berlin', due_date: '2026-03-29T09:00', reminders: [{ before: 'P1D' }, { before: 'PT24H' }] });
  const s = h.state(T1);
  t.is(s?.due_date, '2026-03-29T07:00:00.000Z'); // 09:00 CEST, the clocks having gone forward at 02:00 that night
  // One calendar day before is 09:00 CET on the 28th = 08:00Z; exactly 24 hours before is 08:00 CET = 07:00Z.
  t.deepEqual(s?.reminders.map((r) => r.remind_at), ['2026-03-28T08:00:00.000Z', '2026-03-28T07:00:00.000Z']);
  t.deepEqual(s?.reminders.map((r) => r.offset), ['P1D', 'PT24H']);
});

test('bad input is a domain error naming the field, and nothing is emitted', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  const cases: [Extract<TaskCommand, { type: 'create' }>['data'], RegExp][] = [
    [{ title: '   ' }, /^title: must not be empty/],
    [{ title: 'x'.repeat(501) }, /^title: must be at most 500/],
    [{ title: 'x', timezone: 'Mars/Olympus' }, /^timezone: "Mars\/Olympus" is not an IANA/],
    [{ title: 'x', due_date: 'tomorrow' }, /^due_date: "tomorrow" is not an ISO-8601/],
    [{ title: 'x', recurrence_rule: 'FREQ=DAILY' }, /^due_date: is required for a recurring task/],
    [{ title: 'x', due_date: '2026-03-01T00:00:00Z', recurrence_rule: 'FREQ=DAILY;BYSETPOS=2' }, /BYSETPOS/],
    [{ title: 'x', due_date: '2026-03-01T00:00:00Z', recurrence_rule: 'FREQ=HOURLY' }, /HOURLY/],
    [{ title: 'x', due_date: '2026-02-10T12:30:00Z', reminders: [{ before: 'PT1H' }] }, /^reminders\[0\]\.before: the reminder time .* is already in the past/],
    [{ title: 'x', reminders: [{ before: 'PT1H' }] }, /^reminders\[0\]\.before: needs the task to have a due_date/],
    [{ title: 'x', reminders: [{ at: '2026-02-01T00:00:00Z' }] }, /^reminders\[0\]\.at: .* is already in the past/],
    [{ title: 'x', due_date: '2026-03-01T00:00:00Z', reminders: [{ before: 'P1M' }] }, /^reminders\[0\]\.before: "P1M" is not a supported/],
    [{ title: 'x', due_date: '2026-03-01T00:00:00Z', reminders: [{ before: 'PT0S' }] }, /^reminders\[0\]\.before: must be longer than zero/],
    [{ title: 'x', due_date: '2026-03-01T00:00:00Z', recurrence_rule: 'FREQ=DAILY', reminders: [{ at: '2026-02-20T00:00:00Z' }] }, /^reminders\[0\]\.at: a recurring task takes relative reminders/],
  ];
  for (const [data, message] of cases) {
    const error = t.throws(() => h.create(T1, data), { instanceOf: DomainError });
    t.regex(error?.message ?? '', message);
    t.is(h.state(T1), null);
  }
});

test('update carries every changed field as {from, to}; the due date gets its own event and moves relative reminders', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT2H' }, { at: '2026-02-12T09:00:00Z' }] });
  const events = h.run(T1, { type: 'update', data: { title: 'b', description: 'd', due_date: '2026-02-20T18:00:00Z' } });
  t.deepEqual(types(events), ['task.updated', 'task.due_date_changed', 'reminder.scheduled']);
  t.deepEqual(events[0]?.data.changes, { title: { from: 'a', to: 'b' }, description: { from: null, to: 'd' } });
  t.deepEqual(events[1]?.data.changes, { due_date: { from: '2026-02-14T18:00:00.000Z', to: '2026-02-20T18:00:00.000Z' } });
  t.deepEqual(h.state(T1)?.reminders.map((r) => r.remind_at), ['2026-02-20T16:00:00.000Z', '2026-02-12T09:00:00.000Z']);
  // Clearing the due date cancels the relative reminder; the absolute one stays.
  const cleared = h.run(T1, { type: 'update', data: { due_date: null } });
  t.deepEqual(types(cleared), ['task.due_date_changed', 'reminder.cancelled']);
  t.deepEqual(h.state(T1)?.reminders.map((r) => r.cancelled), [true, false]);
  // Nothing changes → nothing happens.
  t.deepEqual(h.run(T1, { type: 'update', data: { title: 'b' } }), []);
});

test('If-Match: a stale expected version is refused', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a' });
  const error = t.throws(() => h.run(T1, { type: 'update', data: { title: 'b' }, expected_version: 7 }), { instanceOf: DomainError });
  t.is(error?.code, 'version_mismatch');
  t.is(h.run(T1, { type: 'update', data: { title: 'b' }, expected_version: 1 }).length, 1);
});

test('complete cancels pending reminders, and a completed task never fires them; completing twice is a no-op', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] });
  const events = h.run(T1, { type: 'complete' });
  t.deepEqual(types(events), ['task.completed', 'reminder.cancelled']);
  t.is(events[1]?.data.reason, 'task_completed');
  t.deepEqual(h.run(T1, { type: 'complete' }), []);
  h.at('2026-02-14T17:00:00Z');
  const rid = h.state(T1)?.reminders[0]?.id ?? '';
  t.deepEqual(h.run(T1, { type: 'fire_reminder', reminder_id: rid }), []);
  t.deepEqual(types(h.run(T1, { type: 'uncomplete' })), ['task.uncompleted']);
});

test('uncomplete re-arms what the completion cancelled (a relative one follows the current due date), not what the user removed or what has passed', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }, { at: '2026-02-13T08:00:00Z' }, { at: '2026-02-10T13:00:00Z' }, { before: 'P1D' }] });
  const [relative, absolute, soon, removed] = h.state(T1)?.reminders ?? [];
  h.run(T1, { type: 'remove_reminder', reminder_id: removed?.id ?? '' });
  h.run(T1, { type: 'complete' });
  t.true(h.state(T1)?.reminders.every((r) => r.cancelled));
  t.is(h.state(T1)?.reminders.find((r) => r.id === relative?.id)?.cancel_reason, 'task_completed');
  t.is(h.state(T1)?.reminders.find((r) => r.id === removed?.id)?.cancel_reason, 'removed');
  // While completed the due date moves a day later; the 13:00 reminder's time passes.
  h.run(T1, { type: 'update', data: { due_date: '2026-02-15T18:00:00Z' } });
  h.at('2026-02-10T14:00:00Z');
  const events = h.run(T1, { type: 'uncomplete' });
  t.deepEqual(types(events), ['task.uncompleted', 'reminder.scheduled', 'reminder.scheduled']);
  const rearmed = new Map(events.slice(1).map((e) => [(e.data.reminder as { id: string }).id, e.data.reminder as { remind_at: string; cancelled: boolean }]));
  t.like(rearmed.get(relative?.id ?? ''), { remind_at: '2026-02-15T17:00:00.000Z', cancelled: false });
  t.like(rearmed.get(absolute?.id ?? ''), { remind_at: '2026-02-13T08:00:00.000Z', cancelled: false });
  const after = h.state(T1);
  t.is(after?.reminders.find((r) => r.id === soon?.id)?.cancelled, true, 'its time passed while completed: stays cancelled');
  t.is(after?.reminders.find((r) => r.id === removed?.id)?.cancelled, true, 'removed by the user: stays removed');
  t.is(after?.reminders.find((r) => r.id === relative?.id)?.cancel_reason, null);
  // The re-armed reminder fires when its time comes.
  h.at('2026-02-15T17:00:00Z');
  t.deepEqual(types(h.run(T1, { type: 'fire_reminder', reminder_id: relative?.id ?? '' })), ['reminder.triggered']);
});

test('a reminder that fired before the completion is not fired again by an uncomplete', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] });
  const rid = h.state(T1)?.reminders[0]?.id ?? '';
  h.at('2026-02-14T17:00:00Z');
  h.run(T1, { type: 'fire_reminder', reminder_id: rid });
  h.run(T1, { type: 'complete' });
  t.deepEqual(types(h.run(T1, { type: 'uncomplete' })), ['task.uncompleted']);
  t.like(h.state(T1)?.reminders[0], { notified: true, cancelled: false });
});

test('a reminder fires exactly once, not early, and says how late it was', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] });
  const rid = h.state(T1)?.reminders[0]?.id ?? '';
  h.at('2026-02-14T16:58:00Z');
  t.deepEqual(h.run(T1, { type: 'fire_reminder', reminder_id: rid }), [], 'two minutes early: not yet');
  h.at('2026-02-14T17:00:00.300Z');
  const fired = h.run(T1, { type: 'fire_reminder', reminder_id: rid });
  t.deepEqual(types(fired), ['reminder.triggered']);
  t.like(fired[0]?.data, { reminder_id: rid, task_id: T1, title: 'a', late_ms: 300, late: false });
  t.deepEqual(h.run(T1, { type: 'fire_reminder', reminder_id: rid }), [], 'a second fire notifies nothing');
  // Snooze re-arms it once.
  const snoozed = h.run(T1, { type: 'snooze_reminder', reminder_id: rid, for: 'PT10M' });
  t.deepEqual(types(snoozed), ['reminder.snoozed']);
  t.is(h.state(T1)?.reminders[0]?.remind_at, '2026-02-14T17:10:00.300Z');
  h.at('2026-02-14T18:00:00Z');
  const late = h.run(T1, { type: 'fire_reminder', reminder_id: rid });
  t.like(late[0]?.data, { late: true, late_ms: 49 * 60_000 + 59_700 });
});

test('delete cancels reminders and stops a series; afterwards commands are not found and timers do nothing', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 's', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY', reminders: [{ before: 'PT15M' }] });
  t.is(h.state(T1)?.next_occurrence, '2026-02-11T09:00:00.000Z');
  const events = h.run(T1, { type: 'delete' });
  t.deepEqual(types(events), ['task.deleted']);
  t.deepEqual(events[0]?.data.changes, { next_occurrence: { from: '2026-02-11T09:00:00.000Z', to: null } });
  const error = t.throws(() => h.run(T1, { type: 'update', data: { title: 'x' } }), { instanceOf: DomainError });
  t.is(error?.code, 'not_found');
  h.at('2026-02-12T09:00:00Z');
  t.deepEqual(h.run(T1, { type: 'spawn' }), []);
});

test('a series spawns an instance at its occurrence, early by its largest reminder offset, with the reminders', (t) => {
  const h = harness('2026-02-10T12:00:00Z', 'Europe/Berlin');
  h.create(T1, { title: 'Standup', due_date: '2026-02-11T09:00', recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR', reminders: [{ before: 'PT10M' }, { before: 'PT1H' }] });
  t.is(h.state(T1)?.next_occurrence, '2026-02-11T08:00:00.000Z');
  t.deepEqual(h.state(T1)?.reminders.map((r) => r.remind_at), [null, null], 'a series keeps templates');
  h.at('2026-02-11T06:59:00Z');
  t.deepEqual(h.run(T1, { type: 'spawn' }), [], 'before occurrence − 1 h: nothing');
  h.at('2026-02-11T07:00:00Z');
  const events = h.run(T1, { type: 'spawn' });
  t.deepEqual(types(events), ['recurring.spawned', 'task.created', 'reminder.scheduled', 'reminder.scheduled']);
  const spawned = events[0]?.data as { occurrence_at: string; instance_id: string; next_occurrence: { to: string }; skipped_count: number };
  t.is(spawned.occurrence_at, '2026-02-11T08:00:00.000Z');
  t.is(spawned.next_occurrence.to, '2026-02-13T08:00:00.000Z');
  t.is(spawned.skipped_count, 0);
  const instance = h.state(spawned.instance_id);
  t.like(instance, { series_id: T1, occurrence_at: '2026-02-11T08:00:00.000Z', due_date: '2026-02-11T08:00:00.000Z', is_recurring: false, title: 'Standup' });
  t.deepEqual(instance?.reminders.map((r) => r.remind_at), ['2026-02-11T07:50:00.000Z', '2026-02-11T07:00:00.000Z']);
  t.deepEqual(h.run(T1, { type: 'spawn' }), [], 'spawning again is a no-op');
});

test('after downtime a series spawns the most recent missed occurrence once and records the skipped ones', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'daily', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY' });
  h.at('2026-02-14T10:00:00Z');
  const events = h.run(T1, { type: 'spawn' });
  t.deepEqual(types(events), ['recurring.spawned', 'task.created']);
  t.like(events[0]?.data, {
    occurrence_at: '2026-02-14T09:00:00.000Z', skipped_count: 3, late: true,
    skipped: ['2026-02-11T09:00:00.000Z', '2026-02-12T09:00:00.000Z', '2026-02-13T09:00:00.000Z'],
  });
  t.is(h.state(T1)?.next_occurrence, '2026-02-15T09:00:00.000Z');
});

test('editing the rule never re-spawns an occurrence already spawned', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'daily', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY', reminders: [{ before: 'PT1H' }] });
  h.at('2026-02-11T08:00:00Z');
  t.is(h.run(T1, { type: 'spawn' })[0]?.event_type, 'recurring.spawned');
  h.at('2026-02-11T08:30:00Z');
  const edited = h.run(T1, { type: 'update', data: { recurrence_rule: 'FREQ=DAILY;INTERVAL=1' } });
  t.true(types(edited).includes('task.updated'));
  t.is(h.state(T1)?.next_occurrence, '2026-02-12T09:00:00.000Z');
});

test('a zone change keeps a series at its wall-clock time in the new zone', (t) => {
  const h = harness('2026-02-10T12:00:00Z', 'Europe/Berlin');
  h.create(T1, { title: 'gym', due_date: '2026-02-11T07:00', recurrence_rule: 'FREQ=DAILY' });
  t.is(h.state(T1)?.next_occurrence, '2026-02-11T06:00:00.000Z');
  const events = h.run(T1, { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'America/New_York' });
  t.deepEqual(types(events), ['recurring.rescheduled']);
  t.is(h.state(T1)?.due_date, '2026-02-11T12:00:00.000Z'); // 07:00 EST
  t.is(h.state(T1)?.next_occurrence, '2026-02-11T12:00:00.000Z');
  // A series with a zone of its own does not follow the user.
  const T2 = '22222222-2222-4222-8222-222222222222';
  h.create(T2, { title: 'tokyo', timezone: 'Asia/Tokyo', due_date: '2026-02-11T07:00', recurrence_rule: 'FREQ=DAILY' });
  t.deepEqual(h.run(T2, { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'America/New_York' }), []);
});

test('a recurring series is not completed itself, and an occurrence cannot recur', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'daily', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY' });
  t.is(t.throws(() => h.run(T1, { type: 'complete' }), { instanceOf: DomainError })?.code, 'conflict');
  h.at('2026-02-11T09:00:00Z');
  const instanceId = (h.run(T1, { type: 'spawn' })[0]?.data as { instance_id: string }).instance_id;
  const error = t.throws(() => h.run(instanceId, { type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } }), { instanceOf: DomainError });
  t.regex(error?.message ?? '', /^recurrence_rule: an occurrence/);
  t.deepEqual(types(h.run(instanceId, { type: 'complete' })), ['task.completed']);
});

test('timers a turn touches: a plain edit none, a reminder its own, ending a series cancels its spawn', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  h.create(T1, { title: 'a', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }] });
  const rid = h.state(T1)?.reminders[0]?.id ?? '';
  const changes = (events: EventEnvelope[]) => {
    const task = h.state(T1) as TaskState;
    const c = timerChanges(events, [task], 'UTC');
    return { arm: c.arm.map((x) => x.name), cancel: c.cancel.map((x) => x.name) };
  };
  t.deepEqual(changes(h.run(T1, { type: 'update', data: { title: 'b', description: 'd' } })), { arm: [], cancel: [] });
  t.deepEqual(changes(h.run(T1, { type: 'update', data: { due_date: '2026-02-15T18:00:00Z' } })), { arm: [`remind:${rid}`], cancel: [] });
  t.deepEqual(changes(h.run(T1, { type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } })), { arm: ['spawn'], cancel: [`remind:${rid}`] });
  t.deepEqual(changes(h.run(T1, { type: 'update', data: { title: 'series, renamed' } })), { arm: ['spawn'], cancel: [] });
  // No longer a series: its spawn is cancelled and the template reminder fires before the due date again.
  t.deepEqual(changes(h.run(T1, { type: 'update', data: { recurrence_rule: null } })), { arm: [`remind:${rid}`], cancel: ['spawn'] });
});

// ------------------------------------------------------------------ time bugs from public reports (issue 12)
/** Spawns every occurrence in turn from the series' next one: the instances' due dates. */
function spawnDueDates(h: ReturnType<typeof harness>, id: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const next = h.state(id)?.next_occurrence;
    if (!next) break;
    h.at(next);
    const spawned = h.run(id, { type: 'spawn' }).find((e) => e.event_type === 'task.created');
    out.push((spawned?.data.task as TaskState).due_date as string);
  }
  return out;
}

test('a series starting in a DST gap moves only its first day: 07:30Z on the 14th, then 02:30 New York time (06:30Z)', (t) => {
  const h = harness('2027-03-01T12:00:00Z', 'America/New_York');
  h.create(T1, { title: 'gap', due_date: '2027-03-14T02:30:00', recurrence_rule: 'FREQ=DAILY' });
  t.like(h.state(T1), { due_date: '2027-03-14T07:30:00.000Z', dtstart_local: '2027-03-14T02:30:00', next_occurrence: '2027-03-14T07:30:00.000Z' });
  t.deepEqual(spawnDueDates(h, T1, 4), ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z', '2027-03-16T06:30:00.000Z', '2027-03-17T06:30:00.000Z']);
});

test('on Lord Howe (a 30-minute gap) a series in the gap moves its first day by 30 minutes only', (t) => {
  const h = harness('2027-09-01T00:00:00Z');
  h.create(T1, { title: 'lhi', timezone: 'Australia/Lord_Howe', due_date: '2027-10-03T02:15', recurrence_rule: 'FREQ=DAILY' });
  t.like(h.state(T1), { due_date: '2027-10-02T15:45:00.000Z', dtstart_local: '2027-10-03T02:15:00' });
  t.deepEqual(spawnDueDates(h, T1, 3), ['2027-10-02T15:45:00.000Z', '2027-10-03T15:15:00.000Z', '2027-10-04T15:15:00.000Z']);
});

test('a PATCH of a series\' due date into a DST gap keeps the written time; the wall-clock start travels with the due date', (t) => {
  const h = harness('2027-03-01T12:00:00Z', 'America/New_York');
  h.create(T1, { title: 'gap', due_date: '2027-03-10T09:00', recurrence_rule: 'FREQ=DAILY' });
  const patched = h.run(T1, { type: 'update', data: { due_date: '2027-03-14T02:30' } });
  t.deepEqual(types(patched), ['task.due_date_changed', 'recurring.rescheduled']);
  t.deepEqual(patched[0]?.data.changes, {
    due_date: { from: '2027-03-10T14:00:00.000Z', to: '2027-03-14T07:30:00.000Z' },
    dtstart_local: { from: '2027-03-10T09:00:00', to: '2027-03-14T02:30:00' },
  });
  t.deepEqual(spawnDueDates(h, T1, 2), ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z']);

  // The same instant written as a wall-clock time in the gap: the due date stays, the series' time moves.
  const T2 = '22222222-2222-4222-8222-222222222222';
  h.at('2027-03-01T12:00:00Z');
  h.create(T2, { title: 'instant', due_date: '2027-03-14T07:30:00Z', recurrence_rule: 'FREQ=DAILY' });
  t.is(h.state(T2)?.dtstart_local, '2027-03-14T03:30:00', 'an instant is kept as its wall-clock time');
  const rewritten = h.run(T2, { type: 'update', data: { due_date: '2027-03-14T02:30' } });
  t.deepEqual(types(rewritten), ['task.updated']);
  t.deepEqual(rewritten[0]?.data.changes, { dtstart_local: { from: '2027-03-14T03:30:00', to: '2027-03-14T02:30:00' } });
  t.deepEqual(spawnDueDates(h, T2, 2), ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z']);
  // Ending the series drops its wall-clock start.
  const ended = h.run(T2, { type: 'update', data: { recurrence_rule: null } });
  t.like(ended[0]?.data.changes, { dtstart_local: { from: '2027-03-14T02:30:00', to: null } });
});

test('a user zone change that puts a series\' start in a DST gap keeps the written wall-clock time', (t) => {
  const h = harness('2027-03-01T12:00:00Z', 'UTC');
  h.create(T1, { title: 'gap', due_date: '2027-03-14T02:30', recurrence_rule: 'FREQ=DAILY' });
  t.is(h.state(T1)?.next_occurrence, '2027-03-14T02:30:00.000Z');
  h.zone('America/New_York');
  const events = h.run(T1, { type: 'reschedule', from_zone: 'UTC', to_zone: 'America/New_York' });
  t.deepEqual(types(events), ['recurring.rescheduled']);
  t.deepEqual(events[0]?.data.changes, {
    due_date: { from: '2027-03-14T02:30:00.000Z', to: '2027-03-14T07:30:00.000Z' },
    next_occurrence: { from: '2027-03-14T02:30:00.000Z', to: '2027-03-14T07:30:00.000Z' },
  });
  t.is(h.state(T1)?.dtstart_local, '2027-03-14T02:30:00');
  t.deepEqual(spawnDueDates(h, T1, 3), ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z', '2027-03-16T06:30:00.000Z']);
  // And back: 02:30 UTC again, not the 03:30 the gap moved the first day to.
  h.at('2027-03-16T12:00:00Z');
  h.zone('UTC');
  h.run(T1, { type: 'reschedule', from_zone: 'America/New_York', to_zone: 'UTC' });
  t.is(h.state(T1)?.next_occurrence, '2027-03-17T02:30:00.000Z');
});

test('events written before a series kept its wall-clock start still replay; the next zone change fills it in', (t) => {
  const h = harness('2027-03-01T12:00:00Z', 'UTC');
  const created = h.create(T1, { title: 'old', due_date: '2027-03-14T02:30', recurrence_rule: 'FREQ=DAILY' });
  // The same event as an older version wrote it: no dtstart_local in the snapshot.
  const { dtstart_local: _dropped, ...oldTask } = created[0]?.data.task as TaskState;
  const oldCreated: EventEnvelope = { ...(created[0] as EventEnvelope), data: { task: oldTask } };
  const old = fold([oldCreated]) as TaskState;
  t.is(old.dtstart_local, null);
  t.deepEqual({ ...old, dtstart_local: '2027-03-14T02:30:00' }, h.state(T1), 'otherwise the same state');
  const events = decide({ type: 'reschedule', from_zone: 'UTC', to_zone: 'America/New_York' }, old, {
    now: new Date('2027-03-01T12:00:00Z'), userId: 'u1', userTimezone: 'America/New_York', newId: () => 'x',
  });
  t.like(events[0]?.data.changes, { dtstart_local: { from: null, to: '2027-03-14T02:30:00' }, next_occurrence: { to: '2027-03-14T07:30:00.000Z' } });
  const stamped = events.map((e, i): EventEnvelope => ({ ...e, event_id: `r${i}`, user_id: 'u1', version: 2 + i, seq: 10 + i, timestamp: '2027-03-01T12:00:00.000Z', correlation_id: 'c', causation_id: null }));
  t.is((fold(stamped, old) as TaskState).dtstart_local, '2027-03-14T02:30:00');
});

const CURRENT_ZONES = ['Europe/Kyiv', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/Nuuk', 'Asia/Ho_Chi_Minh', 'Asia/Yangon', 'Pacific/Kanton', 'America/Argentina/Buenos_Aires'];

test('a task keeps its zone name as sent, never the backward link the runtime resolves it to', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  CURRENT_ZONES.forEach((zone, i) => {
    const id = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
    const created = h.create(id, { title: zone, timezone: zone, due_date: '2026-06-01T09:00', recurrence_rule: 'FREQ=WEEKLY' });
    t.is((created[0]?.data.task as TaskState).timezone, zone);
    t.is(h.state(id)?.timezone, zone);
    const other = CURRENT_ZONES[(i + 1) % CURRENT_ZONES.length] as string;
    const patched = h.run(id, { type: 'update', data: { timezone: other } });
    t.like(patched[0]?.data.changes, { timezone: { from: zone, to: other } });
    t.is(h.state(id)?.timezone, other);
  });
  t.is((h.create(T1, { title: 'case', timezone: 'europe/berlin' })[0]?.data.task as TaskState).timezone, 'Europe/Berlin', 'letter case is fixed');
  for (const timezone of ['Europe/Atlantis', 'Kyiv', 'UTC+2', '+02:00', 'Europe/Kyiv\u0000', '../../etc/passwd', 'x'.repeat(65)]) {
    const error = t.throws(() => h.create('33333333-3333-4333-8333-333333333333', { title: 'bad', timezone }), { instanceOf: DomainError });
    t.is(error?.field, 'timezone', timezone);
  }
});

test('snooze postpones a fired reminder; a pending, cancelled or template one is a conflict naming its state', (t) => {
  const h = harness('2026-02-10T12:00:00Z');
  // Due in 18 months: a snooze of 10 minutes must never bring it forward.
  h.create(T1, { title: 'far', due_date: '2027-08-10T12:00:00Z', reminders: [{ before: 'PT1H' }, { before: 'PT2H' }] });
  const [far, removed] = (h.state(T1) as TaskState).reminders.map((r) => r.id) as [string, string];
  const pendingError = t.throws(() => h.run(T1, { type: 'snooze_reminder', reminder_id: far, for: 'PT10M' }), { instanceOf: DomainError });
  t.is(pendingError?.code, 'conflict');
  t.regex(pendingError?.message ?? '', /pending .*2027-08-10T11:00:00\.000Z.* not fired/);
  t.is(h.state(T1)?.reminders[0]?.remind_at, '2027-08-10T11:00:00.000Z', 'unchanged');
  // A bad duration is a 400 whatever the reminder's state.
  t.is(t.throws(() => h.run(T1, { type: 'snooze_reminder', reminder_id: far, for: 'P60D' }), { instanceOf: DomainError })?.code, 'validation');
  h.run(T1, { type: 'remove_reminder', reminder_id: removed });
  t.regex(t.throws(() => h.run(T1, { type: 'snooze_reminder', reminder_id: removed, for: 'PT10M' }), { instanceOf: DomainError })?.message ?? '', /cancelled \(removed\)/);
  t.is(t.throws(() => h.run(T1, { type: 'snooze_reminder', reminder_id: 'nope', for: 'PT10M' }), { instanceOf: DomainError })?.code, 'not_found');

  // Once it fired, snooze re-arms it; until it fires again it is pending, and another snooze is refused.
  h.at('2027-08-10T11:00:00Z');
  t.deepEqual(types(h.run(T1, { type: 'fire_reminder', reminder_id: far })), ['reminder.triggered']);
  t.deepEqual(types(h.run(T1, { type: 'snooze_reminder', reminder_id: far, for: 'PT10M' })), ['reminder.snoozed']);
  t.is(h.state(T1)?.reminders.find((r) => r.id === far)?.remind_at, '2027-08-10T11:10:00.000Z');
  t.regex(t.throws(() => h.run(T1, { type: 'snooze_reminder', reminder_id: far, for: 'PT1M' }), { instanceOf: DomainError })?.message ?? '', /pending/);

  const T2 = '22222222-2222-4222-8222-222222222222';
  h.create(T2, { title: 'series', due_date: '2027-09-01T09:00:00Z', recurrence_rule: 'FREQ=DAILY', reminders: [{ before: 'PT5M' }] });
  const template = h.state(T2)?.reminders[0]?.id ?? '';
  t.regex(t.throws(() => h.run(T2, { type: 'snooze_reminder', reminder_id: template, for: 'PT10M' }), { instanceOf: DomainError })?.message ?? '', /template/);
});
