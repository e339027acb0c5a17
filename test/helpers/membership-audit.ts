// The membership audit of shared lists (issue 17; README "Shared lists", section 8), read from the
// database itself (PostgreSQL or PGlite, through any Queryable): every row of a user's stream (their
// events rows and their event_deliveries rows) about a shared list must lie inside that user's membership
// windows of the list, and every user's stream must be exactly seqs 1..users.last_seq. Shared by the
// chaos audit (test/chaos/scenario.ts) and the tests of shared lists. A user's seq is in commit order, so
// reading the windows from the user's own stream in seq order makes the check exact, not timing-based.
import type { Queryable } from '../../host/db/types.ts';
import { inboxIdOf } from '../../actors/list/index.ts';

/** One stream row the membership audit refused: where it is and what it is. */
export interface OutsideRow {
  user_id: string;
  seq: number;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  /** events.scope: the shared lists whose members made up the event's audience. */
  scope: string[];
  /** true: the user's events row (the event stored in their stream); false: their delivery row. */
  canonical: boolean;
}

export interface MembershipAudit {
  /** Stream rows checked: those whose event's scope holds a shared list. */
  checked: number;
  /** Rows outside the user's membership windows (must be 0). */
  outside: number;
  /** The first `limit` of them, by user and seq. */
  rows: OutsideRow[];
}

/** A user whose stream is not exactly seqs 1..last_seq, each once. */
export interface GappedStream {
  user_id: string;
  last_seq: number;
  /** Stream rows (events ∪ deliveries) the user has, and how many distinct seqs among them. */
  rows: number;
  distinct: number;
  /** The lowest and highest seq held (0 when none). */
  first: number;
  last: number;
}

export interface GapAudit {
  /** Users checked. */
  users: number;
  /** Users whose stream is not 1..last_seq exactly once (must be 0). */
  gapped: number;
  /** The first `limit` of them, by user id. */
  streams: GappedStream[];
}

export interface AuditOptions {
  /** Only these users' streams (default: every user in the database). */
  users?: readonly string[];
  /** At most this many offending rows or streams returned (default 20); the counts are always complete. */
  limit?: number;
}

interface StreamRow {
  user_id: string;
  seq: number;
  event_id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  data: Record<string, unknown>;
  scope: string[] | null;
  canonical: boolean;
  own_reminder: boolean;
}

/**
 * The rows of each audited user's stream that matter to shared lists, by user and seq: every event whose
 * scope holds a list, and every list event of a shared list (list.created has no scope yet, and opens the
 * owner's window). `own_reminder`: a reminder.cancelled of a reminder that belongs to the stream's user.
 */
function streamRows(users: boolean): string {
  const only = (col: string) => (users ? ` WHERE ${col} = ANY($1::text[])` : '');
  return `WITH s AS (
      SELECT user_id, seq, event_id, true AS canonical FROM events${only('user_id')}
      UNION ALL
      SELECT user_id, seq, event_id, false AS canonical FROM event_deliveries${only('user_id')})
    SELECT s.user_id, s.seq::int AS seq, e.event_id::text AS event_id, e.event_type, e.aggregate_type, e.aggregate_id,
      e.data, e.scope::text[] AS scope, s.canonical,
      (e.event_type = 'reminder.cancelled' AND EXISTS (
        SELECT 1 FROM reminders r WHERE r.id::text = e.data->>'reminder_id' AND r.user_id = s.user_id)) AS own_reminder
    FROM s JOIN events e ON e.event_id = s.event_id
    WHERE e.scope IS NOT NULL
      OR (e.aggregate_type = 'list' AND e.aggregate_id IN (SELECT id::text FROM lists WHERE shared))
    ORDER BY s.user_id, s.seq`;
}

/** A user's standing on one list at a point of their stream. */
interface Window {
  open: boolean;
  /** Invited and not answering yet (`list.shared` about the user, until an answer, a removal or the delete). */
  invited: boolean;
  /** The list's owner keeps access to their deleted list (list_access), so its delete's follow-ups still reach them. */
  owner: boolean;
}

/**
 * Checks that no stream row about a shared list falls outside its user's membership windows of that
 * list. The windows are read from the list's own events in the user's stream, in seq order:
 * - a window opens at `list.created` (in the owner's stream), `list.invitation_accepted` about the user and
 *   `list.ownership_transferred` to the user, and closes after `list.member_left` or `list.member_removed`
 *   about the user, or `list.deleted` for everyone but the list's owner at that point (list_access keeps
 *   the owner's access to a deleted list while its delete fans out to its tasks);
 * - the events that open or close a window, and `list.shared` / `list.invitation_declined` about the user
 *   (their invitation and its answer; actors/list/audience.ts), are allowed outside one, and so is a
 *   `list.updated` of the name or colour while the user is invited and has not answered (what the
 *   invitation shows);
 * - a row whose scope holds several lists (a task moved between two shared lists) is allowed inside the
 *   window of any of them: it is the task leaving one list and arriving in the other;
 * - also allowed: `reminder.cancelled` of the user's own reminder, and a task event that takes the user's
 *   task to their own Inbox (a deleted list's tasks go home, `list_deleted` in actors/task/decide.ts).
 * Returns the number of rows checked, the number outside and the first `limit` of those.
 */
