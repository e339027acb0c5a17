// The zone rules the app runs with are the bundled ones (host/tzdata/), not the older copy inside the Node
// binary: a government's change to its clocks after the Node release reaches every due date and reminder.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { localToInstant } from '../../actors/recurrence/start.ts';
import { LAUNCH_ENV } from '../../host/node-flags.ts';
import { BUNDLED_TZDATA, runsOlderTzdata } from '../../host/tzdata.ts';

/** `process.versions.tz` of a new node process started with `env` added to this one's (ICU_TIMEZONE_FILES_DIR removed first). */
function tzdataOf(env: Record<string, string>): string {
  const base = { ...process.env };
  delete base.ICU_TIMEZONE_FILES_DIR;
  const run = spawnSync(process.execPath, ['-p', 'process.versions.tz'], {
    env: { ...base, ...env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`node -p failed: ${run.stderr}`);
  return run.stdout.trim();
}

test('the suite runs with the bundled zone rules (ava gives its workers ICU_TIMEZONE_FILES_DIR)', (t) => {
  t.is(process.versions.tz, BUNDLED_TZDATA.tzdata);
  t.false(runsOlderTzdata());
});

test('a node started with LAUNCH_ENV reads the bundled rules; one without it has older rules and is told so', (t) => {
  t.is(tzdataOf(LAUNCH_ENV), BUNDLED_TZDATA.tzdata);
  const builtIn = tzdataOf({});
  t.true(
    builtIn < BUNDLED_TZDATA.tzdata,
    `Node's own tzdata ${builtIn} is not older than the bundled ${BUNDLED_TZDATA.tzdata}`,
  );
  t.true(runsOlderTzdata(builtIn));
  t.false(runsOlderTzdata(BUNDLED_TZDATA.tzdata));
});

test('a task due 09:00 in Vancouver after British Columbia kept summer time (tzdata 2026b) is due at 16:00 UTC', (t) => {
  // Node 20.20's tzdata 2025c still moves Vancouver to −08 on 2026-11-01 (17:00 UTC); from 2026b it stays on −07.
  const due = localToInstant({ year: 2026, month: 12, day: 10, hour: 9, minute: 0, second: 0 }, 'America/Vancouver');
  t.is(due.toISOString(), '2026-12-10T16:00:00.000Z');
});
