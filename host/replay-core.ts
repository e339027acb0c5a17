// Replay: read task-events from the beginning, fold each task's events through the decider, and
// compare the result with the row in PostgreSQL. The audit log is only worth something if this holds.
import { isDeepStrictEqual } from 'node:util';
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Db } from './db/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import { fold, type TaskState } from '../actors/task/index.ts';
import { loadTask } from './tasks/store.ts';

export interface Mismatch {
  taskId: string;
  userId: string;
  problem: 'missing_in_database' | 'missing_versions' | 'differs';
  fields?: string[];
  detail?: string;
}

export interface ReplayReport {
  messages: number;
  events: number;
  duplicates: number;
  tasks: number;
  mismatches: Mismatch[];
  unpublished: number;
}

export interface ReplayOptions {
  kafka: Kafka;
  topic: string;
  db: Db;
  user?: string;
  onProgress?: (done: number, total: number) => void;
}

async function readAll(options: ReplayOptions): Promise<{ events: EventEnvelope[]; messages: number; duplicates: number }> {
  const admin = options.kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(options.topic);
  await admin.disconnect();
  const end = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const start = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  const seen = new Map<string, EventEnvelope>();
  let messages = 0;
  let duplicates = 0;
  if (total === 0) return { events: [], messages, duplicates };
  const done = new Map<number, bigint>([...start]);
  const consumer = options.kafka.consumer({ groupId: `tasklane-replay-${randomUUID()}`, maxWaitTimeInMs: 100, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const finished = () => [...end].every(([p, high]) => (done.get(p) ?? 0n) >= high);
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          messages++;
          done.set(batch.partition, BigInt(m.offset) + 1n);
          if (!m.value) continue;
          const e = JSON.parse(m.value.toString()) as EventEnvelope;
          if (options.user && e.user_id !== options.user) continue;
          if (seen.has(e.event_id)) duplicates++;
          else seen.set(e.event_id, e);
        }
        options.onProgress?.(Math.min(messages, total), total);
        if (finished()) resolve();
      },
    }).catch(reject);
    if (finished()) resolve();
  });
  await consumer.disconnect();
  return { events: [...seen.values()], messages, duplicates };
}

export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  const { events, messages, duplicates } = await readAll(options);
  const byTask = new Map<string, EventEnvelope[]>();
  for (const e of events) {
    if (e.aggregate_type !== 'task') continue;
    const list = byTask.get(e.aggregate_id);
    if (list) list.push(e);
    else byTask.set(e.aggregate_id, [e]);
  }
  const mismatches: Mismatch[] = [];
  for (const [taskId, list] of byTask) {
    list.sort((x, y) => x.version - y.version);
    const userId = list[0]?.user_id ?? '';
    const versions = list.map((e) => e.version);
    if (versions.some((v, i) => v !== i + 1)) {
      mismatches.push({ taskId, userId, problem: 'missing_versions', detail: `versions on the topic: ${versions.join(',')}` });
      continue;
    }
    const row = await loadTask(options.db, userId, taskId);
    if (!row) {
      mismatches.push({ taskId, userId, problem: 'missing_in_database' });
      continue;
    }
    // Events not yet published are not on the topic: compare only up to what the topic holds.
    const rebuilt = fold(list);
    if (row.version > (rebuilt?.version ?? 0)) continue;
    if (!isDeepStrictEqual(rebuilt, row)) {
      const fields = (Object.keys(row) as (keyof TaskState)[]).filter((k) => !isDeepStrictEqual(rebuilt?.[k], row[k]));
      mismatches.push({ taskId, userId, problem: 'differs', fields });
    }
  }
  const backlog = await options.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE published_at IS NULL${options.user ? ' AND user_id = $1' : ''}`, options.user ? [options.user] : []);
  return { messages, events: events.length, duplicates, tasks: byTask.size, mismatches, unpublished: backlog.rows[0]?.n ?? 0 };
}
