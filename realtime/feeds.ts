// What feeds the hub (realtime/hub.ts). ONE feed is primary at a time, so each event reaches the hub once:
// - Kafka configured: the KafkaFeed is primary while it is live (it fetched within the last few seconds)
//   and the relay publishes; it is each instance's own consumer group, starting at latest, so every
//   instance sees every event, whichever replica committed it (fan-out to all replicas' sockets, unlike a
//   Dapr subscription's competing consumers). While Kafka is away the OutboxFeed covers: committed rows
//   not yet published, read from the database on a short poll, after re-reading, once per absence of
//   the consumer, what was published since it may have missed it (no longer in the outbox, but maybe
//   never fetched here). Offsets are committed, so after an outage the consumer resumes where it stopped; the
//   events the outbox feed delivered meanwhile come again from Kafka then and the hub drops them.
// - Embedded (no Kafka): the relay hands each batch of committed rows to the hub (host/outbox/sinks.ts
//   hubSink) — the outbox rows are the one feed, in seq order per user.
// With Kafka, the commit hook also publishes this instance's own commits at once when they are next in
// their user's seq order (Hub.deliverLocal); the feed's later copy of those is recognised and skipped.
import { randomUUID } from 'node:crypto';
import type { Kafka, Consumer } from 'kafkajs';
import type { EventEnvelope } from '../actors/events.ts';
import { RecentIds, deliveryKey } from './hub.ts';

export type Deliver = (events: readonly EventEnvelope[]) => Promise<void>;

/**
 * Committed events not yet published to Kafka, with timestamp after `sinceIso` (ISO-8601), ordered by
 * (user_id, seq). Handed in by the composition root (host/app.ts: host/reads.ts `unpublishedSince`);
 * realtime/ never imports host/. Rejects when the database is away.
 */
export type UnpublishedSince = (sinceIso: string) => Promise<EventEnvelope[]>;

/**
 * Consumer fetch settings, chosen for delivery latency at a moderate broker cost: the broker answers a
 * fetch once `minBytes` are there or after `maxWaitTimeInMs`, whichever comes first. kafkajs' defaults
 * (1 byte, 5,000 ms) answer each fetch as soon as one message is there, so at 1,000 events/s the consumer
 * fetches hundreds of times per second, a message or two each. With 64 KiB / 20 ms a fetch carries about
 * 20 ms of traffic and adds at most 20 ms to delivery (goal: commit → socket p99 ≤ 50 ms at 1,000 events/s).
 */
export const FETCH = { minBytes: 64 * 1024, maxWaitTimeInMs: 20, maxBytes: 8 * 1024 * 1024 } as const;
/** The consumer commits its offsets at most this often (ms), not after every batch (kafkajs' default). */
export const COMMIT_INTERVAL_MS = 1000;
/** Without a fetch answered for this long (ms) the consumer counts as away and the outbox feed covers. */
export const STALE_MS = 3000;
/**
 * How far before the Kafka consumer's position (ms) events may not have reached it: an event's commit →
 * publish → fetch, milliseconds unless the machine is stalled. Its position is its last answered fetch,
 * or, where it lags behind the topic, the publish time of the last message it handled there.
 */
export const TAKEOVER_MARGIN_MS = 10_000;

/**
 * From when (epoch ms) a consumer whose last fetch was answered at `lastFetch` (0: none yet), started at
 * `startedAt` (0: not started), may have missed events: TAKEOVER_MARGIN_MS before its position — its last
 * fetch, or the earliest of `lagging` (per partition it lags on, the publish time of the last message it
 * handled there: what was published after that is not handled yet, however recent the fetch) — or its
 * start when it never fetched (it reads from the topic's end as of its start: nothing before is its to
 * miss), or 0 (nothing) when it never started.
 */
export function missedFrom(lastFetch: number, startedAt: number, lagging: Iterable<number> = []): number {
  if (lastFetch <= 0) return startedAt;
  let position = lastFetch;
  for (const at of lagging) if (at < position) position = at;
  return position - TAKEOVER_MARGIN_MS;
}

/**
 * Notes a handled batch of `partition` in `lagging` (partition → publish time, epoch ms, of the last message
 * handled where the consumer lags): caught up (`offsetLag` "0", kafkajs Batch.offsetLag) clears it; behind,
 * it is the last message's timestamp (Kafka's CreateTime, ms as text), or stays what it was (else
 * `fallback`) when that is not a time.
 */
