// npm run stack:up | stack:down | stack:status | stack:logs [service] [--lines N]
// Runs PostgreSQL, Redis, Kafka (KRaft) and Dapr placement + scheduler as local processes on 127.0.0.1.
// Idempotent: a second `up` finds everything healthy and returns in seconds.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { SERVICES, type Service } from './lib/services.ts';
import { ServiceError, logFile, readPid, isAlive, stopRecorded, progress } from './lib/proc.ts';

async function up(): Promise<void> {
  const started = Date.now();
  const results = new Map<string, string>();
  const failures: string[] = [];
  const bring = async (service: Service) => {
    const t0 = Date.now();
    try {
      const how = await service.up();
      results.set(service.name, how);
      progress(`${service.name}: ${how} at ${service.endpoint()} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failures.push(error instanceof ServiceError ? error.message : `${service.name}: ${String(error)}`);
    }
  };
  // Dapr's control plane depends on nothing else here; run it beside the data services.
  const [pg, rd, kf, placement, scheduler] = SERVICES as [Service, Service, Service, Service, Service];
  await Promise.all([bring(pg), bring(rd), bring(kf), bring(placement).then(() => bring(scheduler))]);
  if (failures.length > 0) {
    process.stderr.write(`\nstack:up FAILED\n${failures.map((f) => `  ✗ ${f}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  progress(`all services healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function down(): Promise<void> {
  // Reverse order: the control plane first, the database last.
  for (const service of [...SERVICES].reverse()) {
    const result = await stopRecorded(service.name);
    progress(`${service.name}: ${result}`);
  }
}

async function status(): Promise<void> {
  const rows = await Promise.all(
    SERVICES.map(async (service) => {
      const pid = readPid(service.name);
      const owned = pid !== undefined && isAlive(pid);
      const healthy = await service.healthy();
      const state = healthy ? (owned ? 'up' : 'up (external)') : owned ? 'unhealthy' : 'down';
      return {
        service: service.name,
        state,
        pid: owned ? String(pid) : '-',
        endpoint: service.endpoint(),
        log: path.relative(process.cwd(), logFile(service.name)),
      };
    }),
  );
  const cols = ['service', 'state', 'pid', 'endpoint', 'log'] as const;
  const width = (c: (typeof cols)[number]) => Math.max(c.length, ...rows.map((r) => r[c].length));
  const line = (r: Record<(typeof cols)[number], string>) => cols.map((c) => r[c].padEnd(width(c))).join('  ');
  console.log(line({ service: 'service', state: 'state', pid: 'pid', endpoint: 'endpoint', log: 'log' }));
  for (const row of rows) console.log(line(row));
  if (rows.some((r) => !r.state.startsWith('up'))) process.exitCode = 1;
}

function logs(args: string[]): void {
  const linesAt = args.indexOf('--lines');
  const count = linesAt >= 0 ? Number(args[linesAt + 1] ?? 50) : 50;
  const wanted = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--lines');
  for (const service of SERVICES.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    const file = logFile(service.name);
    console.log(`==> ${service.name} (${path.relative(process.cwd(), file)}) <==`);
    console.log(
      existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n') : '(no log yet)',
    );
  }
}

const [command = 'status', ...rest] = process.argv.slice(2);
const commands: Record<string, () => Promise<void> | void> = { up, down, status, logs: () => logs(rest) };
const run = commands[command];
if (!run) {
  console.error(`usage: stack.ts up | down | status | logs [service] [--lines N]`);
  process.exit(2);
}
await run();
