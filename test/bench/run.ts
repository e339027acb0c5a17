// npm run bench [-- --quick] [-- --only=ceiling,throughput,latency,brokercpu,sockets,reminders,backfill,recurrence]
//   [-- --shapes=embedded,direct+kafka,dapr] [-- --workloads=patch,post,post+reminders] [-- --group-commit=both]
// Measures tasklane on this machine and prints one table (markdown, as the README shows it); writes
// test/bench/results/latest.json. For each shape and workload: commands/s, its ratio to the ceiling
// measured in the same run (before and after that shape, held to the mean of the two), p50/p99, and CPU seconds per 1,000 commands of the app, PostgreSQL (the
// backends of the run's own database), the Kafka broker and daprd (test/bench/cpu.ts). Progress goes to
// stderr. Figures are reported, never asserted: goals are in the README beside them.
import os from 'node:os';
import { writeFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import {
  startBenchApp,
  seedTasks,
  patchWorkload,
  createWorkload,
  summary,
  sleep,
  progress,
  type BenchApp,
  type BenchStorage,
  type Shape,
  connectMany,
  WORKLOAD_USERS,
} from './harness.ts';
import { replay } from '../../host/replay-core.ts';
import { freePostgres } from '../helpers/db-url.ts';
import { openDb } from '../../host/db/index.ts';
import { wsUrl } from '../helpers/socket.ts';
import { recurrenceBench } from './recurrence.ts';
import { brokerCpuBench, drained } from './broker-cpu.ts';
import { CpuMeter, per1000, type CpuReading } from './cpu.ts';
import { readPid } from '../../deploy/local/lib/proc.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const SECTIONS = ['ceiling', 'throughput', 'latency', 'brokercpu', 'sockets', 'reminders', 'backfill', 'recurrence'];
const only =
  args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',') ?? SECTIONS;
for (const name of only)
  if (!SECTIONS.includes(name)) throw new Error(`--only: no section "${name}" (sections: ${SECTIONS.join(', ')})`);
const DURATION = quick ? 8 : 30;
/** Seconds the shared broker is watched with the app idle before each load, to take its other users' CPU out. */
const IDLE = quick ? 3 : 6;
const loadAtStart = os.loadavg();
const results: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadavg_at_start: loadAtStart.map(round2),
  },
  at: new Date().toISOString(),
  quick,
};

/** One line of the table. CPU columns are seconds per 1,000 commands (or events, as the row says). */
interface Row {
  section: string;
  what: string;
  shape?: string;
  rate?: string;
  ratio?: string;
  p50?: string;
  p99?: string;
  app?: string;
  postgres?: string;
  kafka?: string;
  daprd?: string;
  notes?: string;
}
const rows: Row[] = [];
const COLUMNS: [keyof Row, string][] = [
  ['what', 'what'],
  ['shape', 'shape'],
  ['rate', 'rate'],
  ['ratio', '× ceiling'],
  ['p50', 'p50 ms'],
  ['p99', 'p99 ms'],
  ['app', 'CPU s/1k: app'],
  ['postgres', 'PostgreSQL'],
  ['kafka', 'Kafka'],
  ['daprd', 'daprd'],
  ['notes', 'notes'],
];

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
const cpuCell = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(2));
const int = (x: number) => Math.round(x).toLocaleString('en-US');

// ------------------------------------------------------------------ ceiling
/** One measurement of the ceiling: transactions per second and CPU seconds per 1,000 of them. */
interface CeilingRun {
  rate: number;
  cpu: CpuReading;
}

/**
 * The ceiling, measured once: the transaction every command's write contains, alone, on the same
 * PostgreSQL. The bench measures it before the throughput section and again after each shape: on a
 * shared machine it wanders by up to a third between runs minutes apart, so each shape is held to the
 * mean of the two measurements around it (see `bracketed`).
 */
