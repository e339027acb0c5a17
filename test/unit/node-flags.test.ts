// Every way of running the app gives node the same flags (host/node-flags.ts says which and why): the
// launchers in code import them; the two that cannot, package.json's `start` and the image's CMD, are read here.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from '../../host/node-flags.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

test("npm start and the image's CMD run host/main.ts with the flags of host/node-flags.ts", (t) => {
  const scripts = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  t.is(scripts.start, `exec node ${NODE_FLAGS.join(' ')} --import tsx host/main.ts`);
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8'));
  t.deepEqual(JSON.parse(cmd?.[1] ?? 'null'), ['node', ...NODE_FLAGS, '--import', 'tsx', 'host/main.ts']);
});

test('every launcher in code that starts host/main.ts passes NODE_FLAGS', (t) => {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  const launches: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    // A path to the entry in code: 'host/main.ts' or path.join(…, 'host', 'main.ts'); comments left out.
    for (const m of text.matchAll(/'host\/main\.ts'|'host', 'main\.ts'/g)) {
      const line = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
      if (/^\s*(\/\/|\*)/.test(line)) continue;
      launches.push(file);
      const call = text.slice(Math.max(0, (m.index ?? 0) - 200), m.index);
      t.regex(call, /\.\.\.NODE_FLAGS/, `${file}: host/main.ts started without NODE_FLAGS`);
    }
  }
  t.true(launches.length >= 6, `launchers found: ${launches.join(', ')}`);
});
