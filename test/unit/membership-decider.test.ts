// The membership decider of shared lists (issue 17) alone, given / when / then
// (test/helpers/decider-spec.ts): who may share, accept, decline, leave, remove and transfer, what each
// event says, and the list evolveList folds from them (its one owner and its members' rows).
import test, { type ExecutionContext } from 'ava';
import type { PendingEvent } from '../../actors/events.ts';
import { evolveList, inboxOf, type ListState } from '../../actors/list/index.ts';
import {
  decideMembership,
  MAX_MEMBERS,
  type MembershipCommand,
  type MembershipContext,
} from '../../actors/list/membership.ts';
import { deciderSpec, throws, type Decider, type Given, type Outcome } from '../helpers/decider-spec.ts';

const L1 = '00000000-0000-4000-8000-000000000001';
const T0 = '1970-01-01T00:00:00.000Z';
const now = new Date('2026-03-01T10:00:00.000Z');
const NOW = now.toISOString();
const later = new Date('2026-03-02T10:00:00.000Z');
const by = (actor: string, at = now): MembershipContext => ({ now: at, actor });

/** Alice's list "Work", as list.created leaves it. */
const created: PendingEvent = {
  event_type: 'list.created',
  aggregate_type: 'list',
  aggregate_id: L1,
  data: {
    list: {
      id: L1,
      user_id: 'alice',
      name: 'Work',
      color: '#abcdef',
      position: 1,
      inbox: false,
      created_at: T0,
      deleted_at: null,
    },
  },
};

const membership: Decider<MembershipCommand, ListState | null, MembershipContext> = {
  decide: (command, list, context) => {
    if (!list) throw new Error('no list given');
    return decideMembership(command, list, context);
  },
  evolve: evolveList,
  initialState: () => null,
};
const spec = (t: ExecutionContext): Given<MembershipCommand, ListState | null, MembershipContext> =>
  deciderSpec(t, membership, { clock: (context) => context.now });

const share = (user_id: string): MembershipCommand => ({ type: 'share', user_id, role: 'editor' });
const ACCEPT: MembershipCommand = { type: 'accept' };
const DECLINE: MembershipCommand = { type: 'decline' };
const LEAVE: MembershipCommand = { type: 'leave' };
const remove = (user_id: string): MembershipCommand => ({ type: 'remove', user_id });
const transfer = (user_id: string): MembershipCommand => ({ type: 'transfer', user_id });

const memberState = (outcome: Outcome<ListState | null>, userId: string) =>
  outcome.state?.members.find((m) => m.user_id === userId)?.state;

/** Alice's list shared with bob, who accepted. */
function bobIn(t: ExecutionContext): Outcome<ListState | null> {
  const given = spec(t);
  return given(given(created).when(share('bob'), by('alice'))).when(ACCEPT, by('bob'));
}

test('the owner shares a list: the invitee is invited, the owner gets their row, and the list is shared', (t) => {
  const given = spec(t);
  given(created)
    .when(share('bob'), by('alice'))
    .then([
      {
        event_type: 'list.shared',
        aggregate_type: 'list',
        aggregate_id: L1,
        data: { user_id: 'bob', role: 'editor', invited_by: 'alice', list: { id: L1, name: 'Work', color: '#abcdef' } },
        exact: true,
      },
    ])
    .then({
      user_id: 'alice',
      shared: true,
      version: 2,
      members: [
        { user_id: 'alice', role: 'owner', state: 'active', invited_by: 'alice', created_at: NOW, updated_at: NOW },
        { user_id: 'bob', role: 'editor', state: 'invited', invited_by: 'alice', created_at: NOW, updated_at: NOW },
      ],
    });
});

test('a list never shared folds with no members, from list.created as from the Inbox', (t) => {
  const stamped = { ...created, event_id: 'e1', user_id: 'alice', version: 1, seq: 1, timestamp: T0 };
  t.like(evolveList(null, { ...stamped, correlation_id: 'c', causation_id: null }), { shared: false, members: [] });
  t.like(inboxOf('alice', T0), { shared: false, members: [] });
});

test('sharing again with an invitee decides nothing; with an active member, oneself or the Inbox it is refused', (t) => {
  const given = spec(t);
  const invited = given(created).when(share('bob'), by('alice'));
  given(invited).when(share('bob'), by('alice')).then([], 'already invited: a no-op');
  given(bobIn(t))
    .when(share('bob'), by('alice'))
    .then(throws('conflict', 'user_id', /already a member/));
  given(created).when(share('alice'), by('alice')).then(throws('validation', 'user_id'));
  given(created)
    .when({ type: 'share', user_id: 'bob', role: 'owner' as 'editor' }, by('alice'))
    .then(throws('validation', 'role'));
  given(created).when(share(''), by('alice')).then(throws('validation', 'user_id'));
  const refusal = t.throws(() => decideMembership(share('bob'), inboxOf('alice', T0), by('alice')));
  t.like(refusal, { code: 'conflict', message: 'the Inbox cannot be shared' });
});

