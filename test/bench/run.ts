// npm run bench [-- --quick] [-- --only=ceiling,throughput,latency,brokercpu,sockets,reminders,backfill,recurrence]
//   [-- --shapes=embedded,direct+kafka,dapr] [-- --workloads=patch,post,post+reminders] [-- --group-commit=both]
// Measures tasklane on this machine and prints a table; writes test/bench/results/latest.json.
// Figures are reported, never asserted: goals are in the README beside them.
import os from 'node:os';
import { writeFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import { startBenchApp, seedTasks, patchWorkload, createWorkload, summary, sleep, progress, type BenchApp, type Shape } from './harness.ts';
import { freePostgres } from '../helpers/db-url.ts';
import { openDb } from '../../host/db/index.ts';
import { wsUrl } from '../helpers/socket.ts';
import { recurrenceBench } from './recurrence.ts';
import { brokerCpuBench } from './broker-cpu.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = (args.find((a) => a.startsWith('--only='))?.slice(7).split(',')) ?? ['ceiling', 'throughput', 'latency', 'brokercpu', 'sockets', 'reminders', 'backfill', 'recurrence'];
const DURATION = quick ? 8 : 30;
const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, at: new Date().toISOString(), quick };
const rows: [string, string, string][] = [];

// ------------------------------------------------------------------ ceiling
async function ceiling(): Promise<number> {
  progress(`ceiling: "update task + insert event" transactions on the same PostgreSQL, pool 20, 32 workers, ${DURATION} s`);
  const database = await freePostgres();
  const db = await openDb({ databaseUrl: database.url, poolSize: 20 });
  // The same shape as the API workload: 200 users with 5 tasks each.
  const ids: [string, string][] = [];
  for (let u = 0; u < 200; u++) {
    await db.query('INSERT INTO users (id) VALUES ($1)', [`c${u}`]);
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.push([`c${u}`, id]);
      await db.query(`INSERT INTO tasks (id, user_id, title, version, created_at, updated_at) VALUES ($1, $2, 't', 1, now(), now())`, [id, `c${u}`]);
    }
  }
  const pool = new pg.Pool({ connectionString: database.url, max: 20 });
  pool.on('error', () => undefined);
  let done = 0;
  const until = Date.now() + DURATION * 1000;
  await Promise.all(Array.from({ length: 32 }, async (_, w) => {
    let i = w;
    while (Date.now() < until) {
      i += 7;
      const [user, id] = ids[i % ids.length] as [string, string];
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const v = await client.query<{ version: number }>(`UPDATE tasks SET title = $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version`, [id, `t${i}`]);
        const seq = await client.query<{ last_seq: string }>('UPDATE users SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq', [user]);
        await client.query(`INSERT INTO events (event_id, user_id, seq, aggregate_type, aggregate_id, version, event_type, data, correlation_id, "timestamp")
          VALUES ($1, $2, $3, 'task', $4, $5, 'task.updated', '{"changes":{}}', $6, now())`, [randomUUID(), user, seq.rows[0]?.last_seq, id, v.rows[0]?.version, randomUUID()]);
        await client.query('COMMIT');
        done++;
      } finally {
        client.release();
      }
    }
  }));
  await pool.end();
  await db.close();
  await database.drop();
  const rate = done / DURATION;
  rows.push(['ceiling: update task + insert event + seq bump (PostgreSQL, 4 statements/tx)', `${rate.toFixed(0)} tx/s`, 'baseline']);
  results.ceiling = { tx_per_s: rate };
  return rate;
}

// ------------------------------------------------------------------ throughput
// --workloads=patch,post,post+reminders (default patch,post); --group-commit=both adds each shape run
// again with GROUP_COMMIT=off (one commit per command), in the same run, beside the ceiling.
type Workload = 'patch' | 'post' | 'post+reminders';
const workloads = (args.find((a) => a.startsWith('--workloads='))?.slice(12).split(',') ?? ['patch', 'post']) as Workload[];
const shapes = (args.find((a) => a.startsWith('--shapes='))?.slice(9).split(',') ?? ['embedded', 'direct+kafka', 'dapr']) as Shape[];
const groupCommitBoth = args.includes('--group-commit=both');
const WORKLOAD_LABEL: Record<Workload, string> = { patch: 'PATCH /tasks/{id}', post: 'POST /tasks', 'post+reminders': 'POST /tasks (due date + 1 reminder)' };

