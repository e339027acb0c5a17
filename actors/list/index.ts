// Lists: a user's task lists (name, colour, position), each its own aggregate with its own versions,
// decided here without I/O and serialised by the user's turn (host/users/turn.ts), so two edits of a
// user's lists never interleave. Every task is in exactly one list; the Inbox is created with the user
// (host/db/migrations/007_lists_labels.sql) under an id derived from the user's id, so a task created
// before lists existed folds to the Inbox too. Events: list.created {list}, list.updated {changes},
// list.deleted {list_id, tasks: 'move' | 'delete'} (DESIGN.md, "Growing the model"). A list may be shared
// (issue 17): its membership events (actors/list/membership.ts decides them, actors/events.ts gives their
// shapes) are folded here into `shared`, `members` and `user_id`, the one owner.
import { charCount, isBlank } from '../text.ts';
import { createHash } from 'node:crypto';
import { DomainError, invalid, notFound } from '../errors.ts';
import type { Change, EventEnvelope, PendingEvent } from '../events.ts';

/** A member's role: the one owner (also `ListState.user_id`) or an editor (the CHECK of list_members.role). */
export const MEMBER_ROLES = ['owner', 'editor'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
/** Where a member stands: only `active` gives access (the owner's row is always active); list_members.state's CHECK. */
export const MEMBER_STATUSES = ['invited', 'active', 'declined', 'left', 'removed'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** One row of `list_members` (migration 013): a user invited to a shared list at some time, whatever became of it. */
export interface MemberState {
  user_id: string;
  role: MemberRole;
  state: MemberStatus;
  /** Who sent the last invitation (the owner's own row: the owner). */
  invited_by: string;
  /** The first invitation (UTC ISO); a re-invitation keeps it. */
  created_at: string;
  /** The last change of this row (UTC ISO): the timestamp of the event that made it. */
  updated_at: string;
}

export interface ListState {
  id: string;
  /** The one owner: the list's creator until an ownership transfer. */
  user_id: string;
  name: string;
  /** `#rrggbb`, lower case, or null. */
  color: string | null;
  /** Order in the sidebar, ascending (ties by created_at, id); the Inbox is 0. */
  position: number;
  /** The one list that cannot be deleted; where a deleted list's tasks go. */
  inbox: boolean;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  /** Set by the first `list.shared`, never unset (lists.shared). */
  shared: boolean;
  /**
   * Everyone ever invited, the owner included once the list is shared (empty before), ordered by
   * (created_at, user_id) as rows.ts reads `list_members`.
   */
  members: MemberState[];
}

export const MAX_LIST_NAME = 100;
export const MAX_LISTS = 200;
export const MAX_POSITION = 1_000_000;
export const INBOX_NAME = 'Inbox';
/** A colour as the API takes it: `#rrggbb` (stored lower case). */
export const COLOR = /^#[0-9a-fA-F]{6}$/;
/** A colour as it is stored and answered: `#rrggbb` in lower case (the CHECK of lists.color and labels.color). */
export const STORED_COLOR = /^#[0-9a-f]{6}$/;

/** What happens to a deleted list's tasks: moved to the Inbox (default) or deleted. */
export type ListTasksOnDelete = 'move' | 'delete';

export type ListCommand =
  | { type: 'create_list'; id: string; data: { name: string; color?: string | null; position?: number } }
  | {
      type: 'update_list';
      list_id: string;
      data: { name?: string; color?: string | null; position?: number };
      expected_version?: number;
    }
  | { type: 'delete_list'; list_id: string; tasks: ListTasksOnDelete; expected_version?: number };

export interface OrganiseContext {
  now: Date;
  userId: string;
}

/**
 * The Inbox's id for `userId`: a name-based UUID (md5 of `tasklane-inbox:<user id>`, version nibble 3,
 * variant 8), computed the same way in SQL by `tasklane_inbox_id` (migration 007), so the database and
 * a fold of a task created before lists existed agree on it without a lookup.
 */
export function inboxIdOf(userId: string): string {
  let id = INBOX_IDS.get(userId);
  if (id === undefined) {
    const h = createHash('md5').update(`tasklane-inbox:${userId}`).digest('hex');
    id = `${h.slice(0, 8)}-${h.slice(8, 12)}-3${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    if (INBOX_IDS.size >= MAX_INBOX_IDS) INBOX_IDS.clear();
    INBOX_IDS.set(userId, id);
  }
  return id;
}

/** inboxIdOf's answers for recent users (a hash per call showed in create profiles: every write asks it); bounded. */
const INBOX_IDS = new Map<string, string>();
const MAX_INBOX_IDS = 10_000;

/** The Inbox as the user's creation leaves it (version 0, no event): what a fold of its events starts from. */
export function inboxOf(userId: string, createdAt: string): ListState {
  return {
    id: inboxIdOf(userId),
    user_id: userId,
    name: INBOX_NAME,
    color: null,
    position: 0,
    inbox: true,
    version: 0,
    created_at: createdAt,
    updated_at: createdAt,
    deleted_at: null,
    shared: false,
    members: [],
  };
}

export function checkName(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  const name = value.trim();
  if (isBlank(name)) throw invalid(field, 'must not be empty (nothing in it shows)');
  if (charCount(name) > max) throw invalid(field, `must be at most ${max} characters`);
  return name;
}

export function checkColor(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !COLOR.test(value)) throw invalid('color', 'must be #rrggbb or null');
  return value.toLowerCase();
}

function checkPosition(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_POSITION)
    throw invalid('position', `must be an integer from 0 to ${MAX_POSITION}`);
  return value;
}

const ev = (id: string, event_type: PendingEvent['event_type'], data: Record<string, unknown>): PendingEvent => ({
  event_type,
  aggregate_type: 'list',
  aggregate_id: id,
  data,
});

/** The live list `id` of these, or a 404; a 412 when `expected` names another version. */
function live(lists: readonly ListState[], id: string, expected: number | undefined): ListState {
  const list = lists.find((l) => l.id === id && l.deleted_at === null);
  if (!list) throw notFound('list');
  if (expected !== undefined && expected !== list.version)
    throw new DomainError(
      'version_mismatch',
      `version mismatch: If-Match is ${expected}, the list is at ${list.version}`,
    );
  return list;
}

/**
 * Decides a list command on the user's lists (every list of theirs, deleted ones included). Errors:
 * `validation` (a name, colour or position out of range; too many lists), `not_found` (no such live
 * list), `version_mismatch` (If-Match), `conflict` naming `id` (the Inbox cannot be deleted).
 * Deleting a list that is already deleted decides nothing (the caller may still finish moving its tasks).
 */
export function decideList(command: ListCommand, lists: readonly ListState[], ctx: OrganiseContext): PendingEvent[] {
  switch (command.type) {
    case 'create_list': {
      if (lists.some((l) => l.id === command.id))
        throw new DomainError('conflict', 'a list with this id already exists', 'id');
      const alive = lists.filter((l) => l.deleted_at === null);
      if (alive.length >= MAX_LISTS) throw invalid('name', `at most ${MAX_LISTS} lists per user`);
      const name = checkName('name', command.data.name, MAX_LIST_NAME);
      const color = checkColor(command.data.color);
      const position =
        command.data.position === undefined
          ? Math.min(MAX_POSITION, Math.max(0, ...alive.map((l) => l.position)) + 1)
          : checkPosition(command.data.position);
      const at = ctx.now.toISOString();
      const list = {
        id: command.id,
        user_id: ctx.userId,
        name,
        color,
        position,
        inbox: false,
        created_at: at,
        deleted_at: null,
      };
      return [ev(list.id, 'list.created', { list })];
    }
    case 'update_list': {
      const list = live(lists, command.list_id, command.expected_version);
      const d = command.data;
      const next = {
        name: 'name' in d ? checkName('name', d.name, MAX_LIST_NAME) : list.name,
        color: 'color' in d ? checkColor(d.color) : list.color,
        position: 'position' in d ? checkPosition(d.position) : list.position,
      };
      const changes: Record<string, Change<unknown>> = {};
      for (const field of ['name', 'color', 'position'] as const)
        if (next[field] !== list[field]) changes[field] = { from: list[field], to: next[field] };
      return Object.keys(changes).length === 0 ? [] : [ev(list.id, 'list.updated', { changes })];
    }
    case 'delete_list': {
      const found = lists.find((l) => l.id === command.list_id);
      if (found?.inbox)
        throw new DomainError(
          'conflict',
          'the Inbox cannot be deleted: it is where the tasks of deleted lists go',
          'id',
        );
      if (found && found.deleted_at !== null) return [];
      const list = live(lists, command.list_id, command.expected_version);
      return [ev(list.id, 'list.deleted', { list_id: list.id, tasks: command.tasks })];
    }
  }
}

/** The only way a list's state changes; folding its events (from `inboxOf` for the Inbox, else null) rebuilds its row. */
export function evolveList(state: ListState | null, event: EventEnvelope): ListState | null {
  if (event.aggregate_type !== 'list') return state;
  if (event.event_type === 'list.created') {
    const list = event.data.list as Omit<ListState, 'version' | 'updated_at' | 'shared' | 'members'>;
    return { ...list, version: event.version, updated_at: event.timestamp, shared: false, members: [] };
  }
  if (!state) throw new Error(`${event.event_type} (${event.event_id}) applied to a list that does not exist`);
  const next: ListState = { ...state, version: event.version, updated_at: event.timestamp };
  const membership = evolveMembership(next, event);
  if (membership) return membership;
  if (event.event_type === 'list.updated') {
    const out: Record<string, unknown> = { ...next };
    for (const [field, change] of Object.entries(event.data.changes as Record<string, Change<unknown>>))
      out[field] = change.to;
    return out as unknown as ListState;
  }
  if (event.event_type === 'list.deleted') return { ...next, deleted_at: event.timestamp };
  return next;
}

/** `members` with `user_id`'s row changed by `change` (or made by it from null), in (created_at, user_id) order. */
function withMember(
  members: readonly MemberState[],
  userId: string,
  change: (row: MemberState | null) => MemberState,
): MemberState[] {
  const old = members.find((m) => m.user_id === userId) ?? null;
  const rest = members.filter((m) => m.user_id !== userId);
  return [...rest, change(old)].sort((a, b) =>
    a.created_at === b.created_at ? (a.user_id < b.user_id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1,
  );
}

/** Folds a membership event into `next` (the list with its new version and updated_at); null for any other event. */
function evolveMembership(next: ListState, event: EventEnvelope): ListState | null {
  const at = event.timestamp;
  const d = event.data;
  const set = (userId: string, fields: Partial<MemberState>, members = next.members): MemberState[] =>
    withMember(members, userId, (row) => {
      if (!row) throw new Error(`${event.event_type} (${event.event_id}): ${userId} is not a member of ${next.id}`);
      return { ...row, ...fields, updated_at: at };
    });
  switch (event.event_type) {
    case 'list.shared': {
      const userId = d.user_id as string;
      // The first share writes the owner's own row.
      const members = next.shared
        ? next.members
        : withMember(next.members, next.user_id, () => ({
            user_id: next.user_id,
            role: 'owner',
            state: 'active',
            invited_by: next.user_id,
            created_at: at,
            updated_at: at,
          }));
      return {
        ...next,
        shared: true,
        members: withMember(members, userId, (row) => ({
          user_id: userId,
          role: d.role as MemberRole,
          state: 'invited',
          invited_by: d.invited_by as string,
          created_at: row?.created_at ?? at,
          updated_at: at,
        })),
      };
    }
    case 'list.invitation_accepted':
      return { ...next, members: set(d.user_id as string, { state: 'active' }) };
    case 'list.invitation_declined':
      return { ...next, members: set(d.user_id as string, { state: 'declined' }) };
    case 'list.member_left':
      return { ...next, members: set(d.user_id as string, { state: 'left' }) };
    case 'list.member_removed':
      return { ...next, members: set(d.user_id as string, { state: 'removed' }) };
    case 'list.ownership_transferred': {
      const from = d.from as string;
      const to = d.to as string;
      return { ...next, user_id: to, members: set(from, { role: 'editor' }, set(to, { role: 'owner' })) };
    }
    default:
      return null;
  }
}
