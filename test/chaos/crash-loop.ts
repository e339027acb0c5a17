// Crash loop for the embedded shape: the app runs as its own process (`npm start`'s command, on a temporary
// DATA_DIR and a free port), takes a burst of concurrent creates, is SIGKILLed while they are in flight, and
// starts again on the same folder (which also takes over the lock the killed process left). Every create it
// had acknowledged (201) must then be readable (GET /tasks/{id} → 200), in this round and all earlier ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { signToken } from '../../api/tokens.ts';
import { freePort } from '../helpers/ports.ts';
import { stopChild } from '../../deploy/local/lib/proc.ts';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

export interface CrashRound {
  round: number;
  sent: number;
  /** Creates answered 201 before the kill. */
  acknowledged: number;
  /** Creates that got no answer (the kill cut them) or an answer other than 201. */
  unanswered: number;
  /** Acknowledgements counted when SIGKILL was sent. */
  killed_after_acks: number;
  /** ms from spawn to /health answering, for the restart after this round's kill. */
  restart_ms: number;
  /** Acknowledged creates of this round and all earlier ones, checked after the restart. */
  checked: number;
  /** Of those, not found (404) or not readable: acknowledged writes lost. */
  lost: number;
  lost_ids: string[];
}

export interface CrashReport {
  rounds: CrashRound[];
  creates_per_round: number;
  sent: number;
  acknowledged: number;
  /** Distinct acknowledged creates found missing after any restart. */
  lost: number;
  /** A restart that failed (PGlite could not open the folder, lock refused, …): the child's stderr tail. */
  failure: string | undefined;
  started_at: string;
  duration_s: number;
}

export interface CrashOptions {
  rounds: number;
  creates: number;
  log?: (line: string) => void;
  /** How long one start may take before the run fails (ms). Default 180 000. */
  startTimeoutMs?: number;
}

interface Child {
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Starts `node --import tsx host/main.ts` directly (no npx/tsx wrapper, so SIGKILL reaches the lock holder). */
async function startChild(dataDir: string, secret: string, timeoutMs: number): Promise<Child & { startMs: number }> {
  const port = await freePort();
  const t0 = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...LAUNCH_ENV,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_SEC: '0',
    DAPR_PROBE: 'false',
  };
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'DAPR_HTTP_PORT', 'DAPR_GRPC_PORT', 'REDIS_URL', 'JWKS_URL'])
    delete env[name];
  const proc = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'host/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`the app exited while starting (code ${proc.exitCode}): ${err.trim()}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`the app did not answer /health within ${timeoutMs} ms: ${err.trim()}`);
    }
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { proc, url, exited, stderr: () => err, startMs: Date.now() - t0 };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Runs the loop; never throws for a lost write (it is counted), only reports a failed restart in `failure`. */
export async function runCrashLoop(options: CrashOptions): Promise<CrashReport> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.startTimeoutMs ?? 180_000;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-crash-'));
  const secret = randomBytes(32).toString('base64url');
  const token = signToken(secret, 'crash-user');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const started = Date.now();
  const rounds: CrashRound[] = [];
  const acknowledged: string[] = [];
  const lostEver = new Set<string>();
  let failure: string | undefined;
  let child: (Child & { startMs: number }) | undefined;
  try {
    log(`starting the embedded app on ${dataDir}`);
    child = await startChild(dataDir, secret, timeoutMs);
    log(`first start took ${(child.startMs / 1000).toFixed(1)} s`);
    for (let round = 1; round <= options.rounds; round++) {
      const current: Child = child;
      const ids: string[] = [];
      let unanswered = 0;
      // Kill once a share of the burst is acknowledged (varied per round), so the kill lands mid-burst.
      const killAt = Math.max(1, Math.round(options.creates * (0.1 + (0.5 * ((round * 7) % 10)) / 10)));
      let killedAfter = -1;
      const kill = () => {
        if (killedAfter >= 0) return;
        killedAfter = ids.length;
        current.proc.kill('SIGKILL');
      };
      await Promise.all(
        Array.from({ length: options.creates }, async (_, i) => {
          try {
            const res = await fetch(`${current.url}/tasks`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ title: `crash r${round} #${i}` }),
              signal: AbortSignal.timeout(60_000),
            });
            if (res.status === 201) {
              const body = (await res.json()) as { id: string };
              // The answer counts as acknowledged only if it arrived whole before the process died.
              ids.push(body.id);
              if (ids.length >= killAt) kill();
            } else {
              unanswered++;
            }
          } catch {
            unanswered++;
          }
        }),
      );
      kill(); // the whole burst answered before the threshold (it never is with a sane killAt): kill anyway
      await current.exited;
      acknowledged.push(...ids);
      try {
        child = await startChild(dataDir, secret, timeoutMs);
      } catch (error) {
        failure = `round ${round}: restart failed: ${(error as Error).message}`;
        log(failure);
        child = undefined;
        break;
      }
      const next: Child = child;
      const lostIds: string[] = [];
      await inBatches(acknowledged, 16, async (id) => {
        const res = await fetch(`${next.url}/tasks/${id}`, { headers, signal: AbortSignal.timeout(30_000) }).catch(
          () => undefined,
        );
        if (res?.status !== 200) {
          lostIds.push(id);
          lostEver.add(id);
        }
        await res?.arrayBuffer();
      });
      const row: CrashRound = {
        round,
        sent: options.creates,
        acknowledged: ids.length,
        unanswered,
        killed_after_acks: killedAfter,
        restart_ms: child.startMs,
        checked: acknowledged.length,
        lost: lostIds.length,
        lost_ids: lostIds.slice(0, 20),
      };
      rounds.push(row);
      log(
        `round ${round}/${options.rounds}: ${row.sent} sent, SIGKILL after ${row.killed_after_acks} acks, ${row.acknowledged} acknowledged, ` +
          `${row.unanswered} cut; restart ${(row.restart_ms / 1000).toFixed(1)} s; ${row.checked - row.lost}/${row.checked} acknowledged present`,
      );
    }
  } catch (error) {
    failure ??= (error as Error).message;
    log(`failed: ${failure}`);
  } finally {
    if (child && !(await stopChild(child.proc, { graceMs: 30_000 })).graceful)
      failure ??= 'the app did not exit within 30 s of SIGTERM at the end of the loop';
    rmSync(dataDir, { recursive: true, force: true });
  }
  const sum = (f: (r: CrashRound) => number) => rounds.reduce((n, r) => n + f(r), 0);
  return {
    rounds,
    creates_per_round: options.creates,
    sent: sum((r) => r.sent),
    acknowledged: sum((r) => r.acknowledged),
    lost: lostEver.size,
    failure,
    started_at: new Date(started).toISOString(),
    duration_s: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** The report as a fixed-width table, one row per round. */
export function crashTable(report: CrashReport): string {
  const head = ['round', 'sent', 'acked', 'cut', 'kill@acks', 'restart s', 'checked', 'lost'];
  const rows = report.rounds.map((r) =>
    [
      r.round,
      r.sent,
      r.acknowledged,
      r.unanswered,
      r.killed_after_acks,
      (r.restart_ms / 1000).toFixed(1),
      r.checked,
      r.lost,
    ].map(String),
  );
  rows.push(['total', String(report.sent), String(report.acknowledged), '', '', '', '', String(report.lost)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
