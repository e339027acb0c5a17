// npm run replay [-- --user <id>]: rebuilds every task from the task-events topic and compares it with
// PostgreSQL. Shows a progress bar, prints a summary, exits 1 on any mismatch.
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openDb } from './db/index.ts';
import { createKafka } from './kafka.ts';
import { replay } from './replay-core.ts';

const args = process.argv.slice(2);
const userAt = args.indexOf('--user');
const user = userAt >= 0 ? args[userAt + 1] : undefined;
const config = loadConfig();
const logger = createLogger({ ...config, logLevel: 'error' });
const kafka = createKafka(config, logger);
if (!kafka) {
  console.error('replay needs KAFKA_BROKERS (the topic is the log it replays)');
  process.exit(2);
}
if (!config.databaseUrl) console.error('note: DATABASE_URL is unset, comparing with the embedded database under', config.dataDir);
const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: `${config.dataDir}/pglite` });
const tty = process.stderr.isTTY;
let lastDraw = 0;
const draw = (done: number, total: number) => {
  const now = Date.now();
  if (now - lastDraw < 100 && done < total) return;
  lastDraw = now;
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  const line = `replay [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${total ? Math.floor((done / total) * 100) : 100}% ${done}/${total} messages`;
  process.stderr.write(tty ? `\r${line}` : `${line}\n`);
};
const started = Date.now();
const report = await replay({ kafka, topic: config.kafka.topic, db, ...(user ? { user } : {}), onProgress: draw });
if (tty) process.stderr.write('\n');
await db.close();
console.log(`replayed ${report.messages} messages (${report.events} events, ${report.duplicates} duplicate copies dropped) for ${report.tasks} tasks${user ? ` of ${user}` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (report.unpublished > 0) console.log(`${report.unpublished} committed events are not on the topic yet (the outbox relay publishes them)`);
if (report.mismatches.length === 0) {
  console.log('every task rebuilt from the topic equals its row in PostgreSQL');
} else {
  console.log(`${report.mismatches.length} mismatches:`);
  for (const m of report.mismatches) console.log(`  task ${m.taskId} (user ${m.userId}): ${m.problem}${m.fields ? ` [${m.fields.join(', ')}]` : ''}${m.detail ? ` ${m.detail}` : ''}`);
  process.exitCode = 1;
}
