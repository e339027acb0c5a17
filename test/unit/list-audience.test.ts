// Who receives an event of a shared list (issue 17), without I/O: the audience audienceOf gives for task,
// reminder, list, label and user events, the access rule it shares with the list_access view, and the
// canonical recipient. The lists are made by the membership decider and evolveList, as a turn makes them.
import test from 'ava';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import { evolveList, type ListState } from '../../actors/list/index.ts';
import { decideMembership, type MembershipCommand } from '../../actors/list/membership.ts';
import {
  accessOf,
  audienceOf,
  canonicalOf,
  scopeOf,
  type AudienceState,
  type ListScope,
} from '../../actors/list/audience.ts';

const SHARED = '00000000-0000-4000-8000-00000000000a';
const PRIVATE = '00000000-0000-4000-8000-00000000000b';
const TASK = '00000000-0000-4000-8000-0000000000f1';
const now = new Date('2026-03-01T10:00:00.000Z');

let seq = 0;
const stamp = (list: ListState | null, e: PendingEvent): EventEnvelope => ({
  ...e,
  event_id: `e${++seq}`,
  user_id: 'x',
  version: (list?.version ?? 0) + 1,
  seq,
  timestamp: now.toISOString(),
  correlation_id: 'c',
  causation_id: null,
});

function created(id: string, owner: string): ListState {
  const e: PendingEvent = {
    event_type: 'list.created',
    aggregate_type: 'list',
    aggregate_id: id,
    data: {
      list: {
        id,
        user_id: owner,
        name: id,
        color: null,
        position: 1,
        inbox: false,
        created_at: now.toISOString(),
        deleted_at: null,
      },
    },
  };
  return evolveList(null, stamp(null, e)) as ListState;
}

/** A membership step as a turn takes it: the event, the list before and after it. */
function step(list: ListState, actor: string, command: MembershipCommand) {
  const [event] = decideMembership(command, list, { now, actor });
  if (!event) throw new Error(`${command.type} by ${actor} decided nothing`);
  return { event, before: list, after: evolveList(list, stamp(list, event)) as ListState };
}
const run = (list: ListState, ...steps: [string, MembershipCommand][]): ListState =>
  steps.reduce((l, [actor, command]) => step(l, actor, command).after, list);

/** Alice's list shared with bob (active), carol (invited) and dave (removed after accepting). */
const shared = run(
  created(SHARED, 'alice'),
  ['alice', { type: 'share', user_id: 'bob', role: 'editor' }],
  ['bob', { type: 'accept' }],
  ['alice', { type: 'share', user_id: 'carol', role: 'editor' }],
  ['alice', { type: 'share', user_id: 'dave', role: 'editor' }],
  ['dave', { type: 'accept' }],
  ['alice', { type: 'remove', user_id: 'dave' }],
);
/** Alice's own list, never shared. */
const mine = created(PRIVATE, 'alice');
const scopes = (...lists: ListState[]): Map<string, ListScope> => new Map(lists.map((l) => [l.id, scopeOf(l)]));

interface Reminder {
  id: string;
  user_id: string;
}
const task = (list_id: string, reminders: Reminder[] = []): AudienceState => ({ list_id, reminders });
const taskEvent = (event_type: PendingEvent['event_type'], data: Record<string, unknown> = {}): PendingEvent => ({
  event_type,
  aggregate_type: 'task',
  aggregate_id: TASK,
  data,
});

test('access is the owner and the active editors of a live list; a deleted list is its owner’s alone', (t) => {
  t.deepEqual(accessOf(shared), ['alice', 'bob']);
  t.deepEqual(accessOf(scopeOf(shared)), ['alice', 'bob']);
  t.deepEqual(accessOf(mine), ['alice']);
  const deleted = evolveList(
    shared,
    stamp(shared, {
      event_type: 'list.deleted',
      aggregate_type: 'list',
      aggregate_id: SHARED,
      data: { list_id: SHARED, tasks: 'move' },
    }),
  ) as ListState;
  t.deepEqual(accessOf(deleted), ['alice']);
});

