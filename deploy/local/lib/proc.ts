// Process and filesystem helpers for the local stack: detached services with recorded pids,
// health polling with a deadline, and an error that names the service and its log.
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { openSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
export const STACK_DIR = path.join(ROOT, '.stack');
export const LOG_DIR = path.join(STACK_DIR, 'logs');
export const PID_DIR = path.join(STACK_DIR, 'pids');

export class ServiceError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly logFile?: string,
  ) {
    super(`${service}: ${message}${logFile ? ` (log: ${path.relative(process.cwd(), logFile) || logFile})` : ''}`);
  }
}

export function logFile(service: string): string {
  mkdirSync(LOG_DIR, { recursive: true });
  return path.join(LOG_DIR, `${service}.log`);
}

export function pidFile(service: string): string {
  return path.join(PID_DIR, `${service}.pid`);
}

export function readPid(service: string): number | undefined {
  const file = pidFile(service);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * True once a child process has ended, by exiting or by a signal. A child killed by a signal keeps
 * `exitCode` null (only `signalCode` is set), so `exitCode !== null` alone waits forever for an 'exit'
 * that has already been emitted.
 */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Ends `child`: `signal` (default SIGTERM), then SIGKILL if it has not exited within `graceMs` (default
 * 30,000), and resolves once it has exited, with `graceful` false when SIGKILL was needed. Never throws.
 */
export async function stopChild(
  child: ChildProcess,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<{ graceful: boolean }> {
  if (hasExited(child)) return { graceful: true };
  const { signal = 'SIGTERM', graceMs = 30_000 } = options;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  let graceful = true;
  const timer = setTimeout(() => {
    graceful = false;
    child.kill('SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
  return { graceful };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a long-running service detached from this process, output appended to its log, pid recorded. */
export function startDetached(service: string, command: string, args: string[], options: SpawnOptions = {}): number {
  const log = logFile(service);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', fd, fd] });
  // A command that cannot start (not installed: ENOENT) reports it as an 'error' event after this
  // returns; without a listener that event would end the whole stack:up with a stack trace.
  child.on('error', () => undefined);
  if (child.pid === undefined)
    throw new ServiceError(
      service,
      `could not start ${command}${path.isAbsolute(command) ? '' : ' (is it on PATH?)'}: \`npm run provision\` installs the Debian packages the stack needs`,
      log,
    );
  child.unref();
  mkdirSync(PID_DIR, { recursive: true });
  writeFileSync(pidFile(service), String(child.pid));
  return child.pid;
}

/** Stops exactly the process this stack recorded for a service (and its process group). */
export async function stopRecorded(service: string, timeoutMs = 15_000): Promise<'stopped' | 'not running'> {
  const pid = readPid(service);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(pidFile(service), { force: true });
    return 'not running';
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  rmSync(pidFile(service), { force: true });
  return 'stopped';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // detached → its own process group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it resolves true or the deadline passes; the last error explains a failure. */
export async function waitFor(
  service: string,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  log?: string,
  pid?: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (pid !== undefined && !isAlive(pid)) {
      throw new ServiceError(service, `exited while starting${tail(log)}`, log);
    }
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  const reason = last instanceof Error ? `: ${last.message}` : '';
  throw new ServiceError(service, `not ${what} after ${Math.round(timeoutMs / 1000)} s${reason}${tail(log)}`, log);
}

function tail(log: string | undefined, lines = 15): string {
  if (!log || !existsSync(log)) return '';
  const text = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n    ');
  return text ? `\n  last lines of the log:\n    ${text}` : '';
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): string {
  return execFileSync(command, args, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (r) => r.ok,
    () => false,
  );
}

export function progress(message: string): void {
  process.stderr.write(`[stack] ${message}\n`);
}