async function throughput(shape: Shape, ceilingRate: number | undefined, groupCommit = true): Promise<void> {
  const variant = `${shape}${groupCommit ? '' : ' (group commit off)'}`;
  progress(`throughput (${variant}): ${workloads.map((w) => WORKLOAD_LABEL[w]).join(', ')} through the API, 32 keep-alive connections, ${DURATION} s each`);
  const app = await startBenchApp(shape, groupCommit ? {} : { GROUP_COMMIT: 'off' });
  try {
    for (const workload of workloads) {
      const result = workload === 'patch' ? await patchWorkload(app, DURATION) : await createWorkload(app, DURATION, { reminders: workload === 'post+reminders' });
      const ok = result['2xx'];
      const rate = ok / DURATION;
      const errors = result.non2xx + result.errors;
      const name = workload === 'patch' ? `commands/s through the API: ${variant}` : `${WORKLOAD_LABEL[workload]}/s through the API: ${variant}`;
      rows.push([name, `${rate.toFixed(0)} /s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms)`, ceilingRate ? `${((rate / ceilingRate) * 100).toFixed(0)}% of ceiling; ${errors} errors` : `${errors} errors`]);
      (results.throughput ??= {} as Record<string, unknown>);
      const key = `${variant}${workload === 'patch' ? '' : ` ${workload}`}`;
      (results.throughput as Record<string, unknown>)[key] = { commands_per_s: rate, ratio_to_ceiling: ceilingRate ? rate / ceilingRate : null, latency_ms: { p50: result.latency.p50, p99: result.latency.p99 }, non2xx: result.non2xx, errors: result.errors };
    }
  } finally {
    await app.stop();
  }
}

// ------------------------------------------------------------------ delivery latency
async function connectMany(app: BenchApp, users: string[], perUser: number, onMessage: (user: string, m: { timestamp: string; seq: number }) => void): Promise<Nes.Client[]> {
  const clients: Nes.Client[] = [];
  const jobs: Promise<void>[] = [];
  for (const user of users) {
    for (let k = 0; k < perUser; k++) {
      jobs.push((async () => {
        const client = new Nes.Client(wsUrl(app.url));
        await client.connect({ auth: { headers: { authorization: `Bearer ${app.token(user)}` } }, reconnect: false, timeout: 20_000 });
        await client.subscribe('/events', (m: unknown) => onMessage(user, m as { timestamp: string; seq: number }));
        clients.push(client);
      })());
      if (jobs.length >= 100) await Promise.all(jobs.splice(0));
    }
  }
  await Promise.all(jobs);
  return clients;
}

async function latency(): Promise<void> {
  const users = Array.from({ length: 200 }, (_, i) => `bench-u${i}`);
  const rate = quick ? 300 : 1000;
  progress(`delivery latency: commit → socket at ${rate} events/s, ${users.length * 5} sockets over ${users.length} users (direct + Kafka)`);
  const app = await startBenchApp('direct+kafka');
  try {
    const tasks = await seedTasks(app, users.length, 2);
    const samples: number[] = [];
    let measuring = false;
    const clients = await connectMany(app, users, 5, (_u, m) => { if (measuring) samples.push(Date.now() - Date.parse(m.timestamp)); });
    measuring = true;
    let n = 0;
    const result = await autocannon({
      url: app.url, connections: 32, duration: quick ? 8 : 20, overallRate: rate,
      requests: [{ method: 'PATCH', setupRequest: (req) => {
        const [user, id] = tasks[n++ % tasks.length] as [string, string];
        return { ...req, path: `/tasks/${id}`, headers: { authorization: `Bearer ${app.token(user)}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: `t${n}` }) };
      } }],
    });
    await sleep(1000);
    measuring = false;
    await Promise.all(clients.map((c) => c.disconnect()));
    const s = summary(samples);
    const achieved = result['2xx'] / (quick ? 8 : 20);
    rows.push([`delivery commit → socket, ${clients.length} sockets, ${achieved.toFixed(0)} events/s`, `p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms`, `${s.n} deliveries`]);
    results.latency = { sockets: clients.length, events_per_s: achieved, deliveries: s.n, ms: s };
  } finally {
    await app.stop();
  }
}

// ------------------------------------------------------------------ sockets
async function sockets(): Promise<void> {
  const target = quick ? 2000 : 10_000;
  progress(`sockets: ${target} authenticated, subscribed WebSockets on one instance`);
  // PostgreSQL shape: PGlite's start-up would dominate the process's memory and hide the sockets.
  const app = await startBenchApp('direct+kafka');
  try {
    await sleep(5000);
    const before = app.rssMb();
    const users = Array.from({ length: target / 10 }, (_, i) => `sock-u${i}`);
    const started = Date.now();
    const clients = await connectMany(app, users, 10, () => undefined);
    const seconds = (Date.now() - started) / 1000;
    await sleep(3000);
    const after = app.rssMb();
    const perSocketKb = ((after - before) * 1024) / clients.length;
    rows.push([`sockets held by one instance`, `${clients.length} (connected in ${seconds.toFixed(1)} s)`, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB, ${perSocketKb.toFixed(1)} KB/socket`]);
    results.sockets = { held: clients.length, connect_s: seconds, rss_mb: { before, after }, kb_per_socket: perSocketKb };
    await Promise.all(clients.map((c) => c.disconnect()));
  } finally {
    await app.stop();
  }
}

// ------------------------------------------------------------------ reminders
async function reminders(): Promise<void> {
  const count = quick ? 2000 : 10_000;
  progress(`reminders: ${count} due in the same minute (direct runtime, PostgreSQL)`);
  const app = await startBenchApp('direct+kafka');
  try {
    const start = Date.now() + (quick ? 30_000 : 75_000);
    const minute = Math.ceil(start / 60_000) * 60_000;
    const due = new Date(minute + 3_600_000).toISOString();
    await seedTasks(app, 100, count / 100, (i) => ({ title: `r${i}`, due_date: due, reminders: [{ at: new Date(minute + (i * 997) % 60_000).toISOString() }] }));
    progress(`reminders: seeded; waiting for ${new Date(minute).toISOString()} + 60 s`);
    while (Date.now() < minute + 65_000) await sleep(1000);
    const pool = new pg.Pool({ connectionString: app.databaseUrl });
    pool.on('error', () => undefined);
    let fired = 0;
    for (let wait = 0; wait < 60 && fired < count; wait++) {
      fired = Number((await pool.query(`SELECT count(*) AS n FROM events WHERE event_type = 'reminder.triggered'`)).rows[0]?.n ?? 0);
      if (fired < count) await sleep(1000);
    }
    const late = await pool.query<{ late: number }>(`SELECT (data->>'late_ms')::int AS late FROM events WHERE event_type = 'reminder.triggered'`);
    const dup = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT data->>'reminder_id' FROM events WHERE event_type = 'reminder.triggered' GROUP BY 1 HAVING count(*) > 1) d`);
    await pool.end();
    const s = summary(late.rows.map((r) => r.late));
    rows.push([`${count} reminders due in one minute`, `lateness p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms`, `${fired}/${count} fired, ${dup.rows[0]?.n} duplicates`]);
    results.reminders = { count, fired, duplicates: Number(dup.rows[0]?.n), lateness_ms: s };
  } finally {
    await app.stop();
  }
}

// ------------------------------------------------------------------ backfill
async function backfill(): Promise<void> {
  progress('reconnect + backfill: 1,000 events missed while disconnected');
  const app = await startBenchApp('direct+kafka');
  try {
    const user = 'backfill-user';
    const [[, id] = ['', '']] = await seedTasks({ ...app, token: () => app.token(user) }, 1, 1);
    const token = app.token(user);
    const client = new Nes.Client(wsUrl(app.url));
    await client.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false });
    await client.subscribe('/events', () => undefined);
    await sleep(300);
    const lastSeq = ((await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { last_seq: number }).last_seq;
    await client.disconnect();
    for (let i = 0; i < 1000; i++) await fetch(`${app.url}/tasks/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: `m${i}` }) });
    const started = performance.now();
    const again = new Nes.Client(wsUrl(app.url));
    await again.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false });
    await again.subscribe('/events', () => undefined);
    let got = 0;
    for (let after = lastSeq, more = true; more;) {
      const page = await fetch(`${app.url}/events?after=${after}&limit=1000`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json()) as { events: unknown[]; next_after: number; has_more: boolean };
      got += page.events.length;
      after = page.next_after;
      more = page.has_more;
    }
    const ms = performance.now() - started;
    await again.disconnect();
    rows.push(['reconnect + backfill of 1,000 missed events', `${ms.toFixed(0)} ms`, `${got} events recovered`]);
    results.backfill = { missed: 1000, recovered: got, ms };
  } finally {
    await app.stop();
  }
}

