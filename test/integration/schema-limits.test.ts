// The database refuses exactly what the application refuses: every length CHECK of the migrated schema,
// read back from pg_constraint, has the same number as the TypeScript constant the routes and deciders
// use, and no length CHECK exists without such a constant. The other limits the CHECKs hold (how many
// labels a task carries, a list's position, a task's priority, the stored form of a colour, the values a
// column may hold) are read back the same way and compared with their constants too.
import test from 'ava';
import { ADAPTERS } from '../helpers/db.ts';
import {
  MAX_TITLE,
  MAX_DESCRIPTION,
  MAX_TASK_LABELS,
  MIN_PRIORITY,
  MAX_PRIORITY,
  RECURRENCE_MODES,
} from '../../actors/task/index.ts';
import type { AggregateType } from '../../actors/events.ts';
import { MAX_RULE_LENGTH } from '../../actors/recurrence/index.ts';
import { MAX_ZONE_LENGTH } from '../../actors/zone.ts';
import { IDEMPOTENCY_KEY } from '../../api/context.ts';
import {
  MAX_LIST_NAME,
  MAX_POSITION,
  MEMBER_ROLES,
  MEMBER_STATUSES,
  STORED_COLOR,
  inboxIdOf,
} from '../../actors/list/index.ts';
import { MAX_LABEL_NAME } from '../../actors/label/index.ts';
import { MAX_DAYS_BEFORE } from '../../actors/task/all-day.ts';

/** The longest Idempotency-Key the route accepts, as its pattern says ({1,N}). */
const MAX_KEY = Number(/\{1,(\d+)\}/.exec(IDEMPOTENCY_KEY.source)?.[1]);

const EXPECTED: Record<string, number> = {
  'tasks.title': MAX_TITLE,
  'tasks.description': MAX_DESCRIPTION,
  'tasks.recurrence_rule': MAX_RULE_LENGTH,
  'tasks.timezone': MAX_ZONE_LENGTH,
  'users.timezone': MAX_ZONE_LENGTH,
  'idempotency.key': MAX_KEY,
  'lists.name': MAX_LIST_NAME,
  'labels.name': MAX_LABEL_NAME,
};

/** `cardinality(column) <= N` CHECKs: the most elements an array column holds. */
const EXPECTED_CARDINALITY: Record<string, number> = { 'tasks.labels': MAX_TASK_LABELS };
/** `column BETWEEN min AND max` CHECKs (PostgreSQL shows them as `column >= min AND column <= max`). */
// (a column named by a keyword, such as position, is shown quoted)
const EXPECTED_RANGES: Record<string, [number, number]> = {
  'lists.position': [0, MAX_POSITION],
  'tasks.priority': [MIN_PRIORITY, MAX_PRIORITY],
  'reminders.days_before': [0, MAX_DAYS_BEFORE],
};
/** The stored form of a colour, `column ~ 'pattern'`. */
const EXPECTED_COLORS: Record<string, string> = {
  'lists.color': STORED_COLOR.source,
  'labels.color': STORED_COLOR.source,
};

/** Every AggregateType, and no more (a type has no runtime list; the two lines below check it is complete). */
const AGGREGATE_TYPES = ['task', 'user', 'list', 'label'] as const satisfies readonly AggregateType[];
const aggregatesComplete: [Exclude<AggregateType, (typeof AGGREGATE_TYPES)[number]>] extends [never] ? true : never =
  true;
void aggregatesComplete;

/** `column IN (…)` CHECKs (PostgreSQL shows them as `column = ANY (ARRAY[…])`): the values a column may hold. */
const EXPECTED_ENUMS: Record<string, readonly string[]> = {
  'events.aggregate_type': AGGREGATE_TYPES,
  'tasks.recurrence_mode': RECURRENCE_MODES,
  'list_members.role': MEMBER_ROLES,
  'list_members.state': MEMBER_STATUSES,
};

/** Every CHECK of the migrated schema: its table and its definition as pg_get_constraintdef gives it. */
async function checks(db: Awaited<ReturnType<(typeof ADAPTERS)[number]['open']>>['db']) {
  const rows = await db.query<{ table: string; def: string }>(
    `SELECT c.conrelid::regclass::text AS table, pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE c.contype = 'c' AND n.nspname = current_schema()`,
  );
  return rows.rows;
}

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: each cardinality, range and colour CHECK equals its TypeScript constant`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const cardinality: Record<string, number> = {};
      const ranges: Record<string, [number, number]> = {};
      const colors: Record<string, string> = {};
      for (const row of await checks(db)) {
        for (const m of row.def.matchAll(/cardinality\((\w+)\) <= (\d+)/g))
          cardinality[`${row.table}.${m[1]}`] = Number(m[2]);
        for (const m of row.def.matchAll(/\("?(\w+)"? >= (\d+)\) AND \("?\1"? <= (\d+)\)/g))
          ranges[`${row.table}.${m[1]}`] = [Number(m[2]), Number(m[3])];
        for (const m of row.def.matchAll(/\((color) ~ '([^']+)'/g)) colors[`${row.table}.${m[1]}`] = m[2] as string;
      }
      t.deepEqual(cardinality, EXPECTED_CARDINALITY);
      t.deepEqual(ranges, EXPECTED_RANGES);
      t.deepEqual(colors, EXPECTED_COLORS);
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: each list of allowed values in a CHECK equals its TypeScript constant`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const enums: Record<string, string[]> = {};
      for (const row of await checks(db))
        for (const m of row.def.matchAll(/\((\w+) = ANY \(ARRAY\[([^\]]+)\]\)\)/g))
          enums[`${row.table}.${m[1]}`] = [...(m[2] as string).matchAll(/'([^']*)'/g)].map((v) => v[1] as string);
      t.deepEqual(enums, Object.fromEntries(Object.entries(EXPECTED_ENUMS).map(([k, v]) => [k, [...v]])));
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: each length CHECK equals its TypeScript constant, and each constant has its CHECK`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const rows = await db.query<{
        table: string;
        def: string;
      }>(`SELECT c.conrelid::regclass::text AS table, pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE c.contype = 'c' AND n.nspname = current_schema()`);
      const found: Record<string, number> = {};
      for (const row of rows.rows) {
        for (const m of row.def.matchAll(/length\(\(?"?(\w+)"?\)?(?:::text)?\) <= (\d+)/g))
          found[`${row.table}.${m[1]}`] = Number(m[2]);
      }
      t.true(Number.isInteger(MAX_KEY), 'the Idempotency-Key pattern names its maximum');
      t.deepEqual(found, EXPECTED);
    } finally {
      await drop();
    }
  });
}

test('PGlite: a rule one character over the limit is refused by the database too', async (t) => {
  const { db, drop } = await ADAPTERS[1].open();
  try {
    await db.query(`INSERT INTO users (id) VALUES ('limits')`);
    // The user's Inbox is made with the user (a trigger); every task is in a list.
    const insert = (rule: string) =>
      db.query(
        `INSERT INTO tasks (id, user_id, list_id, title, completed, recurrence_rule, is_recurring, version, shared_version, created_at, updated_at)
      VALUES (gen_random_uuid(), 'limits', $2, 't', false, $1, true, 1, 1, now(), now())`,
        [rule, inboxIdOf('limits')],
      );
    await t.notThrowsAsync(insert(`FREQ=DAILY;${'X'.repeat(MAX_RULE_LENGTH - 11)}`));
    await t.throwsAsync(insert(`FREQ=DAILY;${'X'.repeat(MAX_RULE_LENGTH - 10)}`), {
      message: /tasks_recurrence_rule_length/,
    });
  } finally {
    await drop();
  }
});
