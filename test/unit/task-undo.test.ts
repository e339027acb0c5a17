// Undo in the task decider alone (actors/task/undo.ts), given / when / then: each step runs at its own
// instant, so each step's events are one turn, as the store writes them; the undo context carries the
// history as the host reads it.
import test from 'ava';
import type { TaskState, TaskCommand, DecideContext } from '../../actors/task/index.ts';
import { inboxIdOf } from '../../actors/list/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { taskSpec as spec, contextsAt } from '../helpers/task-context.ts';
import { throws, type Given, type Outcome } from '../helpers/decider-spec.ts';

type Step = Outcome<TaskState | null>;

const inUtc = contextsAt();
/** The context at `iso` (UTC), with the lists and labels that exist when given. */
const at = (iso: string, refs?: DecideContext['refs']): DecideContext => inUtc(iso, 'UTC', refs ? { refs } : {});
/** An undo of `event` decided at `iso` on `step`'s history (what the host reads). */
const undoOf = (step: Step, event: EventEnvelope | undefined, iso: string, refs?: DecideContext['refs']) => ({
  command: { type: 'undo', event_id: event?.event_id ?? 'missing' } as TaskCommand,
  ctx: { ...at(iso, refs), undo: { events: step.history } },
});
const undo = (
  given: Given<TaskCommand, TaskState | null, DecideContext>,
  step: Step,
  event: EventEnvelope | undefined,
  iso: string,
  refs?: DecideContext['refs'],
): Step => {
  const { command, ctx } = undoOf(step, event, iso, refs);
  return given(step).when(command, ctx);
};
const first = (step: Step, type: string): EventEnvelope | undefined => step.events.find((e) => e.event_type === type);

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const L1 = '33333333-3333-4333-8333-333333333333';
const LB1 = '44444444-4444-4444-8444-444444444444';
const LB2 = '55555555-5555-4555-8555-555555555555';

const created = (given: Given<TaskCommand, TaskState | null, DecideContext>, data: Record<string, unknown> = {}) =>
  given().when(
    {
      type: 'create',
      id: T1,
      data: {
        title: 'Pay rent',
        due_date: '2026-03-01T09:00:00Z',
        reminders: [{ before: 'PT1H' }, { at: '2026-02-10T12:30:00Z' }],
        ...data,
      },
    },
    at('2026-02-10T12:00:00Z', { lists: new Set([L1]), labels: new Set([LB1, LB2]) }),
  );

test('an undone completion is a task.uncompleted naming it, and re-arms the reminders still ahead', (t) => {
  const given = spec(t);
  const done = given(created(given))
    .when({ type: 'complete' }, at('2026-02-10T12:10:00Z'))
    .then(['task.completed', 'reminder.cancelled', 'reminder.cancelled']);
  const completion = first(done, 'task.completed');
  // 12:40: the absolute 12:30 reminder has passed and stays cancelled; the one an hour before the due date comes back.
  const undone = undo(given, done, completion, '2026-02-10T12:40:00Z')
    .then([
      { event_type: 'task.uncompleted', data: { corrects: completion?.event_id } },
      { event_type: 'reminder.scheduled', data: { corrects: completion?.event_id, reason: 'task_uncompleted' } },
    ])
    .then({ completed: false, completed_at: null });
  t.deepEqual(
    undone.state?.reminders.map((r) => [r.offset, r.cancelled]),
    [
      ['PT1H', false],
      [null, true],
    ],
  );
  // Undone once: a second undo of the same completion names the correction.
  undo(given, undone, completion, '2026-02-10T12:41:00Z').then(
    throws('conflict', 'event_id', new RegExp(`already undone by event ${undone.events[0]?.event_id}`)),
  );
});

test('a completion uncompleted or completed again since cannot be undone', (t) => {
  const given = spec(t);
  const done = given(created(given)).when({ type: 'complete' }, at('2026-02-10T12:10:00Z'));
  const completion = first(done, 'task.completed');
  const reopened = given(done).when({ type: 'uncomplete' }, at('2026-02-10T12:11:00Z'));
  undo(given, reopened, completion, '2026-02-10T12:12:00Z').then(throws('conflict', undefined, /uncompleted since/));
  const again = given(reopened).when({ type: 'complete' }, at('2026-02-10T12:13:00Z'));
  undo(given, again, completion, '2026-02-10T12:14:00Z').then(throws('conflict', undefined, /completed again since/));
});

