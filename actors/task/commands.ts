// Commands a TaskActor turn can run. They arrive validated for shape by the API; the decider
// validates meaning (does the rule parse, is the reminder in the future, is the task deleted …).
import type { SnoozeChoice } from './snooze.ts';
/** Relative to the due date, an absolute instant, or (all-day tasks) wall-clock `HH:MM` on its day or `days_before` it. */
export type ReminderSpec = { before: string } | { at: string } | { at_time: string; days_before?: number };

export interface CreateTask {
  type: 'create';
  /** The new task's id: the TaskActor's id, chosen by the caller. */
  id: string;
  data: {
    title: string;
    description?: string | null;
    due_date?: string | null;
    recurrence_rule?: string | null;
    timezone?: string | null;
    reminders?: ReminderSpec[];
    /** Default: the user's Inbox. */
    list_id?: string;
    priority?: number;
    labels?: string[];
    /** How a series finds its next occurrence (default `calendar`); `after_completion` needs a recurrence_rule. */
    recurrence_mode?: string;
    /** A user with access to the task's list, or null (the default): TaskState.assignee. */
    assignee?: string | null;
  };
}

export interface UpdateTask {
  type: 'update';
  /** Only the fields present change; null clears. */
  data: Partial<{
    title: string;
    description: string | null;
    due_date: string | null;
    recurrence_rule: string | null;
    timezone: string | null;
    list_id: string;
    priority: number;
    labels: string[];
    recurrence_mode: string;
    assignee: string | null;
  }>;
  expected_version?: number;
}

/** Why a member is gone from a shared list, as the events of their tasks' clean-up say it. */
export type MemberGoneReason = 'member_left' | 'member_removed';

export type TaskCommand =
  | CreateTask
  | UpdateTask
  | { type: 'complete'; expected_version?: number }
  | { type: 'uncomplete'; expected_version?: number }
  | { type: 'delete'; expected_version?: number }
  | { type: 'add_reminder'; data: ReminderSpec; expected_version?: number }
  | { type: 'remove_reminder'; reminder_id: string; expected_version?: number }
  /** Re-arm a fired reminder once, at the time the choice names (actors/task/snooze.ts). */
  | ({ type: 'snooze_reminder'; reminder_id: string; expected_version?: number } & SnoozeChoice)
  /** The user saw a fired reminder (on any device): it no longer waits (GET /reminders?state=unacknowledged). */
  | { type: 'acknowledge_reminder'; reminder_id: string; expected_version?: number }
  /** Timer: fire one reminder if it is due and not yet notified (idempotent). */
  | { type: 'fire_reminder'; reminder_id: string }
  /** Timer: spawn the series' due occurrence, if any (idempotent). */
  | { type: 'spawn' }
  /** The user's zone changed: a series that follows it keeps its wall-clock time in the new zone. */
  | { type: 'reschedule'; from_zone: string; to_zone: string }
  /** The task's list was deleted: a task still in it moves to the Inbox (`move`) or is deleted (`delete`); otherwise nothing. */
  | { type: 'list_deleted'; list_id: string; tasks: 'move' | 'delete' }
  /** One of the user's labels was deleted: a task carrying it loses it. */
  | { type: 'label_deleted'; label_id: string }
  /**
   * System: `user_id` left the task's shared list or was removed from it (host/lists/turn.ts fans this out):
   * their reminders on the task are cancelled and an assignment to them is cleared, each event saying why as
   * `reason`: `member_left` (after list.member_left) or `member_removed` (after list.member_removed; the default).
   */
  | { type: 'member_gone'; user_id: string; reason?: MemberGoneReason }
  /**
   * System: the instance's series was deleted (host/tasks/turn.ts fans this out once the delete committed):
   * an open instance of it is deleted too (`reason: 'series_deleted'`); a completed one, or one of another
   * series, is left as it is. Undoing the series' delete restores what it deleted.
   */
  | { type: 'series_deleted'; series_id: string }
  /** Undo one change (a completion, a delete, an edit, an added or removed reminder) with compensating events (./undo.ts). */
  | { type: 'undo'; event_id: string; expected_version?: number };

export type TaskCommandType = TaskCommand['type'];
