// The actor shells: what a TaskActor / UserActor turn does, whatever runtime hosts it. Thin by design:
// the task service decides and persists; the shell re-arms timers and fans a zone change out.
import type { TaskPort, UserPort, TaskCall, TaskTurnResult, TimezoneCall, UserTurnResult } from './ports.ts';

/** Arms and cancels the timers of tasks after a turn changed them (Dapr reminders, or in-process timers). */
export interface TimerPort {
  sync(turn: TaskTurnResult): Promise<void>;
}

export function taskActor(ports: { tasks: TaskPort; timers: TimerPort }) {
  return {
    async execute(taskId: string, call: TaskCall): Promise<TaskTurnResult> {
      const result = await ports.tasks.execute(call.userId, taskId, call.command, call.meta);
      if (result.events.length > 0) await ports.timers.sync(result);
      return result;
    },
  };
}

export function userActor(ports: { users: UserPort; executeTask: (taskId: string, call: TaskCall) => Promise<TaskTurnResult> }) {
  return {
    /**
     * Changes the user's zone, then asks each series that follows it to reschedule. The user's own
     * transaction commits first, so no task turn ever waits on the user row while holding a task row.
     */
    async setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult> {
      const before = await ports.users.execute(userId, { type: 'set_timezone', timezone: call.timezone }, call.meta);
      const change = before.events[0]?.data.changes as { timezone?: { from: string; to: string } } | undefined;
      if (change?.timezone) {
        const series = await ports.users.seriesFollowingZone(userId);
        const meta = { correlationId: call.meta?.correlationId ?? before.events[0]?.correlation_id ?? '', causationId: before.events[0]?.event_id ?? null };
        for (const taskId of series) {
          await ports.executeTask(taskId, { userId, command: { type: 'reschedule', from_zone: change.timezone.from, to_zone: change.timezone.to }, meta });
        }
      }
      return before;
    },
  };
}