export async function auditMembership(q: Queryable, options: AuditOptions = {}): Promise<MembershipAudit> {
  const limit = options.limit ?? 20;
  const rows = await q.query<StreamRow>(streamRows(options.users !== undefined), options.users ? [options.users] : []);
  const out: MembershipAudit = { checked: 0, outside: 0, rows: [] };
  let user: string | undefined;
  let windows = new Map<string, Window>();
  const windowOf = (list: string): Window => {
    let w = windows.get(list);
    if (!w) {
      w = { open: false, invited: false, owner: false };
      windows.set(list, w);
    }
    return w;
  };
  for (const row of rows.rows) {
    if (row.user_id !== user) {
      user = row.user_id;
      windows = new Map();
    }
    const about = row.data.user_id === row.user_id;
    // The window changes an event makes, and whether the event is itself allowed outside a window.
    let allowed = false;
    if (row.aggregate_type === 'list') {
      const w = windowOf(row.aggregate_id);
      switch (row.event_type) {
        case 'list.created':
          w.open = true;
          w.owner = true;
          break;
        case 'list.invitation_accepted':
          if (about) {
            w.open = true;
            w.invited = false;
          }
          break;
        case 'list.updated':
          allowed = w.invited && showsOnInvitation(row.data);
          break;
        case 'list.ownership_transferred':
          if (row.data.to === row.user_id) {
            w.open = true;
            w.owner = true;
          } else if (row.data.from === row.user_id) w.owner = false;
          break;
        case 'list.member_left':
        case 'list.member_removed':
          if (about) {
            allowed = true;
            w.open = false;
            w.invited = false;
          }
          break;
        case 'list.deleted':
          allowed = true;
          w.invited = false;
          if (!w.owner) w.open = false;
          break;
        case 'list.shared':
          allowed = about;
          if (about) w.invited = true;
          break;
        case 'list.invitation_declined':
          allowed = about;
          if (about) w.invited = false;
          break;
      }
    }
    if (row.scope === null) continue;
    out.checked++;
    const inside =
      allowed ||
      row.own_reminder ||
      row.scope.some((l) => windows.get(l)?.open === true) ||
      (row.aggregate_type === 'task' && intoOwnInbox(row.data, row.user_id));
    if (inside) continue;
    out.outside++;
    if (out.rows.length < limit)
      out.rows.push({
        user_id: row.user_id,
        seq: row.seq,
        event_id: row.event_id,
        event_type: row.event_type,
        aggregate_id: row.aggregate_id,
        scope: row.scope,
        canonical: row.canonical,
      });
  }
  return out;
}

/** A list.updated that changes what an open invitation shows (its name or colour: actors/list/audience.ts). */
function showsOnInvitation(data: Record<string, unknown>): boolean {
  const changes = (data.changes ?? {}) as Record<string, unknown>;
  return 'name' in changes || 'color' in changes;
}

/** A task event whose change of list_id takes the task to `userId`'s Inbox. */
function intoOwnInbox(data: Record<string, unknown>, userId: string): boolean {
  const change = (data.changes as { list_id?: { to?: unknown } } | undefined)?.list_id;
  return change?.to === inboxIdOf(userId);
}

/**
 * Checks that each audited user's stream, their events rows and their delivery rows together, holds
 * every seq from 1 to users.last_seq exactly once. Returns the users checked, how many are not, and the
 * first `limit` of those with what they hold.
 */
export async function auditGaps(q: Queryable, options: AuditOptions = {}): Promise<GapAudit> {
  const limit = options.limit ?? 20;
  const only = options.users === undefined ? '' : ' WHERE u.id = ANY($1::text[])';
  const rows = await q.query<GappedStream>(
    `SELECT u.id AS user_id, u.last_seq::int AS last_seq, count(s.seq)::int AS "rows",
        count(DISTINCT s.seq)::int AS "distinct", COALESCE(min(s.seq), 0)::int AS "first", COALESCE(max(s.seq), 0)::int AS "last"
      FROM users u LEFT JOIN (
        SELECT user_id, seq FROM events UNION ALL SELECT user_id, seq FROM event_deliveries) s ON s.user_id = u.id
      ${only}
      GROUP BY u.id, u.last_seq ORDER BY u.id`,
    options.users ? [options.users] : [],
  );
  const gapped = rows.rows.filter(
    (r) =>
      !(
        r.rows === r.last_seq &&
        r.distinct === r.last_seq &&
        (r.last_seq === 0 || (r.first === 1 && r.last === r.last_seq))
      ),
  );
  return { users: rows.rows.length, gapped: gapped.length, streams: gapped.slice(0, limit) };
}
