// Replay: rebuild every task from its events, fold them through the decider and compare with the row in
// PostgreSQL. The audit log is only worth something if this holds.
//
// From the topic (the default), the check runs both ways: a task on the topic that PostgreSQL lacks, and a
// task whose events PostgreSQL marked published but the topic does not hold (marked without being produced).
// Events the topic no longer holds because retention (or deleteRecords) removed them cannot be checked:
// such tasks are reported as not checkable, never as matches. From the events table (`fromDb`, the permanent
// log), every task is rebuilt from its rows and compared; no Kafka is needed.
import { isDeepStrictEqual } from 'node:util';
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Db } from './db/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import { fold, type TaskState } from '../actors/task/index.ts';
import { loadTask } from './tasks/store.ts';
import { EVENT_COLUMNS, LIST_COLUMNS, LABEL_COLUMNS, toEnvelope } from './tasks/rows.ts';
import { evolveList, inboxOf, type ListState } from '../actors/list/index.ts';
import { evolveLabel, type LabelState } from '../actors/label/index.ts';

export interface Mismatch {
  /** The task's id (or the list's or label's, with `aggregate`). */
  taskId: string;
  /** Absent for a task. */
  aggregate?: 'list' | 'label';
  userId: string;
  /**
   * - missing_in_database: the topic holds events of a task (or versions of it) that PostgreSQL does not have;
   * - missing_on_topic: PostgreSQL marked events published that the topic does not hold, and retention does not explain it;
   * - missing_versions: the task's history has a gap (versions not 1..n);
   * - no_history: a task row without any event;
   * - differs: the rebuilt state is not the row (`fields` names what differs).
   */
  problem: 'missing_in_database' | 'missing_on_topic' | 'missing_versions' | 'no_history' | 'differs';
  fields?: string[];
  detail?: string;
}

export const RETENTION_REASON = "history older than the topic's retention";

export interface NotCheckable {
  taskId: string;
  userId: string;
  reason: typeof RETENTION_REASON;
  /** Which published versions the topic no longer holds. */
  detail: string;
}

export interface ReplayReport {
  source: 'topic' | 'database';
  /** Messages read from the topic (0 from the database). */
  messages: number;
  /** Distinct events folded. */
  events: number;
  /** Extra copies of an event on the topic (at-least-once delivery), dropped by user and event_id. */
  duplicates: number;
  /**
   * Messages of an event already read for another user: its delivery to another member of a shared list
   * (issue 17), on the topic under that recipient. Not duplicates, and folded once.
   */
  copies: number;
  /** Tasks looked at: the union of those on the topic, in the events table and in the tasks table. */
  tasks: number;
  /** Tasks whose rebuilt state equals their row. */
  matched: number;
  mismatches: Mismatch[];
  notCheckable: NotCheckable[];
  /** Tasks written while the replay ran (their row is newer than what was read): neither matched nor mismatched. */
  changed: number;
  /** Committed events not published yet (they are folded from the events table). */
  unpublished: number;
  /** Lists and labels, rebuilt from the events table (both sources) and compared with their rows; their mismatches are in `mismatches`. */
  organisation?: { checked: number; matched: number };
  /** Topic only: what retention has removed. */
  retention?: {
    /** Some partition's earliest retained offset is above 0. */
    trimmed: boolean;
    /** Partitions whose every record was removed: what they held cannot be told apart from what was never produced. */
    emptyPartitions: number[];
  };
}

export interface ReplayOptions {
  kafka?: Kafka;
  topic?: string;
  db: Db;
  user?: string;
  /** Rebuild from the events table instead of the topic. */
  fromDb?: boolean;
  /** `phase` says what `done`/`total` count: topic messages, or tasks compared. */
  onProgress?: (done: number, total: number, phase: 'messages' | 'tasks') => void;
}

interface TopicRead {
  events: EventEnvelope[];
  messages: number;
  duplicates: number;
  copies: number;
  /** Per partition whose log start is above 0: the event id of its first retained record, or null when nothing is retained. */
  trimmed: Map<number, string | null>;
}

