// Reads of users' event streams (issue 17, shared lists). A user's stream is their `events` rows (the
// events stored in their stream, the canonical copy) plus their `event_deliveries` rows (events stored
// in another member's stream, each with a seq of this user's own): together gapless, in commit order
// (host/db/migrations/013_shared_lists.sql). Every reader of a stream reads both here.
import type { Queryable } from './db/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import type { AdminFilter } from '../api/ports.ts';
import { EVENT_COLUMNS, DELIVERED_EVENT_COLUMNS, toEnvelope } from './tasks/rows.ts';

/** An event as the admin audit shows it: the envelope, who issued it and who received it. */
export type AuditedEvent = EventEnvelope & {
  /** Who issued it (events.actor_id; null: a timer or the system, or an event written before issue 17, issued by its user_id). */
  actor_id: string | null;
  /** Every user whose stream holds it: its canonical user first, then the delivery rows' users by id. */
  recipients: string[];
  /** The lists whose members made up its audience (events.scope; null: private, or written before issue 17). */
  lists: string[] | null;
};

/**
 * `userId`'s stream after seq `after`, at most `limit` envelopes, in seq order (GET /events): their events
 * rows and their deliveries, each delivery as the event's envelope with `user_id` = the caller and `seq` =
 * the delivery's. Two index scans (events (user_id, seq), event_deliveries' primary key) merged.
 */
export async function eventsAfter(
  q: Queryable,
  userId: string,
  after: number,
  limit: number,
): Promise<EventEnvelope[]> {
  const rows = await q.query<EventEnvelope>(
    `SELECT * FROM (
      (SELECT ${EVENT_COLUMNS} FROM events WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3)
      UNION ALL
      (SELECT ${DELIVERED_EVENT_COLUMNS} FROM event_deliveries d JOIN events e ON e.event_id = d.event_id
        WHERE d.user_id = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3)) s
    ORDER BY seq LIMIT $3`,
    [userId, after, limit],
    'tasklane_events_after',
  );
  return rows.rows.map(toEnvelope);
}

/** A row of the outbox: an envelope in its recipient's stream, and whether it is a delivery copy. */
export interface OutboxRow {
  envelope: EventEnvelope;
  /** True for an event_deliveries row (marked by user and seq), false for the events row itself (by event_id). */
  copy: boolean;
}

/**
 * The first `limit` rows of the outbox by (user_id, seq): events rows and delivery rows not published yet,
 * `sinceIso` (when given) bounding the event's timestamp from below (exclusive). Per user the rows come in
 * seq order, so publishing them in this order keeps each user's order on the topic.
 */
export async function unpublished(
  q: Queryable,
  limit: number,
  sinceIso?: string,
  name = 'tasklane_relay_pending',
): Promise<OutboxRow[]> {
  const since = sinceIso === undefined ? '' : ' AND "timestamp" > $2';
  const sinceE = sinceIso === undefined ? '' : ' AND e."timestamp" > $2';
  const rows = await q.query<EventEnvelope & { copy: boolean }>(
    `SELECT * FROM (
      (SELECT ${EVENT_COLUMNS}, false AS copy FROM events WHERE published_at IS NULL${since} ORDER BY user_id, seq LIMIT $1)
      UNION ALL
      (SELECT ${DELIVERED_EVENT_COLUMNS}, true AS copy FROM event_deliveries d JOIN events e ON e.event_id = d.event_id
        WHERE d.published_at IS NULL${sinceE} ORDER BY d.user_id, d.seq LIMIT $1)) s
    ORDER BY user_id, seq LIMIT $1`,
    sinceIso === undefined ? [limit] : [limit, sinceIso],
    name,
  );
  return rows.rows.map((row) => ({ envelope: toEnvelope(row), copy: row.copy }));
}