test('a task event reaches everyone with access to its list, and nobody invited, removed or outside', (t) => {
  const both = scopes(shared, mine);
  const edit = taskEvent('task.updated', { changes: { title: { from: 'a', to: 'b' } } });
  t.deepEqual(audienceOf(edit, task(SHARED), task(SHARED), both), ['alice', 'bob']);
  t.deepEqual(audienceOf(edit, task(PRIVATE), task(PRIVATE), both), ['alice'], 'a private list: its owner only');
  t.deepEqual(audienceOf(taskEvent('task.created'), null, task(SHARED), both), ['alice', 'bob']);
  t.deepEqual(audienceOf(taskEvent('task.deleted'), task(SHARED), task(SHARED), both), ['alice', 'bob']);
  t.deepEqual(audienceOf(taskEvent('recurring.spawned'), null, task(SHARED), both), ['alice', 'bob']);
});

test('a move between a private and a shared list reaches both lists’ users once, and later events only the new list’s', (t) => {
  const both = scopes(shared, mine);
  const move = (from: string, to: string) => taskEvent('task.updated', { changes: { list_id: { from, to } } });
  t.deepEqual(audienceOf(move(PRIVATE, SHARED), task(PRIVATE), task(SHARED), both), ['alice', 'bob'], 'into');
  t.deepEqual(audienceOf(move(SHARED, PRIVATE), task(SHARED), task(PRIVATE), both), ['alice', 'bob'], 'out of');
  const edit = taskEvent('task.completed');
  t.deepEqual(audienceOf(edit, task(PRIVATE), task(PRIVATE), both), ['alice'], 'after the move out, bob sees nothing');
  // Bob moves a task of the shared list into a list of his own.
  const bobs = created('00000000-0000-4000-8000-00000000000c', 'bob');
  const all = scopes(shared, mine, bobs);
  t.deepEqual(audienceOf(move(SHARED, bobs.id), task(SHARED), task(bobs.id), all), ['alice', 'bob']);
  t.deepEqual(audienceOf(edit, task(bobs.id), task(bobs.id), all), ['bob']);
});

test('a reminder event reaches the reminder’s owner only, also once they lost access', (t) => {
  const reminders = [
    { id: 'r-alice', user_id: 'alice' },
    { id: 'r-bob', user_id: 'bob' },
  ];
  const on = task(SHARED, reminders);
  const both = scopes(shared);
  t.deepEqual(
    audienceOf(taskEvent('reminder.scheduled', { reminder: { id: 'r-bob', user_id: 'bob' } }), on, on, both),
    ['bob'],
  );
  for (const type of [
    'reminder.triggered',
    'reminder.snoozed',
    'reminder.cancelled',
    'reminder.acknowledged',
  ] as const) {
    t.deepEqual(audienceOf(taskEvent(type, { reminder_id: 'r-bob' }), on, on, both), ['bob'], type);
    t.deepEqual(audienceOf(taskEvent(type, { reminder_id: 'r-alice' }), on, on, both), ['alice'], type);
  }
  // Bob is removed; the turn that follows cancels his reminders: the events are his own, and nobody else
  // learns of his reminders (not even their ids).
  const gone = run(shared, ['alice', { type: 'remove', user_id: 'bob' }]);
  const cancel = taskEvent('reminder.cancelled', { reminder_id: 'r-bob', reason: 'member_removed' });
  t.deepEqual(audienceOf(cancel, on, on, scopes(gone)), ['bob']);
  t.throws(() => audienceOf(taskEvent('reminder.triggered', { reminder_id: 'r-nobody' }), on, on, both), {
    message: /r-nobody/,
  });
});

