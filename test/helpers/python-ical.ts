// Python's `icalendar` (PyPI, pinned) as an independent parser of the calendar feed: a venv made once under
// ~/.cache/tasklane (python3 -m venv, pip from PyPI; tools/provision.ts makes sure python3-venv is there) and
// reused, the way test/contract provisions schemathesis. test/fixtures/feed_parse.py does the parsing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = ['icalendar==7.3.0', 'python-dateutil==4.0.0'];
const VENV = path.join(os.homedir(), '.cache', 'tasklane', 'icalendar-7.3.0');
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'feed_parse.py');

/**
 * The venv's python, made when missing; its `.ready` marker is written only after a complete install, so a
 * broken one is made again. Throws with pip's output when it cannot be made.
 */
export function provisionIcalendar(): string {
  const python = path.join(VENV, 'bin', 'python');
  const marker = path.join(VENV, '.ready');
  if (existsSync(marker) && existsSync(python)) return python;
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(path.dirname(VENV), { recursive: true });
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', VENV]],
    [path.join(VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--quiet', ...PACKAGES]],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0)
      throw new Error(
        `cannot provision ${PACKAGES.join(' ')} (${command} ${args.join(' ')} → ${result.error?.message ?? `exit ${String(result.status)}`}):\n${result.stdout}${result.stderr}`,
      );
  }
  writeFileSync(marker, `${PACKAGES.join('\n')}\n`);
  return python;
}

/**
 * What feed_parse.py reports (see its docstring). Instants are UTC ISO with milliseconds; DATE values (all-day
 * DUE, DTSTART and their series' occurrences) are `YYYY-MM-DD`.
 */
export interface PyFeed {
  calendar: { version: string; prodid: string; name: string };
  zones: string[];
  todos: {
    uid: string;
    summary: string;
    description: string | null;
    status: string;
    priority: number | null;
    categories: string[];
    due: string | null;
    due_tzid: string | null;
    dtstart: string | null;
    rrule: string | null;
    occurrences: string[];
    alarms: { action: string; description: string; related: string | null; trigger: string | number }[];
  }[];
}

/** Parses `ics` with Python's icalendar, expanding each series' first `limit` occurrences. Throws with its stderr. */
export function parseWithPython(python: string, ics: string, limit = 50): PyFeed {
  const result = spawnSync(python, [SCRIPT, String(limit)], { input: ics, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0)
    throw new Error(
      `feed_parse.py failed (${result.error?.message ?? `exit ${String(result.status)}`}):\n${result.stderr}`,
    );
  return JSON.parse(result.stdout) as PyFeed;
}
