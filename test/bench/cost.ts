// What one command costs, independent of how busy the machine is: CPU seconds per 1,000 commands of the
// app and of PostgreSQL (the run's own database's backends), and PostgreSQL round trips, statements and
// transactions per command, under a load at a FIXED rate (so batching is the same run to run, and the
// run loads a shared machine less than a throughput run). Wall-clock rates mean little on a busy machine;
// these figures move only when the code does.
//
// npx tsx test/bench/cost.ts [--shape=direct+kafka|embedded|dapr] [--workload=patch|post|post+reminders]
//   [--rate=300] [--seconds=10] [--env=NAME=value,…] [--sockets] (one subscribed socket per user, as the
//   throughput section holds: delivery's cost shows too)
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  startBenchApp,
  patchWorkload,
  createWorkload,
  progress,
  sleep,
  connectMany,
  WORKLOAD_USERS,
  type Shape,
} from './harness.ts';
import { CpuMeter, per1000, type CpuReading } from './cpu.ts';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const shape = (arg('shape') ?? 'direct+kafka') as Shape;
const workload = arg('workload') ?? 'patch';
const rate = Number(arg('rate') ?? 300);
const seconds = Number(arg('seconds') ?? 10);
const withSockets = args.includes('--sockets');
const env = Object.fromEntries(
  (arg('env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const countFile = path.join(os.tmpdir(), `tasklane-cost-${process.pid}.json`);

interface Counts {
  roundTrips: number;
  statements: number;
  byText: Record<string, number>;
}

const app = await startBenchApp(shape, { ...env, COUNT_QUERIES_FILE: countFile }, [
  '--import',
  'tsx',
  '--import',
  path.join(import.meta.dirname, 'count-queries.ts'),
]);

/** The app's counts so far (it writes them on SIGUSR2). */
async function counts(): Promise<Counts> {
  rmSync(countFile, { force: true });
  process.kill(app.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    try {
      return JSON.parse(readFileSync(countFile, 'utf8')) as Counts;
    } catch {
      await sleep(20);
    }
  }
  throw new Error('the app did not write its query counts');
}

/** Committed transactions of the run's database (pg_stat_database, as of the last stats flush). */
async function commits(): Promise<number> {
  if (!app.databaseUrl) return 0;
  const client = new pg.Client({ connectionString: app.databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const r = await client.query<{ n: string }>(
      'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(r.rows[0]?.n ?? 0) - 1; // not this statement's own
  } finally {
    await client.end();
  }
}

let meter: CpuMeter | undefined;
let before: Counts = { roundTrips: 0, statements: 0, byText: {} };
let commits0 = 0;
let clients: Awaited<ReturnType<typeof connectMany>> = [];
let received = 0;
const beforeLoad = async () => {
  if (withSockets)
    clients = await connectMany(app, [...WORKLOAD_USERS], 1, () => {
      received++;
    });
  received = 0;
  commits0 = await commits();
  before = await counts();
  meter = new CpuMeter({
    app: app.pid,
    ...(app.databaseName ? { postgresDatabase: app.databaseName } : {}),
    ...(app.daprdPid ? { daprd: app.daprdPid } : {}),
  }).start();
};
progress(`cost (${shape}): ${workload} at ${rate}/s for ${seconds} s`);
let used: CpuReading = {};
let after: Counts = before;
let ok = 0;
let latency = { p50: 0, p99: 0 };
try {
  const result =
    workload === 'patch'
      ? await patchWorkload(app, seconds, { beforeLoad, rate })
      : await createWorkload(app, seconds, { beforeLoad, rate, reminders: workload === 'post+reminders' });
  used = meter?.stop() ?? {};
  after = await counts();
  await sleep(1500); // backends flush their stats at most once a second
  ok = result['2xx'];
  latency = { p50: result.latency.p50, p99: result.latency.p99 };
  const committed = (await commits()) - commits0 - 2; // two of counts()' reads are not the load's
  const cpu = per1000(used, ok);
  const f = (n: number | undefined, d = 2) => (n === undefined ? '-' : n.toFixed(d));
  console.log(
    JSON.stringify({
      shape,
      workload,
      rate,
      seconds,
      commands: ok,
      ...(withSockets ? { socket_messages: received } : {}),
      non2xx: result.non2xx,
      errors: result.errors,
      p50_ms: latency.p50,
      p99_ms: latency.p99,
      cpu_s_per_1000: {
        app: f(cpu.app),
        postgres: f(cpu.postgres),
        ...(app.daprdPid ? { daprd: f(cpu.daprd) } : {}),
        loadgen: f(cpu.loadgen),
      },
      per_command: {
        round_trips: f((after.roundTrips - before.roundTrips) / ok),
        statements: f((after.statements - before.statements) / ok),
        commits: app.databaseUrl ? f(committed / ok) : '-',
      },
      round_trips_per_command_by_statement: Object.fromEntries(
        Object.entries(after.byText)
          .map(([text, n]) => [text, (n - (before.byText[text] ?? 0)) / ok] as const)
          .filter(([, n]) => n >= 0.005)
          .sort((a, b) => b[1] - a[1])
          .map(([text, n]) => [text, f(n, 3)]),
      ),
    }),
  );
} finally {
  for (const c of clients) await c.disconnect();
  await app.stop();
  rmSync(countFile, { force: true });
}
