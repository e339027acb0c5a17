// The direct runtime: runs turns in this process. It decides only WHERE a turn runs; what the turn
// does is the pipeline it is given (host/tasks/turn.ts, host/users/turn.ts). A per-key queue runs one
// turn at a time per actor inside the process; across processes the turn's write is one guarded
// statement (the task's version, the user's version), so a turn that lost a race decides again.
// Used when no Dapr sidecar answers at start-up, and by the Dapr runtime while its sidecar is away.
import { KeyedQueue } from './keyed-queue.ts';
import type { ActorRuntime } from './types.ts';
import type {
  Turns,
  TaskCall,
  TaskTurnResult,
  TimezoneCall,
  UserTurnResult,
  OrganiseCall,
  MembershipCall,
  ListTurnResult,
} from '../ports.ts';

export class DirectRuntime implements ActorRuntime {
  readonly mode = 'direct' as const;
  private readonly queue = new KeyedQueue();
  private stopped = false;

  constructor(private readonly turns: Turns) {}

  executeTask(taskId: string, call: TaskCall): Promise<TaskTurnResult> {
    if (this.stopped) return Promise.reject(new Error('runtime is stopping'));
    return this.queue.run(`TaskActor/${taskId}`, () =>
      this.turns.task.execute(call.userId, taskId, call.command, call.meta),
    );
  }

  setTimezone(userId: string, call: TimezoneCall): Promise<UserTurnResult> {
    if (this.stopped) return Promise.reject(new Error('runtime is stopping'));
    return this.queue.run(`UserActor/${userId}`, () => this.turns.user.setTimezone(userId, call));
  }

  async organise(userId: string, call: OrganiseCall): Promise<UserTurnResult> {
    if (this.stopped) throw new Error('runtime is stopping');
    const result = await this.queue.run(`UserActor/${userId}`, () => this.turns.user.organise(userId, call));
    // A delete's fan-out runs after the actor's turn, so the user's next list or label command need not wait.
    await this.turns.user.afterOrganise(userId, call, result);
    return result;
  }

  membership(listId: string, call: MembershipCall): Promise<ListTurnResult> {
    if (this.stopped) return Promise.reject(new Error('runtime is stopping'));
    return this.queue.run(`ListActor/${listId}`, () => this.turns.list.membership(listId, call));
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.drain();
  }
}