async function ceiling(): Promise<CeilingRun> {
  progress(
    `ceiling: "update task + seq bump + insert event" transactions on the same PostgreSQL, pool 20, 32 workers, ${DURATION} s`,
  );
  const database = await freePostgres();
  const name = new URL(database.url).pathname.slice(1);
  const db = await openDb({ databaseUrl: database.url, poolSize: 20 });
  // The same shape as the API workload: 200 users with 5 tasks each.
  const ids: [string, string][] = [];
  for (let u = 0; u < 200; u++) {
    await db.query('INSERT INTO users (id) VALUES ($1)', [`c${u}`]);
    // The user's Inbox comes with the user row; every task belongs to a list.
    const inbox = (await db.query<{ id: string }>('SELECT id FROM lists WHERE user_id = $1 AND inbox', [`c${u}`]))
      .rows[0]?.id;
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.push([`c${u}`, id]);
      await db.query(
        `INSERT INTO tasks (id, user_id, list_id, title, version, shared_version, created_at, updated_at) VALUES ($1, $2, $3, 't', 1, 1, now(), now())`,
        [id, `c${u}`, inbox],
      );
    }
  }
  const pool = new pg.Pool({ connectionString: database.url, max: 20 });
  pool.on('error', () => undefined);
  // Measured after the shape before it: its writes are flushed first, so this run does not pay for them.
  await pool.query('CHECKPOINT').catch((error: unknown) => progress(`ceiling: CHECKPOINT refused (${String(error)})`));
  let done = 0;
  const meter = new CpuMeter({ postgresDatabase: name }).start();
  const until = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: 32 }, async (_, w) => {
      let i = w;
      while (Date.now() < until) {
        i += 7;
        const [user, id] = ids[i % ids.length] as [string, string];
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const v = await client.query<{ version: number }>(
            `UPDATE tasks SET title = $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version`,
            [id, `t${i}`],
          );
          const seq = await client.query<{ last_seq: string }>(
            'UPDATE users SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq',
            [user],
          );
          await client.query(
            `INSERT INTO events (event_id, user_id, seq, aggregate_type, aggregate_id, version, event_type, data, correlation_id, "timestamp")
          VALUES ($1, $2, $3, 'task', $4, $5, 'task.updated', '{"changes":{}}', $6, now())`,
            [randomUUID(), user, seq.rows[0]?.last_seq, id, v.rows[0]?.version, randomUUID()],
          );
          await client.query('COMMIT');
          done++;
        } finally {
          client.release();
        }
      }
    }),
  );
  const cpu = per1000(meter.stop(), done);
  await pool.end();
  await db.close();
  await database.drop();
  const rate = done / DURATION;
  progress(`ceiling: ${rate.toFixed(0)} tx/s`);
  return { rate, cpu };
}

const ceilings: CeilingRun[] = [];
async function measureCeiling(): Promise<number> {
  const run = await ceiling();
  ceilings.push(run);
  return run.rate;
}

/** The ceiling's table row and results entry, from every measurement of this run; first in the table. */
function ceilingRow(): void {
  if (ceilings.length === 0) return;
  const mean = (f: (c: CeilingRun) => number | undefined) => {
    const known = ceilings.map(f).filter((x): x is number => x !== undefined);
    return known.length ? known.reduce((sum, x) => sum + x, 0) / known.length : undefined;
  };
  const rates = ceilings.map((c) => c.rate);
  const rate = mean((c) => c.rate) ?? 0;
  const spread = (Math.max(...rates) - Math.min(...rates)) / rate;
  const cpu = { postgres: mean((c) => c.cpu.postgres), loadgen: mean((c) => c.cpu.loadgen) };
  rows.unshift({
    section: 'ceiling',
    what: 'ceiling: update task + seq bump + insert event, one transaction each (BEGIN, 3 statements, COMMIT)',
    shape: 'PostgreSQL',
    rate: `${int(rate)} tx/s`,
    ratio: '1.00',
    postgres: cpuCell(cpu.postgres),
    notes:
      ceilings.length > 1
        ? `mean of ${ceilings.length} measurements, before the throughput runs and after each shape (${rates.map(int).join(', ')} tx/s; spread ${(spread * 100).toFixed(0)}% of the mean); each shape's × ceiling is over the two around it; pool 20, 32 workers in the bench process (its CPU ${cpuCell(cpu.loadgen)} s/1k)`
        : `pool 20, 32 workers in the bench process (its CPU ${cpuCell(cpu.loadgen)} s/1k)`,
  });
  results.ceiling = { tx_per_s: rate, runs_tx_per_s: rates, cpu_s_per_1000_tx: cpu };
}

