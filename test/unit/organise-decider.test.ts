// The list and label deciders, and the task decider's new fields (list, priority, labels, completion
// time) and fan-out commands, without I/O (issue 15).
import test from 'ava';
import { DomainError } from '../../actors/errors.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import { decideList, evolveList, inboxIdOf, inboxOf, type ListState } from '../../actors/list/index.ts';
import { decideLabel, evolveLabel, type LabelState } from '../../actors/label/index.ts';
import { decide, evolve, fold, type DecideContext, type TaskCommand, type TaskState } from '../../actors/task/index.ts';

const now = new Date('2026-03-01T10:00:00.000Z');
const ctx = { now, userId: 'u1' };
let seq = 0;
const stamp = (p: PendingEvent, version: number): EventEnvelope => ({
  ...p,
  event_id: `e${++seq}`,
  user_id: 'u1',
  version,
  seq,
  timestamp: now.toISOString(),
  correlation_id: 'c',
  causation_id: null,
});
const L1 = '00000000-0000-4000-8000-000000000001';
const L2 = '00000000-0000-4000-8000-000000000002';

function refusal(t: import('ava').ExecutionContext, f: () => unknown, code: DomainError['code'], field?: string): void {
  const error = t.throws(f, { instanceOf: DomainError }) as DomainError;
  t.is(error.code, code);
  if (field) t.is(error.field, field);
}

