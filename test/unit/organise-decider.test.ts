// The list and label deciders, and the task decider's new fields (list, priority, labels, completion
// time) and fan-out commands, without I/O (issue 15), given / when / then (test/helpers/decider-spec.ts).
// Lists and labels are decided on all of a user's lists or labels, so their specs are collection deciders.
import test, { type ExecutionContext } from 'ava';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import {
  decideList,
  evolveList,
  inboxIdOf,
  inboxOf,
  type ListCommand,
  type ListState,
  type OrganiseContext,
} from '../../actors/list/index.ts';
import { decideLabel, evolveLabel, type LabelCommand, type LabelState } from '../../actors/label/index.ts';
import type { DecideContext, TaskState } from '../../actors/task/index.ts';
import { taskSpec } from '../helpers/task-context.ts';
import { deciderSpec, throws, type CollectionDecider, type Given } from '../helpers/decider-spec.ts';

const now = new Date('2026-03-01T10:00:00.000Z');
const NOW = now.toISOString();
const ctx: OrganiseContext = { now, userId: 'u1' };
const L1 = '00000000-0000-4000-8000-000000000001';
const L2 = '00000000-0000-4000-8000-000000000002';
const INBOX = inboxIdOf('u1');

const live = <S>(s: S | null): s is S => s !== null;
/** The user's lists: the Inbox (made with the user, by no event) and every list the given events made. */
const lists: CollectionDecider<ListCommand, ListState | null, OrganiseContext> = {
  collection: true,
  decide: (command, states, context) => decideList(command, [inboxOf('u1', NOW), ...states.filter(live)], context),
  evolve: evolveList,
  initialState: () => null,
};
const labels: CollectionDecider<LabelCommand, LabelState | null, OrganiseContext> = {
  collection: true,
  decide: (command, states, context) => decideLabel(command, states.filter(live), context),
  evolve: evolveLabel,
  initialState: () => null,
};
const listSpec = (t: ExecutionContext): Given<ListCommand, ListState | null, OrganiseContext> =>
  deciderSpec(t, lists, { clock: (context) => context.now });
const labelSpec = (t: ExecutionContext): Given<LabelCommand, LabelState | null, OrganiseContext> =>
  deciderSpec(t, labels, { clock: (context) => context.now });