// ------------------------------------------------------------------ throughput
// --workloads=patch,post,post+reminders (default patch,post); --group-commit=both adds each shape run
// again with GROUP_COMMIT=off (one commit per command), in the same run, beside the ceiling.
type Workload = 'patch' | 'post' | 'post+reminders';
const workloads = (args
  .find((a) => a.startsWith('--workloads='))
  ?.slice(12)
  .split(',') ?? ['patch', 'post']) as Workload[];
const shapes = (args
  .find((a) => a.startsWith('--shapes='))
  ?.slice(9)
  .split(',') ?? ['direct+kafka', 'dapr', 'embedded']) as Shape[];
const groupCommitBoth = args.includes('--group-commit=both');
const WORKLOAD_LABEL: Record<Workload, string> = {
  patch: 'PATCH /tasks/{id}',
  post: 'POST /tasks',
  'post+reminders': 'POST /tasks (due date + 1 reminder)',
};
const SHAPE_LABEL: Record<Shape, string> = {
  'direct+kafka': 'direct + Kafka, PostgreSQL',
  dapr: 'Dapr, PostgreSQL',
  embedded: 'embedded PGlite',
};

/** A throughput row whose × ceiling waits for the ceiling measured after its shape (see `bracketed`). */
interface Measured {
  label: string;
  rate: number;
  row: Row;
  entry: { ratio_to_ceiling: number | null; ceiling_tx_per_s: number | null };
}

/** Sets each measured row's × ceiling: its rate over `ceilingRate` (the bracket's mean), and says it. */
function bracketed(measured: Measured[], ceilingRate: number | undefined): void {
  for (const m of measured) {
    const ratio = ceilingRate ? m.rate / ceilingRate : undefined;
    m.row.ratio = ratio ? ratio.toFixed(2) : '';
    m.entry.ratio_to_ceiling = ratio ?? null;
    m.entry.ceiling_tx_per_s = ceilingRate ?? null;
    if (ratio)
      progress(`throughput (${m.label}): ${ratio.toFixed(2)}× the ceiling around it (${int(ceilingRate ?? 0)} tx/s)`);
  }
}

