// The task decider on a shared list (issue 17), given / when / then (test/helpers/decider-spec.ts):
// reminders per member (each added by its actor, acted on only by its owner, copied by a series to its
// owner), the assignee (a member with access to the list) and what an assignment does to the other
// members' reminders, a member's removal (`member_gone`) and a fire that never notifies a non-member.
import test from 'ava';
import type { DecideContext, TaskCommand, TaskState } from '../../actors/task/index.ts';
import { timersOf } from '../../actors/task/timers.ts';
import { inboxIdOf } from '../../actors/list/index.ts';
import { taskSpec as spec, sequentialIds } from '../helpers/task-context.ts';
import { throws, type Outcome } from '../helpers/decider-spec.ts';

type Step = Outcome<TaskState | null>;

const T1 = '11111111-1111-4111-8111-111111111111';
/** Alice's shared list "Groceries", and her private list "Own". */
const L1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const L2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const NOW = '2026-03-01T10:00:00Z';
const DUE = '2026-03-05T18:00:00Z';
const NOW_ISO = new Date(NOW).toISOString();

const newId = sequentialIds();
/**
 * The context of `actor` (undefined: a system turn) on a task whose home is alice, at `iso`, when
 * `members` have access to L1 (alice alone to L2).
 */
const by = (actor: string | undefined, members: readonly string[] = ['alice', 'bob'], iso = NOW): DecideContext => ({
  now: new Date(iso),
  userId: 'alice',
  ...(actor !== undefined ? { actor } : {}),
  userTimezone: 'UTC',
  newId,
  membersOf: (id) => (id === L1 ? members : id === L2 ? ['alice'] : undefined),
});

const create = (data: Extract<TaskCommand, { type: 'create' }>['data']): TaskCommand => ({
  type: 'create',
  id: T1,
  data,
});
const addBefore = (before: string): TaskCommand => ({ type: 'add_reminder', data: { before } });
const assign = (assignee: string | null): TaskCommand => ({ type: 'update', data: { assignee } });
const owners = (step: Step) =>
  (step.state?.reminders ?? []).map((r) => [r.user_id, r.cancelled ? r.cancel_reason : 'live'] as const);
const reminderOf = (step: Step, user: string) => step.state?.reminders.find((r) => r.user_id === user)?.id ?? '';

/** Alice's task in L1 with her reminder, and Bob's reminder on it. */
function bothRemind(t: import('ava').ExecutionContext): Step {
  const created = spec(t)()
    .when(create({ title: 'Milk', due_date: DUE, list_id: L1, reminders: [{ before: 'PT1H' }] }), by('alice'))
    .then(['task.created', 'reminder.scheduled']);
  return spec(t)(created).when(addBefore('PT2H'), by('bob')).then(['reminder.scheduled']);
}

test("a reminder is its actor's: alice's from the create, bob's from his add; each acts on their own only", (t) => {
  const both = bothRemind(t);
  t.deepEqual(owners(both), [
    ['alice', 'live'],
    ['bob', 'live'],
  ]);
  const alices = reminderOf(both, 'alice');
  spec(t)(both)
    .when({ type: 'remove_reminder', reminder_id: alices }, by('bob'))
    .then(throws('not_found'), "bob removing alice's reminder");
  spec(t)(both)
    .when({ type: 'acknowledge_reminder', reminder_id: alices }, by('bob'))
    .then(throws('not_found'), "bob acknowledging alice's reminder");
  spec(t)(both)
    .when({ type: 'snooze_reminder', reminder_id: alices, for: 'PT10M' }, by('bob'))
    .then(throws('not_found'), "bob snoozing alice's reminder");
  spec(t)(both)
    .when({ type: 'remove_reminder', reminder_id: reminderOf(both, 'bob') }, by('bob'))
    .then([{ event_type: 'reminder.cancelled', data: { reason: 'removed' } }]);
  // A turn without an actor (a caller that predates sharing) acts as the home user.
  spec(t)(both)
    .when({ type: 'remove_reminder', reminder_id: alices }, by(undefined))
    .then([{ event_type: 'reminder.cancelled', data: { reminder_id: alices, reason: 'removed' } }]);
});

