// The OpenAPI document is held to the server: schemathesis (PyPI, pinned) runs every check over
// /docs/openapi.json against the app on PGlite, bounded in examples and time, with a fixed seed. Any
// finding fails the test and its report is printed. Settings: test/contract/schemathesis.toml.
// Operations on a task's reminder, a series' occurrences, an invitation or a list's owner have no link
// from the operation that makes what they need, so with made-up ids they only ever met 404: the test
// makes those things first (a task with reminders, one fired, a series, invitations, a shared list of the
// fuzzer's) and the settings hand their ids to those operations, so their own rules are fuzzed too.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/eventually.ts';

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

/**
 * Makes, as `fuzzer`, what the operations without a link need, and returns their ids by the names
 * test/contract/schemathesis.toml reads (`${CONTRACT_…}`). A second user owns the lists the fuzzer is
 * invited to and is an active member of the fuzzer's own shared list.
 * @throws Error naming the request that was not answered 2xx, or the reminder that did not fire in time.
 */
async function makeResources(app: TestApp, fuzzer: string): Promise<Record<string, string>> {
  const as = (user: string) => app.token(user);
  const owner = 'contract-owner';
  const send = async <T>(user: string, method: string, url: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${app.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${as(user)}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as T;
    if (!response.ok) throw new Error(`${method} ${url} → ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  };
  type Task = { id: string; reminders: { id: string }[] };
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  const task = await send<Task>(fuzzer, 'POST', '/tasks', {
    title: 'reminded',
    due_date: tomorrow,
    reminders: [{ before: 'PT1H' }, { at: new Date(Date.now() + 3_600_000).toISOString() }],
  });
  const fired = await send<Task>(fuzzer, 'POST', '/tasks', {
    title: 'fired',
    due_date: tomorrow,
    reminders: [{ at: new Date(Date.now() + 1000).toISOString() }],
  });
  const series = await send<Task>(fuzzer, 'POST', '/tasks', {
    title: 'series',
    due_date: tomorrow,
    recurrence_rule: 'FREQ=DAILY;COUNT=30',
  });
  const invite = async (name: string): Promise<string> => {
    const list = await send<{ id: string }>(owner, 'POST', '/lists', { name });
    await send(owner, 'POST', `/lists/${list.id}/members`, { user_id: fuzzer, role: 'editor' });
    return list.id;
  };
  const [toAccept, toDecline] = [await invite('to accept'), await invite('to decline')];
  const own = await send<{ id: string }>(fuzzer, 'POST', '/lists', { name: 'shared by the fuzzer' });
  await send(fuzzer, 'POST', `/lists/${own.id}/members`, { user_id: owner, role: 'editor' });
  await send(owner, 'POST', `/invitations/${own.id}/accept`);
  const firedId = fired.reminders[0]?.id ?? '';
  await eventually(
    async () =>
      (await send<{ reminders: { id: string }[] }>(fuzzer, 'GET', '/reminders?state=unacknowledged')).reminders.some(
        (r) => r.id === firedId,
      ),
    { what: 'the reminder one second ahead fired', timeoutMs: 60_000 },
  );
  return {
    CONTRACT_TASK: task.id,
    CONTRACT_REMINDER: task.reminders[0]?.id ?? '',
    CONTRACT_FIRED_TASK: fired.id,
    CONTRACT_FIRED_REMINDER: firedId,
    CONTRACT_SERIES: series.id,
    CONTRACT_INVITATION: toAccept,
    CONTRACT_INVITATION_DECLINED: toDecline,
    CONTRACT_LIST: own.id,
  };
}

function run(
  command: string,
  args: string[],
  deadlineMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: os.tmpdir(),
      env: { ...process.env, ...env, NO_COLOR: '1', PYTHONUNBUFFERED: '1' },
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
  const resources = await makeResources(app, 'contract-fuzzer');
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
    resources,
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
  // The ids reached their operations (a setting schemathesis could not apply would leave made-up ones):
  // the audit log holds the fuzzer's acceptance of the invitation and its acknowledgement of the reminder.
  const audited = async (type: string, aggregate: string): Promise<number> => {
    const query = new URLSearchParams({ user: 'contract-fuzzer', type, aggregate_id: aggregate });
    const page = (await fetch(`${app.url}/admin/events?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json())) as { events: unknown[] };
    return page.events.length;
  };
  t.true(
    (await audited('list.invitation_accepted', resources.CONTRACT_INVITATION ?? '')) > 0,
    'POST /invitations/{list_id}/accept reached the invitation the test made',
  );
  t.true(
    (await audited('reminder.acknowledged', resources.CONTRACT_FIRED_TASK ?? '')) > 0,
    'POST /tasks/{id}/reminders/{rid}/acknowledge reached the reminder the test made fire',
  );
});