async function throughput(shape: Shape, groupCommit = true): Promise<Measured[]> {
  const measured: Measured[] = [];
  const variant = `${shape}${groupCommit ? '' : ' (group commit off)'}`;
  progress(`throughput (${variant}): starting the app`);
  const app = await startBenchApp(shape, groupCommit ? {} : { GROUP_COMMIT: 'off' });
  // The stack's broker (shared): its CPU while this app is idle is measured first and taken out.
  const kafkaPid = shape === 'embedded' ? undefined : readPid('kafka');
  // One socket per user, as a user's browser would hold: each event of the run must reach its user's
  // socket exactly once (counted per seq, from the user's last_seq before the load to after it).
  const users = [...WORKLOAD_USERS];
  const received = new Map<string, Map<number, number>>();
  let clients: Nes.Client[] = [];
  try {
    for (const workload of workloads) {
      let meter: CpuMeter | undefined;
      let kafkaIdlePerS = 0;
      let started = 0;
      let before = new Map<string, number>();
      const beforeLoad = async () => {
        if (clients.length === 0)
          clients = await connectMany(app, users, 1, (_socket, user, m) => {
            const seqs = received.get(user) ?? new Map<number, number>();
            seqs.set(m.seq, (seqs.get(m.seq) ?? 0) + 1);
            received.set(user, seqs);
          });
        before = await lastSeqsOf(app, users);
        await drained(app.url, 60_000).catch(() =>
          progress('throughput: the seed had not reached the broker after 60 s; measuring anyway'),
        );
        if (kafkaPid) {
          const idle = new CpuMeter({ kafka: kafkaPid }).start();
          await sleep(IDLE * 1000);
          kafkaIdlePerS = (idle.stop().kafka ?? 0) / IDLE;
        }
        progress(`throughput (${variant}): ${WORKLOAD_LABEL[workload]}, 32 keep-alive connections, ${DURATION} s`);
        meter = new CpuMeter({
          app: app.pid,
          postgresDatabase: app.databaseName,
          kafka: kafkaPid,
          daprd: app.daprdPid,
        }).start();
        started = performance.now();
      };
      const result =
        workload === 'patch'
          ? await patchWorkload(app, DURATION, { beforeLoad })
          : await createWorkload(app, DURATION, { reminders: workload === 'post+reminders', beforeLoad });
      const elapsed = (performance.now() - started) / 1000;
      const gross: CpuReading = meter?.stop() ?? {};
      const used: CpuReading = {
        ...gross,
        ...(gross.kafka !== undefined ? { kafka: Math.max(0, gross.kafka - kafkaIdlePerS * elapsed) } : {}),
      };
      const ok = result['2xx'];
      const rate = ok / DURATION;
      const errors = result.non2xx + result.errors;
      const delivery = await deliveredOnce(app, users, before, received);
      const cpu = per1000(used, ok);
      progress(`throughput (${variant}): ${WORKLOAD_LABEL[workload]} ${rate.toFixed(0)}/s, ${errors} errors`);
      const row: Row = {
        section: 'throughput',
        what: WORKLOAD_LABEL[workload],
        shape: `${SHAPE_LABEL[shape]}${groupCommit ? '' : ', group commit off'}`,
        rate: `${int(rate)}/s`,
        p50: String(result.latency.p50),
        p99: String(result.latency.p99),
        app: cpuCell(cpu.app),
        postgres: cpuCell(cpu.postgres),
        kafka: cpuCell(cpu.kafka),
        daprd: cpuCell(cpu.daprd),
        notes: `${errors} errors; ${delivery.events} events on their users' sockets, ${delivery.missing} missing, ${delivery.twice} twice${shape === 'embedded' ? '; the database runs in a worker thread of the app' : ''}`,
      };
      rows.push(row);
      const entry = {
        commands_per_s: rate,
        ratio_to_ceiling: null as number | null,
        ceiling_tx_per_s: null as number | null,
        latency_ms: { p50: result.latency.p50, p99: result.latency.p99 },
        non2xx: result.non2xx,
        errors: result.errors,
        delivery,
        cpu_s_per_1000_commands: cpu,
        cpu_s: gross,
        kafka_idle_cpu_s_per_s: kafkaIdlePerS,
        seconds: elapsed,
      };
      results.throughput ??= {} as Record<string, unknown>;
      (results.throughput as Record<string, unknown>)[`${variant} ${workload}`] = entry;
      measured.push({ label: `${variant}, ${WORKLOAD_LABEL[workload]}`, rate, row, entry });
    }
  } finally {
    for (const c of clients) await c.disconnect();
    await app.stop((storage) => replayAfterRun(shape, variant, storage));
  }
  return measured;
}