test('the Inbox id is derived from the user id, the same for every call, a UUID, and differs per user', (t) => {
  t.is(inboxIdOf('alice'), inboxIdOf('alice'));
  t.not(inboxIdOf('alice'), inboxIdOf('bob'));
  t.regex(inboxIdOf('alice'), /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  t.like(inboxOf('alice', NOW), { inbox: true, name: 'Inbox', version: 0, position: 0 });
});

test('lists: created with a trimmed name, a lower-case colour and the next position; updated field by field; deleted once; the Inbox stays', (t) => {
  const given = listSpec(t);
  const work = given()
    .when({ type: 'create_list', id: L1, data: { name: '  Work ', color: '#ABCDEF' } }, ctx)
    .then([
      {
        event_type: 'list.created',
        aggregate_type: 'list',
        aggregate_id: L1,
        data: {
          list: {
            id: L1,
            user_id: 'u1',
            name: 'Work',
            color: '#abcdef',
            position: 1,
            inbox: false,
            created_at: NOW,
            deleted_at: null,
          },
        },
        exact: true,
      },
    ])
    .then({ id: L1, version: 1, deleted_at: null });
  given(work)
    .when({ type: 'create_list', id: L2, data: { name: '   ' } }, ctx)
    .then(throws('validation', 'name'));
  given(work)
    .when({ type: 'create_list', id: L2, data: { name: '\u200b\u3164' } }, ctx)
    .then(throws('validation', 'name', /nothing in it shows/));
  given(work)
    .when({ type: 'create_list', id: L2, data: { name: 'x', color: 'red' } }, ctx)
    .then(throws('validation', 'color'));
  given(work)
    .when({ type: 'create_list', id: L1, data: { name: 'again' } }, ctx)
    .then(throws('conflict', 'id'));

  given(work)
    .when({ type: 'update_list', list_id: L1, data: { name: 'Work' } }, ctx)
    .then([], 'no change, no event');
  const job = given(work)
    .when({ type: 'update_list', list_id: L1, data: { name: 'Job', color: null, position: 3 } }, ctx)
    .then([
      {
        event_type: 'list.updated',
        data: {
          changes: {
            name: { from: 'Work', to: 'Job' },
            color: { from: '#abcdef', to: null },
            position: { from: 1, to: 3 },
          },
        },
        exact: true,
      },
    ])
    .then({ name: 'Job', color: null, position: 3, version: 2 });
  given(job)
    .when({ type: 'update_list', list_id: L1, data: { name: 'x' }, expected_version: 1 }, ctx)
    .then(throws('version_mismatch'));
  given(job)
    .when({ type: 'update_list', list_id: L2, data: { name: 'x' } }, ctx)
    .then(throws('not_found'));

  given(job).when({ type: 'delete_list', list_id: INBOX, tasks: 'move' }, ctx).then(throws('conflict', 'id'));
  const gone = given(job)
    .when({ type: 'delete_list', list_id: L1, tasks: 'delete' }, ctx)
    .then([{ event_type: 'list.deleted', data: { list_id: L1, tasks: 'delete' }, exact: true }])
    .then({ deleted_at: NOW });
  given(gone).when({ type: 'delete_list', list_id: L1, tasks: 'move' }, ctx).then([], 'deleting again decides nothing');
  given(gone)
    .when({ type: 'update_list', list_id: L1, data: { name: 'x' } }, ctx)
    .then(throws('not_found'));
});

test('labels: names unique per user case-insensitively among live labels; renamed and deleted by events', (t) => {
  const given = labelSpec(t);
  const urgent = given()
    .when({ type: 'create_label', id: L1, data: { name: 'Urgent' } }, ctx)
    .then(['label.created'])
    .then({ name: 'Urgent', color: null, version: 1 });
  given(urgent)
    .when({ type: 'create_label', id: L2, data: { name: 'uRGENT' } }, ctx)
    .then(throws('conflict', 'name'));
  // As the database compares names (lower(), one character at a time): İ is i, so 'İstanbul' is taken by
  // 'istanbul' (the decider says so, not a unique-index error); a final ς is not σ, so 'οδος' is free.
  const istanbul = given().when({ type: 'create_label', id: L1, data: { name: 'istanbul' } }, ctx);
  given(istanbul)
    .when({ type: 'create_label', id: L2, data: { name: 'İstanbul' } }, ctx)
    .then(throws('conflict', 'name'));
  const street = given().when({ type: 'create_label', id: L1, data: { name: 'ΟΔΟΣ' } }, ctx);
  given(street)
    .when({ type: 'create_label', id: L2, data: { name: 'οδος' } }, ctx)
    .then(['label.created']);
  given(street)
    .when({ type: 'create_label', id: L2, data: { name: 'οδοσ' } }, ctx)
    .then(throws('conflict', 'name'));
  given(urgent)
    .when({ type: 'create_label', id: L2, data: { name: 'x'.repeat(51) } }, ctx)
    .then(throws('validation', 'name'));
  given(urgent)
    .when({ type: 'update_label', label_id: L1, data: { name: 'Urgent' } }, ctx)
    .then([]);
  given(urgent)
    .when({ type: 'update_label', label_id: L1, data: { name: 'URGENT' } }, ctx)
    .then(
      [{ event_type: 'label.updated', data: { changes: { name: { from: 'Urgent', to: 'URGENT' } } }, exact: true }],
      'its own name in another case is no clash',
    );
  const gone = given(urgent)
    .when({ type: 'delete_label', label_id: L1 }, ctx)
    .then(['label.deleted'])
    .then({ deleted_at: NOW });
  given(gone)
    .when({ type: 'create_label', id: L2, data: { name: 'urgent' } }, ctx)
    .then([{ event_type: 'label.created', aggregate_id: L2 }], "a deleted label's name is free");
  given(gone).when({ type: 'delete_label', label_id: L1 }, ctx).then([]);
});

const T = '11111111-1111-4111-8111-111111111111';
const taskCtx = (refs?: DecideContext['refs']): DecideContext => ({
  now,
  userId: 'u1',
  userTimezone: 'UTC',
  newId: () => '22222222-2222-4222-8222-222222222222',
  ...(refs ? { refs } : {}),
});
const refs = { lists: new Set([L1]), labels: new Set([L1, L2]) };

test('a task is in the Inbox with priority 4 and no labels by default; list, priority and labels are checked and change by task.updated', (t) => {
  const given = taskSpec(t);
  given()
    .when({ type: 'create', id: T, data: { title: 'a' } }, taskCtx())
    .then({ list_id: INBOX, priority: 4, labels: [], completed_at: null });
  const created = given()
    .when(
      { type: 'create', id: T, data: { title: 'a', list_id: L1, priority: 1, labels: [L2, L1, L2] } },
      taskCtx(refs),
    )
    .then({ list_id: L1, priority: 1, labels: [L1, L2] });
  given()
    .when({ type: 'create', id: T, data: { title: 'a', list_id: L2 } }, taskCtx(refs))
    .then(throws('validation', 'list_id'));
  given()
    .when(
      { type: 'create', id: T, data: { title: 'a', labels: ['33333333-3333-4333-8333-333333333333'] } },
      taskCtx(refs),
    )
    .then(throws('validation', 'labels'));
  given()
    .when({ type: 'create', id: T, data: { title: 'a', priority: 0 } }, taskCtx(refs))
    .then(throws('validation', 'priority'));

  const moved = given(created)
    .when({ type: 'update', data: { list_id: INBOX, priority: 3, labels: [L2] } }, taskCtx(refs))
    .then([
      // The move first, on its own: a shared list's members the task leaves see it go, not the edits.
      { event_type: 'task.updated', data: { changes: { list_id: { from: L1, to: INBOX } } }, exact: true },
      {
        event_type: 'task.updated',
        data: {
          changes: {
            priority: { from: 1, to: 3 },
            labels: { from: [L1, L2], to: [L2] },
          },
        },
        exact: true,
      },
    ])
    .then({ list_id: INBOX, priority: 3, labels: [L2] });
  given(moved)
    .when({ type: 'update', data: { labels: [L2, L2] } }, taskCtx(refs))
    .then([], 'the same set is no change');
});

test("completion keeps its time; an uncomplete clears it; events without it read the completion event's time", (t) => {
  const given = taskSpec(t);
  const open = given().when({ type: 'create', id: T, data: { title: 'a' } }, taskCtx());
  const done = given(open)
    .when({ type: 'complete' }, taskCtx())
    .then([
      {
        event_type: 'task.completed',
        data: { changes: { completed: { from: false, to: true }, completed_at: { from: null, to: NOW } } },
      },
    ])
    .then({ completed_at: NOW });
  given(done).when({ type: 'uncomplete' }, taskCtx()).then({ completed_at: null });

  /** A completion written before completed_at was kept, at its own time. */
  const legacy: EventEnvelope = {
    event_type: 'task.completed',
    aggregate_type: 'task',
    aggregate_id: T,
    data: { changes: { completed: { from: false, to: true } } },
    event_id: 'legacy',
    user_id: 'u1',
    version: 2,
    seq: 2,
    timestamp: '2025-05-05T05:05:05.000Z',
    correlation_id: 'c',
    causation_id: null,
  };
  given(open, legacy)
    .when({ type: 'complete' }, taskCtx())
    .then([], 'completed already')
    .then({ completed: true, completed_at: '2025-05-05T05:05:05.000Z' });

  const { list_id: _l, priority: _p, labels: _b, completed_at: _c, ...older } = open.state as TaskState;
  const beforeLists: PendingEvent = {
    event_type: 'task.created',
    aggregate_type: 'task',
    aggregate_id: T,
    data: { task: older },
  };
  given(beforeLists)
    .when({ type: 'update', data: { list_id: INBOX } }, taskCtx())
    .then([], 'in the Inbox already')
    .then(
      { list_id: INBOX, priority: 4, labels: [], completed_at: null },
      'a task.created from before lists folds to the Inbox',
    );
});

test('a deleted list moves (or deletes) only the tasks still in it; a deleted label leaves only the tasks carrying it', (t) => {
  const given = taskSpec(t);
  const inList = given().when(
    { type: 'create', id: T, data: { title: 'a', list_id: L1, labels: [L1, L2] } },
    taskCtx(refs),
  );
  const moved = given(inList)
    .when({ type: 'list_deleted', list_id: L1, tasks: 'move' }, taskCtx())
    .then([
      {
        event_type: 'task.updated',
        data: { reason: 'list_deleted', changes: { list_id: { from: L1, to: INBOX } } },
      },
    ]);
  given(moved).when({ type: 'list_deleted', list_id: L1, tasks: 'move' }, taskCtx()).then([], 'moved already: nothing');
  given(inList).when({ type: 'list_deleted', list_id: L1, tasks: 'delete' }, taskCtx()).then(['task.deleted']);
  const stripped = given(inList)
    .when({ type: 'label_deleted', label_id: L1 }, taskCtx())
    .then({ labels: [L2] });
  given(stripped).when({ type: 'label_deleted', label_id: L1 }, taskCtx()).then([]);
  const deleted = given(inList).when({ type: 'delete' }, taskCtx());
  given(deleted)
    .when({ type: 'list_deleted', list_id: L1, tasks: 'move' }, taskCtx())
    .then([], 'a deleted task is left alone, never a 404');
});

test("a spawned occurrence is in its series' list, with its priority and labels", (t) => {
  const given = taskSpec(t);
  const series = given().when(
    {
      type: 'create',
      id: T,
      data: {
        title: 's',
        list_id: L1,
        priority: 2,
        labels: [L2],
        due_date: '2026-03-01T09:00:00Z',
        recurrence_rule: 'FREQ=DAILY',
      },
    },
    taskCtx(refs),
  );
  const later = { ...taskCtx(), now: new Date('2026-03-03T09:00:00.000Z') };
  const spawned = given(series).when({ type: 'spawn' }, later);
  const instance = spawned.events.find((e) => e.event_type === 'task.created');
  t.like(instance?.data, { task: { list_id: L1, priority: 2, labels: [L2], series_id: T } });
});