test('only the owner shares, removes and transfers: an editor is refused with forbidden, anyone else with not found', (t) => {
  const given = spec(t);
  const bob = bobIn(t);
  given(bob).when(share('carol'), by('bob')).then(throws('forbidden'));
  given(bob).when(remove('alice'), by('bob')).then(throws('forbidden'));
  given(bob).when(transfer('bob'), by('bob')).then(throws('forbidden'));
  const carolInvited = given(bob).when(share('carol'), by('alice'));
  for (const [who, outcome] of [
    ['mallory', bob],
    ['carol', carolInvited],
  ] as const) {
    given(outcome).when(share('x'), by(who)).then(throws('not_found'), `${who} shares`);
    given(outcome).when(remove('bob'), by(who)).then(throws('not_found'), `${who} removes`);
    given(outcome).when(transfer(who), by(who)).then(throws('not_found'), `${who} transfers`);
    given(outcome).when(LEAVE, by(who)).then(throws('not_found'), `${who} leaves`);
  }
});

test('the invitee accepts or declines; nobody else can, and an answered invitation cannot be answered again', (t) => {
  const given = spec(t);
  const invited = given(created).when(share('bob'), by('alice'));
  given(invited)
    .when(ACCEPT, by('bob', later))
    .then([{ event_type: 'list.invitation_accepted', data: { user_id: 'bob' }, exact: true }])
    .then({
      members: [
        { user_id: 'alice', role: 'owner', state: 'active', invited_by: 'alice', created_at: NOW, updated_at: NOW },
        {
          user_id: 'bob',
          role: 'editor',
          state: 'active',
          invited_by: 'alice',
          created_at: NOW,
          updated_at: later.toISOString(),
        },
      ],
    });
  const declined = given(invited)
    .when(DECLINE, by('bob'))
    .then([{ event_type: 'list.invitation_declined', data: { user_id: 'bob' }, exact: true }]);
  t.is(memberState(declined, 'bob'), 'declined');
  for (const who of ['alice', 'mallory']) {
    given(invited).when(ACCEPT, by(who)).then(throws('not_found'), `${who} accepts`);
    given(invited).when(DECLINE, by(who)).then(throws('not_found'), `${who} declines`);
  }
  given(declined).when(ACCEPT, by('bob')).then(throws('not_found'), 'accepting after declining');
  given(bobIn(t)).when(ACCEPT, by('bob')).then(throws('not_found'), 'accepting twice');
});

test('an editor leaves; the owner cannot leave before handing over the list', (t) => {
  const given = spec(t);
  const left = given(bobIn(t))
    .when(LEAVE, by('bob'))
    .then([{ event_type: 'list.member_left', data: { user_id: 'bob' }, exact: true }]);
  t.is(memberState(left, 'bob'), 'left');
  given(left).when(LEAVE, by('bob')).then(throws('not_found'), 'leaving twice');
  given(left).when(share('carol'), by('bob')).then(throws('not_found'), 'a member who left is a stranger');
  given(bobIn(t))
    .when(LEAVE, by('alice'))
    .then(throws('conflict', undefined, /transfer ownership first/));
});

test('the owner removes an active editor or revokes an invitation; never themselves, never a stranger', (t) => {
  const given = spec(t);
  const removed = given(bobIn(t))
    .when(remove('bob'), by('alice'))
    .then([{ event_type: 'list.member_removed', data: { user_id: 'bob', was: 'active' }, exact: true }]);
  t.is(memberState(removed, 'bob'), 'removed');
  given(removed).when(remove('bob'), by('alice')).then(throws('not_found'), 'removing twice');
  given(removed).when(LEAVE, by('bob')).then(throws('not_found'), 'a removed member cannot leave');
  const invited = given(created).when(share('bob'), by('alice'));
  const revoked = given(invited)
    .when(remove('bob'), by('alice'))
    .then([{ event_type: 'list.member_removed', data: { user_id: 'bob', was: 'invited' }, exact: true }]);
  given(revoked).when(ACCEPT, by('bob')).then(throws('not_found'), 'a revoked invitation cannot be accepted');
  given(invited).when(DECLINE, by('bob')).then(['list.invitation_declined']);
  given(given(invited).when(DECLINE, by('bob')))
    .when(remove('bob'), by('alice'))
    .then(throws('not_found'), 'a declined invitation is not a member');
  given(bobIn(t)).when(remove('alice'), by('alice')).then(throws('conflict', 'user_id'));
  given(bobIn(t)).when(remove('mallory'), by('alice')).then(throws('not_found', 'user_id'));
});

