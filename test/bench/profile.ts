// npm run bench:profile [-- --shape=direct+kafka|dapr|embedded] [-- --seconds=15] [-- --workload=patch|post|post+reminders]
// [-- --sockets] (one subscribed socket per user) [-- --env=NAME=value,…] (e.g. GROUP_COMMIT=off) [-- --rate=N] (requests/s; unset: as fast as answered)
// The throughput workload of `npm run bench` against an app started with --cpu-prof; prints where the
// app's CPU went (self time by function and by package) and keeps the .cpuprofile for Chrome DevTools.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  startBenchApp,
  patchWorkload,
  createWorkload,
  progress,
  connectMany,
  WORKLOAD_USERS,
  type Shape,
} from './harness.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const shape = (arg('shape') ?? 'direct+kafka') as Shape;
if (!['embedded', 'direct+kafka', 'dapr'].includes(shape))
  throw new Error(`--shape must be embedded, direct+kafka or dapr, not ${shape}`);
const seconds = Number(arg('seconds') ?? 15);
const rate = arg('rate') === undefined ? undefined : Number(arg('rate'));
const workload = arg('workload') ?? 'patch';
/** One subscribed socket per workload user (200), as the throughput section holds: delivery's CPU shows too. */
const withSockets = args.includes('--sockets');
if (!['patch', 'post', 'post+reminders'].includes(workload))
  throw new Error(`--workload must be patch, post or post+reminders, not ${workload}`);
const env = Object.fromEntries(
  (arg('env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const dir = path.join(
  import.meta.dirname,
  'results',
  'profiles',
  `${shape}-${new Date().toISOString().replaceAll(':', '-')}`,
);
mkdirSync(dir, { recursive: true });

const label =
  workload === 'patch'
    ? 'PATCH /tasks/{id}'
    : workload === 'post'
      ? 'POST /tasks'
      : 'POST /tasks with a due date and a reminder';
progress(
  `profile (${shape}): ${label}, 32 keep-alive connections, ${seconds} s, --cpu-prof into ${path.relative(process.cwd(), dir)}`,
);
const app = await startBenchApp(shape, env, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
let done = 0;
let clients: Awaited<ReturnType<typeof connectMany>> = [];
try {
  const beforeLoad = async () => {
    if (withSockets) clients = await connectMany(app, [...WORKLOAD_USERS], 1, () => undefined);
  };
  const options = { beforeLoad, ...(rate ? { rate } : {}) };
  const result =
    workload === 'patch'
      ? await patchWorkload(app, seconds, options)
      : await createWorkload(app, seconds, { reminders: workload === 'post+reminders', ...options });
  done = result['2xx'] / seconds;
} finally {
  for (const c of clients) await c.disconnect();
  await app.stop(); // SIGTERM: the app exits normally, so node writes the profile
}

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}: did the app exit normally?`);
const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
const total = profile.samples.length;

const where = (url: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  if (url.startsWith('node:') || url === '') return url === '' ? '(native / idle / gc)' : 'node core';
  // PGlite's Postgres (embedded shape), or undici's HTTP parser llhttp (the Dapr shape's calls to daprd).
  if (url.startsWith('wasm:')) return 'WebAssembly (PGlite, llhttp)';
  return `tasklane ${url.replace(/^.*\/work\/[^/]+\//, '').replace(/^file:\/\//, '')}`.split('/').slice(0, 2).join('/');
};
const fnKey = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'}  ${node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/[^/]+\//, '')}:${node.callFrame.lineNumber + 1}`;
const tally = (key: (node: ProfileNode) => string) => {
  const out = new Map<string, number>();
  for (const [id, hits] of self) {
    const node = byId.get(id);
    if (node) out.set(key(node), (out.get(key(node)) ?? 0) + hits);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1]);
};
const pct = (hits: number) => `${((hits / total) * 100).toFixed(1).padStart(5)}%`;

console.log(
  `\n${shape}, ${label}: ${done.toFixed(0)} commands/s while profiled (profiling slows the app)\n\nself time by package:`,
);
for (const [name, hits] of tally((node) => where(node.callFrame.url)).slice(0, 15))
  console.log(`  ${pct(hits)}  ${name}`);
console.log('\nself time by function:');
for (const [name, hits] of tally(fnKey).slice(0, 25)) console.log(`  ${pct(hits)}  ${name}`);
console.log(
  `\nfull profile: ${path.relative(process.cwd(), path.join(dir, file))} (open in Chrome DevTools → Performance)`,
);
