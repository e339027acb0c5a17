// Where the relay publishes a batch: Kafka through kafkajs (idempotent producer), Kafka through Dapr
// pub/sub (raw payload, so the topic holds the same JSON envelope), or — in the embedded shape, which
// has no stream — the in-process hub. A sink either publishes the whole batch or throws.
import type { Kafka, Producer } from 'kafkajs';
import type { EventEnvelope } from '../../actors/events.ts';
import { SidecarChannel } from '../../actors/runtime/dapr-channel.ts';

export interface Sink {
  readonly name: 'kafka' | 'dapr' | 'hub';
  publish(events: readonly EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

export const messageOf = (e: EventEnvelope) => ({
  key: e.user_id,
  value: JSON.stringify(e),
  headers: { event_type: e.event_type, correlation_id: e.correlation_id },
});

/**
 * The relay's kafkajs sink: one idempotent producer, connected on the first publish and replaced after
 * a failed send. close() disconnects it; a publish under way then (its connect or send in flight) is
 * waited for first, since kafkajs' producer.disconnect() during connect() does not hold (the connect
 * retries onto a fresh connection and leaves it open). A publish after close() throws.
 */
export function kafkaSink(kafka: Kafka, topic: string): Sink & { connected(): boolean } {
  let producer: Producer | undefined;
  let connected = false;
  let closed = false;
  /** The publishes under way, so close() can let them settle before it disconnects. */
  const inFlight = new Set<Promise<void>>();
  const connect = async (): Promise<Producer> => {
    if (producer && connected) return producer;
    await producer?.disconnect().catch(() => undefined);
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 200 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      connected = false;
    });
    await producer.connect();
    connected = true;
    return producer;
  };
  const send = async (events: readonly EventEnvelope[]): Promise<void> => {
    const p = await connect();
    try {
      await p.send({ topic, acks: -1, messages: events.map(messageOf) });
    } catch (error) {
      connected = false;
      throw error;
    }
  };
  return {
    name: 'kafka',
    connected: () => connected,
    async publish(events) {
      if (closed) throw new Error('kafka sink: closed');
      let settle = (): void => undefined;
      const settled = new Promise<void>((resolve) => {
        settle = resolve;
      });
      inFlight.add(settled);
      try {
        await send(events);
      } finally {
        inFlight.delete(settled);
        settle();
      }
    },
    async close() {
      closed = true;
      await Promise.all(inFlight);
      await producer?.disconnect().catch(() => undefined);
      connected = false;
    },
  };
}

/**
 * `events` (in the relay's order: by user, then seq) as rounds: round k holds each user's k-th event of
 * the batch, so no round holds two events of one user. Publishing the rounds one after another keeps each
 * user's order whatever order a round is published in.
 */
export function perUserRounds(events: readonly EventEnvelope[]): EventEnvelope[][] {
  const rounds: EventEnvelope[][] = [];
  const seen = new Map<string, number>();
  for (const e of events) {
    const k = seen.get(e.user_id) ?? 0;
    seen.set(e.user_id, k + 1);
    const round = rounds[k];
    if (round) round.push(e);
    else rounds.push([e]);
  }
  return rounds;
}

/**
 * Dapr pub/sub `pubsub` with rawPayload; the key becomes the partition key, the headers metadata. A batch
 * goes out through Dapr's bulk publish API (`POST /v1.0-alpha1/publish/bulk/<pubsub>/<topic>`, docs.dapr.io
 * reference/api/pubsub_api), one request per round of `perUserRounds`, each awaited before the next: bulk
 * publish promises no order among a request's entries, and a round holds at most one event per user. Each
 * entry is the envelope's JSON as `text/plain`, which daprd passes on as its bytes (JSON content would be
 * decoded and encoded again, keys sorted), so the topic holds what the kafkajs sink writes. Any failed
 * entry fails the batch (daprd answers non-2xx), and the relay publishes it again later (at-least-once).
 */
export function daprSink(daprHost: string, daprPort: number, pubsub: string, topic: string, apiToken?: string): Sink {
  const channel = new SidecarChannel({ host: daprHost, port: daprPort, apiToken, maxSockets: 4, timeoutMs: 5000 });
  const path = `/v1.0-alpha1/publish/bulk/${pubsub}/${topic}?metadata.rawPayload=true`;
  return {
    name: 'dapr',
    async publish(events) {
      for (const round of perUserRounds(events)) {
        const entries = round.map((e, i) => ({
          entryId: String(i),
          event: JSON.stringify(e),
          contentType: 'text/plain',
          metadata: { partitionKey: e.user_id, event_type: e.event_type, correlation_id: e.correlation_id },
        }));
        await channel.send('POST', path, JSON.stringify(entries)).catch((error: unknown) => {
          throw new Error(`dapr publish: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        });
      }
    },
    async close() {
      channel.close();
    },
  };
}

export function hubSink(deliver: (events: readonly EventEnvelope[]) => Promise<void>): Sink {
  return { name: 'hub', publish: deliver, async close() {} };
}
