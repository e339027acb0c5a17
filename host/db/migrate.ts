// Applies the pending host/db/migrations/*.sql in name order, in one transaction, and records each.
// Safe to run from several processes at once: an advisory lock lets one apply while the others wait.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './types.ts';
import { ADVISORY_LOCK } from './advisory.ts';

const DIR = path.join(import.meta.dirname, 'migrations');

export async function migrate(db: Db, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.migrate]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = readFileSync(path.join(DIR, file), 'utf8');
      await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
      log(`migration applied: ${file}`);
    }
  });
  return applied;
}
