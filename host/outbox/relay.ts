// The outbox relay: publishes committed events, in seq order per user, and marks them published.
// Exactly one relay per database publishes at a time (a PostgreSQL advisory lock elects it), which is
// what keeps each user's events in order on the topic. The leader holds the lock at session level on a
// connection it keeps, so a batch costs two statements (read, mark) and no transaction; if that
// connection dies the lock dies with it and any instance can take over. After a commit the writer nudges it; it also
// polls. When a sink fails the rows simply wait (Kafka down → nothing lost) and go out, in order, on
// recovery. Delivery is at-least-once: consumers de-duplicate by user and event_id (a shared list's event
// goes out once per member, each copy keyed by its recipient).
import type { Db, Queryable } from '../db/index.ts';
import type { Session } from '../db/types.ts';
import { ADVISORY_LOCK } from '../db/advisory.ts';
import type { EventEnvelope } from '../../actors/events.ts';
import { unpublished, markPublished } from '../stream-reads.ts';
import type { Sink } from './sinks.ts';

export interface RelayOptions {
  db: Db;
  /** Tried in order: the first that publishes the batch wins (Dapr pub/sub, then kafkajs). */
  sinks: Sink[];
  batch?: number;
  /** How often a relay that is not the leader tries to become it (ms, default 1000). */
  pollMs?: number;
  /**
   * How often the leader looks for rows on its own (ms, default 50). Only commits on this instance nudge
   * it; rows committed on another replica (or by another process's actor turn) wait for this poll, so it
   * bounds their delivery latency. When nothing is pending the query reads an empty partial index.
   */
  leaderPollMs?: number;
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
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lingering = false;
      void this.tick();
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain();
    await this.running;
    this.running = undefined;
    if (this.again && this.backoffMs === 0) {
      this.again = false;
      this.lingering = true;
      this.schedule(this.options.lingerMs ?? 5);
    } else
      this.schedule(
        this.backoffMs || (this.leader ? (this.options.leaderPollMs ?? 50) : (this.options.pollMs ?? 1000)),
      );
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

  /** The leader's own connection, holding the relay lock for as long as it lives. */
  private session: Session | undefined;

  private async leaderSession(): Promise<Session | undefined> {
    if (this.session) return this.session;
    const session = await this.options.db.reserve();
    try {
      const got = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [ADVISORY_LOCK.relay]);
      this.leader = got.rows[0]?.ok === true;
    } catch (error) {
      session.release(true);
      throw error;
    }
    if (!this.leader) {
      session.release();
      return undefined;
    }
    this.session = session;
    return session;
  }

  private dropSession(): void {
    // Closing the connection ends its session, and with it the lock: another instance may lead now.
    this.session?.release(true);
    this.session = undefined;
    this.leader = false;
  }

  private async once(): Promise<number> {
    const { db } = this.options;
    if (db.kind !== 'postgres') return db.transaction((tx) => this.publishBatch(tx)); // one connection: no rival
    const session = await this.leaderSession();
    if (!session) return 0;
    try {
      return await this.publishBatch(session);
    } catch (error) {
      // A sink that failed leaves the connection sound; a statement that failed may mean it is gone.
      if (!(error instanceof SinkFailure)) this.dropSession();
      throw error instanceof SinkFailure ? error.cause : error;
    }
  }

  private async publishBatch(q: Queryable): Promise<number> {
    // The outbox is the events rows and the delivery rows (an event's copy for another member of a shared
    // list, keyed by that recipient), in (user_id, seq) order: each user's order on the topic holds.
    const rows = await unpublished(q, this.options.batch ?? 500);
    if (rows.length === 0) return 0;
    const events = rows.map((r) => r.envelope);
    let lastError: unknown;
    for (const sink of this.options.sinks) {
      try {
        await sink.publish(events);
      } catch (error) {
        lastError = error;
        this.options.onError?.(error, sink.name);
        continue;
      }
      await markPublished(q, rows);
      this.published += events.length;
      this.lastSink = sink.name;
      this.options.onPublished?.(events, sink.name);
      return events.length;
    }
    throw new SinkFailure(lastError instanceof Error ? lastError : new Error(String(lastError)));
  }

  /** Stops polling after publishing what is pending (a final flush on shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.healthy) await this.drain();
    this.dropSession();
  }
}

/** Every sink refused the batch (Kafka down): the rows wait, and the leader keeps its connection. */
class SinkFailure extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}