test('an undone delete restores the task with task.restored and re-arms its reminders still ahead', (t) => {
  const given = spec(t);
  const start = created(given, { list_id: L1, labels: [LB1, LB2] });
  const gone = given(start)
    .when({ type: 'delete' }, at('2026-02-10T12:10:00Z'))
    .then({ deleted_at: '2026-02-10T12:10:00.000Z' });
  const deletion = first(gone, 'task.deleted');
  // Meanwhile the list and one label were deleted: the task comes back in the Inbox with the label that is left.
  const back = undo(given, gone, deletion, '2026-02-10T12:20:00Z', { lists: new Set(), labels: new Set([LB2]) })
    .then([
      {
        event_type: 'task.restored',
        data: {
          corrects: deletion?.event_id,
          changes: {
            deleted_at: { from: '2026-02-10T12:10:00.000Z', to: null },
            list_id: { from: L1, to: inboxIdOf('u1') },
            labels: { from: [LB1, LB2].sort(), to: [LB2] },
          },
        },
      },
      { event_type: 'reminder.scheduled', data: { reason: 'task_restored', corrects: deletion?.event_id } },
      { event_type: 'reminder.scheduled', data: { reason: 'task_restored', corrects: deletion?.event_id } },
    ])
    .then({ deleted_at: null, title: 'Pay rent', list_id: inboxIdOf('u1'), labels: [LB2] });
  t.true(back.state?.reminders.every((r) => !r.cancelled));
  // The event carries the task as restored, for a client that dropped it.
  t.like(back.events[0]?.data.task, { id: T1, title: 'Pay rent', deleted_at: null });
  undo(given, back, deletion, '2026-02-10T12:21:00Z').then(throws('conflict', 'event_id', /already undone/));
});

test('a deleted series restored restarts at its next occurrence after now; the ones missed meanwhile are not spawned', (t) => {
  const given = spec(t);
  const series = given().when(
    {
      type: 'create',
      id: T1,
      data: { title: 'Standup', due_date: '2026-02-11T09:00:00Z', recurrence_rule: 'FREQ=DAILY' },
    },
    at('2026-02-10T12:00:00Z'),
  );
  const gone = given(series).when({ type: 'delete' }, at('2026-02-10T12:10:00Z')).then({ next_occurrence: null });
  undo(given, gone, first(gone, 'task.deleted'), '2026-02-14T10:00:00Z').then({
    deleted_at: null,
    next_occurrence: '2026-02-15T09:00:00.000Z',
  });
});

test('an undone edit sets every field of that edit back, and the reminders follow the due date back', (t) => {
  const given = spec(t);
  const start = created(given);
  const edited = given(start)
    .when(
      { type: 'update', data: { title: 'Pay the rent', due_date: '2026-03-02T09:00:00Z' } },
      at('2026-02-10T12:05:00Z'),
    )
    .then(['task.updated', 'task.due_date_changed', 'reminder.scheduled']);
  // Naming the edit's second event undoes the whole edit.
  const dueEvent = first(edited, 'task.due_date_changed');
  const back = undo(given, edited, dueEvent, '2026-02-10T12:06:00Z')
    .then([
      {
        event_type: 'task.updated',
        data: { changes: { title: { from: 'Pay the rent', to: 'Pay rent' } }, corrects: dueEvent?.event_id },
      },
      { event_type: 'task.due_date_changed', data: { corrects: dueEvent?.event_id } },
      { event_type: 'reminder.scheduled', data: { corrects: dueEvent?.event_id } },
    ])
    .then({ title: 'Pay rent', due_date: '2026-03-01T09:00:00.000Z' });
  t.is(back.state?.reminders.find((r) => r.offset === 'PT1H')?.remind_at, '2026-03-01T08:00:00.000Z');
});

test('an edit is not undone over a later change of the same field (409 naming it); other later changes do not block it', (t) => {
  const given = spec(t);
  const edited = given(created(given)).when({ type: 'update', data: { title: 'B' } }, at('2026-02-10T12:05:00Z'));
  const titleEdit = first(edited, 'task.updated');
  const prioritised = given(edited).when({ type: 'update', data: { priority: 1 } }, at('2026-02-10T12:06:00Z'));
  const retitled = given(prioritised).when({ type: 'update', data: { title: 'C' } }, at('2026-02-10T12:07:00Z'));
  undo(given, retitled, titleEdit, '2026-02-10T12:08:00Z').then(
    throws('conflict', 'title', new RegExp(`title was changed again since \\(event ${retitled.events[0]?.event_id}`)),
  );
  undo(given, prioritised, titleEdit, '2026-02-10T12:08:00Z').then({ title: 'Pay rent', priority: 1 });
});

