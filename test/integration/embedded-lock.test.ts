// One process owns the embedded database (issue 12, item 5): a second owner is refused at once, naming the
// holder; a lock left by a dead holder is taken over (also by exactly one of several racing starters); a
// folder PGlite cannot open is named with what to do; and SIGKILL during writes loses nothing acknowledged.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/ports.ts';
import { loadConfig } from '../../host/config.ts';
import { startApp } from '../../host/app.ts';
import { DataDirLockedError, lockDir, processStart, type LockOwner } from '../../host/db/lock.ts';
import { runCrashLoop } from '../chaos/crash-loop.ts';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a node process (with tsx) to its end. */
function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    proc.stdin.end();
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm start`'s command on a data folder, as its own process. */
async function npmStart(dataDir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...LAUNCH_ENV,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    JWT_SECRET: 'x'.repeat(32),
    LOG_LEVEL: 'error',
    DAPR_PROBE: 'false',
  };
  delete env.DATABASE_URL;
  delete env.KAFKA_BROKERS;
  delete env.DAPR_HTTP_PORT;
  return runNode([...NODE_FLAGS, 'host/main.ts'], env);
}

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['-e', '']);
    proc.once('exit', () => resolve(proc.pid!));
  });
}

function owner(over: Partial<LockOwner>): LockOwner {
  return {
    pid: process.pid,
    hostname: os.hostname(),
    bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    procStart: processStart(process.pid),
    startedAt: '2026-01-01T00:00:00.000Z',
    token: randomUUID(),
    ...over,
  };
}

function folder(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'pglite');
}

test('a second app on one DATA_DIR is refused at once, in another process and in this one, naming the holder; a damaged folder is named with what to do', async (t) => {
  t.timeout(240_000);
  const first = await startTestApp({ database: 'pglite' });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await first.stop();
  });
  const lockFile = path.join(first.dataDir, 'pglite.lock');
  t.true(existsSync(lockFile));

  const other = await npmStart(first.dataDir);
  t.is(other.code, 75, other.stderr);
  t.regex(other.stderr, /refusing to start: the embedded database .* is in use by another process/);
  t.true(other.stderr.includes(`pid ${process.pid} on host ${os.hostname()}`), other.stderr);
  t.true(other.stderr.includes(path.join(first.dataDir, 'pglite')), other.stderr);

  const sameProcess = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: first.dataDir,
    PORT: String(await freePort()),
    JWT_SECRET: first.secret,
    LOG_LEVEL: 'error',
  });
  const error = await t.throwsAsync(startApp(sameProcess), { instanceOf: DataDirLockedError });
  t.true(error?.sameProcess);
  t.regex(error?.message ?? '', new RegExp(`another app in this same process \\(pid ${process.pid}`));

  // The refusals left the holder serving.
  const created = await fetch(`${first.url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${first.token('u1')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'still mine' }),
  });
  t.is(created.status, 201);

  await first.halt();
  t.false(existsSync(lockFile), 'a graceful stop gives the lock back');

  // A folder PostgreSQL cannot start on: named, with what to do, and no lock left behind.
  rmSync(path.join(first.dataDir, 'pglite', 'global', 'pg_control'));
  const damaged = await npmStart(first.dataDir);
  t.is(damaged.code, 74, damaged.stderr);
  t.true(
    damaged.stderr.includes(`the embedded database in ${path.join(first.dataDir, 'pglite')} could not be opened`),
    damaged.stderr,
  );
  t.regex(damaged.stderr, /move it aside \(mv /);
  t.false(existsSync(lockFile));
  stopped = true;
  rmSync(first.dataDir, { recursive: true, force: true });
});

test('a lock left by a dead pid, a reused pid, an earlier boot, a silent remote host or a torn record is taken over', async (t) => {
  const dir = folder(t);
  const lockFile = `${dir}.lock`;
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
  t.teardown(() => live.kill('SIGKILL'));
  await new Promise((resolve) => live.once('spawn', resolve));
  const old = new Date(Date.now() - 10 * 60_000);
  const records: Record<string, string> = {
    'dead pid': JSON.stringify(owner({ pid: await deadPid(), procStart: undefined })),
    'reused pid': JSON.stringify(owner({ pid: live.pid!, procStart: '1' })),
    'earlier boot': JSON.stringify(
      owner({ pid: live.pid!, bootId: 'another-boot', procStart: processStart(live.pid!) }),
    ),
    'remote host, silent': JSON.stringify(owner({ hostname: `not-${os.hostname()}` })),
    'torn record': '{"pid": 12',
  };
  for (const [name, record] of Object.entries(records)) {
    writeFileSync(lockFile, record);
    if (name === 'remote host, silent') utimesSync(lockFile, old, old);
    const lock = await lockDir(dir);
    t.is((JSON.parse(readFileSync(lockFile, 'utf8')) as LockOwner).token, lock.owner.token, name);
    lock.release();
    t.false(existsSync(lockFile), name);
  }
});