async function readTopic(
  kafka: Kafka,
  topic: string,
  options: ReplayOptions,
  held?: ReadonlySet<string>,
): Promise<TopicRead> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const end = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const trimmed = new Map<number, string | null>(
    offsets.filter((o) => BigInt(o.low) > 0n).map((o) => [o.partition, null]),
  );
  const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  const seen = new Map<string, EventEnvelope>();
  let messages = 0;
  let duplicates = 0;
  let copies = 0;
  /** `${user_id}\0${event_id}` of every message read: one event reaches each recipient's stream once. */
  const delivered = new Set<string>();
  if (total === 0) return { events: [], messages, duplicates, copies, trimmed };
  const done = new Map<number, bigint>(offsets.map((o) => [o.partition, BigInt(o.low)]));
  const first = new Set<number>();
  const consumer = kafka.consumer({
    groupId: `tasklane-replay-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    maxBytes: 10 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const finished = () => [...end].every(([p, high]) => (done.get(p) ?? 0n) >= high);
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    void consumer
      .run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            messages++;
            done.set(batch.partition, BigInt(m.offset) + 1n);
            if (!m.value) continue;
            const e = JSON.parse(m.value.toString()) as EventEnvelope;
            // The first record a trimmed partition still holds marks where its retained history begins.
            if (trimmed.has(batch.partition) && !first.has(batch.partition)) {
              first.add(batch.partition);
              trimmed.set(batch.partition, e.event_id);
            }
            // With a user: the events of the tasks they hold (in any member's stream), and their own others.
            if (options.user && (e.aggregate_type === 'task' ? !held?.has(e.aggregate_id) : e.user_id !== options.user))
              continue;
            const key = `${e.user_id}\0${e.event_id}`;
            if (delivered.has(key)) duplicates++;
            else {
              delivered.add(key);
              if (seen.has(e.event_id)) copies++;
              else seen.set(e.event_id, e);
            }
          }
          options.onProgress?.(Math.min(messages, total), total, 'messages');
          if (finished()) resolve();
        },
      })
      .catch(reject);
    if (finished()) resolve();
  });
  await consumer.disconnect();
  return { events: [...seen.values()], messages, duplicates, copies, trimmed };
}

/** What the events table says about one task, read before the topic (so whatever it calls published is on the topic by then). */
interface Known {
  userId: string;
  /** version → published_at in microseconds since the epoch, or null while unpublished. */
  versions: Map<number, bigint | null>;
  unpublished: EventEnvelope[];
}

const byUser = (user: string | undefined, column = 'user_id') => (user ? ` AND ${column} = $1` : '');

/**
 * The events of what `user` holds (` AND …` on the events table, $1 = user; '' without a user): every
 * event of the rows of `tables` whose user_id is theirs — the tasks they created (their home), the lists
 * they own, their labels — in whichever member's stream it is stored (a shared list's events are stored
 * in the stream of the member who issued them, issue 17), and the events in their own stream whose
 * aggregate has no row in any of `tables` (so a row lost from the table is still reported).
 */
function heldBy(user: string | undefined, tables: readonly string[]): string {
  if (!user) return '';
  const held = tables.map((t) => `events.aggregate_id IN (SELECT id::text FROM ${t} WHERE user_id = $1)`);
  const rowless = tables.map((t) => `NOT EXISTS (SELECT 1 FROM ${t} x WHERE x.id::text = events.aggregate_id)`);
  return ` AND (${held.join(' OR ')} OR (events.user_id = $1 AND ${rowless.join(' AND ')}))`;
}

async function snapshot(db: Db, user: string | undefined): Promise<Map<string, Known>> {
  const params = user ? [user] : [];
  const known = new Map<string, Known>();
  const entry = (taskId: string, userId: string): Known => {
    let k = known.get(taskId);
    if (!k) {
      k = { userId, versions: new Map(), unpublished: [] };
      known.set(taskId, k);
    }
    return k;
  };
  // A task is its home user's (tasks.user_id): its events may be stored in several members' streams.
  const tasks = await db.query<{ id: string; user_id: string }>(
    `SELECT id::text AS id, user_id FROM tasks WHERE true${byUser(user)}`,
    params,
  );
  for (const t of tasks.rows) entry(t.id, t.user_id);
  const rows = await db.query<{ aggregate_id: string; user_id: string; version: number; published_us: string | null }>(
    `SELECT aggregate_id::text AS aggregate_id, user_id, version, floor(extract(epoch FROM published_at) * 1000000)::bigint::text AS published_us
       FROM events WHERE aggregate_type = 'task'${heldBy(user, ['tasks'])}`,
    params,
  );
  for (const r of rows.rows)
    entry(r.aggregate_id, r.user_id).versions.set(
      Number(r.version),
      r.published_us === null ? null : BigInt(r.published_us),
    );
  const pending = await db.query<EventEnvelope>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_type = 'task' AND published_at IS NULL${heldBy(user, ['tasks'])}`,
    params,
  );
  for (const e of pending.rows.map(toEnvelope)) entry(e.aggregate_id, e.user_id).unpublished.push(e);
  return known;
}

