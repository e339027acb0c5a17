// One owner per embedded database (DESIGN.md, "Rules every route and every turn keeps": one owner per
// embedded database). PGlite is PostgreSQL in single-user mode with no lock of its own: two processes on one
// data folder both write pages and WAL, acknowledged commits vanish and the folder can end up unreadable.
//
// The lock is a file beside the folder (`<dir>.lock`; inside it PGlite's initdb would find the folder
// "not empty"). How it is kept:
// - Taking it is atomic: the owner record is written to a private temporary file, then hard-linked to the
//   lock path. link(2) fails with EEXIST when the path exists, so exactly one process wins, and a reader
//   never sees a half-written record.
// - A holder is alive when, on the same host and boot, `process.kill(pid, 0)` finds the pid and (on Linux)
//   the pid's start time is the one recorded, so a pid reused after a crash is not taken for the holder.
//   A lock from another boot is stale. A lock from another host (a shared volume, a container that came
//   back with a new hostname) cannot be probed: the holder refreshes the file's mtime every `heartbeatMs`,
//   and the lock is stale when the mtime is older than `remoteStaleMs`.
// - Taking over a stale lock is verified: under a short-lived guard file (taken the same atomic way), the
//   lock is read again and removed only if it is still the very record judged stale (its random token);
//   then the new record is linked as above. A racing starter either loses the link or finds a live holder.
// - Two apps in one process are refused too: the process keeps a registry of the folders it holds.
// - Released on close and on process exit; after SIGKILL the file stays and is stale at the next start.
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/** What the lock file records about its holder. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Linux boot id (/proc/sys/kernel/random/boot_id); undefined where the OS has none. */
  bootId: string | undefined;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat field 22); undefined off Linux. */
  procStart: string | undefined;
  /** ISO 8601 UTC instant at which the holder took the lock. */
  startedAt: string;
  /** Random per acquisition: tells this lock apart from any earlier one of the same pid. */
  token: string;
}

