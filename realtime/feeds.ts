// What feeds the hub besides this instance's own commits:
// - KafkaFeed: each instance's own consumer group, starting at latest, so every instance sees every
//   event (fan-out to all replicas' sockets, unlike a Dapr subscription's competing consumers);
// - OutboxFeed: while Kafka is unavailable, recent committed-but-unpublished rows straight from
//   PostgreSQL, so sockets on other instances keep getting events.
// The hub drops whatever arrives twice (by event_id).
import { randomUUID } from 'node:crypto';
import type { Kafka, Consumer } from 'kafkajs';
import type { EventEnvelope } from '../actors/events.ts';

export type Deliver = (events: readonly EventEnvelope[]) => Promise<void>;

/**
 * Committed events not yet published to Kafka, with timestamp after `sinceIso` (ISO-8601), ordered by
 * (user_id, seq). Handed in by the composition root (host/app.ts: host/reads.ts `unpublishedSince`);
 * realtime/ never imports host/. Rejects when the database is away.
 */
export type UnpublishedSince = (sinceIso: string) => Promise<EventEnvelope[]>;

export class KafkaFeed {
  private consumer: Consumer | undefined;
  live = false;
  received = 0;
  private stopped = false;

  constructor(private readonly kafka: Kafka, private readonly topic: string, private readonly groupPrefix: string, private readonly deliver: Deliver, private readonly onError: (error: unknown) => void) {}

  /** Connects, subscribes and consumes. A stop() that lands while this is under way wins: the consumer is disconnected, never left running. */
  async start(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.kafka.consumer({
      groupId: `${this.groupPrefix}-${randomUUID()}`,
      maxWaitTimeInMs: 20, // latency over throughput: the default waits up to 5 s for a fetch to fill
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 250, maxRetryTime: 5000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => { this.live = true; });
    consumer.on(consumer.events.CRASH, (e) => { this.live = false; this.onError(e.payload.error); });
    consumer.on(consumer.events.DISCONNECT, () => { this.live = false; });
    consumer.on(consumer.events.STOP, () => { this.live = false; });
    await consumer.connect();
    if (this.stopped) return this.stop();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    if (this.stopped) return this.stop();
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const events: EventEnvelope[] = [];
        for (const m of batch.messages) {
          if (!m.value) continue;
          try {
            events.push(JSON.parse(m.value.toString()) as EventEnvelope);
          } catch (error) {
            this.onError(error);
          }
        }
        this.received += events.length;
        this.live = true;
        await this.deliver(events);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
    this.live = false;
  }
}

export class OutboxFeed {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly unpublishedSince: UnpublishedSince, private readonly deliver: Deliver, private readonly active: () => boolean, private readonly intervalMs = 250, private readonly windowMs = 30_000) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref?.();
  }

  async poll(): Promise<void> {
    if (this.busy || !this.active()) return;
    this.busy = true;
    try {
      const since = new Date(Date.now() - this.windowMs).toISOString();
      const events = await this.unpublishedSince(since);
      if (events.length > 0) await this.deliver(events);
    } catch {
      // the database is away too: the next poll tries again
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
