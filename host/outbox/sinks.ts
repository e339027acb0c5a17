// Where the relay publishes a batch: Kafka through kafkajs (idempotent producer), Kafka through Dapr
// pub/sub (raw payload, so the topic holds the same JSON envelope), or — in the embedded shape, which
// has no stream — the in-process hub. A sink either publishes the whole batch or throws.
import type { Kafka, Producer } from 'kafkajs';
import type { EventEnvelope } from '../../actors/events.ts';

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

/** Dapr pub/sub `pubsub` with rawPayload; the key becomes the partition key, the headers metadata. */
export function daprSink(daprUrl: string, pubsub: string, topic: string, apiToken?: string): Sink {
  const headers = { 'content-type': 'application/json', ...(apiToken ? { 'dapr-api-token': apiToken } : {}) };
  return {
    name: 'dapr',
    async publish(events) {
      for (const e of events) {
        const params = new URLSearchParams({
          'metadata.rawPayload': 'true',
          'metadata.partitionKey': e.user_id,
          'metadata.event_type': e.event_type,
          'metadata.correlation_id': e.correlation_id,
        });
        const res = await fetch(`${daprUrl}/v1.0/publish/${pubsub}/${topic}?${params}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(e),
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw new Error(`dapr publish: ${res.status} ${await res.text()}`);
      }
    },
    async close() {},
  };
}

export function hubSink(deliver: (events: readonly EventEnvelope[]) => Promise<void>): Sink {
  return { name: 'hub', publish: deliver, async close() {} };
}
