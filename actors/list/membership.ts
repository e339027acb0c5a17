// Membership of a shared list (issue 17): the owner shares a list with another user as an editor, who
// accepts or declines; an editor leaves; the owner removes an editor (or revokes an invitation) or hands
// the ownership to an active editor. Decided here without I/O on the one list, serialised by the list's
// actor (ListActor, id = list id); evolveList (./index.ts) folds the events, whose data shapes
// actors/events.ts gives. The rules are those of the shared-lists plan, section 3.
import { DomainError, conflict, invalid, notFound } from '../errors.ts';
import type { PendingEvent } from '../events.ts';
import { MAX_LISTS, type ListState, type MemberState } from './index.ts';

/** The most members a list has, invited or active, the owner included: it bounds the fan-out of every event. */
export const MAX_MEMBERS = 50;

export type MembershipCommand =
  | { type: 'share'; user_id: string; role: 'editor' }
  | { type: 'accept' }
  | { type: 'decline' }
  | { type: 'leave' }
  | { type: 'remove'; user_id: string }
  | { type: 'transfer'; user_id: string };

export interface MembershipContext {
  now: Date;
  /** The user who issues the command (the JWT's `sub`). */
  actor: string;
  /** For a `transfer`: how many live lists its target owns now (undefined: not read). */
  targetOwns?: number;
}

/** The member row of `userId`, if any. */
export const memberOf = (list: ListState, userId: string): MemberState | undefined =>
  list.members.find((m) => m.user_id === userId);

/** `userId` is an active editor of the live `list` (the owner is not an editor). */
const activeEditor = (list: ListState, userId: string): boolean => {
  const m = memberOf(list, userId);
  return m !== undefined && m.role === 'editor' && m.state === 'active';
};

const ev = (list: ListState, event_type: PendingEvent['event_type'], data: Record<string, unknown>): PendingEvent => ({
  event_type,
  aggregate_type: 'list',
  aggregate_id: list.id,
  data,
});

const forbidden = (what: string): DomainError => new DomainError('forbidden', `only the list's owner may ${what}`);

/** A user id as a command names it: a non-empty string (the API's joi schema bounds its length). */
function checkUser(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid('user_id', 'must be a user id');
  return value;
}

/**
 * Decides a membership command on one list, for `ctx.actor`. Who may do what:
 * - `share` (the owner): invites `user_id` as an editor → `list.shared`. Re-inviting someone who declined,
 *   left or was removed invites them again; someone already invited: no event (idempotent).
 * - `accept` / `decline` (the invitee) → `list.invitation_accepted` / `list.invitation_declined`.
 * - `leave` (an active editor) → `list.member_left`.
 * - `remove` (the owner): an active or invited editor → `list.member_removed {was}` (an invitee: the
 *   invitation is revoked).
 * - `transfer` (the owner): an active editor becomes the owner, the owner an active editor →
 *   `list.ownership_transferred {from, to}`.
 *
 * Errors: `not_found` 'list' for anyone who is neither the owner nor an active editor (an invitee only
 * for `accept`/`decline`) and for a deleted list, so a non-member learns nothing; `not_found` 'member'
 * for a `remove`/`transfer` target that is not an editor in the right state; `forbidden` (403) when an
 * active editor tries what only the owner may; `validation` naming `user_id` (sharing with oneself,
 * transferring to oneself, more than MAX_MEMBERS) or `role`; `conflict` for sharing the Inbox, sharing
 * with an active member, removing the owner, the owner leaving ("transfer ownership first"), and
 * transferring to a user who has not accepted yet.
 */
export function decideMembership(command: MembershipCommand, list: ListState, ctx: MembershipContext): PendingEvent[] {
  const actor = ctx.actor;
  const isOwner = list.deleted_at === null && list.user_id === actor;
  const isEditor = list.deleted_at === null && activeEditor(list, actor);
  const invited = list.deleted_at === null && memberOf(list, actor)?.state === 'invited';

  switch (command.type) {
    case 'accept':
    case 'decline': {
      if (!invited) throw notFound('invitation');
      return command.type === 'accept'
        ? [ev(list, 'list.invitation_accepted', { user_id: actor })]
        : [ev(list, 'list.invitation_declined', { user_id: actor })];
    }
    case 'leave': {
      if (isOwner) throw conflict('the owner cannot leave the list: transfer ownership first');
      if (!isEditor) throw notFound('list');
      return [ev(list, 'list.member_left', { user_id: actor })];
    }
    default:
      break;
  }

  // share, remove and transfer: the owner's.
  if (!isOwner) {
    if (isEditor) throw forbidden(command.type === 'share' ? 'share it' : `${command.type} a member`);
    throw notFound('list');
  }
  switch (command.type) {
    case 'share': {
      if (list.inbox) throw conflict('the Inbox cannot be shared');
      const userId = checkUser(command.user_id);
      if (command.role !== 'editor') throw invalid('role', "must be 'editor'");
      if (userId === actor) throw invalid('user_id', 'the owner cannot share a list with themselves');
      const row = memberOf(list, userId);
      if (row?.state === 'invited') return [];
      if (row?.state === 'active') throw conflict(`${userId} is already a member`, 'user_id');
      // The owner's own row counts (before the first share it is not written yet).
      const taken = list.members.filter((m) => m.state === 'active' || m.state === 'invited').length;
      if (Math.max(taken, 1) + 1 > MAX_MEMBERS)
        throw invalid('user_id', `a list has at most ${MAX_MEMBERS} members, invitations included`);
      return [
        ev(list, 'list.shared', {
          user_id: userId,
          role: 'editor',
          invited_by: actor,
          list: { id: list.id, name: list.name, color: list.color },
        }),
      ];
    }
    case 'remove': {
      const userId = checkUser(command.user_id);
      if (userId === actor) throw conflict('the owner cannot be removed: transfer ownership first', 'user_id');
      const row = memberOf(list, userId);
      if (row === undefined || (row.state !== 'active' && row.state !== 'invited')) throw notFound('member', 'user_id');
      return [ev(list, 'list.member_removed', { user_id: userId, was: row.state })];
    }
    case 'transfer': {
      const userId = checkUser(command.user_id);
      if (userId === actor) throw invalid('user_id', 'already the owner');
      const row = memberOf(list, userId);
      if (row?.state === 'invited') throw conflict(`${userId} has not accepted the invitation yet`, 'user_id');
      if (!activeEditor(list, userId)) throw notFound('member', 'user_id');
      // The new owner holds it as one of their lists: no more than a user may make (actors/list MAX_LISTS).
      if (ctx.targetOwns !== undefined && ctx.targetOwns >= MAX_LISTS)
        throw conflict(`${userId} already owns ${MAX_LISTS} lists, the most a user may have`, 'user_id');
      return [ev(list, 'list.ownership_transferred', { from: actor, to: userId })];
    }
  }
}
