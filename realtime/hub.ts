// The fan-out hub: takes committed events from the ONE feed that is primary at the moment and publishes
// each event to its user's sockets only, in seq order per user. Which feed that is depends on the shape
// (realtime/feeds.ts): the Kafka consumer when the stream is up, the outbox feed while it is away, the
// relay itself in the embedded shape. Two copies of an event reach the hub only around a switch between
// feeds (e.g. the events the outbox feed delivered while Kafka was down come again from the consumer
// when it catches up); the hub drops those by user and event_id — a safety net, not the main path — and counts
// them per feed, so a second feed pushing every event shows at once in
// tasklane_realtime_duplicates_dropped_total.
//
// With Kafka, this instance's own commits need not wait for the round trip through the relay and the
// broker: `deliverLocal` publishes them at commit time when they are next in their user's seq order
// (otherwise they wait for the feed, which brings them in order). Every instance still receives every
// event from Kafka (that is how other replicas' commits arrive), so the stream's copy of an event
// published locally is expected: it is recognised by event_id and counted apart, in
// tasklane_realtime_local_copies_skipped_total, not as a duplicate.
//
// Per user the hub keeps the highest seq it delivered (a watermark). A user's seq is gapless (DESIGN.md
// "per-user seq"), so an event above watermark + 1 means some were skipped (counted as `gap`), and a new
// event at or below the watermark arrived out of order (counted as `late`; delivered anyway: a late
// event beats a missing one, and the client orders by seq and backfills gaps through GET /events?after=).
import client from 'prom-client';
import type { EventEnvelope } from '../actors/events.ts';

export interface RealtimeMessage extends EventEnvelope {
  type: EventEnvelope['event_type'];
}

export type Publish = (userId: string, message: RealtimeMessage) => Promise<void> | void;

/** Where a batch of events came from: the Kafka consumer, the outbox feed, or the relay (embedded shape). */
export type Source = 'kafka' | 'outbox' | 'relay' | 'commit';

/**
 * The identity of one event in one user's stream, `${user_id}\0${event_id}`: an event of a shared list
 * reaches each member as its own row (the canonical one or a delivery copy, shared-lists plan section 4),
 * so the same event_id arriving for two users is two deliveries, not a duplicate.
 */
export const deliveryKey = (e: Pick<EventEnvelope, 'user_id' | 'event_id'>): string => `${e.user_id}\0${e.event_id}`;

export function toMessage(event: EventEnvelope): RealtimeMessage {
  return { ...event, type: event.event_type };
}

/** A bounded set remembering the most recent `capacity` ids. */
export class RecentIds {
  private readonly set = new Set<string>();
  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.set.has(id);
  }

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

export interface HubOptions {
  /** Registers the hub's counters here (the app's /metrics registry); without it they are kept but not exposed. */
  registry?: client.Registry;
  /** Event ids remembered for de-duplication, and users whose watermark is kept (default 100,000 each). */
  capacity?: number;
}

/** What the hub counted, per source (also on /metrics; see HubOptions.registry). */
export interface HubCounts {
  delivered: number;
  duplicates: number;
  /** Copies of events this instance published at commit time (deliverLocal), skipped as expected. */
  localCopies: number;
  gaps: number;
  late: number;
}

const zero = (): HubCounts => ({ delivered: 0, duplicates: 0, localCopies: 0, gaps: 0, late: 0 });

export class Hub {
  private readonly seen: RecentIds;
  /** Events published at commit time on this instance (deliverLocal). */
  private readonly local: RecentIds;
  /** user_id → highest seq delivered; Map order is recency of update, so the oldest is evicted first. */
  private readonly watermark = new Map<string, number>();
  private readonly capacity: number;
  private publish: Publish | undefined;
  private readonly counts = new Map<Source, HubCounts>();
  private readonly deliveredTotal: client.Counter<'source'>;
  private readonly duplicatesTotal: client.Counter<'source'>;
  private readonly localCopiesTotal: client.Counter<'source'>;
  private readonly outOfOrderTotal: client.Counter<'source' | 'kind'>;
  /** Totals over all sources (shown by /ready). */
  delivered = 0;
  duplicates = 0;

