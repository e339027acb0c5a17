// The first step of `npm test`: makes `npm test` work in a fresh clone on its own. When node_modules is
// missing or older than package-lock.json, it runs `npm ci` (the locked versions, nothing else) and says so;
// otherwise it does nothing. Plain Node with no dependencies, because it runs before any are installed.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const mtime = (file) => {
  try {
    return statSync(path.join(root, file)).mtimeMs;
  } catch {
    return null;
  }
};
const installed = mtime('node_modules/.package-lock.json');
const locked = mtime('package-lock.json');
if (installed === null || (locked !== null && installed < locked)) {
  const why = installed === null ? 'node_modules is missing' : 'package-lock.json is newer than node_modules';
  console.log(`[deps] ${why}: npm ci (${new Date().toISOString().slice(11, 19)})`);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[deps] npm ci failed (exit ${result.status ?? result.signal}); fix the above and run npm test again`);
    process.exit(result.status ?? 1);
  }
}