/** Each user's last_seq now, from GET /me (the API works the same on every shape). */
async function lastSeqsOf(app: BenchApp, users: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < users.length; i += 20)
    await Promise.all(
      users.slice(i, i + 20).map(async (user) => {
        const me = (await (
          await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${app.token(user)}` } })
        ).json()) as { last_seq: number };
        out.set(user, me.last_seq);
      }),
    );
  return out;
}

/**
 * Waits (up to 30 s) until every event the load wrote, by each user's seq range, is on that user's socket,
 * and counts what is missing then and what arrived twice.
 */
async function deliveredOnce(
  app: BenchApp,
  users: string[],
  before: Map<string, number>,
  received: Map<string, Map<number, number>>,
): Promise<{ events: number; missing: number; twice: number }> {
  const after = await lastSeqsOf(app, users);
  const count = () => {
    let events = 0;
    let missing = 0;
    let twice = 0;
    for (const user of users) {
      const seqs = received.get(user);
      for (let seq = (before.get(user) ?? 0) + 1; seq <= (after.get(user) ?? 0); seq++) {
        events++;
        const n = seqs?.get(seq) ?? 0;
        if (n === 0) missing++;
        if (n > 1) twice++;
      }
    }
    return { events, missing, twice };
  };
  for (const deadline = Date.now() + 30_000; count().missing > 0 && Date.now() < deadline; ) await sleep(200);
  return count();
}

/** After the app has stopped: every task rebuilt from the events table must equal its row (host/replay-core.ts). */
async function replayAfterRun(shape: Shape, variant: string, storage: BenchStorage): Promise<void> {
  progress(`throughput (${variant}): replaying the run's events against the database`);
  const db = await openDb(
    storage.databaseUrl ? { databaseUrl: storage.databaseUrl, poolSize: 2 } : { dataDir: storage.pgliteDir },
  );
  try {
    const report = await replay({ db, fromDb: true });
    const mismatches = report.mismatches.length;
    progress(`throughput (${variant}): replay ${report.matched}/${report.tasks} tasks match, ${mismatches} mismatches`);
    rows.push({
      section: 'throughput',
      what: 'replay after the run: every task rebuilt from its events vs its row',
      shape: SHAPE_LABEL[shape],
      notes: `${report.tasks} tasks, ${report.events} events; ${report.matched} match, ${mismatches} mismatches`,
    });
    results.replay ??= {} as Record<string, unknown>;
    (results.replay as Record<string, unknown>)[variant] = {
      tasks: report.tasks,
      events: report.events,
      matched: report.matched,
      mismatches,
    };
  } finally {
    await db.close();
  }
}

// ------------------------------------------------------------------ delivery latency
async function latency(): Promise<void> {
  const users = [...WORKLOAD_USERS];
  const perUser = 5;
  const rate = 1000;
  const seconds = quick ? 8 : 20;
  progress(
    `delivery latency: commit → socket at ${rate} events/s for ${seconds} s, ${users.length * perUser} sockets over ${users.length} users (direct + Kafka, private topic)`,
  );
  const app = await startBenchApp('direct+kafka');
  try {
    const tasks = await seedTasks(app, users.length, 2);
    await drained(app.url).catch(() => undefined);
    const samples: number[] = [];
    const seen = new Map<number, Set<number>>();
    let received = 0;
    let measuring = false;
    const clients = await connectMany(app, users, perUser, (socket, _user, m) => {
      if (!measuring) return;
      samples.push(Date.now() - Date.parse(m.timestamp));
      received++;
      const set = seen.get(socket) ?? new Set<number>();
      set.add(m.seq);
      seen.set(socket, set);
    });
    const before = await lastSeqsOf(app, users);
    measuring = true;
    let n = 0;
    const tokens = new Map(users.map((u) => [u, app.token(u)]));
    const result = await autocannon({
      url: app.url,
      connections: 32,
      duration: seconds,
      overallRate: rate,
      requests: [
        {
          method: 'PATCH',
          setupRequest: (req) => {
            const [user, id] = tasks[n++ % tasks.length] as [string, string];
            return {
              ...req,
              path: `/tasks/${id}`,
              headers: { authorization: `Bearer ${tokens.get(user) ?? ''}`, 'content-type': 'application/json' },
              body: JSON.stringify({ title: `t${n}` }),
            };
          },
        },
      ],
    });
    const after = await lastSeqsOf(app, users);
    // Every socket should get each of its user's new events once: wait for the tail, up to 15 s.
    const written = users.reduce((sum, u) => sum + (after.get(u) ?? 0) - (before.get(u) ?? 0), 0);
    const expected = written * perUser;
    const distinct = () => [...seen.values()].reduce((sum, s) => sum + s.size, 0);
    for (const deadline = Date.now() + 15_000; distinct() < expected && Date.now() < deadline; ) await sleep(200);
    measuring = false;
    const duplicates = received - distinct();
    const missing = Math.max(0, expected - distinct());
    const hub = (
      (await fetch(`${app.url}/ready`).then(
        (r) => r.json(),
        () => ({}),
      )) as { realtime?: { delivered?: number; duplicates_dropped?: number } }
    ).realtime;
    await Promise.all(clients.map((c) => c.disconnect()));
    const s = summary(samples);
    const achieved = result['2xx'] / seconds;
    const held =
      achieved >= rate * 0.95
        ? `${rate} events/s held`
        : `highest rate held ${int(achieved)} events/s of ${rate} asked`;
    progress(
      `delivery latency: ${achieved.toFixed(0)} events/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${missing} missing, ${duplicates} twice`,
    );
    rows.push({
      section: 'latency',
      what: `delivery commit → socket, ${int(clients.length)} sockets over ${users.length} users`,
      shape: SHAPE_LABEL['direct+kafka'],
      rate: `${int(achieved)} events/s`,
      p50: String(s.p50),
      p99: String(s.p99),
      notes: `${held}; p95 ${s.p95} ms; ${s.n} deliveries, ${missing} missing, ${duplicates} twice on a socket; hub dropped ${hub?.duplicates_dropped ?? '?'} duplicate copies; ${result.non2xx + result.errors} errors`,
    });
    results.latency = {
      sockets: clients.length,
      events_per_s_asked: rate,
      events_per_s: achieved,
      events: written,
      deliveries: s.n,
      expected_deliveries: expected,
      missing,
      duplicates_on_a_socket: duplicates,
      hub,
      ms: s,
    };
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
    rows.push({
      section: 'sockets',
      what: 'sockets held by one instance',
      shape: SHAPE_LABEL['direct+kafka'],
      rate: `${int(clients.length)} sockets`,
      notes: `connected in ${seconds.toFixed(1)} s; RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB, ${perSocketKb.toFixed(1)} KB/socket`,
    });
    results.sockets = {
      held: clients.length,
      connect_s: seconds,
      rss_mb: { before, after },
      kb_per_socket: perSocketKb,
    };
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
    await seedTasks(app, 100, count / 100, (i) => ({
      title: `r${i}`,
      due_date: due,
      reminders: [{ at: new Date(minute + ((i * 997) % 60_000)).toISOString() }],
    }));
    progress(`reminders: seeded; waiting for ${new Date(minute).toISOString()} + 60 s`);
    while (Date.now() < minute + 65_000) await sleep(1000);
    const pool = new pg.Pool({ connectionString: app.databaseUrl });
    pool.on('error', () => undefined);
    let fired = 0;
    for (let wait = 0; wait < 60 && fired < count; wait++) {
      fired = Number(
        (await pool.query(`SELECT count(*) AS n FROM events WHERE event_type = 'reminder.triggered'`)).rows[0]?.n ?? 0,
      );
      if (fired < count) await sleep(1000);
    }
    const late = await pool.query<{ late: number }>(
      `SELECT (data->>'late_ms')::int AS late FROM events WHERE event_type = 'reminder.triggered'`,
    );
    const dup = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT data->>'reminder_id' FROM events WHERE event_type = 'reminder.triggered' GROUP BY 1 HAVING count(*) > 1) d`,
    );
    await pool.end();
    const s = summary(late.rows.map((r) => r.late));
    rows.push({
      section: 'reminders',
      what: `${int(count)} reminders due in one minute, lateness`,
      shape: 'direct, PostgreSQL',
      p50: String(s.p50),
      p99: String(s.p99),
      notes: `max ${s.max} ms; ${fired}/${count} fired, ${dup.rows[0]?.n} duplicates`,
    });
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
    const lastSeq = (
      (await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as {
        last_seq: number;
      }
    ).last_seq;
    await client.disconnect();
    for (let i = 0; i < 1000; i++)
      await fetch(`${app.url}/tasks/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `m${i}` }),
      });
    const started = performance.now();
    const again = new Nes.Client(wsUrl(app.url));
    await again.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false });
    await again.subscribe('/events', () => undefined);
    let got = 0;
    for (let after = lastSeq, more = true; more; ) {
      const page = (await fetch(`${app.url}/events?after=${after}&limit=1000`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.json())) as { events: unknown[]; next_after: number; has_more: boolean };
      got += page.events.length;
      after = page.next_after;
      more = page.has_more;
    }
    const ms = performance.now() - started;
    await again.disconnect();
    rows.push({
      section: 'backfill',
      what: 'reconnect + backfill of 1,000 missed events',
      shape: SHAPE_LABEL['direct+kafka'],
      notes: `${ms.toFixed(0)} ms; ${got} events recovered`,
    });
    results.backfill = { missed: 1000, recovered: got, ms };
  } finally {
    await app.stop();
  }
}