test('undo refuses what it cannot take back: another task’s event (404), a fire or a correction (400), a change to a deleted task (409)', (t) => {
  const given = spec(t);
  const start = created(given);
  // The host reads only this task's events of this user: another task's event is not among them.
  const other = given().when({ type: 'create', id: T2, data: { title: 'Other' } }, at('2026-02-10T12:00:00Z'));
  const foreign = { ...(other.events[0] as EventEnvelope), event_id: 'event-of-another-task' };
  undo(given, start, foreign, '2026-02-10T12:01:00Z').then(throws('not_found', undefined, /event not found/));
  const fired = given(start).when(
    { type: 'fire_reminder', reminder_id: start.state?.reminders[1]?.id ?? '' },
    at('2026-02-10T12:30:00Z'),
  );
  undo(given, fired, first(fired, 'reminder.triggered'), '2026-02-10T12:31:00Z').then(
    throws('validation', 'event_id', /reminder.triggered cannot be undone/),
  );
  const done = given(start).when({ type: 'complete' }, at('2026-02-10T12:10:00Z'));
  const undone = undo(given, done, first(done, 'task.completed'), '2026-02-10T12:11:00Z');
  undo(given, undone, undone.events[0], '2026-02-10T12:12:00Z').then(throws('validation', 'event_id', /correction/));
  const edited = given(start).when({ type: 'update', data: { title: 'B' } }, at('2026-02-10T12:05:00Z'));
  const gone = given(edited).when({ type: 'delete' }, at('2026-02-10T12:06:00Z'));
  undo(given, gone, first(edited, 'task.updated'), '2026-02-10T12:07:00Z').then(
    throws('conflict', undefined, /deleted since .*undo the delete first/),
  );
});

test('an added reminder undone is cancelled; a removed one undone is armed again while its time is ahead', (t) => {
  const given = spec(t);
  const start = created(given);
  const added = given(start).when({ type: 'add_reminder', data: { before: 'P1D' } }, at('2026-02-10T12:05:00Z'));
  const addition = first(added, 'reminder.scheduled');
  const id = (addition?.data.reminder as { id: string }).id;
  undo(given, added, addition, '2026-02-10T12:06:00Z').then([
    { event_type: 'reminder.cancelled', data: { reminder_id: id, reason: 'undone', corrects: addition?.event_id } },
  ]);
  const removed = given(added).when({ type: 'remove_reminder', reminder_id: id }, at('2026-02-10T12:07:00Z'));
  const back = undo(given, removed, first(removed, 'reminder.cancelled'), '2026-02-10T12:08:00Z').then([
    { event_type: 'reminder.scheduled', data: { reason: 'undone' } },
  ]);
  t.like(
    back.state?.reminders.find((r) => r.id === id),
    { cancelled: false, remind_at: '2026-02-28T09:00:00.000Z' },
  );
  // Added again since its removal: its undo would remind twice.
  const again = given(removed).when({ type: 'add_reminder', data: { before: 'P1D' } }, at('2026-02-10T12:08:00Z'));
  const removal = first(removed, 'reminder.cancelled');
  const history = [...removed.history, ...again.events];
  given(again)
    .when(
      { type: 'undo', event_id: removal?.event_id as string },
      { ...at('2026-02-10T12:09:00Z'), undo: { events: history } },
    )
    .then(throws('conflict', undefined, /remind twice/));
  // The cancellation a completion made is the completion's to undo, not a removal.
  const done = given(start).when({ type: 'complete' }, at('2026-02-10T12:10:00Z'));
  undo(given, done, first(done, 'reminder.cancelled'), '2026-02-10T12:11:00Z').then(
    throws('validation', 'event_id', /not removed by the user/),
  );
});