/** The folder is held by a live process (another one, or another app in this process). */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dir: string,
    readonly lockPath: string,
    readonly holder: LockOwner,
    readonly sameProcess: boolean,
  ) {
    super(
      `the embedded database ${dir} is in use by ${describeOwner(holder, sameProcess)}; ` +
        `stop that process first, or set DATA_DIR to another folder (lock file: ${lockPath})`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DirLock {
  readonly lockPath: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours. Idempotent, synchronous (also runs on process exit). */
  release(): void;
}

export interface LockOptions {
  /** How often the holder refreshes the lock file's mtime (ms). Default 10 000. */
  heartbeatMs?: number;
  /** A lock from another host whose mtime is older than this is stale (ms). Default 60 000. */
  remoteStaleMs?: number;
  /** Told when the lock file was removed or replaced under a running holder. */
  onLost?: (detail: string) => void;
  /** How long to wait for a concurrent takeover to finish before giving up (ms). Default 5 000. */
  waitMs?: number;
}

const heldDirs = new Map<string, LockOwner>(); // resolved folder → owner, for apps in this process
const heldTokens = new Set<string>(); // tokens of the locks this process holds

function describeOwner(owner: LockOwner, sameProcess: boolean): string {
  const who = `pid ${owner.pid} on host ${owner.hostname}, holding it since ${owner.startedAt}`;
  return sameProcess ? `another app in this same process (${who})` : `another process (${who})`;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const bootId = (): string | undefined => readOptional('/proc/sys/kernel/random/boot_id');

/** Start time of a process in clock ticks since boot, from /proc/<pid>/stat; undefined if unreadable. */
export function processStart(pid: number): string | undefined {
  const stat = readOptional(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19]; // field 22 overall: starttime
}

function selfOwner(): LockOwner {
  return {
    pid: process.pid,
    hostname: os.hostname(),
    bootId: bootId(),
    procStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };
}

function parseOwner(text: string | undefined): LockOwner | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof value.pid !== 'number' ||
      typeof value.hostname !== 'string' ||
      typeof value.token !== 'string' ||
      typeof value.startedAt !== 'string'
    )
      return undefined;
    return {
      pid: value.pid,
      hostname: value.hostname,
      bootId: value.bootId ?? undefined,
      procStart: value.procStart ?? undefined,
      startedAt: value.startedAt,
      token: value.token,
    };
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Why a recorded holder no longer holds the lock, or undefined when it is (or may be) alive. */
export function staleReason(
  owner: LockOwner,
  mtimeMs: number,
  remoteStaleMs: number,
  now = Date.now(),
): string | undefined {
  if (owner.hostname !== os.hostname()) {
    const age = now - mtimeMs;
    return age > remoteStaleMs
      ? `the holder on host ${owner.hostname} has not refreshed the lock for ${Math.round(age / 1000)} s`
      : undefined;
  }
  const boot = bootId();
  if (owner.bootId && boot && owner.bootId !== boot) return 'the holder ran before the machine restarted';
  if (owner.pid === process.pid) {
    // This process holds it only if an app here took it (the registry); otherwise a previous process had our pid.
    return heldTokens.has(owner.token) ? undefined : `pid ${owner.pid} is this process, which does not hold the lock`;
  }
  if (!pidAlive(owner.pid)) return `pid ${owner.pid} is not running`;
  if (owner.procStart) {
    const start = processStart(owner.pid);
    if (start && start !== owner.procStart) return `pid ${owner.pid} now belongs to a different process`;
  }
  return undefined;
}

/** Atomically creates `file` holding `owner`; false when it already exists. */
function linkNew(file: string, owner: LockOwner): boolean {
  const tmp = `${file}.${owner.pid}.${owner.token}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}

interface Seen {
  owner: LockOwner | undefined;
  mtimeMs: number;
  text: string | undefined;
}

function look(file: string): Seen | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  const text = readOptional(file);
  if (text === undefined) return undefined; // removed between stat and read
  return { owner: parseOwner(text), mtimeMs, text };
}

function unlinkIfSame(file: string, text: string | undefined): boolean {
  if (readOptional(file) !== text) return false;
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
  return true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock of `dir` for this process, or throws {@link DataDirLockedError} naming the live holder.
 * A stale lock (dead pid, reused pid, earlier boot, silent remote host, unreadable record) is taken over.
 * @param dir the folder to own; the lock file is `<dir>.lock` beside it (its parent must exist).
 */
export async function lockDir(dir: string, options: LockOptions = {}): Promise<DirLock> {
  const resolved = path.resolve(dir);
  const lockPath = `${resolved}.lock`;
  const guardPath = `${lockPath}.takeover`;
  const remoteStaleMs = options.remoteStaleMs ?? 60_000;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? 5_000);

  const mine = heldDirs.get(resolved);
  if (mine) throw new DataDirLockedError(resolved, lockPath, mine, true);

  const owner = selfOwner();
  for (;;) {
    if (linkNew(lockPath, owner)) break;
    const seen = look(lockPath);
    if (!seen) continue; // released meanwhile: try again
    const reason = seen.owner ? staleReason(seen.owner, seen.mtimeMs, remoteStaleMs) : 'the lock file is unreadable';
    if (!reason) {
      const sameProcess = seen.owner!.pid === process.pid && seen.owner!.hostname === os.hostname();
      throw new DataDirLockedError(resolved, lockPath, seen.owner!, sameProcess);
    }
    // Stale: take it over under the guard, removing only the record we judged.
    if (linkNew(guardPath, owner)) {
      try {
        unlinkIfSame(lockPath, seen.text);
      } finally {
        unlinkIfSame(guardPath, JSON.stringify(owner));
      }
      continue; // link our own record; a starter racing us may win it, and is then a live holder
    }
    const guard = look(guardPath);
    if (guard && (!guard.owner || staleReason(guard.owner, guard.mtimeMs, remoteStaleMs))) {
      unlinkIfSame(guardPath, guard.text); // a starter died within its takeover
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`could not take the lock ${lockPath}: another process is taking it over (guard ${guardPath})`);
    await sleep(50);
  }

  heldDirs.set(resolved, owner);
  heldTokens.add(owner.token);
  const ours = JSON.stringify(owner);
  let released = false;
  const heartbeat = setInterval(() => {
    if (readOptional(lockPath) !== ours) {
      clearInterval(heartbeat);
      options.onLost?.(`the lock file ${lockPath} was removed or replaced while this process held it`);
      return;
    }
    try {
      const now = new Date();
      utimesSync(lockPath, now, now);
    } catch {
      /* checked again next beat */
    }
  }, heartbeatMs);
  heartbeat.unref();
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.off('exit', release);
    heldDirs.delete(resolved);
    heldTokens.delete(owner.token);
    unlinkIfSame(lockPath, ours);
  };
  process.on('exit', release);
  return { lockPath, owner, release };
}
