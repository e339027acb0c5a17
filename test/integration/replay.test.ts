// Replay after a random workload: every task rebuilt from the topic equals its row; a row changed
// behind the log's back is found; the CLI says so with its exit code. Both ways: events marked published
// but never produced are found; history the topic no longer holds (deleted records, as retention does) is
// reported as not checkable; --from-db rebuilds from the events table.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { api, type Target } from '../helpers/timer-scenarios.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';
import { replay, RETENTION_REASON } from '../../host/replay-core.ts';

const topic = `replay-${randomUUID()}`;
const kafka = new Kafka({ clientId: 'replay-test', brokers: [...local.kafkaBrokers], logLevel: logLevel.NOTHING });
let app: TestApp;
test.before(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  app = await startTestApp({ env: { KAFKA_BROKERS: local.kafkaBrokers.join(','), KAFKA_TOPIC: topic } });
});
const moreTopics: string[] = [];
test.after.always(async () => {
  await app?.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, ...moreTopics] }).catch(() => undefined);
  await admin.disconnect();
});

const run = promisify(execFile);

test.serial(
  'after a random workload, replay finds no mismatch; a tampered row is reported by task and field',
  async (t) => {
    t.timeout(180_000);
    const target: Target = { url: app.url, token: app.token, label: 'replay' };
    const users = ['ann', 'ben', 'cy'].map((u) => `${u}-${randomUUID()}`);
    const tasks: { user: string; id: string }[] = [];
    const op = fc.record({
      user: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom('create', 'patch', 'complete', 'uncomplete', 'remind', 'delete', 'series', 'undo'),
      pick: fc.nat(),
      text: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim().length > 0),
    });
    const ops = fc.sample(op, { numRuns: 120, seed: 20261129 });
    for (const o of ops) {
      const user = users[o.user] as string;
      const token = app.token(user);
      const mine = tasks.filter((x) => x.user === user);
      const pick = mine[o.pick % Math.max(1, mine.length)];
      try {
        if (o.kind === 'create' || !pick) {
          const body = {
            title: o.text,
            due_date: new Date(Date.now() + (1 + (o.pick % 48)) * 3_600_000).toISOString(),
            reminders: o.pick % 2 ? [{ before: 'PT30M' }] : [],
          };
          tasks.push({ user, id: (await api(target, token, 'POST', '/tasks', body)).id as string });
        } else if (o.kind === 'series') {
          tasks.push({
            user,
            id: (
              await api(target, token, 'POST', '/tasks', {
                title: o.text,
                due_date: new Date(Date.now() + 86_400_000).toISOString(),
                recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,TH',
                reminders: [{ before: 'PT1H' }],
              })
            ).id as string,
          });
        } else if (o.kind === 'patch')
          await api(target, token, 'PATCH', `/tasks/${pick.id}`, {
            title: o.text,
            due_date: new Date(Date.now() + (2 + (o.pick % 72)) * 3_600_000).toISOString(),
          });
        else if (o.kind === 'undo') {
          // The task's latest completion, delete or edit, undone with compensating events (when it still can be).
          const history = (await api(target, token, 'GET', `/tasks/${pick.id}/history?limit=1000`)).events as {
            event_id: string;
            event_type: string;
            data: { corrects?: string; reason?: string };
          }[];
          const last = history.findLast(
            (e) =>
              ['task.completed', 'task.deleted', 'task.updated'].includes(e.event_type) &&
              e.data.corrects === undefined &&
              e.data.reason === undefined,
          );
          if (last) await api(target, token, 'POST', `/tasks/${pick.id}/undo`, { event_id: last.event_id });
        } else if (o.kind === 'remind')
          await api(target, token, 'POST', `/tasks/${pick.id}/reminders`, {
            at: new Date(Date.now() + 7_200_000).toISOString(),
          });
        else
          await api(
            target,
            token,
            o.kind === 'delete' ? 'DELETE' : 'POST',
            o.kind === 'delete' ? `/tasks/${pick.id}` : `/tasks/${pick.id}/${o.kind}`,
          );
      } catch (error) {
        if (!/→ 4\d\d/.test(String(error))) throw error; // domain refusals (completing a series, a deleted task) are part of the workload
      }
    }
    const unpublished = async () =>
      (await app.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE published_at IS NULL'))
        .rows[0]?.n;
    await eventuallyValue(unpublished, (n) => n === 0, {
      what: 'every event published to the topic',
      timeoutMs: 30_000,
      intervalMs: 200,
    });

    const corrections = (
      await app.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE data ? 'corrects'`)
    ).rows[0]?.n;
    t.true((corrections ?? 0) > 0, 'the log holds undo corrections');
    const clean = await replay({ kafka, topic, db: app.app.db });
    t.true(clean.tasks >= 20, `${clean.tasks} tasks replayed`);
    t.deepEqual(clean.mismatches, []);
    t.is(clean.unpublished, 0);

    const cli = path.join(import.meta.dirname, '..', '..', 'host', 'replay.ts');
    const env = {
      ...process.env,
      KAFKA_BROKERS: local.kafkaBrokers.join(','),
      KAFKA_TOPIC: topic,
      DATABASE_URL: app.database?.url ?? '',
      NODE_ENV: 'test',
      DATA_DIR: app.dataDir,
    };
    const ok = await run(process.execPath, ['--import', 'tsx', cli], { env });
    t.regex(ok.stdout, /every task rebuilt from the topic equals its row in PostgreSQL/);

    const victim = tasks[0] as { user: string; id: string };
    await app.app.db.query(`UPDATE tasks SET title = 'changed behind the log' WHERE id = $1`, [victim.id]);
    const tampered = await replay({ kafka, topic, db: app.app.db });
    t.deepEqual(
      tampered.mismatches.map((m) => [m.taskId, m.problem, m.fields]),
      [[victim.id, 'differs', ['title']]],
    );
    const failed = await t.throwsAsync(run(process.execPath, ['--import', 'tsx', cli], { env }));
    t.is((failed as unknown as { code: number }).code, 1);
    t.regex((failed as unknown as { stdout: string }).stdout, new RegExp(`task ${victim.id} .*differs \\[title\\]`));
  },
);

/** Waits (with a deadline) until the relay has published every committed event. */
async function allPublished(target: TestApp): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = (
      await target.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE published_at IS NULL')
    ).rows[0]?.n;
    if (n === 0) return;
    if (Date.now() > deadline) throw new Error(`${n} events still unpublished`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial(
  'both ways: marked published but never produced is missing from the topic; history the topic no longer holds is not checkable; --from-db rebuilds all',
  async (t) => {
    t.timeout(180_000);
    // A topic the app creates itself, with one partition, so where its retained history begins is one record.
    const own = `replay-retention-${randomUUID()}`;
    moreTopics.push(own);
    const second = await startTestApp({
      env: { KAFKA_BROKERS: local.kafkaBrokers.join(','), KAFKA_TOPIC: own, KAFKA_PARTITIONS: '1' },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const target: Target = { url: second.url, token: second.token, label: 'replay-retention' };
      const token = second.token(`dee-${randomUUID()}`);
      const old = await api(target, token, 'POST', '/tasks', {
        title: 'old',
        reminders: [{ at: new Date(Date.now() + 86_400_000).toISOString() }],
      });
      await api(target, token, 'PATCH', `/tasks/${old.id as string}`, { title: 'old, edited' });
      await allPublished(second);
      const [{ high: oldEnd } = { high: '0' }] = await admin.fetchTopicOffsets(own);
      t.true(Number(oldEnd) >= 3, `the old task's events are on the topic (offsets 0..${oldEnd})`);
      const fresh = await api(target, token, 'POST', '/tasks', { title: 'fresh' });
      await allPublished(second);
      // What retention does after 7 days, now: the records before the fresh task's are gone.
      await admin.deleteTopicRecords({ topic: own, partitions: [{ partition: 0, offset: oldEnd }] });
      t.is((await admin.fetchTopicOffsets(own))[0]?.low, oldEnd);

      // The relay stops: what is written from here stays in the outbox...
      await second.app.relay.stop();
      const pending = await api(target, token, 'POST', '/tasks', { title: 'still in the outbox' });
      // ...unless marked published by something that never produced it.
      const lost = await api(target, token, 'POST', '/tasks', { title: 'marked, never produced' });
      await api(target, token, 'POST', `/tasks/${lost.id as string}/complete`);
      await second.app.db.query('UPDATE events SET published_at = now() WHERE aggregate_id = $1', [lost.id]);

      const report = await replay({ kafka, topic: own, db: second.app.db });
      t.deepEqual(
        report.mismatches.map((m) => [m.taskId, m.problem, m.detail]),
        [[lost.id, 'missing_on_topic', 'versions marked published but not on the topic: 1,2']],
      );
      t.deepEqual(
        report.notCheckable.map((n) => [n.taskId, n.reason]),
        [[old.id, RETENTION_REASON]],
      );
      t.is(report.matched, 2, 'the fresh task from the topic, the pending one from the outbox');
      t.is(report.unpublished, 1);
      t.deepEqual(report.retention, { trimmed: true, emptyPartitions: [] });
      t.is(report.tasks, 4);
      t.false(
        [fresh.id, pending.id].some(
          (id) => report.mismatches.some((m) => m.taskId === id) || report.notCheckable.some((n) => n.taskId === id),
        ),
      );

      // The events table is the permanent log: every task, the old one included, rebuilds to its row.
      const full = await replay({ db: second.app.db, fromDb: true });
      t.like(full, { source: 'database', tasks: 4, matched: 4, mismatches: [], notCheckable: [], unpublished: 1 });

      const cli = path.join(import.meta.dirname, '..', '..', 'host', 'replay.ts');
      const env = {
        ...process.env,
        KAFKA_BROKERS: local.kafkaBrokers.join(','),
        KAFKA_TOPIC: own,
        DATABASE_URL: second.database?.url ?? '',
        NODE_ENV: 'test',
        DATA_DIR: second.dataDir,
      };
      const failed = await t.throwsAsync(run(process.execPath, ['--import', 'tsx', cli], { env }));
      t.is((failed as unknown as { code: number }).code, 1);
      const out = (failed as unknown as { stdout: string }).stdout;
      t.regex(
        out,
        new RegExp(
          `1 tasks not checkable: history older than the topic's retention[^\\n]*\\n  task ${old.id as string} `,
        ),
      );
      t.regex(out, new RegExp(`task ${lost.id as string} .*missing_on_topic`));
      const fromDb = await run(process.execPath, ['--import', 'tsx', cli, '--from-db'], {
        env: { ...env, KAFKA_BROKERS: '' },
      });
      t.regex(fromDb.stdout, /every task rebuilt from the events table equals its row in PostgreSQL \(4 tasks\)/);

      // --from-db finds a row changed behind the log too, and the old task is checkable there.
      await second.app.db.query(`UPDATE tasks SET title = 'changed behind the log' WHERE id = $1`, [old.id]);
      const tampered = await replay({ db: second.app.db, fromDb: true });
      t.deepEqual(
        tampered.mismatches.map((m) => [m.taskId, m.problem, m.fields]),
        [[old.id, 'differs', ['title']]],
      );
    } finally {
      await admin.disconnect();
      await second.stop();
    }
  },
);
