// The suite's own housekeeping (test/helpers/db-url.ts): a test database's name carries its creation time,
// so databases left by a killed run are recognised and swept by a later one, and nothing else is.
import test from 'ava';
import { STALE_AFTER_MS, staleDatabases, testDatabaseName } from '../helpers/db-url.ts';

test("only test databases older than the sweep's age are left over; this run's, other databases and old-style names are kept", (t) => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  const old = testDatabaseName(now - STALE_AFTER_MS - 60_000);
  const recent = testDatabaseName(now - STALE_AFTER_MS + 60_000);
  const current = testDatabaseName(now);
  t.regex(current, /^tasklane_test_[0-9a-z]+_[0-9a-f]{12}$/);
  t.true(current.length <= 63, 'a PostgreSQL identifier');
  t.deepEqual(staleDatabases([old, recent, current, 'tasklane', 'tasklane_test_9f369e21a56a', 'postgres'], now), [old]);
});