test('membership events reach the list’s members and the user they are about; a removed member nothing after', (t) => {
  const share = step(shared, 'alice', { type: 'share', user_id: 'erin', role: 'editor' });
  t.deepEqual(audienceOf(share.event, share.before, share.after, new Map()), ['alice', 'bob', 'erin']);
  const decline = step(shared, 'carol', { type: 'decline' });
  t.deepEqual(audienceOf(decline.event, decline.before, decline.after, new Map()), ['alice', 'bob', 'carol']);
  const accept = step(shared, 'carol', { type: 'accept' });
  t.deepEqual(audienceOf(accept.event, accept.before, accept.after, new Map()), ['alice', 'bob', 'carol']);
  const leave = step(shared, 'bob', { type: 'leave' });
  t.deepEqual(audienceOf(leave.event, leave.before, leave.after, new Map()), ['alice', 'bob']);
  const revoke = step(shared, 'alice', { type: 'remove', user_id: 'carol' });
  t.deepEqual(audienceOf(revoke.event, revoke.before, revoke.after, new Map()), ['alice', 'bob', 'carol']);

  const removal = step(shared, 'alice', { type: 'remove', user_id: 'bob' });
  t.deepEqual(
    audienceOf(removal.event, removal.before, removal.after, new Map()),
    ['alice', 'bob'],
    'bob hears he is out',
  );
  const afterwards = removal.after;
  const rename: PendingEvent = {
    event_type: 'list.updated',
    aggregate_type: 'list',
    aggregate_id: SHARED,
    data: { changes: { name: { from: SHARED, to: 'x' } } },
  };
  const renamed = evolveList(afterwards, stamp(afterwards, rename)) as ListState;
  t.deepEqual(
    audienceOf(rename, afterwards, renamed, new Map()),
    ['alice', 'carol'],
    'carol, invited and not answering yet, sees the new name on her invitation; bob (removed) does not',
  );
  const moved: PendingEvent = { ...rename, data: { changes: { position: { from: 1, to: 2 } } } };
  t.deepEqual(
    audienceOf(moved, afterwards, evolveList(afterwards, stamp(afterwards, moved)) as ListState, new Map()),
    ['alice'],
    "the list's place in its owner's sidebar is not on the invitation: carol does not hear of it",
  );
  const recoloured: PendingEvent = { ...rename, data: { changes: { color: { from: null, to: '#3366ff' } } } };
  t.deepEqual(
    audienceOf(recoloured, afterwards, evolveList(afterwards, stamp(afterwards, recoloured)) as ListState, new Map()),
    ['alice', 'carol'],
  );
  const declined = run(afterwards, ['carol', { type: 'decline' }]);
  t.deepEqual(
    audienceOf(rename, declined, evolveList(declined, stamp(declined, rename)) as ListState, new Map()),
    ['alice'],
    'a declined invitation hears nothing more',
  );
  t.deepEqual(audienceOf(taskEvent('task.updated'), task(SHARED), task(SHARED), scopes(afterwards)), ['alice']);
  const next = step(afterwards, 'alice', { type: 'share', user_id: 'erin', role: 'editor' });
  t.deepEqual(audienceOf(next.event, next.before, next.after, new Map()), ['alice', 'erin']);

  const handover = step(shared, 'alice', { type: 'transfer', user_id: 'bob' });
  t.deepEqual(audienceOf(handover.event, handover.before, handover.after, new Map()), ['alice', 'bob']);
  const deleted: PendingEvent = {
    event_type: 'list.deleted',
    aggregate_type: 'list',
    aggregate_id: SHARED,
    data: { list_id: SHARED, tasks: 'move' },
  };
  t.deepEqual(
    audienceOf(deleted, shared, evolveList(shared, stamp(shared, deleted)), new Map()),
    ['alice', 'bob', 'carol'],
    'the editors hear of the deletion, and carol, whose open invitation ends with it; dave (removed) does not',
  );
  const answered = run(shared, ['carol', { type: 'decline' }]);
  t.deepEqual(
    audienceOf(deleted, answered, evolveList(answered, stamp(answered, deleted)), new Map()),
    ['alice', 'bob'],
    'a declined invitation is over: carol no longer hears of the list',
  );
});

test('label and user events reach their own user; a task whose list has no scope is a bug of the caller', (t) => {
  const label: PendingEvent = { event_type: 'label.created', aggregate_type: 'label', aggregate_id: 'l1', data: {} };
  t.deepEqual(audienceOf(label, null, { user_id: 'bob' }, new Map()), ['bob']);
  const zone: PendingEvent = {
    event_type: 'user.timezone_changed',
    aggregate_type: 'user',
    aggregate_id: 'carol',
    data: {},
  };
  t.deepEqual(audienceOf(zone, null, null, new Map()), ['carol']);
  t.throws(() => audienceOf(taskEvent('task.updated'), task(SHARED), task(SHARED), scopes(mine)), {
    message: /scope of list/,
  });
});

test('the canonical recipient is the actor when they receive the event, else the first of the audience', (t) => {
  t.is(canonicalOf(['alice', 'bob'], 'bob'), 'bob');
  t.is(canonicalOf(['bob', 'alice'], null), 'alice', 'a timer or system turn');
  t.is(canonicalOf(['bob', 'carol'], 'alice'), 'bob', 'an actor outside the audience');
  t.throws(() => canonicalOf([], 'alice'));
});