export function noteBatch(
  lagging: Map<number, number>,
  partition: number,
  offsetLag: string,
  lastTimestamp: string | undefined,
  fallback: number,
): void {
  if (offsetLag === '0') {
    lagging.delete(partition);
    return;
  }
  const at = Number(lastTimestamp);
  lagging.set(partition, Number.isFinite(at) && at > 0 ? at : (lagging.get(partition) ?? fallback));
}

export class KafkaFeed {
  private consumer: Consumer | undefined;
  private joined = false;
  private lastFetch = 0;
  private startedAt = 0;
  /** Per partition where the last batch left messages behind: the publish time of the last message handled (noteBatch). */
  private readonly lagging = new Map<number, number>();
  received = 0;
  private stopped = false;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupPrefix: string,
    private readonly deliver: Deliver,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * From when (epoch ms) events may not have reached this consumer: TAKEOVER_MARGIN_MS before its last
   * answered fetch, or before the last message handled on a partition it lags on (noteBatch); before its
   * first fetch, when it started (it reads from the topic's end as of then);
   * 0 before it started. What the outbox feed re-reads when it takes over (see missedFrom).
   */
  get missedFrom(): number {
    return missedFrom(this.lastFetch, this.startedAt, this.lagging.values());
  }

  /** True while the consumer is in its group and its fetches are answered (within STALE_MS). */
  get live(): boolean {
    return this.joined && this.now() - this.lastFetch < STALE_MS;
  }

  /**
   * Connects, subscribes and consumes; resolves once the consumer runs (or start gave up: see onError).
   * A stop() that lands while this is under way wins: start() goes no further, and stop() disconnects
   * the consumer once this has settled (see stop()). Calling it again returns the same start.
   */
  start(): Promise<void> {
    this.starting ??= this.connectAndRun();
    return this.starting;
  }

  private async connectAndRun(): Promise<void> {
    if (this.stopped) return;
    this.startedAt = this.now();
    // Where the topic ends now: committed as this group's first offsets once the consumer runs, so a
    // consumer that rejoins after an outage resumes there even on partitions it has not read from yet
    // (with no committed offset it would start at the then latest offset and skip what came meanwhile).
    const start = await this.endOffsets();
    if (this.stopped) return;
    const consumer = this.kafka.consumer({
      groupId: `${this.groupPrefix}-${randomUUID()}`,
      ...FETCH,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      // Bounded retries, then kafkajs' restart, which we allow only while the feed runs: with endless
      // retries a restart kafkajs began while the broker was away outlived stop() and kept a stopped
      // app's consumer retrying forever.
      retry: {
        retries: 8,
        initialRetryTime: 250,
        maxRetryTime: 5000,
        restartOnFailure: async () => !this.stopped,
      },
    });
    this.consumer = consumer;
    let firstFetch = true;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetch = this.now();
      if (!firstFetch) return;
      firstFetch = false;
      if (start.length > 0)
        consumer
          .commitOffsets(start.map((p) => ({ topic: this.topic, ...p })))
          .catch((error: unknown) => this.onError(error));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      if (this.stopped) {
        // A crash handled across stop(): kafkajs arms its restart right after this event; a disconnect
        // on the next turn clears it.
        if (e.payload.restart) setImmediate(() => void consumer.disconnect().catch(() => undefined));
        return;
      }
      this.onError(e.payload.error);
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      this.joined = false;
    });
    consumer.on(consumer.events.STOP, () => {
      this.joined = false;
    });
    await consumer.connect();
    if (this.stopped) return;
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    if (this.stopped) return;
    await consumer.run({
      // Offsets are committed every COMMIT_INTERVAL_MS below, not after every batch (one request each).
      autoCommit: false,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
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
        this.lastFetch = this.now();
        await this.deliver(events);
        noteBatch(this.lagging, batch.partition, batch.offsetLag(), batch.messages.at(-1)?.timestamp, this.startedAt);
        // The batch is handled: resolve it, then commit if COMMIT_INTERVAL_MS has passed since the last commit.
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary().catch((error: unknown) => this.onError(error));
      },
    });
  }

  private async endOffsets(): Promise<{ partition: number; offset: string }[]> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return (await admin.fetchTopicOffsets(this.topic)).map((p) => ({ partition: p.partition, offset: p.high }));
    } catch (error) {
      this.onError(error);
      return [];
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Stops consuming and closes every connection the feed opened; resolves once they are closed. When a
   * start() is under way it first waits for that to settle (bounded by kafkajs' connect retries and one
   * group join), then disconnects: kafkajs' consumer.disconnect() while connect() or run() is in flight
   * does not hold — a run() still joining its group goes on to join and fetch with no owner (its runner
   * is dropped by the disconnect but not stopped), and a connect() retries onto a fresh seed connection —
   * which left sockets to the broker open after the app had stopped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    this.joined = false;
  }
}