let ceilingBefore: number | undefined;
if (only.includes('ceiling')) ceilingBefore = await measureCeiling();
try {
  if (only.includes('throughput')) {
    // Each shape between two measurements of the ceiling, held to their mean. Embedded is held to the
    // PostgreSQL ceiling too (issue 14: ≥ 0.5× of it).
    for (const shape of shapes) {
      const measured = await throughput(shape);
      if (groupCommitBoth && shape !== 'dapr') measured.push(...(await throughput(shape, false)));
      const ceilingAfter = ceilingBefore === undefined ? undefined : await measureCeiling();
      bracketed(measured, ceilingBefore && ceilingAfter ? (ceilingBefore + ceilingAfter) / 2 : undefined);
      ceilingBefore = ceilingAfter;
    }
  }
} finally {
  // The ceilings measured so far are in the table even when a shape failed.
  ceilingRow();
}
if (only.includes('latency')) await latency();
if (only.includes('brokercpu')) {
  const { result } = await brokerCpuBench(quick);
  rows.push({
    section: 'brokercpu',
    what: 'Kafka broker CPU per 1,000 events (a private broker, PATCH at a fixed rate)',
    shape: SHAPE_LABEL['direct+kafka'],
    rate: `${int(result.events_per_s)} events/s`,
    kafka: cpuCell(result.cpu_s_per_1000_events.net_of_idle),
    notes: `net of the broker's idle CPU; gross ${cpuCell(result.cpu_s_per_1000_events.gross)} s/1k`,
  });
  results.broker_cpu = result;
}
if (only.includes('sockets')) await sockets();
if (only.includes('reminders')) await reminders();
if (only.includes('backfill')) await backfill();
if (only.includes('recurrence')) {
  const { row, result } = await recurrenceBench(quick);
  rows.push({
    section: 'recurrence',
    what: row[0],
    shape: 'embedded PGlite, in-process',
    p50: result.preview_ms.p50.toFixed(1),
    p99: result.preview_ms.p99.toFixed(1),
    notes: `${row[1]}; ${row[2]}`,
  });
  results.recurrence = result;
}

