// What the HTTP layer reads, as interfaces: host/ implements them and the composition root
// (host/app.ts) hands the implementations in through ApiDeps. api/ never imports host/ (lint rule in
// biome.json), so these shapes live here, on the side that uses them.
import type { TaskState } from '../actors/task/index.ts';
import type { EventEnvelope } from '../actors/events.ts';

/** GET /tasks filters, already validated by api/schemas.ts. Instants are ISO-8601 strings. */
export interface TaskFilter {
  completed?: boolean;
  /** due_date < due_before */
  due_before?: string;
  /** due_date >= due_after */
  due_after?: string;
  series_id?: string;
  /** Case-insensitive substring of title or description. */
  q?: string;
  /** Page size; one more row is read to tell whether there are more. */
  limit: number;
  /** Keyset cursor: the last task of the previous page (newest first). */
  cursor?: { created_at: string; id: string };
}

/** GET /admin/events filters. `from` inclusive, `to` exclusive; `after` is the keyset cursor. */
export interface AdminFilter {
  user?: string;
  type?: string;
  aggregate_id?: string;
  from?: string;
  to?: string;
  after?: { timestamp: string; event_id: string };
  limit: number;
}

/** Read-side queries the routes need; never writes. Implemented by host/reads.ts over PostgreSQL or PGlite. */
export interface ReadsPort {
  /** One page of the user's live tasks, newest first, with their reminders; `more` when a next page exists. */
  listTasks(userId: string, filter: TaskFilter): Promise<{ tasks: TaskState[]; more: boolean }>;
  /** The user's events with seq > `after`, in seq order, at most `limit`. */
  eventsAfter(userId: string, after: number, limit: number): Promise<EventEnvelope[]>;
  /** The user's last event seq; 0 for a user with no events. */
  lastSeq(userId: string): Promise<number>;
  /** All users' events matching `filter`, ordered by (timestamp, event_id). */
  adminEvents(filter: AdminFilter): Promise<EventEnvelope[]>;
}
