// The outbox relay: publishes committed events, in seq order per user, and marks them published.
// Exactly one relay per database publishes at a time (a PostgreSQL advisory lock elects it), which is
// what keeps each user's events in order on the topic. After a commit the writer nudges it; it also
// polls. When a sink fails the rows simply wait (Kafka down → nothing lost) and go out, in order, on
// recovery. Delivery is at-least-once: consumers de-duplicate by event_id.
import type { Db } from '../db/index.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { EVENT_COLUMNS, toEnvelope } from '../tasks/rows.ts';
import type { Sink } from './sinks.ts';

const RELAY_LOCK = 7_145_826_002;

export interface RelayOptions {
  db: Db;
  /** Tried in order: the first that publishes the batch wins (Dapr pub/sub, then kafkajs). */
  sinks: Sink[];
  batch?: number;
  pollMs?: number;
  /** Like Kafka's linger: after a nudge, wait this long so one publish carries many commits. */
  lingerMs?: number;
  onPublished?: (events: readonly EventEnvelope[], via: Sink['name']) => void;
  onError?: (error: unknown, sink: Sink['name']) => void;
}

export class Relay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private leader = false;
  private backoffMs = 0;
  lastError: string | undefined;
  lastSink: Sink['name'] | undefined;
  published = 0;
  healthy = true;

  constructor(private readonly options: RelayOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** A commit happened: publish soon (after the linger, so a burst of commits goes out as one batch). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else if (this.backoffMs === 0 && !this.lingering) {
      this.lingering = true;
      this.schedule(this.options.lingerMs ?? 5);
    }
  }

  private lingering = false;

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.lingering = false; void this.tick(); }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running) { this.again = true; return; }
    this.running = this.drain();
    await this.running;
    this.running = undefined;
    if (this.again && this.backoffMs === 0) { this.again = false; this.lingering = true; this.schedule(this.options.lingerMs ?? 5); }
    else this.schedule(this.backoffMs || this.options.pollMs || 1000);
  }

  /** Publishes until nothing is pending or a sink fails. */
  async drain(): Promise<void> {
    try {
      for (;;) {
        const n = await this.once();
        if (n < (this.options.batch ?? 500)) break;
      }
      this.backoffMs = 0;
      this.healthy = true;
    } catch (error) {
      this.healthy = false;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 250), 5000);
    }
  }

  private async once(): Promise<number> {
    const { db } = this.options;
    return db.transaction(async (tx) => {
      // Leader election: only the holder of this (transaction-scoped) lock publishes; the others wait.
      if (db.kind === 'postgres') {
        const got = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [RELAY_LOCK]);
        this.leader = got.rows[0]?.ok === true;
        if (!this.leader) return 0;
      }
      const rows = await tx.query<EventEnvelope>(`SELECT ${EVENT_COLUMNS} FROM events WHERE published_at IS NULL ORDER BY user_id, seq LIMIT $1`, [this.options.batch ?? 500]);
      if (rows.rows.length === 0) return 0;
      const events = rows.rows.map(toEnvelope);
      let lastError: unknown;
      for (const sink of this.options.sinks) {
        try {
          await sink.publish(events);
          await tx.query('UPDATE events SET published_at = now() WHERE event_id = ANY($1::uuid[]) AND published_at IS NULL', [events.map((e) => e.event_id)]);
          this.published += events.length;
          this.lastSink = sink.name;
          this.options.onPublished?.(events, sink.name);
          return events.length;
        } catch (error) {
          lastError = error;
          this.options.onError?.(error, sink.name);
        }
      }
      throw lastError instanceof Error ? lastError : new Error(String(lastError));
    });
  }

  /** Stops polling after publishing what is pending (a final flush on shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.healthy) await this.drain();
  }
}
