// The chaos run's client-side check of a shared list (test/chaos/shared.ts): which socket messages about
// the list reached a member while they were not a member, read from the member's own stream in seq order.
import test from 'ava';
import { outsideMembership, received, type Received } from '../chaos/shared.ts';

const me = 'bob';
const list = 'L';
const task = 'T';
const other = 'U';

const stream = (events: Omit<Received, 'seq' | 'user_id'>[]): Map<number, Received> =>
  new Map(events.map((e, i) => [i + 1, { seq: i + 1, user_id: me, ...e }]));

test('a member removed and invited again: only socket messages about the list between the removal and the accept count', (t) => {
  const s = stream([
    { event_type: 'list.shared', aggregate_id: list, about: me }, // 1 the invitation
    { event_type: 'list.invitation_accepted', aggregate_id: list, about: me }, // 2
    { event_type: 'task.updated', aggregate_id: task }, // 3 inside
    { event_type: 'list.member_removed', aggregate_id: list, about: me }, // 4 the closing event itself
    { event_type: 'reminder.cancelled', aggregate_id: task }, // 5 their own reminder, cancelled as they go
    { event_type: 'task.updated', aggregate_id: task }, // 6 LEAK: a task of the list
    { event_type: 'task.updated', aggregate_id: other }, // 7 another task: not about the list
    { event_type: 'list.updated', aggregate_id: list }, // 8 LEAK: the list itself
    { event_type: 'list.shared', aggregate_id: list, about: me }, // 9 invited again
    { event_type: 'list.updated', aggregate_id: list }, // 10 renamed while invited: the invitation shows the name
    { event_type: 'list.invitation_accepted', aggregate_id: list, about: me }, // 11
    { event_type: 'task.updated', aggregate_id: task }, // 12 inside again
    { event_type: 'list.member_left', aggregate_id: list, about: me }, // 13
    { event_type: 'list.updated', aggregate_id: list }, // 14 LEAK: gone, not invited
    { event_type: 'task.created', aggregate_id: task }, // 15 LEAK, but came by backfill only
  ]);
  const socket = new Set(s.keys());
  socket.delete(15);
  t.deepEqual(
    outsideMembership(me, list, new Set([task]), s, socket).map((e) => e.seq),
    [6, 8, 14],
  );
  t.deepEqual(
    outsideMembership(me, list, new Set([task]), s, new Set(s.keys())).map((e) => e.seq),
    [6, 8, 14, 15],
  );
});

test('the owner is a member from list.created in their stream; an event about another member does not change it', (t) => {
  const s = stream([
    { event_type: 'list.created', aggregate_id: list },
    { event_type: 'list.member_removed', aggregate_id: list, about: 'carol' },
    { event_type: 'task.updated', aggregate_id: task },
  ]);
  t.deepEqual(outsideMembership(me, list, new Set([task]), s, new Set(s.keys())), []);
  t.deepEqual(
    outsideMembership(me, list, new Set([task]), new Map([[3, s.get(3) as Received]]), new Set([3])).map((e) => e.seq),
    [3],
    'without list.created or an accept, a message about the list is outside',
  );
});

test('received keeps who a membership event is about, and nothing for other events', (t) => {
  t.deepEqual(
    received({ seq: 4, user_id: me, event_type: 'list.member_removed', aggregate_id: list, data: { user_id: me } }),
    { seq: 4, user_id: me, event_type: 'list.member_removed', aggregate_id: list, about: me },
  );
  t.deepEqual(received({ seq: 5, user_id: me, event_type: 'task.updated', aggregate_id: task, data: {} }), {
    seq: 5,
    user_id: me,
    event_type: 'task.updated',
    aggregate_id: task,
  });
});
