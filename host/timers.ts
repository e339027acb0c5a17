// The sweeper's view of the database: due reminders and series whose next spawn is due. Series are
// selected coarsely in SQL (any reminder lead) and timed exactly with the same pure function the
// runtimes use, so the sweeper never disagrees with the decider about when something is due.
import type { Db } from './db/index.ts';
import type { DueTimersPort } from '../actors/runtime/sweeper.ts';
import { remindName, SPAWN, spawnDueAt, type Timer } from '../actors/task/timers.ts';
import type { ReminderState } from '../actors/task/index.ts';

export function dueTimers(db: Db): DueTimersPort {
  return {
    async due(until, limit) {
      const at = new Date(until).toISOString();
      const reminders = await db.query<{ id: string; task_id: string; user_id: string; remind_at: string }>(
        `SELECT r.id::text AS id, r.task_id::text AS task_id, r.user_id, r.remind_at
           FROM reminders r JOIN tasks t ON t.id = r.task_id
          WHERE NOT r.notified AND NOT r.cancelled AND r.remind_at IS NOT NULL AND r.remind_at <= $1
            AND t.deleted_at IS NULL AND NOT t.completed AND NOT t.is_recurring
          ORDER BY r.remind_at LIMIT $2`, [at, limit]);
      const series = await db.query<{ id: string; user_id: string; next_occurrence: string; timezone: string | null; user_timezone: string; offsets: string[] }>(
        `SELECT t.id::text AS id, t.user_id, t.next_occurrence, t.timezone, u.timezone AS user_timezone,
                COALESCE(ARRAY(SELECT r."offset"::text FROM reminders r WHERE r.task_id = t.id AND NOT r.cancelled AND r."offset" IS NOT NULL), '{}') AS offsets
           FROM tasks t JOIN users u ON u.id = t.user_id
          WHERE t.is_recurring AND t.deleted_at IS NULL AND t.next_occurrence IS NOT NULL
            AND t.next_occurrence <= $1::timestamptz + interval '1 day' + COALESCE(
                  (SELECT max(r."offset") FROM reminders r WHERE r.task_id = t.id AND NOT r.cancelled), interval '0')
          ORDER BY t.next_occurrence LIMIT $2`, [at, limit]);
      const timers: Timer[] = reminders.rows.map((r) => ({
        name: remindName(r.id), taskId: r.task_id, userId: r.user_id, dueAt: Date.parse(r.remind_at), command: { type: 'fire_reminder', reminder_id: r.id },
      }));
      for (const s of series.rows) {
        const reminderStates = s.offsets.map((offset) => ({ offset, cancelled: false }) as ReminderState);
        const dueAt = spawnDueAt({ next_occurrence: s.next_occurrence, timezone: s.timezone, reminders: reminderStates }, s.user_timezone);
        if (dueAt !== null && dueAt <= until) timers.push({ name: SPAWN, taskId: s.id, userId: s.user_id, dueAt, command: { type: 'spawn' } });
      }
      return timers.sort((a, b) => a.dueAt - b.dueAt).slice(0, limit);
    },
  };
}
