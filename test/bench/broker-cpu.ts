// Kafka broker CPU per 1,000 events: how busy the broker is per message the app writes (relay produce,
// realtime consumer fetches and offset commits). Runs the direct + Kafka shape against a PRIVATE broker
// (test/helpers/kafka-broker.ts), so the stack's shared broker — and whatever else uses it — does not
// count; reads that broker's CPU time from /proc/<pid>/stat (utime + stime, in clock ticks) before and
// after a PATCH load at a fixed rate, and again over an idle spell of the same length, and reports
// broker CPU seconds per 1,000 events gross and net of idle.
//
// `npm run bench -- --only=brokercpu` (run.ts calls brokerCpuBench); standalone: `npx tsx test/bench/broker-cpu.ts [--quick]`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startBenchApp, seedTasks, sleep, progress } from './harness.ts';
import { privateBroker } from '../helpers/kafka-broker.ts';
import { readPid } from '../../deploy/local/lib/proc.ts';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat fields 14 and 15. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** The local stack's Kafka broker process (deploy/local/lib/services.ts records it), if the stack started it. */
export function stackKafkaPid(): number | undefined {
  return readPid('kafka');
}

export interface BrokerCpuResult {
  events: number;
  events_per_s: number;
  seconds: number;
  broker_cpu_s: { load: number; idle: number };
  cpu_s_per_1000_events: { gross: number; net_of_idle: number };
}

/** Polls the app's /ready until the outbox is empty (every written event went to the broker). */
export async function drained(url: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const body = (await fetch(`${url}/ready`).then(
      (r) => r.json(),
      () => ({}),
    )) as { outbox_backlog?: number };
    if (body.outbox_backlog === 0) return;
    await sleep(100);
  }
  throw new Error('the outbox did not drain');
}

export async function brokerCpuBench(
  quick: boolean,
): Promise<{ row: [string, string, string]; result: BrokerCpuResult }> {
  const seconds = quick ? 8 : 20;
  const rate = quick ? 300 : 1000;
  progress(
    `broker CPU: private Kafka broker, PATCH at ${rate}/s for ${seconds} s (direct + Kafka), idle spell of ${seconds} s`,
  );
  const broker = await privateBroker();
  try {
    const pid = broker.pid();
    if (pid === undefined) throw new Error('the private broker has no process');
    const app = await startBenchApp('direct+kafka', { KAFKA_BROKERS: broker.brokers });
    try {
      const tasks = await seedTasks(app, 200, 2);
      await drained(app.url);
      await sleep(2000); // the consumer has joined and settled
      const idle0 = cpuSeconds(pid);
      await sleep(seconds * 1000);
      const idle = cpuSeconds(pid) - idle0;
      const tokens = new Map(tasks.map(([u]) => [u, app.token(u)]));
      let n = 0;
      const load0 = cpuSeconds(pid);
      const started = Date.now();
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
                body: JSON.stringify({ title: `b${n}` }),
              };
            },
          },
        ],
      });
      await drained(app.url);
      await sleep(500); // the consumer's last fetches of the run
      const elapsed = (Date.now() - started) / 1000;
      const load = cpuSeconds(pid) - load0;
      const events = result['2xx'];
      // The idle spell was `seconds` long; the load window ran a little longer (drain): scale idle to it.
      const idleShare = idle * (elapsed / seconds);
      const per1000 = { gross: (load / events) * 1000, net_of_idle: (Math.max(0, load - idleShare) / events) * 1000 };
      const r: BrokerCpuResult = {
        events,
        events_per_s: events / seconds,
        seconds: elapsed,
        broker_cpu_s: { load, idle },
        cpu_s_per_1000_events: per1000,
      };
      return {
        row: [
          `Kafka broker CPU per 1,000 events (${(events / seconds).toFixed(0)} events/s)`,
          `${per1000.gross.toFixed(3)} s gross, ${per1000.net_of_idle.toFixed(3)} s net of idle`,
          `broker ${load.toFixed(2)} s over ${elapsed.toFixed(1)} s, idle ${idle.toFixed(2)} s over ${seconds} s; ${result.non2xx + result.errors} errors`,
        ],
        result: r,
      };
    } finally {
      await app.stop();
    }
  } finally {
    await broker.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { row, result } = await brokerCpuBench(process.argv.includes('--quick'));
  console.log(row.join('  '));
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