test('a lock held by a live process, or by a remote host that keeps it fresh, is refused naming the holder', async (t) => {
  const dir = folder(t);
  const lockFile = `${dir}.lock`;
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
  t.teardown(() => live.kill('SIGKILL'));
  await new Promise((resolve) => live.once('spawn', resolve));
  // /proc/<pid>/stat is there once the child runs; the record is what the child would have written.
  const holder = owner({ pid: live.pid!, procStart: processStart(live.pid!) });
  writeFileSync(lockFile, JSON.stringify(holder));
  const error = await t.throwsAsync(lockDir(dir), { instanceOf: DataDirLockedError });
  t.is(error?.holder.pid, live.pid!);
  t.true(error?.message.includes(`pid ${live.pid} on host ${os.hostname()}, holding it since ${holder.startedAt}`));
  t.is(readFileSync(lockFile, 'utf8'), JSON.stringify(holder), "the live holder's lock is untouched");

  writeFileSync(lockFile, JSON.stringify(owner({ hostname: 'elsewhere' })));
  const remote = await t.throwsAsync(lockDir(dir), { instanceOf: DataDirLockedError });
  t.regex(remote?.message ?? '', /on host elsewhere/);
});

test('of several processes racing to take over one stale lock, exactly one wins', async (t) => {
  t.timeout(120_000);
  const dir = folder(t);
  writeFileSync(`${dir}.lock`, JSON.stringify(owner({ pid: await deadPid(), procStart: undefined })));
  // Each contender loads, says 'ready', waits for 'go' on stdin (so all try within the same moment), takes the
  // lock or is refused, prints which, and holds until its stdin closes.
  const script = `import { lockDir } from ${JSON.stringify(path.join(ROOT, 'host/db/lock.ts'))};
    console.log('ready');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    try { await lockDir(${JSON.stringify(dir)}); console.log('won'); } catch (e) { console.log(e.name); }
    process.stdin.on('end', () => process.exit(0));`;
  const contenders = Array.from({ length: 4 }, () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = { text: '', err: '' };
    proc.stdout.on('data', (c: Buffer) => {
      out.text += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      out.err += c.toString();
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    return { proc, out, exited };
  });
  t.teardown(() => {
    for (const c of contenders) c.proc.kill('SIGKILL');
  });
  const deadline = Date.now() + 90_000;
  const lines = (c: (typeof contenders)[number]) => c.out.text.split('\n').filter(Boolean);
  while (contenders.some((c) => lines(c).length < 1) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  for (const c of contenders) c.proc.stdin.write('go\n');
  while (contenders.some((c) => lines(c).length < 2) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const answers = contenders.map((c) => lines(c)[1]);
  for (const c of contenders) c.proc.stdin.end();
  await Promise.all(contenders.map((c) => c.exited));
  t.is(answers.filter((a) => a === 'won').length, 1, JSON.stringify(contenders.map((c) => c.out)));
  t.is(answers.filter((a) => a === 'DataDirLockedError').length, 3, JSON.stringify(contenders.map((c) => c.out)));
  t.false(existsSync(`${dir}.lock`), 'the winner gave the lock back when it exited');
});

test('SIGKILL during concurrent creates, then a restart on the same folder: nothing acknowledged is lost', async (t) => {
  t.timeout(480_000);
  const report = await runCrashLoop({ rounds: 2, creates: 50, log: (line) => t.log(line) });
  t.is(report.failure, undefined);
  t.is(report.rounds.length, 2);
  t.true(report.acknowledged > 0, 'some creates were acknowledged before each kill');
  t.true(
    report.rounds.every((r) => r.killed_after_acks >= 1 && r.killed_after_acks < r.sent),
    'each kill landed mid-burst',
  );
  t.is(report.lost, 0, JSON.stringify(report.rounds.map((r) => r.lost_ids)));
});