const loadAtEnd = os.loadavg();
(results.machine as Record<string, unknown>).loadavg_at_end = loadAtEnd.map(round2);
const cells = (r: Row) => COLUMNS.map(([key]) => String(r[key] ?? '').replaceAll('|', '\\|'));
const widths = COLUMNS.map(([key, title], i) =>
  Math.max(title.length, ...rows.map((r) => cells(r)[i]?.length ?? 0), key === 'notes' ? 0 : 3),
);
const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(
  `\ntasklane bench — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(results.machine as { memGb: number }).memGb} GB, Node ${process.version}${quick ? ', --quick' : ''}; load average (1 min) ${loadAtStart[0]?.toFixed(1)} at the start, ${loadAtEnd[0]?.toFixed(1)} at the end`,
);
console.log(
  "× ceiling: commands/s over the ceiling measured in this run (embedded: over the PostgreSQL ceiling). CPU: seconds per 1,000 commands (events where the row says so); PostgreSQL = the backends of the run's own database; Kafka = the stack broker net of its idle CPU, or a private broker.\n",
);
console.log(line(COLUMNS.map(([, title]) => title)));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(cells(r)));
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
// A partial run (--only) updates its sections of the saved results and keeps the others'.
const file = path.join(dir, 'latest.json');
const partial = args.some((a) => a.startsWith('--only='));
const previous =
  partial && existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { table?: Row[] })
    : {};
const keep = (Array.isArray(previous.table) ? previous.table : []).filter(
  (r) => typeof r === 'object' && r !== null && !only.includes(r.section),
);
writeFileSync(file, `${JSON.stringify({ ...previous, ...results, table: [...keep, ...rows] }, null, 2)}\n`);
process.exit(0);
