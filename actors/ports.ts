// What the actor shells need from the outside, as interfaces: the host implements them with
// PostgreSQL, the runtimes with Dapr or in-process timers. actors/ imports nothing that does I/O.
import type { TaskState, TaskCommand } from './task/index.ts';
import type { UserState, UserCommand } from './user/decider.ts';
import type { EventEnvelope } from './events.ts';

export interface CommandMeta {
  correlationId: string;
  causationId?: string | null;
}

export interface TaskTurnResult {
  task: TaskState | null;
  events: EventEnvelope[];
  /** Every task the turn changed, after it (a spawn changes the series and creates an instance). */
  changed: TaskState[];
  /** The user's zone at the time of the turn (timers of tasks without their own zone follow it). */
  userTimezone: string;
}

export interface UserTurnResult {
  user: UserState;
  events: EventEnvelope[];
}

export interface TaskPort {
  execute(userId: string, taskId: string, command: TaskCommand, meta?: CommandMeta): Promise<TaskTurnResult>;
}

export interface UserPort {
  execute(userId: string, command: UserCommand, meta?: CommandMeta): Promise<UserTurnResult>;
  seriesFollowingZone(userId: string): Promise<string[]>;
}

/** A call to a TaskActor's `execute`. */
export interface TaskCall {
  userId: string;
  command: TaskCommand;
  meta?: CommandMeta;
}

/** A call to a UserActor's `setTimezone`. */
export interface TimezoneCall {
  timezone: string;
  meta?: CommandMeta;
}