/** What the outbox feed reads and where it delivers; handed in by the composition root (host/app.ts). */
export interface OutboxFeedOptions {
  unpublishedSince: UnpublishedSince;
  /** Published rows committed after `sinceIso`: the newest `limit` events, their deliveries (host/reads.ts `publishedSince`). */
  publishedSince: (sinceIso: string, limit: number) => Promise<EventEnvelope[]>;
  deliver: Deliver;
  /** True while the Kafka consumer's fetches are answered (KafkaFeed.live). */
  primaryLive: () => boolean;
  /** True while the relay publishes (Relay.healthy). This feed covers while either is false. */
  relayHealthy: () => boolean;
  /** From when (epoch ms, 0: nothing) events may not have reached the consumer (KafkaFeed.missedFrom). */
  primaryMissedFrom: () => number;
  /** Poll period (ms), default 250. */
  intervalMs?: number;
  /** How far back (ms) a poll looks for unpublished rows, default 30,000. */
  windowMs?: number;
  /**
   * A poll that comes this long (ms) after the previous one found this process stalled (default 1,000):
   * the consumer's answers may be waiting behind the stall, so that poll neither takes over nor reads.
   */
  stallMs?: number;
  now?: () => number;
}

/** At a takeover at most this many published events are re-read (the newest), with their delivery rows. */
export const TAKEOVER_LIMIT = 20_000;

/**
 * While Kafka is away (the consumer is not live, or the relay cannot publish): delivers committed rows not yet published, polling every
 * `intervalMs` over the last `windowMs`. Rows it handed to the hub before are not handed again, so a poll
 * that reads them a second time costs no duplicate.
 *
 * When the consumer is away, it first re-reads, once per absence, the events published since
 * `primaryMissedFrom()`: an event the relay published just before the broker went away is no longer in
 * the outbox, and this instance's consumer may not have fetched it, so without this it would reach this
 * instance's sockets only when Kafka is back. What the hub had already delivered it drops as a copy
 * (realtime/hub.ts) — counted once per absence, a switch between feeds. While only the relay is failing
 * (the consumer still live) nothing was missed and nothing is re-read.
 */
export class OutboxFeed {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private again = false;
  /** True once this absence of the consumer has been re-read; false again when it is live. */
  private reread = false;
  /** True when the previous tick was skipped as a stall (at most one in a row is). */
  private skipped = false;
  private readonly handed = new RecentIds(100_000);
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly stallMs: number;
  private readonly now: () => number;
  private lastTick: number | undefined;

  constructor(private readonly o: OutboxFeedOptions) {
    this.intervalMs = o.intervalMs ?? 250;
    this.windowMs = o.windowMs ?? 30_000;
    this.stallMs = o.stallMs ?? 1000;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref?.();
  }

  async poll(): Promise<void> {
    // After a stall of this process (a long GC, a busy machine) the consumer looks stale only because
    // its fetch answers are still queued: give them a turn before deciding that Kafka is away.
    // One tick is skipped, never two in a row, so a loop lagging all the time still gets covered.
    const tick = this.now();
    const stalled = this.lastTick !== undefined && tick - this.lastTick > this.stallMs;
    this.lastTick = tick;
    if (stalled && !this.skipped) {
      this.skipped = true;
      return;
    }
    this.skipped = false;
    const live = this.o.primaryLive();
    if (live) this.reread = false;
    if (!this.active(live)) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      if (!live && !this.reread) {
        const from = this.o.primaryMissedFrom();
        if (from > 0) await this.hand(await this.o.publishedSince(new Date(from).toISOString(), TAKEOVER_LIMIT));
        this.reread = true;
      }
      do {
        this.again = false;
        const since = new Date(this.now() - this.windowMs).toISOString();
        await this.hand(await this.o.unpublishedSince(since));
      } while (this.again && this.active(this.o.primaryLive()));
    } catch {
      // the database is away too: the next poll tries again (a re-read not done yet, with it)
    } finally {
      this.busy = false;
    }
  }

  /** This feed covers while the consumer is away or the relay cannot publish. */
  private active(live: boolean): boolean {
    return !live || !this.o.relayHealthy();
  }

  private async hand(events: readonly EventEnvelope[]): Promise<void> {
    const fresh = events.filter((e) => this.handed.add(deliveryKey(e)));
    if (fresh.length > 0) await this.o.deliver(fresh);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
