// Read-side queries for the API: task lists with keyset paging, a user's events after a seq, the
// admin audit, and the outbox backlog. Writes never go through here.
import type { Db } from './db/index.ts';
import type { TaskState, ReminderState } from '../actors/task/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import { TASK_COLUMNS, REMINDER_COLUMNS, EVENT_COLUMNS, toTask, toEnvelope, type TaskRow } from './tasks/rows.ts';
import type { ReadsPort, TaskFilter, AdminFilter } from '../api/ports.ts';

export type { TaskFilter, AdminFilter };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The read side api/ uses (ReadsPort), plus what host/ and realtime/ feeds need. */
export class Reads implements ReadsPort {
  constructor(private readonly db: Db) {}

  async listTasks(userId: string, f: TaskFilter): Promise<{ tasks: TaskState[]; more: boolean }> {
    const where = ['user_id = $1', 'deleted_at IS NULL'];
    const params: unknown[] = [userId];
    const add = (sql: (n: string) => string, value: unknown) => { params.push(value); where.push(sql(`$${params.length}`)); };
    if (f.completed !== undefined) add((p) => `completed = ${p}`, f.completed);
    if (f.due_before) add((p) => `due_date < ${p}`, f.due_before);
    if (f.due_after) add((p) => `due_date >= ${p}`, f.due_after);
    if (f.series_id) add((p) => `series_id = ${p}`, f.series_id);
    if (f.q) add((p) => `(title ILIKE ${p} OR description ILIKE ${p})`, `%${likeEscape(f.q)}%`);
    if (f.cursor) {
      params.push(f.cursor.created_at, f.cursor.id);
      where.push(`(created_at, id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(f.limit + 1);
    const rows = await this.db.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
    const page = rows.rows.slice(0, f.limit);
    const reminders = page.length === 0 ? [] : (await this.db.query<ReminderState>(
      `SELECT ${REMINDER_COLUMNS} FROM reminders WHERE task_id = ANY($1::uuid[]) ORDER BY created_at, id`, [page.map((t) => t.id)])).rows;
    const byTask = new Map<string, ReminderState[]>();
    for (const r of reminders) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
    return { tasks: page.map((t) => toTask(t, byTask.get(t.id) ?? [])), more: rows.rows.length > f.limit };
  }

  async eventsAfter(userId: string, after: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await this.db.query<EventEnvelope>(`SELECT ${EVENT_COLUMNS} FROM events WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [userId, after, limit]);
    return rows.rows.map(toEnvelope);
  }

  async lastSeq(userId: string): Promise<number> {
    const rows = await this.db.query<{ last_seq: number }>('SELECT last_seq FROM users WHERE id = $1', [userId]);
    return rows.rows[0]?.last_seq ?? 0;
  }

  async adminEvents(f: AdminFilter): Promise<EventEnvelope[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => { params.push(value); where.push(sql(`$${params.length}`)); };
    if (f.user) add((p) => `user_id = ${p}`, f.user);
    if (f.type) add((p) => `event_type = ${p}`, f.type);
    if (f.aggregate_id) add((p) => `aggregate_id = ${p}`, f.aggregate_id);
    if (f.from) add((p) => `"timestamp" >= ${p}`, f.from);
    if (f.to) add((p) => `"timestamp" < ${p}`, f.to);
    if (f.after) {
      params.push(f.after.timestamp, f.after.event_id);
      where.push(`("timestamp", event_id) > ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(f.limit);
    const rows = await this.db.query<EventEnvelope>(`SELECT ${EVENT_COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY "timestamp", event_id LIMIT $${params.length}`, params);
    return rows.rows.map(toEnvelope);
  }

  /**
   * Committed events not yet published to Kafka whose timestamp is after `sinceIso`, ordered by
   * (user_id, seq), at most 5,000: what realtime/feeds.ts OutboxFeed delivers while Kafka is away.
   */
  async unpublishedSince(sinceIso: string): Promise<EventEnvelope[]> {
    const rows = await this.db.query<EventEnvelope>(`SELECT ${EVENT_COLUMNS} FROM events WHERE published_at IS NULL AND "timestamp" > $1 ORDER BY user_id, seq LIMIT 5000`, [sinceIso]);
    return rows.rows.map(toEnvelope);
  }

  async outboxBacklog(): Promise<{ count: number; oldest: string | null }> {
    const rows = await this.db.query<{ count: number; oldest: string | null }>('SELECT count(*)::int AS count, min("timestamp") AS oldest FROM events WHERE published_at IS NULL');
    return rows.rows[0] ?? { count: 0, oldest: null };
  }
}
