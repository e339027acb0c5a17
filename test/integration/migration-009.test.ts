// Migration 009 on a database as the release before it left it: users whose zone is not UTC, or who ever
// changed it, count as having chosen it; the others are asked (timezone_chosen false). On both adapters.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ADAPTERS } from '../helpers/db.ts';
import { migrate } from '../../host/db/migrate.ts';
import { UserTurns } from '../../host/users/turn.ts';
import { readUser } from '../../host/tasks/store.ts';

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: upgrading marks as chosen exactly the zones someone chose`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const users = new UserTurns(db);
      const id = (name: string) => `${name}-${randomUUID()}`;
      const [berlin, back, never] = [id('berlin'), id('back-to-utc'), id('never')];
      await users.setTimezone(berlin, { timezone: 'Europe/Berlin' });
      await users.setTimezone(back, { timezone: 'Asia/Kolkata' });
      await users.setTimezone(back, { timezone: 'UTC' });
      await readUser(db, never); // created on first use
      // The database before 009: no column, no index, migration not recorded.
      await db.query('DROP INDEX reminders_unacknowledged');
      await db.query('ALTER TABLE reminders DROP COLUMN unacknowledged');
      await db.query('ALTER TABLE users DROP COLUMN timezone_chosen');
      await db.query("DELETE FROM schema_migrations WHERE name = '009_zone_chosen_reminder_ack.sql'");
      t.deepEqual(await migrate(db), ['009_zone_chosen_reminder_ack.sql']);
      t.like(await readUser(db, berlin), { timezone: 'Europe/Berlin', timezone_chosen: true });
      t.like(await readUser(db, back), { timezone: 'UTC', timezone_chosen: true }, 'changed, then back to UTC');
      t.like(await readUser(db, never), { timezone: 'UTC', timezone_chosen: false });
    } finally {
      await drop();
    }
  });
}
