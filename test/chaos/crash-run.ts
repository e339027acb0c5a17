// npm run chaos:crash [-- --rounds N --creates N]: the embedded app SIGKILLed during bursts of concurrent
// creates and restarted, N rounds; prints a table, writes test/chaos/results/crash.json, exits 1 on any loss.
import os from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashLoop, crashTable } from './crash-loop.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, creates: { type: 'string', default: '200' } },
});
const rounds = Number(values.rounds);
const creates = Number(values.creates);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(creates) || creates < 1) {
  console.error('usage: npm run chaos:crash -- [--rounds N] [--creates N] (positive integers)');
  process.exit(2);
}
const report = await runCrashLoop({ rounds, creates, log: (m) => process.stderr.write(`[crash] ${m}\n`) });
console.log(
  `\ntasklane crash loop — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
    `${rounds} rounds × ${creates} concurrent creates, SIGKILL mid-burst, embedded PGlite\n`,
);
console.log(crashTable(report));
if (report.failure) console.log(`\nFAILED: ${report.failure}`);
console.log(
  `\n${report.lost === 0 && !report.failure ? 'nothing acknowledged was lost' : `${report.lost} acknowledged creates lost`} (${report.duration_s} s)`,
);
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, 'crash.json'),
  `${JSON.stringify({ ...report, machine: { cpus: os.cpus().length, node: process.version } }, null, 2)}\n`,
);
process.exit(report.lost === 0 && !report.failure && report.rounds.length === rounds ? 0 : 1);
