// Membership of a shared list (issue 17) under random command sequences by random users: the decider and
// evolveList against a small model written apart from them. After every step the list has exactly one
// owner (lists.user_id, also its only owner row), nobody becomes active but by accepting an invitation
// (a user who declined, left or was removed only by a new invitation and its acceptance), the decider
// accepts exactly what the model accepts, the fold of the events equals the model, and no event reaches
// a user who had no access before or after it, unless the event is about them.
import test from 'ava';
import fc from 'fast-check';
import { DomainError } from '../../actors/errors.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import { evolveList, type ListState, type MemberStatus } from '../../actors/list/index.ts';
import { decideMembership, type MembershipCommand } from '../../actors/list/membership.ts';
import { accessOf, audienceOf } from '../../actors/list/audience.ts';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'] as const;
const LIST = '00000000-0000-4000-8000-000000000001';

const user = fc.constantFrom(...USERS);
const command: fc.Arbitrary<MembershipCommand> = fc.oneof(
  { weight: 3, arbitrary: user.map((user_id) => ({ type: 'share', user_id, role: 'editor' }) as const) },
  { weight: 3, arbitrary: fc.constant({ type: 'accept' } as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'decline' } as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'leave' } as const) },
  { weight: 1, arbitrary: user.map((user_id) => ({ type: 'remove', user_id }) as const) },
  { weight: 2, arbitrary: user.map((user_id) => ({ type: 'transfer', user_id }) as const) },
);
/** Long runs (fast-check's default size would keep arrays to about ten steps). */
/** The actor: any user, or (as often as two users) whoever owns the list at that step, who alone may do most. */
const OWNER = 'the owner';
const actor = fc.oneof({ weight: 5, arbitrary: user }, { weight: 2, arbitrary: fc.constant(OWNER) });
const steps = fc.array(fc.record({ actor, command }), { minLength: 20, maxLength: 80, size: 'max' });

/** The model: the owner, and where every other user stands (absent: never invited). */
interface Model {
  owner: string;
  status: Map<string, MemberStatus>;
}

/** What the model says a command does: a new model, `same` (accepted, nothing happens) or `refused`. */
function modelStep(m: Model, actor: string, c: MembershipCommand): Model | 'same' | 'refused' {
  const status = new Map(m.status);
  const mine = m.status.get(actor);
  const next = (user: string, s: MemberStatus): Model => {
    status.set(user, s);
    return { owner: m.owner, status };
  };
  switch (c.type) {
    case 'accept':
      return mine === 'invited' ? next(actor, 'active') : 'refused';
    case 'decline':
      return mine === 'invited' ? next(actor, 'declined') : 'refused';
    case 'leave':
      return actor !== m.owner && mine === 'active' ? next(actor, 'left') : 'refused';
    default:
      break;
  }
  if (actor !== m.owner || c.user_id === m.owner) return 'refused';
  const theirs = m.status.get(c.user_id);
  switch (c.type) {
    case 'share':
      if (theirs === 'invited') return 'same';
      return theirs === 'active' ? 'refused' : next(c.user_id, 'invited');
    case 'remove':
      return theirs === 'active' || theirs === 'invited' ? next(c.user_id, 'removed') : 'refused';
    case 'transfer': {
      if (theirs !== 'active') return 'refused';
      status.delete(c.user_id);
      status.set(m.owner, 'active');
      return { owner: c.user_id, status };
    }
  }
}

const created = (): ListState => {
  const at = '2026-03-01T10:00:00.000Z';
  const e: EventEnvelope = {
    event_type: 'list.created',
    aggregate_type: 'list',
    aggregate_id: LIST,
    data: {
      list: {
        id: LIST,
        user_id: 'u0',
        name: 'L',
        color: null,
        position: 1,
        inbox: false,
        created_at: at,
        deleted_at: null,
      },
    },
    event_id: 'e0',
    user_id: 'u0',
    version: 1,
    seq: 1,
    timestamp: at,
    correlation_id: 'c',
    causation_id: null,
  };
  return evolveList(null, e) as ListState;
};

