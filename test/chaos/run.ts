// npm run chaos [-- --short]: every fault in turn under load, then the audit table.
import os from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { runChaos, table } from './scenario.ts';

const short = process.argv.includes('--short');
const report = await runChaos({
  downMs: short ? 1500 : 5000,
  settleMs: short ? 1000 : 3000,
  users: short ? 4 : 10,
  log: (m) => process.stderr.write(`[chaos] ${m}\n`),
});
console.log(
  `\ntasklane chaos — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${short ? ' (short)' : ''}\n`,
);
console.log(table(report));
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, short ? 'short.json' : 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
const bad =
  report.lost_writes +
  report.missing_on_kafka +
  report.client_gaps +
  report.reminders_missed +
  report.reminders_doubled +
  report.spawns_doubled +
  report.spawns_missed +
  report.server_errors +
  report.applied_twice +
  report.stranded_in_deleted_lists +
  report.shared_outside_membership +
  report.stream_gaps +
  report.removed_member_messages +
  report.misrouted_messages +
  report.shared_member_gaps +
  report.deliveries_missing_on_kafka;
process.exit(bad === 0 ? 0 : 1);
