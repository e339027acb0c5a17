// npm run replay [-- --user <id>] [-- --from-db]: rebuilds every task from the task-events topic (or, with
// --from-db, from the events table, the permanent log) and compares it with PostgreSQL, both ways: tasks on
// the topic that PostgreSQL lacks, and tasks whose events PostgreSQL marked published but the topic lacks.
// Tasks whose history the topic no longer holds (retention) are listed as not checkable. Shows a progress
// bar on stderr, prints a summary, exits 1 on any mismatch (not-checkable tasks alone exit 0).
// --user <id> checks what that user holds: the tasks they created, the lists they own and their labels, with
// every event of each wherever it is stored (a shared list's events are stored in the stream of the member
// who issued them), not the events of their stream.
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openDb } from './db/index.ts';
import { createKafka } from './kafka.ts';
import { replay, RETENTION_REASON } from './replay-core.ts';

const args = process.argv.slice(2);
const userAt = args.indexOf('--user');
const user = userAt >= 0 ? args[userAt + 1] : undefined;
const fromDb = args.includes('--from-db');
const config = loadConfig();
const logger = createLogger({ ...config, logLevel: 'error' });
const kafka = fromDb ? undefined : createKafka(config, logger);
if (!fromDb && !kafka) {
  console.error(
    'replay needs KAFKA_BROKERS (the topic is the log it replays), or --from-db to rebuild from the events table',
  );
  process.exit(2);
}
if (!config.databaseUrl)
  console.error('note: DATABASE_URL is unset, comparing with the embedded database under', config.dataDir);
const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: `${config.dataDir}/pglite` });
const tty = process.stderr.isTTY;
let lastDraw = 0;
let lastPhase = '';
const draw = (done: number, total: number, phase: 'messages' | 'tasks') => {
  const now = Date.now();
  if (phase === lastPhase && now - lastDraw < 100 && done < total) return;
  if (tty && lastPhase && phase !== lastPhase) process.stderr.write('\n');
  lastPhase = phase;
  lastDraw = now;
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  const label = phase === 'messages' ? 'reading the topic' : 'comparing tasks  ';
  const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${total ? Math.floor((done / total) * 100) : 100}% ${done}/${total} ${phase}`;
  process.stderr.write(tty ? `\r${line}` : `${line}\n`);
};
const started = Date.now();
const report = await replay({
  db,
  fromDb,
  ...(kafka ? { kafka, topic: config.kafka.topic } : {}),
  ...(user ? { user } : {}),
  onProgress: draw,
});
if (tty) process.stderr.write('\n');
await db.close();
const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
const whose = user ? ` of ${user}` : '';
if (report.source === 'topic') {
  console.log(
    `replayed ${report.messages} messages (${report.events} events, ${report.duplicates} duplicate copies dropped, ${report.copies} deliveries to other members) for ${report.tasks} tasks${whose} in ${took}`,
  );
} else {
  console.log(`rebuilt ${report.tasks} tasks${whose} from the events table (${report.events} events) in ${took}`);
}
if (report.unpublished > 0)
  console.log(
    `${report.unpublished} committed events are not on the topic yet (the outbox relay publishes them); they were folded from the events table`,
  );
if (report.changed > 0) console.log(`${report.changed} tasks changed while the replay ran and were not compared`);
if (report.retention?.emptyPartitions.length)
  console.log(
    `partitions ${report.retention.emptyPartitions.join(', ')} retain no records: what they held cannot be told from what was never produced`,
  );
if (report.notCheckable.length > 0) {
  console.log(`${report.notCheckable.length} tasks not checkable: ${RETENTION_REASON} (rebuild them with --from-db):`);
  for (const n of report.notCheckable.slice(0, 50)) console.log(`  task ${n.taskId} (user ${n.userId}): ${n.detail}`);
  if (report.notCheckable.length > 50) console.log(`  … and ${report.notCheckable.length - 50} more`);
}
const source = report.source === 'topic' ? 'the topic' : 'the events table';
if (report.organisation)
  console.log(
    `${report.organisation.matched} of ${report.organisation.checked} lists and labels rebuilt from the events table equal their rows`,
  );
if (report.mismatches.length === 0) {
  console.log(
    report.notCheckable.length === 0 && report.changed === 0
      ? `every task rebuilt from ${source} equals its row in PostgreSQL (${report.matched} tasks)`
      : `${report.matched} tasks rebuilt from ${source} equal their rows in PostgreSQL; no mismatch among those checked`,
  );
} else {
  console.log(`${report.matched} tasks match; ${report.mismatches.length} mismatches:`);
  for (const m of report.mismatches)
    console.log(
      `  ${m.aggregate ?? 'task'} ${m.taskId} (user ${m.userId}): ${m.problem}${m.fields ? ` [${m.fields.join(', ')}]` : ''}${m.detail ? ` ${m.detail}` : ''}`,
    );
  process.exitCode = 1;
}