test('random membership commands by random users keep one owner, need an accept to activate anyone, and fold to the model', (t) => {
  /** How often each event was decided over all runs: every kind must occur often, or the runs prove little. */
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(steps, (run) => {
      let list = created();
      let model: Model = { owner: 'u0', status: new Map() };
      const history: EventEnvelope[] = [];
      for (const [i, step] of run.entries()) {
        const { command: c } = step;
        const actor = step.actor === OWNER ? model.owner : step.actor;
        const label = `step ${i}: ${actor} ${JSON.stringify(c)}`;
        const expected = modelStep(model, actor, c);
        let events: PendingEvent[];
        try {
          events = decideMembership(c, list, { now: new Date(Date.UTC(2026, 2, 1, 10, i)), actor });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          if (expected !== 'refused') throw new Error(`${label}: refused (${error.message}); the model accepts it`);
          continue;
        }
        if (expected === 'refused') throw new Error(`${label}: decided ${events.length} events; the model refuses it`);
        if ((expected === 'same') !== (events.length === 0))
          throw new Error(
            `${label}: ${events.length} events, the model ${expected === 'same' ? 'expects none' : 'one'}`,
          );
        for (const pending of events) {
          const event: EventEnvelope = {
            ...pending,
            event_id: `e${history.length + 1}`,
            user_id: actor,
            version: list.version + 1,
            seq: history.length + 2,
            timestamp: new Date(Date.UTC(2026, 2, 1, 10, i)).toISOString(),
            correlation_id: 'c',
            causation_id: null,
          };
          seen.set(event.event_type, (seen.get(event.event_type) ?? 0) + 1);
          const before = list;
          list = evolveList(list, event) as ListState;
          history.push(event);
          // Nobody becomes active but by accepting (an old owner stays active as an editor).
          for (const m of list.members) {
            const was = before.members.find((b) => b.user_id === m.user_id);
            const activated = m.state === 'active' && was?.state !== 'active' && before.user_id !== m.user_id;
            if (activated && !(c.type === 'accept' && actor === m.user_id && was?.state === 'invited'))
              throw new Error(`${label}: ${m.user_id} became active without accepting`);
          }
          // No event reaches a user without access before and after it, unless it is about them.
          const allowed = new Set([...accessOf(before), ...accessOf(list)]);
          for (const u of audienceOf(event, before, list, new Map()))
            if (!allowed.has(u) && event.data.user_id !== u)
              throw new Error(`${label}: ${event.event_type} reaches ${u}`);
        }
        if (expected !== 'same') model = expected;
        // One owner, and the fold equals the model.
        const owners = list.members.filter((m) => m.role === 'owner');
        if (list.user_id !== model.owner)
          throw new Error(`${label}: owner ${list.user_id}, the model says ${model.owner}`);
        if (
          list.shared &&
          (owners.length !== 1 || owners[0]?.user_id !== list.user_id || owners[0]?.state !== 'active')
        )
          throw new Error(`${label}: owner rows ${JSON.stringify(owners)}`);
        const folded = history.reduce<ListState | null>(evolveList, created());
        if (JSON.stringify(folded) !== JSON.stringify(list)) throw new Error(`${label}: the fold differs`);
        const statuses = new Map(
          list.members.filter((m) => m.user_id !== list.user_id).map((m) => [m.user_id, m.state] as const),
        );
        if (JSON.stringify([...statuses].sort()) !== JSON.stringify([...model.status].sort()))
          throw new Error(
            `${label}: members ${JSON.stringify([...statuses])}, the model ${JSON.stringify([...model.status])}`,
          );
      }
    }),
    { numRuns: 500 },
  );
  for (const type of [
    'list.shared',
    'list.invitation_accepted',
    'list.invitation_declined',
    'list.member_left',
    'list.member_removed',
    'list.ownership_transferred',
  ])
    t.true((seen.get(type) ?? 0) >= 50, `${type}: decided ${seen.get(type) ?? 0} times in all runs`);
});