test('whoever declined, left or was removed can be invited again, keeping the first invitation time', (t) => {
  const given = spec(t);
  const invited = given(created).when(share('bob'), by('alice'));
  for (const [how, gone] of [
    ['declined', given(invited).when(DECLINE, by('bob'))],
    ['left', given(bobIn(t)).when(LEAVE, by('bob'))],
    ['removed', given(bobIn(t)).when(remove('bob'), by('alice'))],
  ] as const) {
    const again = given(gone).when(share('bob'), by('alice', later)).then(['list.shared'], how);
    t.like(
      again.state?.members.find((m) => m.user_id === 'bob'),
      { state: 'invited', created_at: NOW, updated_at: later.toISOString() },
      how,
    );
    t.is(again.state?.members.length, 2, `${how}: one row per user`);
    given(again).when(ACCEPT, by('bob')).then(['list.invitation_accepted'], how);
  }
});

test('a list is not handed to an editor who already owns as many lists as a user may have (409 naming user_id)', (t) => {
  const given = spec(t);
  given(bobIn(t))
    .when(transfer('bob'), { ...by('alice', later), targetOwns: 200 })
    .then(throws('conflict', 'user_id', /already owns 200 lists/));
  given(bobIn(t))
    .when(transfer('bob'), { ...by('alice', later), targetOwns: 199 })
    .then(['list.ownership_transferred']);
});

test('the owner hands the list to an active editor and stays as an editor', (t) => {
  const given = spec(t);
  const handed = given(bobIn(t))
    .when(transfer('bob'), by('alice', later))
    .then([{ event_type: 'list.ownership_transferred', data: { from: 'alice', to: 'bob' }, exact: true }])
    .then({ user_id: 'bob' });
  t.like(
    handed.state?.members.find((m) => m.user_id === 'alice'),
    { role: 'editor', state: 'active' },
  );
  t.like(
    handed.state?.members.find((m) => m.user_id === 'bob'),
    { role: 'owner', state: 'active' },
  );
  given(handed).when(share('carol'), by('alice')).then(throws('forbidden'), 'the old owner is an editor now');
  given(handed).when(LEAVE, by('bob')).then(throws('conflict'), 'the new owner cannot leave');
  given(handed).when(LEAVE, by('alice')).then(['list.member_left']);
  given(handed)
    .when(remove('alice'), by('bob'))
    .then([{ event_type: 'list.member_removed', data: { was: 'active' } }]);

  const invited = given(created).when(share('bob'), by('alice'));
  given(invited)
    .when(transfer('bob'), by('alice'))
    .then(throws('conflict', 'user_id', /not accepted/));
  given(bobIn(t)).when(transfer('alice'), by('alice')).then(throws('validation', 'user_id'));
  given(bobIn(t)).when(transfer('mallory'), by('alice')).then(throws('not_found', 'user_id'));
  const left = given(bobIn(t)).when(LEAVE, by('bob'));
  given(left).when(transfer('bob'), by('alice')).then(throws('not_found', 'user_id'), 'to a member who left');
});

test(`a list has at most ${MAX_MEMBERS} members, the owner and open invitations counted; declined ones are not`, (t) => {
  const given = spec(t);
  let outcome = given(created).when(share('u1'), by('alice'));
  for (let i = 2; i < MAX_MEMBERS; i++) outcome = given(outcome).when(share(`u${i}`), by('alice'));
  t.is(outcome.state?.members.length, MAX_MEMBERS, 'the owner and 49 invitations');
  given(outcome)
    .when(share('one-too-many'), by('alice'))
    .then(throws('validation', 'user_id', /at most 50/));
  const declined = given(outcome).when(DECLINE, by('u7'));
  given(declined).when(share('one-more'), by('alice')).then(['list.shared'], 'a declined invitation frees its place');
});

test('a deleted list refuses every membership command with not found', (t) => {
  const given = spec(t);
  const deleted: PendingEvent = {
    event_type: 'list.deleted',
    aggregate_type: 'list',
    aggregate_id: L1,
    data: { list_id: L1, tasks: 'move' },
  };
  const bob = bobIn(t);
  given(bob, deleted).when(share('carol'), by('alice')).then(throws('not_found'));
  const invitedThenDeleted = given(given(created).when(share('carol'), by('alice')), deleted);
  invitedThenDeleted.when(ACCEPT, by('carol')).then(throws('not_found'));
  given(bob, deleted).when(LEAVE, by('bob')).then(throws('not_found'));
  given(bob, deleted).when(transfer('bob'), by('alice')).then(throws('not_found'));
});