/** The latest published_at (µs) among the trimmed partitions' first retained records; +∞ when one holds nothing. */
async function retentionHorizon(db: Db, trimmed: Map<number, string | null>): Promise<bigint | undefined> {
  if (trimmed.size === 0) return undefined;
  if ([...trimmed.values()].some((id) => id === null)) return BigInt(Number.MAX_SAFE_INTEGER) * 1000n;
  const ids = [...trimmed.values()] as string[];
  const rows = await db.query<{ published_us: string | null }>(
    'SELECT floor(extract(epoch FROM published_at) * 1000000)::bigint::text AS published_us FROM events WHERE event_id = ANY($1::uuid[])',
    [ids],
  );
  // A first retained record the events table does not know (or not as published) leaves nothing to bound by: assume the worst.
  if (rows.rows.length < ids.length || rows.rows.some((r) => r.published_us === null))
    return BigInt(Number.MAX_SAFE_INTEGER) * 1000n;
  return rows.rows.reduce(
    (max, r) => (BigInt(r.published_us as string) > max ? BigInt(r.published_us as string) : max),
    0n,
  );
}

const list = (versions: number[]) => versions.sort((a, b) => a - b).join(',');

/** Folds one task's history (sorted by version) and compares it with the row; 'changed' when the row is newer than the history read (written during the replay). */
async function compare(
  db: Db,
  taskId: string,
  userId: string,
  history: EventEnvelope[],
): Promise<Mismatch | 'match' | 'changed'> {
  const versions = history.map((e) => e.version);
  if (versions.some((v, i) => v !== i + 1))
    return { taskId, userId, problem: 'missing_versions', detail: `versions: ${versions.join(',')}` };
  const row = await loadTask(db, userId, taskId);
  if (!row)
    return { taskId, userId, problem: 'missing_in_database', detail: 'events exist but the tasks table has no row' };
  const rebuilt = fold(history);
  if (row.version > (rebuilt?.version ?? 0)) {
    // Newer than what was read: written during the replay, unless the events table has no such version either.
    const latest = await db.query<{ v: number | null }>(
      'SELECT max(version)::int AS v FROM events WHERE aggregate_id = $1',
      [taskId],
    );
    if ((latest.rows[0]?.v ?? 0) >= row.version) return 'changed';
  }
  if (isDeepStrictEqual(rebuilt, row)) return 'match';
  const fields = (Object.keys(row) as (keyof TaskState)[]).filter((k) => !isDeepStrictEqual(rebuilt?.[k], row[k]));
  return { taskId, userId, problem: 'differs', fields };
}