test('the Inbox id is derived from the user id, the same for every call, a UUID, and differs per user', (t) => {
  t.is(inboxIdOf('alice'), inboxIdOf('alice'));
  t.not(inboxIdOf('alice'), inboxIdOf('bob'));
  t.regex(inboxIdOf('alice'), /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  t.like(inboxOf('alice', now.toISOString()), { inbox: true, name: 'Inbox', version: 0, position: 0 });
});

test('lists: created with a trimmed name, a lower-case colour and the next position; updated field by field; deleted once; the Inbox stays', (t) => {
  const inbox = inboxOf('u1', now.toISOString());
  const [created] = decideList(
    { type: 'create_list', id: L1, data: { name: '  Work ', color: '#ABCDEF' } },
    [inbox],
    ctx,
  );
  t.like(created, {
    event_type: 'list.created',
    aggregate_type: 'list',
    aggregate_id: L1,
    data: { list: { name: 'Work', color: '#abcdef', position: 1, inbox: false } },
  });
  const work = evolveList(null, stamp(created as PendingEvent, 1)) as ListState;
  t.like(work, { id: L1, version: 1, deleted_at: null });
  refusal(
    t,
    () => decideList({ type: 'create_list', id: L2, data: { name: '   ' } }, [inbox, work], ctx),
    'validation',
    'name',
  );
  refusal(
    t,
    () => decideList({ type: 'create_list', id: L2, data: { name: 'x', color: 'red' } }, [inbox, work], ctx),
    'validation',
    'color',
  );
  refusal(
    t,
    () => decideList({ type: 'create_list', id: L1, data: { name: 'again' } }, [inbox, work], ctx),
    'conflict',
    'id',
  );

  t.deepEqual(
    decideList({ type: 'update_list', list_id: L1, data: { name: 'Work' } }, [inbox, work], ctx),
    [],
    'no change, no event',
  );
  const [updated] = decideList(
    { type: 'update_list', list_id: L1, data: { name: 'Job', color: null, position: 3 } },
    [inbox, work],
    ctx,
  );
  t.deepEqual(updated?.data, {
    changes: { name: { from: 'Work', to: 'Job' }, color: { from: '#abcdef', to: null }, position: { from: 1, to: 3 } },
  });
  const job = evolveList(work, stamp(updated as PendingEvent, 2)) as ListState;
  t.like(job, { name: 'Job', color: null, position: 3, version: 2 });
  refusal(
    t,
    () => decideList({ type: 'update_list', list_id: L1, data: { name: 'x' }, expected_version: 1 }, [inbox, job], ctx),
    'version_mismatch',
  );
  refusal(
    t,
    () => decideList({ type: 'update_list', list_id: L2, data: { name: 'x' } }, [inbox, job], ctx),
    'not_found',
  );

  refusal(
    t,
    () => decideList({ type: 'delete_list', list_id: inbox.id, tasks: 'move' }, [inbox, job], ctx),
    'conflict',
    'id',
  );
  const [deleted] = decideList({ type: 'delete_list', list_id: L1, tasks: 'delete' }, [inbox, job], ctx);
  t.deepEqual(deleted?.data, { list_id: L1, tasks: 'delete' });
  const gone = evolveList(job, stamp(deleted as PendingEvent, 3)) as ListState;
  t.is(gone.deleted_at, now.toISOString());
  t.deepEqual(
    decideList({ type: 'delete_list', list_id: L1, tasks: 'move' }, [inbox, gone], ctx),
    [],
    'deleting again decides nothing',
  );
  refusal(
    t,
    () => decideList({ type: 'update_list', list_id: L1, data: { name: 'x' } }, [inbox, gone], ctx),
    'not_found',
  );
});

test('labels: names unique per user case-insensitively among live labels; renamed and deleted by events', (t) => {
  const [created] = decideLabel({ type: 'create_label', id: L1, data: { name: 'Urgent' } }, [], ctx);
  const urgent = evolveLabel(null, stamp(created as PendingEvent, 1)) as LabelState;
  t.like(urgent, { name: 'Urgent', color: null, version: 1 });
  refusal(
    t,
    () => decideLabel({ type: 'create_label', id: L2, data: { name: 'uRGENT' } }, [urgent], ctx),
    'conflict',
    'name',
  );
  refusal(
    t,
    () => decideLabel({ type: 'create_label', id: L2, data: { name: 'x'.repeat(51) } }, [urgent], ctx),
    'validation',
    'name',
  );
  t.deepEqual(decideLabel({ type: 'update_label', label_id: L1, data: { name: 'Urgent' } }, [urgent], ctx), []);
  const [renamed] = decideLabel({ type: 'update_label', label_id: L1, data: { name: 'URGENT' } }, [urgent], ctx);
  t.deepEqual(
    renamed?.data,
    { changes: { name: { from: 'Urgent', to: 'URGENT' } } },
    'its own name in another case is no clash',
  );
  const [deleted] = decideLabel({ type: 'delete_label', label_id: L1 }, [urgent], ctx);
  const gone = evolveLabel(urgent, stamp(deleted as PendingEvent, 2)) as LabelState;
  t.not(gone.deleted_at, null);
  t.is(
    decideLabel({ type: 'create_label', id: L2, data: { name: 'urgent' } }, [gone], ctx).length,
    1,
    "a deleted label's name is free",
  );
  t.deepEqual(decideLabel({ type: 'delete_label', label_id: L1 }, [gone], ctx), []);
});

const T = '11111111-1111-4111-8111-111111111111';
const taskCtx = (refs?: DecideContext['refs']): DecideContext => ({
  now,
  userId: 'u1',
  userTimezone: 'UTC',
  newId: () => '22222222-2222-4222-8222-222222222222',
  ...(refs ? { refs } : {}),
});
function run(
  state: TaskState | null,
  command: TaskCommand,
  refs?: DecideContext['refs'],
): { state: TaskState | null; events: PendingEvent[] } {
  const events = decide(command, state, taskCtx(refs));
  let version = state?.version ?? 0;
  return {
    state: fold(
      events.filter((e) => e.aggregate_id === T).map((e) => stamp(e, ++version)),
      state,
    ),
    events,
  };
}
const refs = { lists: new Set([L1]), labels: new Set([L1, L2]) };

test('a task is in the Inbox with priority 4 and no labels by default; list, priority and labels are checked and change by task.updated', (t) => {
  const plain = run(null, { type: 'create', id: T, data: { title: 'a' } }).state as TaskState;
  t.like(plain, { list_id: inboxIdOf('u1'), priority: 4, labels: [], completed_at: null });
  const created = run(
    null,
    { type: 'create', id: T, data: { title: 'a', list_id: L1, priority: 1, labels: [L2, L1, L2] } },
    refs,
  ).state as TaskState;
  t.like(created, { list_id: L1, priority: 1, labels: [L1, L2] });
  refusal(
    t,
    () => run(null, { type: 'create', id: T, data: { title: 'a', list_id: L2 } }, refs),
    'validation',
    'list_id',
  );
  refusal(
    t,
    () =>
      run(
        null,
        { type: 'create', id: T, data: { title: 'a', labels: ['33333333-3333-4333-8333-333333333333'] } },
        refs,
      ),
    'validation',
    'labels',
  );
  refusal(
    t,
    () => run(null, { type: 'create', id: T, data: { title: 'a', priority: 0 } }, refs),
    'validation',
    'priority',
  );

  const moved = run(created, { type: 'update', data: { list_id: inboxIdOf('u1'), priority: 3, labels: [L2] } }, refs);
  t.deepEqual(
    moved.events.map((e) => e.event_type),
    ['task.updated'],
  );
  t.deepEqual(moved.events[0]?.data, {
    changes: {
      list_id: { from: L1, to: inboxIdOf('u1') },
      priority: { from: 1, to: 3 },
      labels: { from: [L1, L2], to: [L2] },
    },
  });
  t.like(moved.state, { list_id: inboxIdOf('u1'), priority: 3, labels: [L2] });
  t.deepEqual(
    run(moved.state, { type: 'update', data: { labels: [L2, L2] } }, refs).events,
    [],
    'the same set is no change',
  );
});

test("completion keeps its time; an uncomplete clears it; events without it read the completion event's time", (t) => {
  const open = run(null, { type: 'create', id: T, data: { title: 'a' } }).state as TaskState;
  const done = run(open, { type: 'complete' });
  t.deepEqual((done.events[0]?.data as { changes: unknown }).changes, {
    completed: { from: false, to: true },
    completed_at: { from: null, to: now.toISOString() },
  });
  t.is(done.state?.completed_at, now.toISOString());
  const undone = run(done.state, { type: 'uncomplete' });
  t.is(undone.state?.completed_at, null);
  const legacy = evolve(open, {
    ...stamp(
      {
        event_type: 'task.completed',
        aggregate_type: 'task',
        aggregate_id: T,
        data: { changes: { completed: { from: false, to: true } } },
      },
      2,
    ),
    timestamp: '2025-05-05T05:05:05.000Z',
  });
  t.is(legacy?.completed_at, '2025-05-05T05:05:05.000Z');
  const { list_id: _l, priority: _p, labels: _b, completed_at: _c, ...older } = open;
  t.like(
    evolve(
      null,
      stamp({ event_type: 'task.created', aggregate_type: 'task', aggregate_id: T, data: { task: older } }, 1),
    ),
    { list_id: inboxIdOf('u1'), priority: 4, labels: [], completed_at: null },
    'a task.created from before lists folds to the Inbox',
  );
});

test('a deleted list moves (or deletes) only the tasks still in it; a deleted label leaves only the tasks carrying it', (t) => {
  const inList = run(null, { type: 'create', id: T, data: { title: 'a', list_id: L1, labels: [L1, L2] } }, refs)
    .state as TaskState;
  const moved = run(inList, { type: 'list_deleted', list_id: L1, tasks: 'move' });
  t.like(moved.events[0], {
    event_type: 'task.updated',
    data: { reason: 'list_deleted', changes: { list_id: { from: L1, to: inboxIdOf('u1') } } },
  });
  t.deepEqual(
    run(moved.state, { type: 'list_deleted', list_id: L1, tasks: 'move' }).events,
    [],
    'moved already: nothing',
  );
  t.deepEqual(
    run(inList, { type: 'list_deleted', list_id: L1, tasks: 'delete' }).events.map((e) => e.event_type),
    ['task.deleted'],
  );
  const stripped = run(inList, { type: 'label_deleted', label_id: L1 });
  t.like(stripped.state, { labels: [L2] });
  t.deepEqual(run(stripped.state, { type: 'label_deleted', label_id: L1 }).events, []);
  const deleted = run(inList, { type: 'delete' }).state;
  t.deepEqual(
    run(deleted, { type: 'list_deleted', list_id: L1, tasks: 'move' }).events,
    [],
    'a deleted task is left alone, never a 404',
  );
});

test("a spawned occurrence is in its series' list, with its priority and labels", (t) => {
  const series = run(
    null,
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
    refs,
  ).state as TaskState;
  const later = { ...taskCtx(), now: new Date('2026-03-03T09:00:00.000Z') };
  const events = decide({ type: 'spawn' }, series, later);
  const instance = events.find((e) => e.event_type === 'task.created');
  t.like(instance?.data, { task: { list_id: L1, priority: 2, labels: [L2], series_id: T } });
});
