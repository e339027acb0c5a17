// npx tsx tools/provision.ts [--check] [--stack] — the first step of `npm test` (and, with --stack, of
// `npm run stack:up`, for only what the local stack needs): the Debian packages the suite and the
// local stack stand on. Each requirement is checked the way its user finds it (a command on PATH, PostgreSQL's
// binaries under /usr/lib/postgresql, chromium at CHROMIUM_PATH or /usr/bin/chromium, Python's venv and pip).
//   all present        prints one line and exits 0 (well under a second)
//   missing, as root   `apt-get update` and `apt-get install --no-install-recommends` of the missing packages,
//                      checks again, exits 0 when all are there now
//   missing, not root  (or with --check) prints the one command that installs them and exits 1, before
//                      anything slow starts
// Go is needed (Dapr's daprd and the validators are built from the Go module proxy) at version 1.21 or later,
// from which `go` fetches the toolchain a go.mod asks for through the same proxy; Debian 12's golang-go is 1.19,
// so there this step stops and says so.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
const log = (line: string) => process.stdout.write(`[provision ${stamp()}] ${line}\n`);

/** Whether an executable named `name` is on PATH. */
function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Exit status 0 of `command args`, without a shell, output discarded. */
function succeeds(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** The server binaries deploy/local/lib/services.ts starts PostgreSQL with. */
function postgresServer(): boolean {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return false;
  return readdirSync(base).some(
    (v) => existsSync(path.join(base, v, 'bin', 'postgres')) && existsSync(path.join(base, v, 'bin', 'initdb')),
  );
}

/** Go's version as [major, minor], or undefined when `go` does not answer. */
function goVersion(): [number, number] | undefined {
  const out = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', timeout: 20_000 });
  const m = /^go(\d+)\.(\d+)/.exec(out.stdout?.trim() ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The lowest Go that fetches the toolchain a go.mod names by itself (GOTOOLCHAIN=auto). */
const GO_MIN: [number, number] = [1, 21];

interface Requirement {
  /** What needs it, for the message. */
  what: string;
  /** Needed by the local stack itself (`--stack`: what `npm run stack:up` checks), not only by the suite. */
  stack?: true;
  /** The Debian package that provides it. */
  pkg: string;
  present: () => boolean;
}

const REQUIREMENTS: Requirement[] = [
  {
    what: 'TLS roots for the Go, Maven and PyPI downloads',
    pkg: 'ca-certificates',
    stack: true,
    present: () => existsSync('/etc/ssl/certs/ca-certificates.crt'),
  },
  { what: 'PostgreSQL server (local stack)', pkg: 'postgresql', stack: true, present: postgresServer },
  { what: 'redis-server (local stack)', pkg: 'redis-server', stack: true, present: () => onPath('redis-server') },
  { what: 'java (Kafka in the local stack)', pkg: 'default-jre-headless', stack: true, present: () => onPath('java') },
  { what: 'mvn (fetches the Kafka jars)', pkg: 'maven', stack: true, present: () => onPath('mvn') },
  {
    what: 'go (builds daprd and the deployment validators)',
    pkg: 'golang-go',
    stack: true,
    present: () => onPath('go'),
  },
  {
    what: 'chromium (dashboard tests)',
    pkg: 'chromium',
    present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
  },
  { what: 'python3 (schemathesis, hadolint)', pkg: 'python3', present: () => onPath('python3') },
  {
    what: 'python3 -m venv (the schemathesis venv)',
    pkg: 'python3-venv',
    present: () => onPath('python3') && succeeds('python3', ['-c', 'import ensurepip, venv']),
  },
  {
    what: 'python3 -m pip (fetches hadolint)',
    pkg: 'python3-pip',
    present: () => onPath('python3') && succeeds('python3', ['-m', 'pip', '--version']),
  },
  { what: 'ss (a timer test reads the listening sockets)', pkg: 'iproute2', present: () => onPath('ss') },
];

/** `--stack`: only what the local stack needs (`npm run stack:up`); otherwise all the suite needs. */
const NEEDED = process.argv.includes('--stack') ? REQUIREMENTS.filter((r) => r.stack) : REQUIREMENTS;

function missing(): Requirement[] {
  return NEEDED.filter((r) => !r.present());
}

/** Runs `command args` with its output shown; throws with the exit status when it fails. */
function run(command: string, args: string[]): void {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args[0] ?? ''} failed (exit ${result.status ?? result.signal})`);
}

function installCommand(pkgs: string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/** Stops at once unless Go can build the pinned modules. */
function checkGo(): void {
  const version = goVersion();
  if (version === undefined) throw new Error('`go env GOVERSION` did not answer');
  const [major, minor] = version;
  if (major > GO_MIN[0] || (major === GO_MIN[0] && minor >= GO_MIN[1])) return;
  throw new Error(
    `go ${major}.${minor} is too old: the build needs Go ${GO_MIN.join('.')} or later (it then fetches the toolchain each go.mod asks for through the Go module proxy). Debian 12's golang-go is 1.19: install Debian 13's golang-go or the Go project's release archive and put its bin/ on PATH`,
  );
}

function main(): number {
  const checkOnly = process.argv.includes('--check');
  let gaps = missing();
  if (gaps.length > 0) {
    const pkgs = [...new Set(gaps.map((g) => g.pkg))];
    for (const g of gaps) log(`missing: ${g.what} — Debian package ${g.pkg}`);
    const root = process.getuid?.() === 0;
    if (checkOnly || !root || !onPath('apt-get')) {
      process.stderr.write(
        `\n${NEEDED === REQUIREMENTS ? 'npm test' : 'The local stack'} needs Debian packages that are not installed. Run this once, then try again:\n\n  ${installCommand(pkgs)}\n\n`,
      );
      return 1;
    }
    log(`installing ${pkgs.join(' ')} (as root)`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
    gaps = missing();
    if (gaps.length > 0) {
      for (const g of gaps) process.stderr.write(`still missing after apt-get install: ${g.what} (${g.pkg})\n`);
      return 1;
    }
  }
  checkGo();
  log(`all present: ${NEEDED.map((r) => r.pkg).join(', ')}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`provision: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
