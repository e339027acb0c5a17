// CPU seconds used by the processes behind one bench measurement, read from /proc while it runs:
// the app (its process), PostgreSQL (the backends connected to the bench's own database, found with
// `pgrep -f postgres` and told apart by the database name in their process title), the Kafka broker
// (its pid) and daprd (its pid), plus this process (the load generator) from process.cpuUsage().
// Processes are sampled every `intervalMs`, so a backend that starts during the window counts in
// full, and one that ends during it loses at most its last interval.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat fields 14 and 15; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * PostgreSQL processes (`pgrep -f postgres`) whose process title names `database`
 * ("postgres: <user> <database> <host>(<port>) <state>"): the backends serving that database only,
 * not the server's shared helpers (walwriter, checkpointer) nor other databases' backends.
 */
export function postgresBackends(database: string): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', 'postgres'], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    const pid = Number(line);
    if (!pid) continue;
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (title.startsWith('postgres: ') && title.split(/\s+/)[2] === database) pids.push(pid);
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

export interface CpuSources {
  app?: number;
  /** The database name whose backends count as PostgreSQL. */
  postgresDatabase?: string;
  kafka?: number;
  daprd?: number;
}

export type CpuGroup = 'app' | 'postgres' | 'kafka' | 'daprd' | 'loadgen';
export type CpuReading = Partial<Record<CpuGroup, number>>;

/** Measures the CPU seconds of `sources` between start() and stop(). */
export class CpuMeter {
  private last = new Map<string, number>();
  private used = new Map<CpuGroup, number>();
  private timer: NodeJS.Timeout | undefined;
  private load0: NodeJS.CpuUsage | undefined;

  constructor(
    private readonly sources: CpuSources,
    private readonly intervalMs = 500,
  ) {}

  private pids(): [CpuGroup, number][] {
    const s = this.sources;
    return [
      ...(s.app ? [['app', s.app] as [CpuGroup, number]] : []),
      ...(s.kafka ? [['kafka', s.kafka] as [CpuGroup, number]] : []),
      ...(s.daprd ? [['daprd', s.daprd] as [CpuGroup, number]] : []),
      ...(s.postgresDatabase
        ? postgresBackends(s.postgresDatabase).map((pid) => ['postgres', pid] as [CpuGroup, number])
        : []),
    ];
  }

  /** Reads every process; a process first seen after the start counts from zero (it started in the window). */
  private sample(first: boolean): void {
    for (const [group, pid] of this.pids()) {
      const now = cpuSeconds(pid);
      if (now === undefined) continue;
      const key = `${group}:${pid}`;
      const before = this.last.get(key) ?? (first ? now : 0);
      this.used.set(group, (this.used.get(group) ?? 0) + Math.max(0, now - before));
      this.last.set(key, now);
    }
  }

  start(): this {
    this.sample(true);
    this.used.clear();
    this.load0 = process.cpuUsage();
    this.timer = setInterval(() => this.sample(false), this.intervalMs);
    return this;
  }

  stop(): CpuReading {
    clearInterval(this.timer);
    this.sample(false);
    const load = process.cpuUsage(this.load0);
    const out: CpuReading = { loadgen: (load.user + load.system) / 1e6 };
    if (this.sources.app) out.app = this.used.get('app') ?? 0;
    if (this.sources.postgresDatabase) out.postgres = this.used.get('postgres') ?? 0;
    if (this.sources.kafka) out.kafka = this.used.get('kafka') ?? 0;
    if (this.sources.daprd) out.daprd = this.used.get('daprd') ?? 0;
    return out;
  }
}

/** CPU seconds per 1,000 units of work (commands, events), per group. */
export function per1000(reading: CpuReading, units: number): CpuReading {
  const out: CpuReading = {};
  for (const [group, seconds] of Object.entries(reading) as [CpuGroup, number][])
    out[group] = units > 0 ? (seconds / units) * 1000 : Number.NaN;
  return out;
}