test("assigning to bob cancels alice's reminders (assigned), only bob may add; unassigning re-arms hers at their time", (t) => {
  const both = bothRemind(t);
  const alices = both.state?.reminders.find((r) => r.user_id === 'alice');
  const assigned = spec(t)(both)
    .when(assign('bob'), by('alice'))
    .then([
      { event_type: 'task.updated', data: { changes: { assignee: { from: null, to: 'bob' } } }, exact: true },
      { event_type: 'reminder.cancelled', data: { reminder_id: alices?.id, reason: 'assigned' } },
    ])
    .then({ assignee: 'bob' });
  t.deepEqual(owners(assigned), [
    ['alice', 'assigned'],
    ['bob', 'live'],
  ]);
  spec(t)(assigned)
    .when(addBefore('PT3H'), by('alice'))
    .then(throws('conflict', undefined, /assigned to bob/));
  spec(t)(assigned).when(addBefore('PT3H'), by('bob')).then(['reminder.scheduled']);

  const unassigned = spec(t)(assigned)
    .when(assign(null), by('bob'))
    .then([
      { event_type: 'task.updated', data: { changes: { assignee: { from: 'bob', to: null } } } },
      { event_type: 'reminder.scheduled', data: { reason: 'unassigned' } },
    ])
    .then({ assignee: null });
  t.deepEqual(owners(unassigned), [
    ['alice', 'live'],
    ['bob', 'live'],
  ]);
  t.is(unassigned.state?.reminders[0]?.remind_at, alices?.remind_at);

  // Reassigned to alice: bob's go, alice's come back.
  const toAlice = spec(t)(assigned).when(assign('alice'), by('bob'));
  t.deepEqual(owners(toAlice), [
    ['alice', 'live'],
    ['bob', 'assigned'],
  ]);
  // Unassigned after alice's time has passed: hers stays cancelled.
  spec(t)(assigned)
    .when(assign(null), by('bob', ['alice', 'bob'], '2026-03-05T17:30:00Z'))
    .then(['task.updated']);
});