test('a removed reminder is not armed again by its undo once the task is assigned to someone else (only the assignee has reminders)', (t) => {
  const given = spec(t);
  const shared = (iso: string): DecideContext => ({
    ...at(iso, { lists: new Set([L1]), labels: new Set() }),
    membersOf: () => ['u1', 'carol'],
  });
  const made = given().when(
    { type: 'create', id: T1, data: { title: 'Post the parcel', list_id: L1, due_date: '2026-03-01T09:00:00Z' } },
    shared('2026-02-10T12:00:00Z'),
  );
  const added = given(made).when({ type: 'add_reminder', data: { before: 'PT1H' } }, shared('2026-02-10T12:01:00Z'));
  const id = (first(added, 'reminder.scheduled')?.data.reminder as { id: string }).id;
  const removed = given(added).when({ type: 'remove_reminder', reminder_id: id }, shared('2026-02-10T12:02:00Z'));
  const removal = first(removed, 'reminder.cancelled');
  const assigned = given(removed)
    .when({ type: 'update', data: { assignee: 'carol' } }, shared('2026-02-10T12:03:00Z'))
    .then({ assignee: 'carol' });
  given(assigned)
    .when(
      { type: 'undo', event_id: removal?.event_id ?? 'missing' },
      { ...shared('2026-02-10T12:04:00Z'), undo: { events: assigned.history } },
    )
    .then(throws('conflict', undefined, /assigned to carol; only the assignee sets reminders/));
});

test('an undone edit that made an all-day task timed makes it all-day again on its date, and the other way', (t) => {
  const given = spec(t);
  const start = given().when(
    { type: 'create', id: T1, data: { title: 'Party', due_date: '2026-12-24' } },
    at('2026-12-01T12:00:00Z'),
  );
  t.is(start.state?.due_day, '2026-12-24');
  const timed = given(start).when(
    { type: 'update', data: { due_date: '2026-12-24T18:00:00Z' } },
    at('2026-12-01T12:01:00Z'),
  );
  t.is(timed.state?.due_day, null);
  const back = undo(given, timed, first(timed, 'task.due_date_changed'), '2026-12-01T12:02:00Z');
  t.is(back.state?.due_day, '2026-12-24', 'all-day again');
  // The other way: a timed task made all-day comes back timed, at its instant.
  const allDay = given(back).when({ type: 'update', data: { due_date: '2026-12-26' } }, at('2026-12-01T12:03:00Z'));
  t.is(allDay.state?.due_day, '2026-12-26');
  const made = given(allDay).when(
    { type: 'update', data: { due_date: '2026-12-27T07:30:00Z' } },
    at('2026-12-01T12:04:00Z'),
  );
  const timedAgain = given(made).when({ type: 'update', data: { due_date: '2026-12-28' } }, at('2026-12-01T12:05:00Z'));
  const undone = undo(given, timedAgain, first(timedAgain, 'task.due_date_changed'), '2026-12-01T12:06:00Z');
  t.is(undone.state?.due_day, null, 'timed again');
  t.is(undone.state?.due_date, '2026-12-27T07:30:00.000Z');
});

test('an all-day task restored after a zone change starts its date in the zone it follows now, its day reminders with it', (t) => {
  const given = spec(t);
  const inZone = (iso: string, userTimezone: string): DecideContext => ({ ...at(iso), userTimezone });
  const start = given().when(
    { type: 'create', id: T1, data: { title: 'Gift', due_date: '2026-12-06', reminders: [{ at_time: '09:00' }] } },
    inZone('2026-11-29T12:00:00Z', 'America/Los_Angeles'),
  );
  const gone = given(start).when({ type: 'delete' }, inZone('2026-11-29T12:05:00Z', 'America/Los_Angeles'));
  const deletion = first(gone, 'task.deleted');
  // Meanwhile the user moved to Kiritimati (UTC+14): the deleted task was not rescheduled.
  const back = given(gone)
    .when(
      { type: 'undo', event_id: deletion?.event_id ?? 'missing' },
      { ...inZone('2026-11-29T12:10:00Z', 'Pacific/Kiritimati'), undo: { events: gone.history } },
    )
    .then(['task.restored', 'reminder.scheduled'])
    .then({ deleted_at: null, due_day: '2026-12-06', due_date: '2026-12-05T10:00:00.000Z' });
  t.is(back.state?.reminders[0]?.remind_at, '2026-12-05T19:00:00.000Z', '09:00 on 6 December in Kiritimati');
  // An all-day series restored there: its next occurrence is today's date in the new zone.
  const series = given().when(
    { type: 'create', id: T2, data: { title: 'w', due_date: '2026-11-29', recurrence_rule: 'FREQ=DAILY' } },
    inZone('2026-11-29T12:00:00Z', 'America/Los_Angeles'),
  );
  const seriesGone = given(series).when({ type: 'delete' }, inZone('2026-11-29T12:05:00Z', 'America/Los_Angeles'));
  given(seriesGone)
    .when(
      { type: 'undo', event_id: first(seriesGone, 'task.deleted')?.event_id ?? 'missing' },
      { ...inZone('2026-11-29T21:30:00Z', 'Pacific/Kiritimati'), undo: { events: seriesGone.history } },
    )
    .then({ due_date: '2026-11-28T10:00:00.000Z', next_occurrence: '2026-11-29T10:00:00.000Z' });
});

