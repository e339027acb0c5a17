// Every way of running the app gives node the same flags (host/node-flags.ts says which and why): the
// launchers in code import them; the two that cannot, package.json's `start` and the image's CMD, are read here.
import test from 'ava';
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
