// Every way of running the app gives node the same flags and environment (host/node-flags.ts says which and
// why): the launchers in code import them; the two that cannot, package.json's `start` and the image, are read
// here, and so is the ava configuration the suite's own processes start with.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

test("npm start and the image's CMD run host/main.ts with the flags of host/node-flags.ts", (t) => {
  const scripts = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const assignments = Object.entries(LAUNCH_ENV).map(([name, value]) => `${name}=${path.relative(ROOT, value)}`);
  t.is(scripts.start, `${assignments.join(' ')} exec node ${NODE_FLAGS.join(' ')} --import tsx host/main.ts`);
  const dockerfile = readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  t.deepEqual(JSON.parse(cmd?.[1] ?? 'null'), ['node', ...NODE_FLAGS, '--import', 'tsx', 'host/main.ts']);
  // The image's WORKDIR is /app: each variable names the same place in it.
  for (const [name, value] of Object.entries(LAUNCH_ENV))
    t.true(
      dockerfile.includes(` ${name}=${path.posix.join('/app', path.relative(ROOT, value))} `),
      `Dockerfile ENV ${name}`,
    );
});

test("the suite's own processes (ava's workers) start with the launch environment", (t) => {
  const ava = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      ava: { environmentVariables?: Record<string, string> };
    }
  ).ava;
  t.deepEqual(
    ava.environmentVariables,
    Object.fromEntries(Object.entries(LAUNCH_ENV).map(([name, value]) => [name, path.relative(ROOT, value)])),
  );
});

test('every launcher in code that starts host/main.ts passes NODE_FLAGS and LAUNCH_ENV', (t) => {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  const launches: string[] = [];
  for (const file of files) {
    if (file === 'test/unit/node-flags.test.ts') continue; // this file names the entry to read the scripts, not to start it
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    // A path to the entry in code: 'host/main.ts' or path.join(…, 'host', 'main.ts'); comments left out.
    for (const m of text.matchAll(/'host\/main\.ts'|'host', 'main\.ts'/g)) {
      const line = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
      if (/^\s*(\/\/|\*)/.test(line)) continue;
      launches.push(file);
      const call = text.slice(Math.max(0, (m.index ?? 0) - 200), m.index);
      t.regex(call, /\.\.\.NODE_FLAGS/, `${file}: host/main.ts started without NODE_FLAGS`);
      t.regex(text, /\.\.\.LAUNCH_ENV/, `${file}: host/main.ts started without LAUNCH_ENV`);
    }
  }
  t.true(launches.length >= 6, `launchers found: ${launches.join(', ')}`);
});
