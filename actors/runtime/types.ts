// One interface, two runtimes (Dapr virtual actors, or the in-process direct runtime).
import type {
  ListTurnResult,
  MembershipCall,
  OrganiseCall,
  TaskCall,
  TaskCallAnswer,
  TimezoneCall,
  UserTurnResult,
} from '../ports.ts';

export type RuntimeMode = 'dapr' | 'direct';

export interface ActorRuntime {
  readonly mode: RuntimeMode;
  executeTask(taskId: string, call: TaskCall): Promise<TaskCallAnswer>;
  setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult>;
  /** A list or label command on the user's UserActor (host/users/turn.ts organise). */
  organise(userId: string, call: OrganiseCall): Promise<UserTurnResult>;
  /** A membership command on the list's ListActor (host/lists/turn.ts membership). */
  membership(listId: string, call: MembershipCall): Promise<ListTurnResult>;
  start(): Promise<void>;
  /** Stops taking new turns and waits for running ones. */
  stop(): Promise<void>;
}