test('an edit of recurrence_mode is undone like any field, with the title it came with; a later change of it blocks', (t) => {
  const given = spec(t);
  const series = given().when(
    {
      type: 'create',
      id: T2,
      data: { title: 'Water plants', due_date: '2026-03-01T09:00:00Z', recurrence_rule: 'FREQ=DAILY' },
    },
    at('2026-02-10T12:00:00Z'),
  );
  const edited = given(series)
    .when(
      { type: 'update', data: { title: 'Water the plants', recurrence_mode: 'after_completion' } },
      at('2026-02-10T12:05:00Z'),
    )
    .then({ recurrence_mode: 'after_completion', title: 'Water the plants' });
  const edit = first(edited, 'task.updated');
  const undone = undo(given, edited, edit, '2026-02-10T12:06:00Z').then({
    recurrence_mode: 'calendar',
    title: 'Water plants',
  });
  undo(given, undone, edit, '2026-02-10T12:07:00Z').then(throws('conflict', 'event_id', /already undone/));
  // The rule cleared since (which sets the mode back to calendar) changed the field the edit set: 409.
  const cleared = given(edited).when({ type: 'update', data: { recurrence_rule: null } }, at('2026-02-10T12:08:00Z'));
  t.is(cleared.state?.recurrence_mode, 'calendar');
  undo(given, cleared, edit, '2026-02-10T12:09:00Z').then(throws('conflict'));
});

test('an edit whose undo would bring back what today refuses (an assignee who has left the list) is a 409 on event_id', (t) => {
  const given = spec(t);
  const shared = (iso: string, members: string[]): DecideContext => ({
    ...at(iso, { lists: new Set([L1]), labels: new Set() }),
    membersOf: () => members,
  });
  const made = given().when(
    { type: 'create', id: T1, data: { title: 'Post the parcel', list_id: L1 } },
    shared('2026-02-10T12:00:00Z', ['u1', 'carol']),
  );
  const assigned = given(made)
    .when({ type: 'update', data: { assignee: 'carol' } }, shared('2026-02-10T12:01:00Z', ['u1', 'carol']))
    .then({ assignee: 'carol' });
  const unassigned = given(assigned)
    .when(
      { type: 'update', data: { assignee: null, title: 'unassigned' } },
      shared('2026-02-10T12:02:00Z', ['u1', 'carol']),
    )
    .then({ assignee: null });
  const edit = first(unassigned, 'task.updated');
  // carol has left the list: giving the task back to her is refused, and the request is not at fault.
  given(unassigned)
    .when(
      { type: 'undo', event_id: edit?.event_id ?? 'missing' },
      {
        ...shared('2026-02-10T12:03:00Z', ['u1']),
        undo: { events: unassigned.history },
      },
    )
    .then(throws('conflict', 'event_id', /^cannot be undone now: assignee: must be a user with access/));
  // While she is still a member, the undo gives it back to her.
  given(unassigned)
    .when(
      { type: 'undo', event_id: edit?.event_id ?? 'missing' },
      {
        ...shared('2026-02-10T12:03:00Z', ['u1', 'carol']),
        undo: { events: unassigned.history },
      },
    )
    .then({ assignee: 'carol', title: 'Post the parcel' });
  // An event that is no edit stays a 400 on event_id.
  given(unassigned)
    .when(
      { type: 'undo', event_id: first(made, 'task.created')?.event_id ?? 'missing' },
      {
        ...shared('2026-02-10T12:03:00Z', ['u1']),
        undo: { events: unassigned.history },
      },
    )
    .then(throws('validation', 'event_id', /cannot be undone/));
});
