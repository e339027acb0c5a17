// What the HTTP layer reads, as interfaces: host/ implements them and the composition root
// (host/app.ts) hands the implementations in through ApiDeps. api/ never imports host/ (lint rule in
// biome.jsonc), so these shapes live here, on the side that uses them.
import type { TaskState, ReminderState } from '../actors/task/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import type { ListState } from '../actors/list/index.ts';
import type { LabelState } from '../actors/label/index.ts';

/** GET /tasks sort keys; every page is ordered by (key, id) in `order`, tasks without the key (no due date, never completed) last. */
export const TASK_SORTS = ['due', 'priority', 'created', 'title', 'completed'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

/** GET /tasks filters, already validated by api/schemas.ts. Instants are ISO-8601 strings. */
export interface TaskFilter {
  completed?: boolean;
  /** due_date < due_before */
  due_before?: string;
  /** due_date >= due_after */
  due_after?: string;
  /**
   * A view's window (issue 16): a timed task must lie in [due_after, due_before) by instant, an all-day
   * task in [day_from, day_before) by its date (`due_day`, `YYYY-MM-DD`). Bounds left out are open.
   */
  window?: { due_before?: string; due_after?: string; day_from?: string; day_before?: string };
  /** completed_at >= completed_after */
  completed_after?: string;
  series_id?: string;
  list_id?: string;
  /** A label id the task carries. */
  label?: string;
  priority?: number;
  /** The user id the task is assigned to (tasks.assignee). */
  assignee?: string;
  /** Leave out series themselves (their occurrences stay): the views list what is due, not the rules. */
  no_series?: boolean;
  /** Words searched in title and description (full text, each word a prefix, all must match). */
  q?: string;
  sort: TaskSort;
  order: SortOrder;
  /** Page size; one more row is read to tell whether there are more. */
  limit: number;
  /** Keyset cursor: the sort key (null: the task has none) and id of the last task of the previous page. */
  cursor?: { key: string | null; id: string };
}

/** One page of tasks; `keys` holds each task's sort key as the cursor takes it. */
export interface TaskPage {
  tasks: TaskState[];
  keys: (string | null)[];
  more: boolean;
}

/** The windows of the views, as instants (ISO): computed in the user's zone by the route. */
export interface ViewWindows {
  now: string;
  /** The end of today (local), exclusive. */
  todayEnd: string;
  /** The end of the upcoming window (local day +7), exclusive. */
  upcomingEnd: string;
  /** All-day tasks are placed by date (issue 16): today's local date, tomorrow's, and the day after the window, `YYYY-MM-DD`. */
  today: string;
  tomorrow: string;
  upcomingEndDay: string;
  /** Completed since (now - 7 days) counts as recently completed. */
  recentSince: string;
}

/** GET /views/counts. */
export interface ViewCounts {
  today: number;
  upcoming: number;
  overdue: number;
  completed_recent: number;
  /** Open tasks assigned to the user (the Assigned to me view): a series assigned to them counts once with its occurrences assigned to them. */
  assigned: number;
  /** The soonest due date (ISO instant) of an open timed task at or after now, when one is: it turns overdue then. */
  next_due_at: string | null;
  /** Open tasks per live list id (every live list, 0 included). */
  lists: Record<string, number>;
}

/** A live series of the user, for the occurrences of GET /views/upcoming. */
/** A series as Upcoming reads it: its state, and whether an occurrence of it is open (then its next one is not completed ahead). */
export type SeriesTask = TaskState & { open_occurrence?: boolean };

/** GET /admin/events filters. `from` inclusive, `to` exclusive; `after` is the keyset cursor. */
export interface AdminFilter {
  /** Events in this user's stream: stored there, or delivered there (shared lists). */
  user?: string;
  type?: string;
  aggregate_id?: string;
  /** Events this user issued (events.actor_id). */
  actor?: string;
  /** Events whose audience was made up of this list's members (events.scope holds it). */
  list?: string;
  from?: string;
  to?: string;
  after?: { timestamp: string; event_id: string };
  limit: number;
}

/** Read-side queries the routes need; never writes. Implemented by host/reads.ts over PostgreSQL or PGlite. */
export interface ReadsPort {
  /** One page of the live tasks the user may see, newest first, with the user's own reminders (per member, issue 17); `more` when a next page exists. */
  listTasks(userId: string, filter: TaskFilter): Promise<TaskPage>;
  /**
   * The user's live lists, by position (the Inbox first), then created_at, id; then the live lists of
   * others shared with them, where they are an active editor (issue 17). Each list's owner is `user_id`.
   */
  lists(userId: string): Promise<ListState[]>;
  /** The user's live labels, by name (case-insensitively), then id. */
  labels(userId: string): Promise<LabelState[]>;
  /** One live list or label of the user; null when there is none (or it was deleted). */
  list(userId: string, id: string): Promise<ListState | null>;
  label(userId: string, id: string): Promise<LabelState | null>;
  counts(userId: string, windows: ViewWindows): Promise<ViewCounts>;
  /**
   * The user's live series with a next occurrence before `before` (ISO instant), soonest first (then id),
   * at most `limit`; `total` counts all that match, so a caller can say how many it did not read.
   * Series that ended (next occurrence null) or whose next occurrence is later are left out.
   */
  series(userId: string, before: string, limit: number): Promise<{ series: SeriesTask[]; total: number }>;
  /** The user's events with seq > `after`, in seq order, at most `limit`. */
  eventsAfter(userId: string, after: number, limit: number): Promise<EventEnvelope[]>;
  /** The user's last event seq; 0 for a user with no events. */
  lastSeq(userId: string): Promise<number>;
  /** All users' events matching `filter`, ordered by (timestamp, event_id). */
  adminEvents(filter: AdminFilter): Promise<EventEnvelope[]>;
  /**
   * The user's fired reminders waiting to be acknowledged (`unacknowledged`, not cancelled) on live, open
   * tasks, newest `remind_at` first (then id, descending), after the keyset `after`, at most `limit`.
   */
  unacknowledgedReminders(
    userId: string,
    page: { limit: number; after?: { remind_at: string; id: string } },
  ): Promise<WaitingReminder[]>;
}

/** A fired, unacknowledged reminder with what a notification shows of its task. */
export interface WaitingReminder {
  reminder: ReminderState;
  task: Pick<TaskState, 'id' | 'title' | 'due_date' | 'due_day'>;
}