async function fromTopic(options: ReplayOptions): Promise<ReplayReport> {
  if (!options.kafka || !options.topic) throw new Error('replay from the topic needs kafka and topic');
  const { db } = options;
  const known = await snapshot(db, options.user);
  const read = await readTopic(options.kafka, options.topic, options, new Set(known.keys()));
  const horizon = await retentionHorizon(db, read.trimmed);
  const onTopic = new Map<string, EventEnvelope[]>();
  for (const e of read.events) {
    if (e.aggregate_type !== 'task') continue;
    const l = onTopic.get(e.aggregate_id);
    if (l) l.push(e);
    else onTopic.set(e.aggregate_id, [e]);
  }
  const ids = new Set([...known.keys(), ...onTopic.keys()]);
  const report: ReplayReport = {
    source: 'topic',
    messages: read.messages,
    events: read.events.length,
    duplicates: read.duplicates,
    copies: read.copies,
    tasks: ids.size,
    matched: 0,
    mismatches: [],
    notCheckable: [],
    changed: 0,
    unpublished: 0,
    retention: {
      trimmed: read.trimmed.size > 0,
      emptyPartitions: [...read.trimmed]
        .filter(([, id]) => id === null)
        .map(([p]) => p)
        .sort((a, b) => a - b),
    },
  };
  let done = 0;
  for (const taskId of ids) {
    options.onProgress?.(done++, ids.size, 'tasks');
    const k = known.get(taskId);
    const topicEvents = onTopic.get(taskId) ?? [];
    const userId = k?.userId ?? topicEvents[0]?.user_id ?? '';
    report.unpublished += k?.unpublished.length ?? 0;
    if (!k || k.versions.size === 0) {
      if (topicEvents.length > 0) {
        const row = k ? await loadTask(db, userId, taskId) : null;
        report.mismatches.push({
          taskId,
          userId,
          problem: 'missing_in_database',
          detail: row ? 'the events table has none of its events' : 'no row and no events in PostgreSQL',
        });
      } else report.mismatches.push({ taskId, userId, problem: 'no_history', detail: 'a task row without any event' });
      continue;
    }
    const topicVersions = new Set(topicEvents.map((e) => e.version));
    const extra = [...topicVersions].filter((v) => !k.versions.has(v));
    if (extra.length > 0) {
      report.mismatches.push({
        taskId,
        userId,
        problem: 'missing_in_database',
        detail: `versions on the topic but not in the events table: ${list(extra)}`,
      });
      continue;
    }
    const missing = [...k.versions].filter(([v, at]) => at !== null && !topicVersions.has(v));
    const lost = missing.filter(([, at]) => horizon !== undefined && (at as bigint) <= horizon).map(([v]) => v);
    const absent = missing.filter(([, at]) => horizon === undefined || (at as bigint) > horizon).map(([v]) => v);
    if (absent.length > 0) {
      report.mismatches.push({
        taskId,
        userId,
        problem: 'missing_on_topic',
        detail: `versions marked published but not on the topic: ${list(absent)}`,
      });
      continue;
    }
    if (lost.length > 0) {
      report.notCheckable.push({
        taskId,
        userId,
        reason: RETENTION_REASON,
        detail: `versions no longer on the topic: ${list(lost)}`,
      });
      continue;
    }
    // The topic's copy of everything published, then what the outbox still holds.
    const history = new Map<number, EventEnvelope>();
    for (const e of topicEvents) history.set(e.version, e);
    for (const e of k.unpublished) if (!history.has(e.version)) history.set(e.version, e);
    const outcome = await compare(
      db,
      taskId,
      userId,
      [...history.values()].sort((a, b) => a.version - b.version),
    );
    if (outcome === 'match') report.matched++;
    else if (outcome === 'changed') report.changed++;
    else report.mismatches.push(outcome);
  }
  options.onProgress?.(ids.size, ids.size, 'tasks');
  return report;
}

async function fromDatabase(options: ReplayOptions): Promise<ReplayReport> {
  const { db, user } = options;
  const params = user ? [user] : [];
  const ids = await db.query<{ id: string; user_id: string }>(
    // Each task once, as its home user's; an event whose task has no row, as its stream's user's.
    `SELECT id::text AS id, user_id FROM tasks WHERE true${byUser(user)}
     UNION SELECT DISTINCT ON (aggregate_id) aggregate_id::text, user_id FROM events
      WHERE aggregate_type = 'task' AND NOT EXISTS (SELECT 1 FROM tasks x WHERE x.id::text = events.aggregate_id)${byUser(user)}
     ORDER BY 1`,
    params,
  );
  const report: ReplayReport = {
    source: 'database',
    messages: 0,
    events: 0,
    duplicates: 0,
    copies: 0,
    tasks: ids.rows.length,
    matched: 0,
    mismatches: [],
    notCheckable: [],
    changed: 0,
    unpublished: 0,
  };
  const BATCH = 500;
  for (let i = 0; i < ids.rows.length; i += BATCH) {
    options.onProgress?.(i, ids.rows.length, 'tasks');
    const batch = ids.rows.slice(i, i + BATCH);
    const rows = await db.query<EventEnvelope & { unpublished: boolean }>(
      `SELECT ${EVENT_COLUMNS}, published_at IS NULL AS unpublished FROM events WHERE aggregate_id = ANY($1::text[]) ORDER BY aggregate_id, version`,
      [batch.map((t) => t.id)],
    );
    const byTask = new Map<string, EventEnvelope[]>();
    for (const r of rows.rows) {
      if (r.unpublished) report.unpublished++;
      const e = toEnvelope(r);
      const l = byTask.get(e.aggregate_id);
      if (l) l.push(e);
      else byTask.set(e.aggregate_id, [e]);
    }
    report.events += rows.rows.length;
    for (const t of batch) {
      const history = byTask.get(t.id);
      if (!history) {
        report.mismatches.push({
          taskId: t.id,
          userId: t.user_id,
          problem: 'no_history',
          detail: 'a task row without any event',
        });
        continue;
      }
      const outcome = await compare(db, t.id, t.user_id, history);
      if (outcome === 'match') report.matched++;
      else if (outcome === 'changed') report.changed++;
      else report.mismatches.push(outcome);
    }
  }
  options.onProgress?.(ids.rows.length, ids.rows.length, 'tasks');
  return report;
}