test('the assignee is a user with access to the list, or null: anyone else is a 400 naming assignee', (t) => {
  const both = bothRemind(t);
  spec(t)(both)
    .when(assign('carol'), by('alice'))
    .then(throws('validation', 'assignee', /access to the task's list/));
  spec(t)(both).when(assign(''), by('alice')).then(throws('validation', 'assignee'));
  // A private task: its owner alone.
  const own = spec(t)().when(create({ title: 'Own', list_id: L2 }), by('alice'));
  spec(t)(own).when(assign('bob'), by('alice')).then(throws('validation', 'assignee'));
  spec(t)(own).when(assign('alice'), by('alice')).then({ assignee: 'alice' });
  const inbox = spec(t)().when(create({ title: 'Inbox' }), by('alice'));
  t.is(inbox.state?.list_id, inboxIdOf('alice'));
  spec(t)(inbox).when(assign('bob'), by('alice')).then(throws('validation', 'assignee'));
  // Created assigned: bob may be named; reminders by anyone else in the same create are a 409.
  spec(t)()
    .when(create({ title: 'Bread', list_id: L1, assignee: 'bob' }), by('alice'))
    .then({ assignee: 'bob' });
  spec(t)()
    .when(
      create({ title: 'Bread', due_date: DUE, list_id: L1, assignee: 'bob', reminders: [{ before: 'PT1H' }] }),
      by('alice'),
    )
    .then(throws('conflict'));
  // Moving an assigned task to a list the assignee has no access to, without unassigning it: 400.
  const assigned = spec(t)(both).when(assign('bob'), by('alice'));
  spec(t)(assigned)
    .when({ type: 'update', data: { list_id: L2 } }, by('alice'))
    .then(throws('validation', 'assignee', /no access to the list it moves to/));
  spec(t)(assigned)
    .when({ type: 'update', data: { list_id: L2, assignee: null } }, by('alice'))
    .then({ list_id: L2, assignee: null });
});

test("member_gone: bob's reminders are cancelled (member_removed), his assignment cleared, alice's re-armed; nothing while he has access", (t) => {
  const both = bothRemind(t);
  const assigned = spec(t)(both).when(assign('bob'), by('alice'));
  const gone = spec(t)(assigned)
    .when({ type: 'member_gone', user_id: 'bob' }, by(undefined, ['alice']))
    .then([
      { event_type: 'reminder.cancelled', data: { reminder_id: reminderOf(both, 'bob'), reason: 'member_removed' } },
      {
        event_type: 'task.updated',
        data: { changes: { assignee: { from: 'bob', to: null } }, reason: 'member_removed' },
      },
      { event_type: 'reminder.scheduled', data: { reason: 'unassigned' } },
    ])
    .then({ assignee: null });
  t.deepEqual(owners(gone), [
    ['alice', 'live'],
    ['bob', 'member_removed'],
  ]);
  // Bob back on the list before the fan-out reached the task: nothing.
  spec(t)(assigned).when({ type: 'member_gone', user_id: 'bob' }, by(undefined)).then([]);
  // Alice assigned, bob gone: his reminder (cancelled by the assignment) is cancelled for good, so
  // unassigning never re-arms it.
  const toAlice = spec(t)(both).when(assign('alice'), by('alice'));
  const bobGone = spec(t)(toAlice).when({ type: 'member_gone', user_id: 'bob' }, by(undefined, ['alice']));
  t.deepEqual(owners(bobGone), [
    ['alice', 'live'],
    ['bob', 'member_removed'],
  ]);
  spec(t)(bobGone)
    .when(assign(null), by('alice', ['alice']))
    .then(['task.updated']);
});

test('member_gone after bob left the list himself: each event of the clean-up says member_left, as the membership event did', (t) => {
  const both = bothRemind(t);
  const assigned = spec(t)(both).when(assign('bob'), by('alice'));
  spec(t)(assigned)
    .when({ type: 'member_gone', user_id: 'bob', reason: 'member_left' }, by(undefined, ['alice']))
    .then([
      { event_type: 'reminder.cancelled', data: { reminder_id: reminderOf(both, 'bob'), reason: 'member_left' } },
      { event_type: 'task.updated', data: { changes: { assignee: { from: 'bob', to: null } }, reason: 'member_left' } },
      { event_type: 'reminder.scheduled', data: { reason: 'unassigned' } },
    ]);
});

test('member_gone on a task its creator made: it keeps the zone it followed (theirs, now its own) and drops their labels; a later zone change of theirs moves nothing', (t) => {
  const LABEL = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
  // Alice, in Berlin, made a daily series and an all-day task in L1 (she is no longer on it: bob's list now).
  const inBerlin = (actor: string | undefined, members: readonly string[]): DecideContext => ({
    ...by(actor, members),
    userTimezone: 'Europe/Berlin',
  });
  const series = spec(t)()
    .when(
      create({ title: 'Water plants', due_date: DUE, list_id: L1, recurrence_rule: 'FREQ=DAILY', labels: [LABEL] }),
      inBerlin('alice', ['alice', 'bob']),
    )
    .then(['task.created']);
  const gone = spec(t)(series)
    .when({ type: 'member_gone', user_id: 'alice' }, inBerlin(undefined, ['bob']))
    .then([
      {
        event_type: 'task.updated',
        data: {
          changes: { timezone: { from: null, to: 'Europe/Berlin' }, labels: { from: [LABEL], to: [] } },
          reason: 'member_removed',
        },
        exact: true,
      },
    ])
    .then({ timezone: 'Europe/Berlin', labels: [], next_occurrence: series.state?.next_occurrence ?? null });
  // Her move to Tokyo afterwards (host/users/turn.ts fans a zone change out as `reschedule`): the series stays.
  spec(t)(gone)
    .when(
      { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'Asia/Tokyo' },
      { ...inBerlin(undefined, ['bob']), userTimezone: 'Asia/Tokyo' },
    )
    .then([]);
  // While she is a member the same zone change moves it: the test above is not vacuous.
  spec(t)(series)
    .when(
      { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'Asia/Tokyo' },
      { ...inBerlin(undefined, ['alice', 'bob']), userTimezone: 'Asia/Tokyo' },
    )
    .then(['recurring.rescheduled']);
  // An all-day task of hers is pinned too; a timed one-off without labels needs nothing.
  const allDay = spec(t)()
    .when(create({ title: 'Party', due_date: '2026-03-07', list_id: L1 }), inBerlin('alice', ['alice', 'bob']))
    .then(['task.created']);
  spec(t)(allDay)
    .when({ type: 'member_gone', user_id: 'alice' }, inBerlin(undefined, ['bob']))
    .then([{ event_type: 'task.updated', data: { changes: { timezone: { from: null, to: 'Europe/Berlin' } } } }]);
  const timed = spec(t)()
    .when(create({ title: 'Call', due_date: DUE, list_id: L1 }), inBerlin('alice', ['alice', 'bob']))
    .then(['task.created']);
  spec(t)(timed)
    .when({ type: 'member_gone', user_id: 'alice' }, inBerlin(undefined, ['bob']))
    .then([]);
  // Another member's departure leaves alice's task as it is.
  spec(t)(series)
    .when({ type: 'member_gone', user_id: 'bob' }, inBerlin(undefined, ['alice']))
    .then([]);

  // Her zone change (Berlin → Tokyo) committed just before, its reschedule not yet here: the series' times
  // are still Berlin's, so member_gone does not give it Tokyo (its labels go all the same)…
  const inTokyo = (actor: string | undefined, members: readonly string[]): DecideContext => ({
    ...by(actor, members),
    userTimezone: 'Asia/Tokyo',
  });
  const raced = spec(t)(series)
    .when({ type: 'member_gone', user_id: 'alice' }, inTokyo(undefined, ['bob']))
    .then([
      {
        event_type: 'task.updated',
        data: { changes: { labels: { from: [LABEL], to: [] } }, reason: 'member_removed' },
        exact: true,
      },
    ])
    .then({ timezone: null });
  // …and the reschedule, finding her gone from the list, keeps it in Berlin, where its times are.
  spec(t)(raced)
    .when({ type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'Asia/Tokyo' }, inTokyo(undefined, ['bob']))
    .then([
      {
        event_type: 'task.updated',
        data: { changes: { timezone: { from: null, to: 'Europe/Berlin' } }, reason: 'member_removed' },
        exact: true,
      },
    ])
    .then({ timezone: 'Europe/Berlin', next_occurrence: series.state?.next_occurrence ?? null });
  // A list deleted while her zone changes: she has not left it (its tasks go to their makers' Inboxes), so
  // her series moves with her zone as usual.
  spec(t)(series)
    .when(
      { type: 'reschedule', from_zone: 'Europe/Berlin', to_zone: 'Asia/Tokyo' },
      { ...inTokyo(undefined, ['bob']), listDeleted: (id) => id === L1 },
    )
    .then(['recurring.rescheduled']);
  // A completed all-day task of hers keeps her zone too: reopened by a member, it does not follow her; also
  // when her zone changed while it was completed (a zone change passes completed all-day tasks by).
  const done = spec(t)(allDay).when({ type: 'complete' }, inBerlin('alice', ['alice', 'bob']));
  spec(t)(done)
    .when({ type: 'member_gone', user_id: 'alice' }, inBerlin(undefined, ['bob']))
    .then([{ event_type: 'task.updated', data: { changes: { timezone: { from: null, to: 'Europe/Berlin' } } } }]);
  spec(t)(done)
    .when({ type: 'member_gone', user_id: 'alice' }, inTokyo(undefined, ['bob']))
    .then([{ event_type: 'task.updated', data: { changes: { timezone: { from: null, to: 'Asia/Tokyo' } } } }]);
});

test("fire heals itself: bob's reminder due after he lost access is cancelled, never triggered; alice's fires", (t) => {
  const both = bothRemind(t);
  const bobs = reminderOf(both, 'bob');
  spec(t)(both)
    .when({ type: 'fire_reminder', reminder_id: bobs }, by(undefined, ['alice'], '2026-03-05T16:00:00Z'))
    .then([{ event_type: 'reminder.cancelled', data: { reminder_id: bobs, reason: 'member_removed' }, exact: true }]);
  spec(t)(both)
    .when({ type: 'fire_reminder', reminder_id: bobs }, by(undefined, ['alice', 'bob'], '2026-03-05T16:00:00Z'))
    .then(['reminder.triggered']);
  spec(t)(both)
    .when(
      { type: 'fire_reminder', reminder_id: reminderOf(both, 'alice') },
      by(undefined, ['alice'], '2026-03-05T17:00:00Z'),
    )
    .then(['reminder.triggered']);
  // Each reminder's timer is for its owner, whose sockets get the notification.
  t.deepEqual(
    timersOf(both.state as TaskState, 'UTC').map((timer) => [timer.userId, timer.command]),
    [
      ['alice', { type: 'fire_reminder', reminder_id: reminderOf(both, 'alice') }],
      ['bob', { type: 'fire_reminder', reminder_id: bobs }],
    ],
  );
});

test("a series' instance copies each template reminder with its owner, and the series' assignee", (t) => {
  const series = spec(t)()
    .when(
      create({
        title: 'Bins',
        due_date: DUE,
        recurrence_rule: 'FREQ=WEEKLY',
        list_id: L1,
        reminders: [{ before: 'PT1H' }],
      }),
      by('alice'),
    )
    .then(['task.created', 'reminder.scheduled']);
  const withBob = spec(t)(series).when(addBefore('PT2H'), by('bob')).then(['reminder.scheduled']);
  const spawned = spec(t)(withBob)
    .when({ type: 'spawn' }, by(undefined, ['alice', 'bob'], '2026-03-05T16:30:00Z'))
    .then(['recurring.spawned', 'task.created', 'reminder.scheduled', 'reminder.scheduled']);
  const instance = spawned.events[1]?.aggregate_id ?? '';
  t.deepEqual(
    spawned.stateOf(instance)?.reminders.map((r) => [r.user_id, r.offset]),
    [
      ['alice', 'PT1H'],
      ['bob', 'PT2H'],
    ],
  );
  // Assigned to bob: alice's template is cancelled, so instances carry bob's alone, and are his.
  const assigned = spec(t)(withBob).when(assign('bob'), by('alice'));
  const next = spec(t)(assigned).when({ type: 'spawn' }, by(undefined, ['alice', 'bob'], '2026-03-05T16:30:00Z'));
  const id = next.events[1]?.aggregate_id ?? '';
  t.like(next.stateOf(id), { assignee: 'bob' });
  t.deepEqual(
    next.stateOf(id)?.reminders.map((r) => r.user_id),
    ['bob'],
  );
});

test("completed while assigned to bob: uncompleting re-arms bob's reminders, and keeps alice's for the unassignment", (t) => {
  const both = bothRemind(t);
  const assigned = spec(t)(both).when(assign('bob'), by('alice'));
  const completed = spec(t)(assigned).when({ type: 'complete' }, by('bob'));
  const reopened = spec(t)(completed).when({ type: 'uncomplete' }, by('bob'));
  t.deepEqual(owners(reopened), [
    ['alice', 'assigned'],
    ['bob', 'live'],
  ]);
  const unassigned = spec(t)(reopened).when(assign(null), by('alice'));
  t.deepEqual(owners(unassigned), [
    ['alice', 'live'],
    ['bob', 'live'],
  ]);
});

test("an undone delete tells every member of the list the task, without anyone's reminders; one member left, with their own only", (t) => {
  const both = bothRemind(t);
  const deleted = spec(t)(both)
    .when({ type: 'delete' }, by('alice'))
    .then(['task.deleted', 'reminder.cancelled', 'reminder.cancelled']);
  const undone = (members: readonly string[]) =>
    spec(t)(deleted).when(
      { type: 'undo', event_id: deleted.events[0]?.event_id ?? '' },
      { ...by('alice', members), undo: { events: deleted.history } },
    );
  const shared = undone(['alice', 'bob']).then(['task.restored', 'reminder.scheduled', 'reminder.scheduled']);
  t.deepEqual((shared.events[0]?.data.task as TaskState).reminders, []);
  t.deepEqual(owners(shared), [
    ['alice', 'live'],
    ['bob', 'live'],
  ]);
  // Bob was removed since: his reminder stays his, even in what alice, now alone, is told.
  const alone = undone(['alice']);
  t.deepEqual(
    (alone.events[0]?.data.task as TaskState).reminders.map((r) => r.user_id),
    ['alice'],
  );
});

test("a deleted task assigned to bob, restored after bob left the list, is unassigned and alice's paused reminder is back", (t) => {
  const assigned = spec(t)(bothRemind(t)).when(assign('bob'), by('alice'));
  t.deepEqual(owners(assigned), [
    ['alice', 'assigned'],
    ['bob', 'live'],
  ]);
  const deleted = spec(t)(assigned).when({ type: 'delete' }, by('alice'));
  const undo = (members: readonly string[]) =>
    spec(t)(deleted).when(
      { type: 'undo', event_id: deleted.events[0]?.event_id ?? '' },
      { ...by('alice', members), undo: { events: deleted.history } },
    );
  // Bob still a member: the task comes back assigned to him, alice's reminder still paused.
  t.like(undo(['alice', 'bob']).state, { assignee: 'bob' });
  // Bob removed meanwhile (his removal clears only live tasks): no assignee, alice's reminder re-armed.
  const restored = undo(['alice'])
    .then([
      {
        event_type: 'task.restored',
        data: { changes: { deleted_at: { from: NOW_ISO, to: null }, assignee: { from: 'bob', to: null } } },
      },
      { event_type: 'reminder.scheduled', data: { reason: 'unassigned' } },
    ])
    .then({ assignee: null });
  t.deepEqual(owners(restored), [
    ['alice', 'live'],
    ['bob', 'task_deleted'],
  ]);
});

test('a completion or delete taken back re-arms only the reminders of members who still have access', (t) => {
  const both = bothRemind(t);
  const completed = spec(t)(both).when({ type: 'complete' }, by('alice'));
  t.deepEqual(owners(spec(t)(completed).when({ type: 'uncomplete' }, by('alice', ['alice']))), [
    ['alice', 'live'],
    ['bob', 'task_completed'],
  ]);
  const deleted = spec(t)(both).when({ type: 'delete' }, by('alice'));
  const restored = spec(t)(deleted).when(
    { type: 'undo', event_id: deleted.events[0]?.event_id ?? '' },
    { ...by('alice', ['alice']), undo: { events: deleted.history } },
  );
  t.deepEqual(owners(restored), [
    ['alice', 'live'],
    ['bob', 'task_deleted'],
  ]);
});

test('a due date moved back later brings back only the passed reminders of members with access, and not while the task is assigned to another', (t) => {
  // Due in 30 min: alice's reminder (1 h before) and bob's (2 h before) pass.
  const both = bothRemind(t);
  const soon = spec(t)(both)
    .when({ type: 'update', data: { due_date: '2026-03-01T10:30:00Z' } }, by('alice'))
    .then([
      'task.due_date_changed',
      { event_type: 'reminder.cancelled', data: { reason: 'passed' } },
      { event_type: 'reminder.cancelled', data: { reason: 'passed' } },
    ]);
  const later = { type: 'update', data: { due_date: DUE } } as const;
  t.deepEqual(owners(spec(t)(soon).when(later, by('alice'))), [
    ['alice', 'live'],
    ['bob', 'live'],
  ]);
  // Bob has no access any more: his stays off.
  t.deepEqual(owners(spec(t)(soon).when(later, by('alice', ['alice']))), [
    ['alice', 'live'],
    ['bob', 'passed'],
  ]);
  // Assigned to bob: only his comes back.
  const toBob = spec(t)(soon).when(assign('bob'), by('alice'));
  t.deepEqual(owners(spec(t)(toBob).when(later, by('alice'))), [
    ['alice', 'passed'],
    ['bob', 'live'],
  ]);
});

test("the shared list deleted: bob's task moves to his Inbox, alice's reminder on it is cancelled and her assignment cleared", (t) => {
  // Bob's task in alice's list L1 (his home: he created it), alice's reminder on it, assigned to alice.
  const asBob = (actor: string | undefined): DecideContext => ({ ...by(actor), userId: 'bob' });
  const created = spec(t)()
    .when(create({ title: 'Napkins', due_date: DUE, list_id: L1, reminders: [{ before: 'PT1H' }] }), asBob('bob'))
    .then(['task.created', 'reminder.scheduled']);
  const withAlice = spec(t)(created).when(addBefore('PT2H'), asBob('alice'));
  const assigned = spec(t)(withAlice).when(assign('alice'), asBob('bob'));
  t.deepEqual(owners(assigned), [
    ['bob', 'assigned'],
    ['alice', 'live'],
  ]);
  const moved = spec(t)(assigned)
    .when({ type: 'list_deleted', list_id: L1, tasks: 'move' }, asBob(undefined))
    .then([
      { event_type: 'reminder.cancelled', data: { reason: 'member_removed' } },
      {
        event_type: 'task.updated',
        data: { changes: { list_id: { from: L1, to: inboxIdOf('bob') }, assignee: { from: 'alice', to: null } } },
      },
      { event_type: 'reminder.scheduled', data: { reason: 'unassigned' } },
    ])
    .then({ list_id: inboxIdOf('bob'), assignee: null });
  t.deepEqual(owners(moved), [
    ['bob', 'live'],
    ['alice', 'member_removed'],
  ]);
});

test("If-Match is judged by what the issuer can see: bob's reminders never fail alice's edit, her own and shared changes do", (t) => {
  const created = spec(t)()
    .when(create({ title: 'Milk', due_date: DUE, list_id: L1 }), by('alice'))
    .then(['task.created']);
  const seen = created.state?.version ?? 0;
  // Bob's own reminder: an event only he receives, which still moves the task's version.
  const bobs = spec(t)(created).when(addBefore('PT2H'), by('bob')).then(['reminder.scheduled']);
  t.true((bobs.state?.version ?? 0) > seen, 'a reminder event moves the version');
  const retitle = (expected: number): TaskCommand => ({
    type: 'update',
    data: { title: 'Oat milk' },
    expected_version: expected,
  });
  spec(t)(bobs).when(retitle(seen), by('alice')).then(['task.updated'], 'alice, at the version she saw');
  spec(t)(bobs)
    .when(retitle(seen), by('bob'))
    .then(throws('version_mismatch'), 'bob, at a version before his own reminder');
  spec(t)(bobs)
    .when(retitle(bobs.state?.version ?? 0), by('bob'))
    .then(['task.updated'], 'bob, at the current version');
  // Alice's own reminder after the version she names: her conditional edit fails (a lost update on her device).
  const hers = spec(t)(bobs).when(addBefore('PT1H'), by('alice')).then(['reminder.scheduled']);
  spec(t)(hers).when(retitle(seen), by('alice')).then(throws('version_mismatch'), 'after her own reminder');
  // A change every member sees fails both.
  const renamed = spec(t)(bobs)
    .when({ type: 'update', data: { title: 'Soy milk' } }, by('bob'))
    .then(['task.updated']);
  spec(t)(renamed).when(retitle(seen), by('alice')).then(throws('version_mismatch'), 'after a shared change');
  spec(t)(renamed)
    .when(retitle((renamed.state?.version ?? 0) + 1), by('alice'))
    .then(throws('version_mismatch'), 'a version the task has not reached');
});

test("another member's hidden template never refuses an edit of the series: it is cancelled as reaching too far, told to its owner alone", (t) => {
  const series = spec(t)()
    .when(create({ title: 'Bins', due_date: DUE, list_id: L1, recurrence_rule: 'FREQ=WEEKLY' }), by('alice'))
    .then(['task.created']);
  const bobs = spec(t)(series).when(addBefore('P60D'), by('bob')).then(['reminder.scheduled']);
  const daily = spec(t)(bobs)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } }, by('alice'))
    .then(['task.updated', { event_type: 'reminder.cancelled', data: { reason: 'reaches_too_far' } }]);
  t.deepEqual(owners(daily), [['bob', 'reaches_too_far']]);
  // Bob's own edit to the same rule is refused: it is his reminder, and he is told which.
  spec(t)(bobs)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } }, by('bob'))
    .then(throws('validation', 'recurrence_rule', /reaches back over more than 50 occurrences/));
  // Nor can an undo bring a removed template back past the limit on a rule made denser since (each step at
  // its own time: a turn is the events of one request at one instant).
  const removed = spec(t)(bobs)
    .when(
      { type: 'remove_reminder', reminder_id: reminderOf(bobs, 'bob') },
      by('bob', undefined, '2026-03-01T10:01:00Z'),
    )
    .then(['reminder.cancelled']);
  const denser = spec(t)(removed)
    .when({ type: 'update', data: { recurrence_rule: 'FREQ=DAILY' } }, by('alice', undefined, '2026-03-01T10:02:00Z'))
    .then(['task.updated']);
  spec(t)(denser)
    .when(
      { type: 'undo', event_id: removed.events[0]?.event_id as string },
      {
        ...by('bob', undefined, '2026-03-01T10:03:00Z'),
        undo: { events: [...series.events, ...bobs.events, ...removed.events, ...denser.events] },
      },
    )
    .then(throws('validation', 'event_id', /reaches back over more than 50 occurrences/));
});
