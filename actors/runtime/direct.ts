// The direct runtime: used when no Dapr sidecar answers. A per-key queue serialises turns inside the
// process; SELECT … FOR UPDATE in the task service serialises across processes.
import { KeyedQueue } from './keyed-queue.ts';
import { taskActor, userActor, type TimerPort } from '../shells.ts';
import type { ActorRuntime } from './types.ts';
import type { TaskPort, UserPort, TaskCall, TimezoneCall } from '../ports.ts';

export interface DirectRuntimeOptions {
  tasks: TaskPort;
  users: UserPort;
  timers: TimerPort;
}

export class DirectRuntime implements ActorRuntime {
  readonly mode = 'direct' as const;
  private readonly queue = new KeyedQueue();
  private readonly task;
  private readonly user;
  private stopped = false;

  constructor(options: DirectRuntimeOptions) {
    this.task = taskActor({ tasks: options.tasks, timers: options.timers });
    this.user = userActor({ users: options.users, executeTask: (id, call) => this.executeTask(id, call) });
  }

  executeTask(taskId: string, call: TaskCall) {
    if (this.stopped) return Promise.reject(new Error('runtime is stopping'));
    return this.queue.run(`TaskActor/${taskId}`, () => this.task.execute(taskId, call));
  }

  setTimezone(userId: string, call: TimezoneCall) {
    if (this.stopped) return Promise.reject(new Error('runtime is stopping'));
    return this.queue.run(`UserActor/${userId}`, () => this.user.setTimezone(userId, call));
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.drain();
  }
}
