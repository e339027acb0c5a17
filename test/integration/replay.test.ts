// Replay after a random workload: every task rebuilt from the topic equals its row; a row changed
// behind the log's back is found; the CLI says so with its exit code.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { api, type Target } from '../helpers/timer-scenarios.ts';
import { local } from '../../deploy/local/lib/endpoints.ts';
import { replay } from '../../host/replay-core.ts';

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
test.after.always(async () => {
  await app?.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

const run = promisify(execFile);

test.serial('after a random workload, replay finds no mismatch; a tampered row is reported by task and field', async (t) => {
  t.timeout(180_000);
  const target: Target = { url: app.url, token: app.token, label: 'replay' };
  const users = ['ann', 'ben', 'cy'].map((u) => `${u}-${randomUUID()}`);
  const tasks: { user: string; id: string }[] = [];
  const op = fc.record({ user: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom('create', 'patch', 'complete', 'uncomplete', 'remind', 'delete', 'series'), pick: fc.nat(), text: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim().length > 0) });
  const ops = fc.sample(op, { numRuns: 120, seed: 20261129 });
  for (const o of ops) {
    const user = users[o.user] as string;
    const token = app.token(user);
    const mine = tasks.filter((x) => x.user === user);
    const pick = mine[o.pick % Math.max(1, mine.length)];
    try {
      if (o.kind === 'create' || !pick) {
        const body = { title: o.text, due_date: new Date(Date.now() + (1 + (o.pick % 48)) * 3_600_000).toISOString(), reminders: o.pick % 2 ? [{ before: 'PT30M' }] : [] };
        tasks.push({ user, id: (await api(target, token, 'POST', '/tasks', body)).id as string });
      } else if (o.kind === 'series') {
        tasks.push({ user, id: (await api(target, token, 'POST', '/tasks', { title: o.text, due_date: new Date(Date.now() + 86_400_000).toISOString(), recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,TH', reminders: [{ before: 'PT1H' }] })).id as string });
      } else if (o.kind === 'patch') await api(target, token, 'PATCH', `/tasks/${pick.id}`, { title: o.text, due_date: new Date(Date.now() + (2 + (o.pick % 72)) * 3_600_000).toISOString() });
      else if (o.kind === 'remind') await api(target, token, 'POST', `/tasks/${pick.id}/reminders`, { at: new Date(Date.now() + 7_200_000).toISOString() });
      else await api(target, token, o.kind === 'delete' ? 'DELETE' : 'POST', o.kind === 'delete' ? `/tasks/${pick.id}` : `/tasks/${pick.id}/${o.kind}`);
    } catch (error) {
      if (!/→ 4\d\d/.test(String(error))) throw error; // domain refusals (completing a series, a deleted task) are part of the workload
    }
  }
  const deadline = Date.now() + 30_000;
  while ((await app.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE published_at IS NULL')).rows[0]?.n !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));

  const clean = await replay({ kafka, topic, db: app.app.db });
  t.true(clean.tasks >= 20, `${clean.tasks} tasks replayed`);
  t.deepEqual(clean.mismatches, []);
  t.is(clean.unpublished, 0);

  const cli = path.join(import.meta.dirname, '..', '..', 'host', 'replay.ts');
  const env = { ...process.env, KAFKA_BROKERS: local.kafkaBrokers.join(','), KAFKA_TOPIC: topic, DATABASE_URL: app.database?.url ?? '', NODE_ENV: 'test', DATA_DIR: app.dataDir };
  const ok = await run(process.execPath, ['--import', 'tsx', cli], { env });
  t.regex(ok.stdout, /every task rebuilt from the topic equals its row in PostgreSQL/);

  const victim = tasks[0] as { user: string; id: string };
  await app.app.db.query(`UPDATE tasks SET title = 'changed behind the log' WHERE id = $1`, [victim.id]);
  const tampered = await replay({ kafka, topic, db: app.app.db });
  t.deepEqual(tampered.mismatches.map((m) => [m.taskId, m.problem, m.fields]), [[victim.id, 'differs', ['title']]]);
  const failed = await t.throwsAsync(run(process.execPath, ['--import', 'tsx', cli], { env }));
  t.is((failed as unknown as { code: number }).code, 1);
  t.regex((failed as unknown as { stdout: string }).stdout, new RegExp(`task ${victim.id} .*differs \\[title\\]`));
});
