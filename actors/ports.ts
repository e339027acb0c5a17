// What the runtimes need from the outside, as interfaces. A runtime only decides WHERE a turn runs (a
// Dapr actor on some replica, or an in-process queue); what a turn does is one pipeline the host
// implements with PostgreSQL: host/tasks/turn.ts (TaskTurns) and host/users/turn.ts (UserTurns).
// actors/ imports nothing that does I/O on the database.
import type { TaskState, TaskCommand } from './task/index.ts';
import type { UserState, OrganiseCommand } from './user/decider.ts';
import type { ListState } from './list/index.ts';
import type { MembershipCommand } from './list/membership.ts';
import type { LabelState } from './label/index.ts';
import type { EventEnvelope } from './events.ts';

export interface CommandMeta {
  correlationId: string;
  causationId?: string | null;
  /**
   * The request's Idempotency-Key (DESIGN: "Retries are safe"). A write that commits stores its answer
   * under (user, key); a later call with the same key and fingerprint gets that answer back instead of
   * applying again, one with another fingerprint is refused (422). Plain data: it crosses the Dapr
   * actor call as JSON. Never copied onto the turns a command fans out to (they are other writes).
   */
  idempotency?: IdempotencyMeta;
}

export interface IdempotencyMeta {
  /** 1–255 printable ASCII characters, as the client sent them. */
  key: string;
  /** Hex sha256 of what makes the request this request: method, path, If-Match and body. */
  fingerprint: string;
}

export interface TaskTurnResult {
  task: TaskState | null;
  events: EventEnvelope[];
  /** Every task the turn changed, after it (a spawn changes the series and creates an instance). */
  changed: TaskState[];
  /** The user's zone at the time of the turn (timers of tasks without their own zone follow it). */
  userTimezone: string;
  /** True when this is the stored first answer to an earlier call with the same Idempotency-Key: nothing was applied now (events and changed are empty). */
  replayed?: boolean;
}

/**
 * What a caller of a task actor gets back (ActorRuntime.executeTask): the turn's result without `changed`.
 * `changed` arms the turn's timers where the turn ran (actors/runtime/*-timers.ts); no caller reads it, so
 * it does not travel back over daprd (it repeated `task`, about 1 KB of JSON each way).
 */
export type TaskCallAnswer = Omit<TaskTurnResult, 'changed'>;

export interface UserTurnResult {
  user: UserState;
  events: EventEnvelope[];
  /** An organise command's list or label as the turn left it (absent for other commands). */
  list?: ListState | null;
  label?: LabelState | null;
  /** As in TaskTurnResult: the stored first answer to the same Idempotency-Key, nothing applied now. */
  replayed?: boolean;
}

export interface ListTurnResult {
  /** The list with its members as the command left it (null: it does not exist). */
  list: ListState | null;
  /** As written, in the caller's stream (a recipient's own copies go to the hub, not here). */
  events: EventEnvelope[];
  /** As in TaskTurnResult: the stored first answer to the same Idempotency-Key, nothing applied now. */
  replayed?: boolean;
}

/** A call to a ListActor's `membership`: `userId` (the JWT's `sub`) shares, accepts, declines, leaves, removes or transfers. */
export interface MembershipCall {
  userId: string;
  command: MembershipCommand;
  meta?: CommandMeta;
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

/** A call to a UserActor's `organise`: a list or label command. */
export interface OrganiseCall {
  command: OrganiseCommand;
  meta?: CommandMeta;
}

/** One task turn: cached state or load → decide → guarded write → notify → timers (host/tasks/turn.ts). */
export interface TaskTurnPort {
  execute(userId: string, taskId: string, command: TaskCommand, meta?: CommandMeta): Promise<TaskTurnResult>;
}

/** One user turn: the zone change, then a reschedule turn for each series following it (host/users/turn.ts). */
export interface UserTurnPort {
  setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult>;
  /** A list or label command: the UserActor's turn (steps 0–4). */
  organise(userId: string, call: OrganiseCall): Promise<UserTurnResult>;
  /**
   * After an `organise` turn returned `result`: the fan-out of a list or label delete to each task it
   * reaches, as task turns (nothing for other commands). The runtime runs it outside the UserActor's turn.
   */
  afterOrganise(userId: string, call: OrganiseCall, result: UserTurnResult): Promise<void>;
}

/** One list turn: the membership of a shared list (host/lists/turn.ts), serialised per list (ListActor, id = list id). */
export interface ListTurnPort {
  membership(listId: string, call: MembershipCall): Promise<ListTurnResult>;
}

/** The turns a runtime runs, one per actor type. */
export interface Turns {
  task: TaskTurnPort;
  user: UserTurnPort;
  list: ListTurnPort;
}

/** Arms and cancels the timers of tasks after a turn changed them (Dapr reminders, or in-process timers). */
export interface TimerPort {
  sync(turn: TaskTurnResult): Promise<void>;
}
