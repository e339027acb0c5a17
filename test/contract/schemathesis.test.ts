// The OpenAPI document is held to the server: schemathesis (PyPI, pinned) runs every check over
// /docs/openapi.json against the app on PGlite, bounded in examples and time, with a fixed seed. Any
// finding fails the test and its report is printed. Settings: test/contract/schemathesis.toml.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApp } from '../helpers/app.ts';

const SCHEMATHESIS = '4.32.5';
const VENV = path.join(os.homedir(), '.cache', 'tasklane', `schemathesis-${SCHEMATHESIS}`);
const CONFIG = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schemathesis.toml');
/** Test cases per operation and phase (about 1,500 requests with the stateful phase). */
const MAX_EXAMPLES = 20;
const SEED = 20261129;
/**
 * In `npm test` every phase runs once with the fixed seed, so a run tests the same cases on a fast machine
 * and a busy one, and a finding reproduces. `CONTRACT_EXPLORE_S=<seconds>` (with `CONTRACT_SEED`) turns
 * it into an exploration: schemathesis repeats fuzzing and stateful phases until that budget is spent.
 */
const EXPLORE_S = Number(process.env.CONTRACT_EXPLORE_S ?? 0);
const seed = Number(process.env.CONTRACT_SEED ?? SEED);
/** A hang guard, not a timing goal: one cycle takes about a minute on an idle machine. */
const RUN_DEADLINE_MS = (EXPLORE_S + 600) * 1000;

/**
 * A venv with the pinned schemathesis, made once (python3 -m venv, pip from PyPI) and reused; its
 * `.ready` marker is written only after a complete install, so a broken one is made again.
 * Throws with pip's output when it cannot be made.
 */
function provision(): string {
  const st = path.join(VENV, 'bin', 'st');
  const marker = path.join(VENV, '.ready');
  if (existsSync(marker) && existsSync(st)) return st;
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(path.dirname(VENV), { recursive: true });
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', VENV]],
    [
      path.join(VENV, 'bin', 'pip'),
      ['install', '--disable-pip-version-check', '--quiet', `schemathesis==${SCHEMATHESIS}`],
    ],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) {
      throw new Error(
        `cannot provision schemathesis ${SCHEMATHESIS} (${command} ${args.join(' ')} → ${result.error?.message ?? `exit ${String(result.status)}`}):\n${result.stdout}${result.stderr}`,
      );
    }
  }
  writeFileSync(marker, `schemathesis==${SCHEMATHESIS}\n`);
  return st;
}

function run(
  command: string,
  args: string[],
  deadlineMs: number,
): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: os.tmpdir(),
      env: { ...process.env, NO_COLOR: '1', PYTHONUNBUFFERED: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

test('schemathesis finds nothing wrong with the server against its OpenAPI document', async (t) => {
  t.timeout(RUN_DEADLINE_MS + 330_000, 'provisioning schemathesis or the run exceeded its bound');
  const st = provision();
  const app = await startTestApp({ database: 'pglite' });
  t.teardown(() => app.stop());
  // An admin, so /admin/events is exercised beyond its 403.
  const token = app.token('contract-fuzzer', { admin: true });
  const result = await run(
    st,
    [
      '--config-file',
      CONFIG,
      'run',
      `${app.url}/docs/openapi.json`,
      '--checks',
      'all',
      '--header',
      `Authorization: Bearer ${token}`,
      '--max-examples',
      String(MAX_EXAMPLES),
      ...(EXPLORE_S > 0 ? ['--max-time', String(EXPLORE_S)] : []),
      '--seed',
      String(seed),
      '--workers',
      '1', // CPython 3.11 can fail parsing in parallel threads ("AST constructor recursion depth mismatch")
      '--request-timeout',
      '10',
      '--generation-database',
      'none',
      '--no-color',
    ],
    RUN_DEADLINE_MS,
  );
  if (result.timedOut || result.code !== 0) t.log(result.output);
  else
    t.log(
      result.output
        .split('\n')
        .filter((line) => /Test cases:|Tested:|Seed:|generated|passed|skipped/.test(line))
        .join('\n'),
    );
  t.false(result.timedOut, `schemathesis ran longer than ${RUN_DEADLINE_MS / 1000} s`);
  t.is(result.code, 0, 'schemathesis reported findings (printed above)');
  const doc = (await fetch(`${app.url}/docs/openapi.json`).then((r) => r.json())) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  t.true(operations >= 20, `the document lists ${operations} operations`);
  t.regex(result.output, new RegExp(`Tested: ${operations}\\b`), 'every documented operation was tested');
});