let ceilingRate: number | undefined;
if (only.includes('ceiling')) ceilingRate = await ceiling();
if (only.includes('throughput')) {
  // Embedded is held to the PostgreSQL ceiling too (issue 14: ≥ 0.5× of it).
  for (const shape of shapes) {
    await throughput(shape, ceilingRate);
    if (groupCommitBoth && shape !== 'dapr') await throughput(shape, ceilingRate, false);
  }
}
if (only.includes('latency')) await latency();
if (only.includes('brokercpu')) {
  const { row, result } = await brokerCpuBench(quick);
  rows.push(row);
  results.broker_cpu = result;
}
if (only.includes('sockets')) await sockets();
if (only.includes('reminders')) await reminders();
if (only.includes('backfill')) await backfill();
if (only.includes('recurrence')) {
  const { row, result } = await recurrenceBench(quick);
  rows.push(row);
  results.recurrence = result;
}

const width = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
console.log(`\ntasklane bench — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${results.machine && (results.machine as { memGb: number }).memGb} GB, Node ${process.version}${quick ? ' (quick)' : ''}\n`);
for (const r of rows) console.log(`${r[0].padEnd(width[0] ?? 0)}  ${r[1].padEnd(width[1] ?? 0)}  ${r[2]}`);
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
// A partial run (--only) updates its sections of the saved results and keeps the others.
const file = path.join(dir, quick ? 'quick.json' : 'latest.json');
const partial = args.some((a) => a.startsWith('--only='));
const previous = partial && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { rows?: [string, string, string][] } : {};
const keep = (previous.rows ?? []).filter((r) => !rows.some((n) => n[0].split(':')[0]?.split(' ')[0] === r[0].split(':')[0]?.split(' ')[0] && n[0].slice(0, 12) === r[0].slice(0, 12)));
writeFileSync(file, `${JSON.stringify({ ...previous, ...results, rows: [...keep, ...rows] }, null, 2)}\n`);
process.exit(0);
