// The fan-out hub: takes committed events from whichever feed runs (Kafka consumer, outbox rows, or
// the in-process commit hook), drops duplicates by event_id, and publishes each event to its user's
// sockets only, in seq order per user.
import type { EventEnvelope } from '../actors/events.ts';

export interface RealtimeMessage extends EventEnvelope {
  type: EventEnvelope['event_type'];
}

export type Publish = (userId: string, message: RealtimeMessage) => Promise<void> | void;

export function toMessage(event: EventEnvelope): RealtimeMessage {
  return { ...event, type: event.event_type };
}

/** A bounded set remembering the most recent `capacity` ids. */
export class RecentIds {
  private readonly set = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** True when the id is new (and remembers it). */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    if (this.set.size > this.capacity) {
      const oldest = this.set.values().next().value;
      if (oldest !== undefined) this.set.delete(oldest);
    }
    return true;
  }
}

export class Hub {
  private readonly seen = new RecentIds(100_000);
  private publish: Publish | undefined;
  delivered = 0;
  duplicates = 0;

  attach(publish: Publish): void {
    this.publish = publish;
  }

  async deliver(events: readonly EventEnvelope[]): Promise<void> {
    const publish = this.publish;
    if (!publish) return;
    const byUser = new Map<string, EventEnvelope[]>();
    for (const e of events) {
      if (!this.seen.add(e.event_id)) {
        this.duplicates++;
        continue;
      }
      const list = byUser.get(e.user_id);
      if (list) list.push(e);
      else byUser.set(e.user_id, [e]);
    }
    await Promise.all([...byUser].map(async ([user, list]) => {
      list.sort((a, b) => a.seq - b.seq);
      for (const e of list) {
        await publish(user, toMessage(e));
        this.delivered++;
      }
    }));
  }
}