/**
 * Every list and label of the users (or of `user`) folded from its events in the events table and compared
 * with its row: a list from `inboxOf` (the Inbox, created with the user at version 0 and the user's
 * creation time, as its row says) or from nothing, a label from nothing. Aggregates written while this
 * runs (the row newer than the events read) are skipped, as tasks are.
 */
async function replayOrganisation(
  db: Db,
  user: string | undefined,
): Promise<{ checked: number; matched: number; mismatches: Mismatch[] }> {
  const params = user ? [user] : [];
  const events = await db.query<EventEnvelope>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_type IN ('list', 'label')${heldBy(user, ['lists', 'labels'])} ORDER BY aggregate_id, version`,
    params,
  );
  const byId = new Map<string, EventEnvelope[]>();
  for (const e of events.rows.map(toEnvelope)) byId.set(e.aggregate_id, [...(byId.get(e.aggregate_id) ?? []), e]);
  const lists = await db.query<ListState>(`SELECT ${LIST_COLUMNS} FROM lists WHERE true${byUser(user)}`, params);
  const labels = await db.query<LabelState>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE true${byUser(user)}`, params);
  const out = { checked: 0, matched: 0, mismatches: [] as Mismatch[] };
  /** Rows with no event read: made after the events were read (asked again below), or a real no_history. */
  const rowless: Mismatch[] = [];
  const check = <S extends { id: string; user_id: string; version: number }>(
    aggregate: 'list' | 'label',
    row: S,
    from: S | null,
    evolve: (s: S | null, e: EventEnvelope) => S | null,
  ) => {
    out.checked++;
    const history = byId.get(row.id) ?? [];
    byId.delete(row.id);
    const first = from?.version ?? 0;
    if (history.some((e, i) => e.version !== first + i + 1)) {
      out.mismatches.push({
        taskId: row.id,
        userId: row.user_id,
        aggregate,
        problem: 'missing_versions',
        detail: `versions: ${history.map((e) => e.version).join(',')}`,
      });
      return;
    }
    if (from === null && history.length === 0) {
      rowless.push({
        taskId: row.id,
        userId: row.user_id,
        aggregate,
        problem: 'no_history',
        detail: `a ${aggregate} row without any event`,
      });
      return;
    }
    const rebuilt = history.reduce(evolve, from);
    if (row.version > (rebuilt?.version ?? 0)) return; // written while this ran
    if (isDeepStrictEqual(rebuilt, row)) out.matched++;
    else
      out.mismatches.push({
        taskId: row.id,
        userId: row.user_id,
        aggregate,
        problem: 'differs',
        fields: (Object.keys(row) as (keyof S)[]).filter((k) => !isDeepStrictEqual(rebuilt?.[k], row[k])).map(String),
      });
  };
  for (const row of lists.rows) check('list', row, row.inbox ? inboxOf(row.user_id, row.created_at) : null, evolveList);
  for (const row of labels.rows) check('label', row, null, evolveLabel);
  // A list or label made while this ran has its row but none of the events read before it: written while
  // this ran, as a newer row is, when its events are there now.
  for (const m of rowless) {
    const now = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1', [
      m.taskId,
    ]);
    if ((now.rows[0]?.n ?? 0) === 0) out.mismatches.push(m);
  }
  for (const [id, history] of byId) {
    out.mismatches.push({
      taskId: id,
      userId: history[0]?.user_id ?? '',
      aggregate: history[0]?.aggregate_type === 'label' ? 'label' : 'list',
      problem: 'missing_in_database',
      detail: 'events exist but the table has no row',
    });
  }
  return out;
}

/** Replays from the topic (default) or, with `fromDb`, from the events table; never throws on a mismatch, only reports it. */
export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  const report = options.fromDb ? await fromDatabase(options) : await fromTopic(options);
  const organisation = await replayOrganisation(options.db, options.user);
  report.mismatches.push(...organisation.mismatches);
  report.organisation = { checked: organisation.checked, matched: organisation.matched };
  return report;
}