/** Marks published outbox rows: events rows by event_id, delivery rows by (user_id, seq). Each only once. */
export async function markPublished(q: Queryable, rows: readonly OutboxRow[]): Promise<void> {
  const events = rows.filter((r) => !r.copy).map((r) => r.envelope.event_id);
  const copies = rows.filter((r) => r.copy).map((r) => r.envelope);
  if (events.length > 0)
    await q.query(
      'UPDATE events SET published_at = now() WHERE event_id = ANY($1::uuid[]) AND published_at IS NULL',
      [events],
      'tasklane_relay_mark',
    );
  if (copies.length > 0)
    await q.query(
      `UPDATE event_deliveries d SET published_at = now() FROM unnest($1::text[], $2::bigint[]) AS x(user_id, seq)
        WHERE d.user_id = x.user_id AND d.seq = x.seq AND d.published_at IS NULL`,
      [copies.map((e) => e.user_id), copies.map((e) => e.seq)],
      'tasklane_relay_mark_copies',
    );
}

/**
 * Published rows committed after `sinceIso`: the newest `limit` events rows, and the published delivery
 * rows of the newest `limit` events; by (user_id, seq). What the outbox feed re-reads when it takes over
 * from the Kafka consumer (realtime/feeds.ts OutboxFeed): events published just before the broker went
 * away may never have reached this instance's consumer (unpublished ones come from its next poll). Reads
 * at most 2 × `limit` events through events_by_time, and the deliveries of those by their event_id.
 */
export async function publishedSince(q: Queryable, sinceIso: string, limit: number): Promise<EventEnvelope[]> {
  const rows = await q.query<EventEnvelope>(
    `SELECT * FROM (
      (SELECT ${EVENT_COLUMNS} FROM events
        WHERE "timestamp" > $1 AND published_at IS NOT NULL ORDER BY "timestamp" DESC LIMIT $2)
      UNION ALL
      (SELECT ${DELIVERED_EVENT_COLUMNS}
         FROM (SELECT * FROM events WHERE "timestamp" > $1 ORDER BY "timestamp" DESC LIMIT $2) e
         JOIN event_deliveries d ON d.event_id = e.event_id
        WHERE d.published_at IS NOT NULL)) s
    ORDER BY user_id, seq`,
    [sinceIso, limit],
    'tasklane_published_since',
  );
  return rows.rows.map(toEnvelope);
}

/** Committed rows (events and deliveries) not yet published, after `sinceIso`, by (user_id, seq), at most 5,000. */
export async function unpublishedSince(q: Queryable, sinceIso: string): Promise<EventEnvelope[]> {
  return (await unpublished(q, 5000, sinceIso, 'tasklane_unpublished_since')).map((r) => r.envelope);
}

/**
 * GET /admin/events: events (each once, its canonical row) by (timestamp, event_id) after `f.after`, with
 * who issued each and every user whose stream holds it. `f.user` selects the events in that user's
 * stream: stored there or delivered there; `f.actor` those the user issued; `f.list` those whose
 * audience was made up of the list's members.
 */
export async function adminEvents(q: Queryable, f: AdminFilter): Promise<AuditedEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (f.user)
    add(
      (p) => `(user_id = ${p} OR event_id IN (SELECT d.event_id FROM event_deliveries d WHERE d.user_id = ${p}))`,
      f.user,
    );
  if (f.type) add((p) => `event_type = ${p}`, f.type);
  if (f.aggregate_id) add((p) => `aggregate_id = ${p}`, f.aggregate_id);
  if (f.actor) add((p) => `actor_id = ${p}`, f.actor);
  if (f.list) add((p) => `scope @> ARRAY[${p}::uuid]`, f.list);
  if (f.from) add((p) => `"timestamp" >= ${p}`, f.from);
  if (f.to) add((p) => `"timestamp" < ${p}`, f.to);
  if (f.after) {
    params.push(f.after.timestamp, f.after.event_id);
    where.push(`("timestamp", event_id) > ($${params.length - 1}, $${params.length}::uuid)`);
  }
  params.push(f.limit);
  const rows = await q.query<EventEnvelope & { actor_id: string | null; delivered: string[]; lists: string[] | null }>(
    `SELECT ${EVENT_COLUMNS}, actor_id, scope::text[] AS lists,
      ARRAY(SELECT d.user_id FROM event_deliveries d WHERE d.event_id = events.event_id ORDER BY d.user_id COLLATE "C") AS delivered
      FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY "timestamp", event_id LIMIT $${params.length}`,
    params,
  );
  return rows.rows.map((row) => ({
    ...toEnvelope(row),
    actor_id: row.actor_id,
    recipients: [row.user_id, ...row.delivered],
    lists: row.lists,
  }));
}
