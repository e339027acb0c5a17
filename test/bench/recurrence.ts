// Bench section "recurrence": the hostile rule corpus (test/fixtures/recurrence-hostile.ts) through
// POST /recurrence/preview of an in-process app (embedded PGlite), so the event-loop delay measured
// here (perf_hooks.monitorEventLoopDelay) is the server's own. Reports the worst preview time, the
// event-loop delay p99 and max while the corpus runs, the worst /health answer meanwhile, and the
// status codes (goal: worst preview and delay p99 < 50 ms; every answer 200 or 400, never 5xx).
// Figures are reported, never asserted.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestApp } from '../helpers/app.ts';
import { HOSTILE_RULES } from '../fixtures/recurrence-hostile.ts';
import { summary, progress } from './harness.ts';

export interface RecurrenceBenchResult {
  requests: number;
  rounds: number;
  statuses: Record<string, number>;
  preview_ms: { p50: number; p99: number; max: number; worst_rule: string };
  event_loop_delay_ms: { p50: number; p99: number; max: number };
  health_max_ms: number;
}

/** Runs the corpus `rounds` times (quick: 2, else 10) and returns the row for the bench table and the figures. */
export async function recurrenceBench(
  quick: boolean,
): Promise<{ row: [string, string, string]; result: RecurrenceBenchResult }> {
  const rounds = quick ? 2 : 10;
  progress(
    `recurrence: ${HOSTILE_RULES.length} hostile rules × ${rounds} through POST /recurrence/preview (in-process app, embedded database)`,
  );
  const app = await startTestApp({ database: 'pglite' });
  try {
    const headers = { authorization: `Bearer ${app.token('bench-recurrence')}`, 'content-type': 'application/json' };
    const preview = async (c: (typeof HOSTILE_RULES)[number]): Promise<number> => {
      const body = {
        rule: c.rule,
        start: c.start,
        timezone: c.zone,
        limit: c.limit,
        ...(c.after ? { after: c.after } : {}),
      };
      const response = await fetch(`${app.url}/recurrence/preview`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      return response.status;
    };
    for (const c of HOSTILE_RULES) await preview(c); // warm-up: JIT, zone data

    const samples: number[] = [];
    const statuses: Record<string, number> = {};
    let worst = { ms: 0, rule: '' };
    let healthMax = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const started = performance.now();
        await fetch(`${app.url}/health`).then((r) => r.arrayBuffer());
        healthMax = Math.max(healthMax, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    for (let round = 0; round < rounds; round++) {
      for (const c of HOSTILE_RULES) {
        const started = performance.now();
        const status = await preview(c);
        const ms = performance.now() - started;
        samples.push(ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (ms > worst.ms) worst = { ms, rule: c.name };
      }
    }
    delay.disable();
    probing = false;
    await prober;

    const s = summary(samples);
    const loop = { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
    const result: RecurrenceBenchResult = {
      requests: samples.length,
      rounds,
      statuses,
      preview_ms: { p50: s.p50, p99: s.p99, max: Math.round(worst.ms * 10) / 10, worst_rule: worst.rule },
      event_loop_delay_ms: { p50: round1(loop.p50), p99: round1(loop.p99), max: round1(loop.max) },
      health_max_ms: round1(healthMax),
    };
    const codes = Object.entries(statuses)
      .map(([code, n]) => `${n}×${code}`)
      .join(', ');
    return {
      row: [
        `recurrence: ${HOSTILE_RULES.length} hostile rules × ${rounds}, POST /recurrence/preview`,
        `worst preview ${result.preview_ms.max} ms, event-loop delay p99 ${result.event_loop_delay_ms.p99} ms`,
        `goal < 50 ms; worst: ${worst.rule}; loop max ${result.event_loop_delay_ms.max} ms; /health max ${result.health_max_ms} ms; ${codes}`,
      ],
      result,
    };
  } finally {
    await app.stop();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

// Alone: `npx tsx test/bench/recurrence.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { row, result } = await recurrenceBench(process.argv.includes('--quick'));
  console.log(row.join('  '));
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