  constructor(options: HubOptions = {}) {
    this.capacity = options.capacity ?? 100_000;
    this.seen = new RecentIds(this.capacity);
    this.local = new RecentIds(this.capacity);
    const registers = options.registry ? [options.registry] : [];
    this.deliveredTotal = new client.Counter({
      name: 'tasklane_realtime_events_delivered_total',
      help: "Events the hub published to their user's sockets on this instance, by the feed that brought them (kafka, outbox, relay; commit = this instance's own commits, published at commit time)",
      labelNames: ['source'],
      registers,
    });
    this.duplicatesTotal = new client.Counter({
      name: 'tasklane_realtime_duplicates_dropped_total',
      help: 'Copies of an already delivered event that reached the hub and were dropped, by the feed that brought the copy; stays near 0 while one feed is primary',
      labelNames: ['source'],
      registers,
    });
    this.localCopiesTotal = new client.Counter({
      name: 'tasklane_realtime_local_copies_skipped_total',
      help: 'Copies, brought by a feed, of events this instance already published at commit time; expected with Kafka (every instance receives every event), by the feed that brought the copy',
      labelNames: ['source'],
      registers,
    });
    this.outOfOrderTotal = new client.Counter({
      name: 'tasklane_realtime_out_of_order_total',
      help: 'Events delivered out of per-user seq order: kind="gap" an event above the last delivered seq + 1, kind="late" one at or below it (delivered anyway)',
      labelNames: ['source', 'kind'],
      registers,
    });
  }

  attach(publish: Publish): void {
    this.publish = publish;
  }

  /** Counts for one source (zeros when it never delivered). */
  countsOf(source: Source): HubCounts {
    return { ...(this.counts.get(source) ?? zero()) };
  }

  /** The highest seq delivered for a user, if the hub has seen the user. */
  lastSeq(userId: string): number | undefined {
    return this.watermark.get(userId);
  }

  /**
   * Publishes each new event to its user's sockets, per user in seq order within the batch; drops the
   * events already delivered (by user and event_id, deliveryKey). Resolves when every publish has been handed to the sockets.
   * Before a publisher is attached (the server is not up yet) nothing is delivered or remembered.
   */
  async deliver(events: readonly EventEnvelope[], source: Source): Promise<void> {
    const publish = this.publish;
    if (!publish || events.length === 0) return;
    const counts = this.countsFor(source);
    const byUser = new Map<string, EventEnvelope[]>();
    for (const e of events) {
      const key = deliveryKey(e);
      if (this.local.has(key)) {
        counts.localCopies++;
        this.localCopiesTotal.inc({ source });
        continue;
      }
      if (!this.seen.add(key)) {
        counts.duplicates++;
        this.duplicates++;
        this.duplicatesTotal.inc({ source });
        continue;
      }
      const list = byUser.get(e.user_id);
      if (list) list.push(e);
      else byUser.set(e.user_id, [e]);
    }
    await Promise.all(
      [...byUser].map(async ([user, list]) => {
        if (list.length > 1) list.sort((a, b) => a.seq - b.seq);
        for (const e of list) {
          this.advance(user, e.seq, source, counts);
          await publish(user, toMessage(e));
          counts.delivered++;
          this.delivered++;
        }
        this.deliveredTotal.inc({ source }, list.length);
      }),
    );
  }

  /**
   * This instance's own commit (the commit hook): publishes, at once, each event that is next in its
   * user's seq order (the watermark + 1, or seq 1 for a user not seen yet); the rest of that user's events
   * are left to the feed, which brings them in order. Synchronous up to the publish; never throws for an
   * event it leaves. Returns how many it published.
   */
  deliverLocal(events: readonly EventEnvelope[]): number {
    const publish = this.publish;
    if (!publish || events.length === 0) return 0;
    const counts = this.countsFor('commit');
    const sorted =
      events.length > 1
        ? [...events].sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : a.seq - b.seq))
        : events;
    let taken = 0;
    let blocked: string | undefined;
    for (const e of sorted) {
      if (e.user_id === blocked) continue;
      const last = this.watermark.get(e.user_id);
      const key = deliveryKey(e);
      if ((last === undefined ? e.seq !== 1 : e.seq !== last + 1) || this.seen.has(key)) {
        blocked = e.user_id;
        continue;
      }
      this.seen.add(key);
      this.local.add(key);
      this.advance(e.user_id, e.seq, 'commit', counts);
      void Promise.resolve(publish(e.user_id, toMessage(e))).catch(() => undefined);
      counts.delivered++;
      this.delivered++;
      taken++;
    }
    if (taken > 0) this.deliveredTotal.inc({ source: 'commit' }, taken);
    return taken;
  }

  private countsFor(source: Source): HubCounts {
    let counts = this.counts.get(source);
    if (!counts) {
      counts = zero();
      this.counts.set(source, counts);
    }
    return counts;
  }

  private advance(user: string, seq: number, source: Source, counts: HubCounts): void {
    const last = this.watermark.get(user);
    if (last !== undefined && seq > last + 1) {
      counts.gaps++;
      this.outOfOrderTotal.inc({ source, kind: 'gap' });
    } else if (last !== undefined && seq <= last) {
      counts.late++;
      this.outOfOrderTotal.inc({ source, kind: 'late' });
      return;
    }
    this.watermark.delete(user);
    this.watermark.set(user, seq);
    if (this.watermark.size > this.capacity) {
      const oldest = this.watermark.keys().next().value;
      if (oldest !== undefined) this.watermark.delete(oldest);
    }
  }
}
