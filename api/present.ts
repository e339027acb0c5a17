// How tasks and reminders look in responses: the row's fields plus a reminder status, so clients need
// not re-derive it.
import type { TaskState, ReminderState } from '../actors/task/index.ts';
import { invalid } from '../actors/errors.ts';
import { readInstant } from '../actors/task/time.ts';
import type { ListState, MemberRole } from '../actors/list/index.ts';
import type { LabelState } from '../actors/label/index.ts';
import type { SortOrder, TaskSort } from './ports.ts';
import { textProblem } from './text.ts';

export type ReminderStatus = 'pending' | 'notified' | 'cancelled' | 'template';

export function reminderStatus(r: ReminderState): ReminderStatus {
  if (r.cancelled) return 'cancelled';
  if (r.remind_at === null) return 'template';
  return r.notified ? 'notified' : 'pending';
}

export function presentReminder(r: ReminderState) {
  // Its version is internal: If-Match is judged by it (actors/task/state.ts matchesVersion), the task's `version` is the ETag.
  const { version: _version, ...shown } = r;
  return { ...shown, status: reminderStatus(r) };
}

/**
 * A task as `viewer` sees it: its fields, and of its reminders only the viewer's own (reminders are per
 * member, issue 17: another member's reminders on a shared task are never shown). Without a viewer (a
 * task some read already narrowed to the viewer's reminders, host/reads.ts), every reminder it holds.
 */
/**
 * A task as the API shows it to `viewer` (the caller's user id): its reminders are only the viewer's own
 * (reminders are per member of a shared list, issue 17).
 */
export function presentTask(t: TaskState, viewer: string) {
  // Internal to the series' expansion: when it spawned last, and its wall-clock start (due_date is that
  // start as an instant, next_occurrence and /occurrences show where it leads).
  // shared_version is If-Match's lower bound (actors/task/state.ts matchesVersion); `version` is the ETag.
  const {
    last_spawned_at: _internal,
    dtstart_local: _start,
    spawn_count: _count,
    shared_version: _shared,
    ...rest
  } = t;
  const shown = t.reminders.filter((r) => r.user_id === viewer);
  // all_day: due_day holds the floating date of an all-day task (actors/task/all-day.ts).
  return { ...rest, all_day: t.due_day !== null, reminders: shown.map(presentReminder) };
}

export function encodeCursor(value: Record<string, string>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor's JSON object (cursors are base64url JSON); anything else throws `refuse()`. */
function cursorObject(text: string, refuse: () => Error): object {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (typeof value !== 'object' || value === null) throw refuse();
  return value;
}

/**
 * Reads a cursor this API returned (base64url JSON). Each key must hold a string of its kind: an
 * `instant` passes the one parser for instants (canonical UTC ISO), a `uuid` is a UUID. Anything else
 * (forged, truncated, another route's cursor) is a DomainError `validation` naming `field` (a 400).
 */
export function decodeCursor<K extends string>(
  field: string,
  text: string,
  kinds: Record<K, 'instant' | 'uuid'>,
): Record<K, string> {
  const refuse = () => invalid(field, 'is not a cursor this API returned');
  const value = cursorObject(text, refuse);
  const out = {} as Record<K, string>;
  for (const key of Object.keys(kinds) as K[]) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'string') throw refuse();
    if (kinds[key] === 'uuid') {
      if (!UUID.test(v)) throw refuse();
      out[key] = v;
    } else {
      try {
        out[key] = readInstant(field, v, 'UTC');
      } catch {
        throw refuse();
      }
    }
  }
  return out;
}

/**
 * A list as `viewer` sees it (issue 15 contract, plus issue 17's sharing fields): no deletion time
 * (deleted lists are not shown) and no members (GET /lists/{id}/members). `role` is the viewer's:
 * 'owner' for the list's one owner (`owner_id`), else 'editor' (only lists the viewer may see are ever
 * presented to them); `shared` says whether the list was ever shared (a list never shared holds only its
 * owner's tasks), `member_count` and `invited_count` who is in it now.
 */
export function presentList(l: ListState, viewer: string) {
  const { active, invited } = headcount(l);
  return {
    id: l.id,
    name: l.name,
    color: l.color,
    position: l.position,
    inbox: l.inbox,
    version: l.version,
    created_at: l.created_at,
    updated_at: l.updated_at,
    role: (l.user_id === viewer ? 'owner' : 'editor') as MemberRole,
    owner_id: l.user_id,
    shared: l.shared,
    member_count: active,
    invited_count: invited,
  };
}

/**
 * Who is in `l` now: `active`, its members, the owner included (1: the owner alone), and `invited`, the
 * invitations not answered yet. From the list's member rows (ListState.members; a list never shared has none).
 */
function headcount(l: ListState): { active: number; invited: number } {
  let active = 1;
  let invited = 0;
  for (const m of l.members) {
    if (m.user_id === l.user_id) continue;
    if (m.state === 'active') active++;
    else if (m.state === 'invited') invited++;
  }
  return { active, invited };
}

export function presentLabel(l: LabelState) {
  return {
    id: l.id,
    name: l.name,
    color: l.color,
    version: l.version,
    created_at: l.created_at,
    updated_at: l.updated_at,
  };
}

/** GET /tasks' cursor: the sort and order it was made for, and the last task's sort key (null: none) and id. */
export interface TaskCursor {
  sort: TaskSort;
  order: SortOrder;
  key: string | null;
  id: string;
}

export function encodeTaskCursor(c: TaskCursor): string {
  return Buffer.from(JSON.stringify({ s: c.sort, o: c.order, k: c.key, id: c.id })).toString('base64url');
}

/**
 * Reads a GET /tasks cursor for `sort` and `order`: its key must be of the sort's kind (an instant for
 * due, created and completed, 1–4 for priority with the due date its ties go by ('2|' without one), text for
 * title; null where a task may lack the key).
 * A cursor made for another sort or order, or anything else, is a 400 naming `cursor`.
 */
export function decodeTaskCursor(text: string, sort: TaskSort, order: SortOrder): { key: string | null; id: string } {
  const refuse = () => invalid('cursor', 'is not a cursor this API returned for this sort and order');
  const value = cursorObject(text, refuse);
  const { s, o, k, id } = value as Record<string, unknown>;
  if (s !== sort || o !== order || typeof id !== 'string' || !UUID.test(id)) throw refuse();
  if (k === null) {
    if (sort !== 'due' && sort !== 'completed') throw refuse();
    return { key: null, id };
  }
  if (typeof k !== 'string') throw refuse();
  if (sort === 'priority') {
    // `<priority>|<due date, or empty for none>`: ties under priority go by due date (host/reads.ts SORTS).
    // A cursor from before ties had a key ('2'), held by a page open across the upgrade: that priority's
    // tasks again from their first ('2|*'): a task may come twice (the dashboard keeps one per id), none is lost.
    if (/^[1-4]$/.test(k)) return { key: `${k}|*`, id };
    const m = /^([1-4])\|(.*)$/s.exec(k);
    if (!m) throw refuse();
    if (m[2] === '') return { key: k, id };
    try {
      return { key: `${m[1]}|${readInstant('cursor', m[2] ?? '', 'UTC')}`, id };
    } catch {
      throw refuse();
    }
  } else if (sort === 'title') {
    // A title's key is text as titles are (api/text.ts): NUL or a lone surrogate would reach PostgreSQL.
    if (k.length > 2000 || textProblem(k) !== null) throw refuse();
  } else {
    try {
      return { key: readInstant('cursor', k, 'UTC'), id };
    } catch {
      throw refuse();
    }
  }
  return { key: k, id };
}
