// Who receives an event (issue 17): the audience of each event a turn decides, and the one recipient in
// whose stream the event itself is stored (its canonical row; every other recipient gets a delivery row,
// host/db/migrations/013_shared_lists.sql). Pure: persist asks it with the states it already holds, so
// the access rule of the list_access view is said once in SQL and once here, and both are tested.
import type { PendingEvent } from '../events.ts';
import type { ReminderState, TaskState } from '../task/index.ts';
import type { ListState, MemberState } from './index.ts';

/** What a write knows of a list it touches (persist reads it under the list's version): who may see it. */
export interface ListScope {
  version: number;
  /** The one owner, lists.user_id. */
  owner: string;
  shared: boolean;
  deleted_at: string | null;
  members: readonly MemberState[];
}

/** A list's scope, from its state. */
export const scopeOf = (list: ListState): ListScope => ({
  version: list.version,
  owner: list.user_id,
  shared: list.shared,
  deleted_at: list.deleted_at,
  members: list.members,
});

/**
 * The users with access to a list, the owner first, then the active editors by user id: the rows of the
 * list_access view (migration 013) for it. The owner always has access, also to their deleted list; an
 * editor only while their row is active and the list is not deleted.
 */
export function accessOf(list: ListScope | ListState): string[] {
  const owner = 'owner' in list ? list.owner : list.user_id;
  const editors =
    list.deleted_at === null
      ? list.members
          .filter((m) => m.role === 'editor' && m.state === 'active' && m.user_id !== owner)
          .map((m) => m.user_id)
          .sort()
      : [];
  return [owner, ...editors];
}

/** The state of the aggregate an event is about, as audienceOf reads it, before or after the event. */
export type AudienceState =
  | (Pick<TaskState, 'list_id'> & { reminders: readonly Pick<ReminderState, 'id' | 'user_id'>[] })
  | ListState
  | { user_id: string };

/** Membership events that also reach the user they are about, who need not have access before or after. */
const ABOUT_A_USER = new Set<PendingEvent['event_type']>([
  'list.shared',
  'list.invitation_declined',
  'list.member_left',
  'list.member_removed',
]);

/**
 * The users who receive `event`, sorted by user id, never empty. `before` and `after` are the state of the
 * event's aggregate just before and just after it (null: it did not exist); `scopes` holds every list a
 * task event's task is in, before or after (a move touches two). Rules (shared-lists plan, section 4):
 * - a task event (task.*, recurring.*) reaches everyone with access to the task's list before or after it
 *   (`accessOf`), so a move between a private and a shared list reaches both lists' users once;
 * - a reminder event (reminder.*) reaches the reminder's owner only (reminders are private), also when
 *   their reminder is cancelled after they left or were removed: it is theirs, and nobody else learns of
 *   it (a reminder of a user without access never fires: the decider cancels it instead);
 * - a list event reaches everyone with access to the list before or after it; `list.shared` and
 *   `list.invitation_declined` also reach the invitee, `list.member_left` and `list.member_removed` the
 *   user who goes, `list.deleted` and a `list.updated` of its name or colour everyone invited and not yet
 *   answering (what their invitation shows: it ends with the list, and shows its name and colour); a user
 *   removed or gone receives nothing later;
 * - a label or user event reaches its own user (labels are personal).
 * Throws an Error (a bug of the caller) when a task's list has no scope or a reminder is unknown.
 */
export function audienceOf(
  event: PendingEvent,
  before: AudienceState | null,
  after: AudienceState | null,
  scopes: ReadonlyMap<string, ListScope>,
): string[] {
  const subject = after ?? before;
  switch (event.aggregate_type) {
    case 'user':
      return [event.aggregate_id];
    case 'label':
      if (!subject || !('user_id' in subject)) throw new Error(`${event.event_type} without its label`);
      return [subject.user_id];
    case 'list': {
      const out = new Set<string>();
      for (const list of [before, after] as (ListState | null)[]) if (list) for (const u of accessOf(list)) out.add(u);
      if (ABOUT_A_USER.has(event.event_type)) out.add(event.data.user_id as string);
      // Those invited and not yet answering hear what their invitation shows: the list's deletion (their
      // invitation ends with it) and a change of its name or colour (GET /invitations shows both).
      if (before && 'members' in before && (event.event_type === 'list.deleted' || showsOnInvitation(event)))
        for (const m of before.members) if (m.state === 'invited') out.add(m.user_id);
      if (out.size === 0) throw new Error(`${event.event_type} without its list`);
      return [...out].sort();
    }
    case 'task': {
      const tasks = [before, after] as (Extract<AudienceState, { list_id: string }> | null)[];
      const listIds = [...new Set(tasks.flatMap((t) => (t ? [t.list_id] : [])))];
      if (listIds.length === 0) throw new Error(`${event.event_type} without its task`);
      const lists = listIds.map((id) => {
        const scope = scopes.get(id);
        if (!scope) throw new Error(`${event.event_type}: the scope of list ${id} was not given`);
        return scope;
      });
      const access = new Set(lists.flatMap(accessOf));
      if (event.event_type.startsWith('reminder.')) {
        return [reminderOwner(event, tasks)];
      }
      return [...access].sort();
    }
  }
}

/** What an open invitation shows of its list (GET /invitations: name and colour). */
const INVITATION_FIELDS = new Set(['name', 'color']);

/** Whether `event` is a list.updated that changes what an open invitation shows. */
function showsOnInvitation(event: PendingEvent): boolean {
  if (event.event_type !== 'list.updated') return false;
  const changes = event.data.changes as Record<string, unknown> | undefined;
  return Object.keys(changes ?? {}).some((field) => INVITATION_FIELDS.has(field));
}

/** The user a reminder event's reminder belongs to: the reminder scheduled, or the one named by `reminder_id`. */
function reminderOwner(
  event: PendingEvent,
  tasks: readonly ({ reminders: readonly Pick<ReminderState, 'id' | 'user_id'>[] } | null)[],
): string {
  const given = event.data.reminder as Pick<ReminderState, 'id' | 'user_id'> | undefined;
  if (given?.user_id) return given.user_id;
  const id = (event.data.reminder_id as string | undefined) ?? given?.id;
  for (const task of [...tasks].reverse()) {
    const found = task?.reminders.find((r) => r.id === id);
    if (found) return found.user_id;
  }
  throw new Error(`${event.event_type}: reminder ${String(id)} is not on its task`);
}

/**
 * The recipient in whose stream an event is stored (events.user_id): the actor when they receive it,
 * otherwise the first of the audience by user id (also for a timer or system turn, `actor` null).
 * Throws on an empty audience (audienceOf never gives one).
 */
export function canonicalOf(audience: readonly string[], actor: string | null): string {
  if (actor !== null && audience.includes(actor)) return actor;
  const first = [...audience].sort()[0];
  if (first === undefined) throw new Error('an event without an audience');
  return first;
}
