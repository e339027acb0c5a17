// The schema of shared lists (migration 013, issue 17) on PostgreSQL and PGlite, before anything writes it:
// a list's row and member rows written as the fold leaves them read back as the same ListState (so replay
// can compare them); the list_access view grants exactly whom accessOf (actors/list/audience.ts) grants,
// also once the list is deleted; one owner row per list; event_deliveries and the new columns of events
// are history, as events are.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import { evolveList, type ListState } from '../../actors/list/index.ts';
import { decideMembership, type MembershipCommand } from '../../actors/list/membership.ts';
import { accessOf } from '../../actors/list/audience.ts';
import type { Db } from '../../host/db/index.ts';
import { LIST_COLUMNS, LIST_FIELDS } from '../../host/tasks/rows.ts';
import { TaskTurns } from '../../host/tasks/turn.ts';
import { ADAPTERS } from '../helpers/db.ts';

let seq = 0;
const stamp = (list: ListState | null, e: PendingEvent, at: string): EventEnvelope => ({
  ...e,
  event_id: randomUUID(),
  user_id: 'x',
  version: (list?.version ?? 0) + 1,
  seq: ++seq,
  timestamp: at,
  correlation_id: randomUUID(),
  causation_id: null,
});

/** A list of `owner` after `steps`, each one minute after the last, as the fold leaves it. */
function fold(id: string, owner: string, steps: [string, MembershipCommand][]): ListState {
  const at = (i: number) => new Date(Date.UTC(2026, 2, 1, 10, i, 0, 123)).toISOString();
  const created: PendingEvent = {
    event_type: 'list.created',
    aggregate_type: 'list',
    aggregate_id: id,
    data: {
      list: {
        id,
        user_id: owner,
        name: 'Shared',
        color: '#00aa00',
        position: 1,
        inbox: false,
        created_at: at(0),
        deleted_at: null,
      },
    },
  };
  let list = evolveList(null, stamp(null, created, at(0))) as ListState;
  for (const [i, [actor, command]] of steps.entries())
    for (const e of decideMembership(command, list, { now: new Date(at(i + 1)), actor }))
      list = evolveList(list, stamp(list, e, at(i + 1))) as ListState;
  return list;
}

/** Writes a folded list as its rows: the lists row (every field persist writes) and one list_members row per member. */
async function write(db: Db, list: ListState): Promise<void> {
  const fields = LIST_FIELDS as readonly string[];
  const values = fields.map((f) => (list as unknown as Record<string, unknown>)[f]);
  await db.query(
    `INSERT INTO lists (id, user_id, ${fields.join(', ')}) VALUES ($1, $2, ${fields.map((_, i) => `$${i + 3}`).join(', ')})
     ON CONFLICT (id) DO UPDATE SET user_id = $2, ${fields.map((f, i) => `${f} = $${i + 3}`).join(', ')}`,
    [list.id, list.user_id, ...values],
  );
  for (const m of list.members)
    await db.query(
      `INSERT INTO list_members (list_id, user_id, role, state, invited_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (list_id, user_id) DO UPDATE SET role = $3, state = $4, invited_by = $5, updated_at = $7`,
      [list.id, m.user_id, m.role, m.state, m.invited_by, m.created_at, m.updated_at],
    );
}

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const share = (user_id: string): MembershipCommand => ({ type: 'share', user_id, role: 'editor' });

for (const adapter of ADAPTERS) {
  test(`${adapter.name}: a shared list's rows read back as its fold, and list_access grants whom accessOf grants`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      for (const u of USERS) await db.query('INSERT INTO users (id) VALUES ($1)', [u]);
      const id = randomUUID();
      const access = async (listId = id): Promise<string[]> =>
        (await db.query<{ user_id: string }>('SELECT user_id FROM list_access WHERE list_id = $1', [listId])).rows
          .map((r) => r.user_id)
          .sort();
      const read = async (listId = id): Promise<ListState | undefined> =>
        (await db.query<ListState>(`SELECT ${LIST_COLUMNS} FROM lists WHERE id = $1`, [listId])).rows[0];

      const fresh = fold(id, 'alice', []);
      await write(db, fresh);
      t.deepEqual(await read(), fresh, 'never shared: no members, not shared');
      t.deepEqual(await access(), ['alice']);

      // bob active, carol invited, dave removed, erin declined.
      const shared = fold(id, 'alice', [
        ['alice', share('bob')],
        ['bob', { type: 'accept' }],
        ['alice', share('carol')],
        ['alice', share('dave')],
        ['dave', { type: 'accept' }],
        ['alice', { type: 'remove', user_id: 'dave' }],
        ['alice', share('erin')],
        ['erin', { type: 'decline' }],
      ]);
      await write(db, shared);
      t.deepEqual(await read(), shared);
      t.deepEqual(await access(), [...accessOf(shared)].sort());
      t.deepEqual(await access(), ['alice', 'bob']);

      // The ownership moves: the roles swap and lists.user_id follows.
      const other = randomUUID();
      const handed = fold(other, 'alice', [
        ['alice', share('bob')],
        ['bob', { type: 'accept' }],
        ['alice', { type: 'transfer', user_id: 'bob' }],
      ]);
      await write(db, handed);
      t.deepEqual(await read(other), handed);
      t.deepEqual(await access(other), ['alice', 'bob']);

      // Deleted: only the owner keeps access.
      const deleted = { ...handed, deleted_at: '2026-03-02T00:00:00.000Z', version: handed.version + 1 };
      await write(db, deleted);
      t.deepEqual(await access(other), [...accessOf(deleted)].sort());
      t.deepEqual(await access(other), ['bob']);

      // One owner row per list.
      await t.throwsAsync(
        db.query(`UPDATE list_members SET role = 'owner' WHERE list_id = $1 AND user_id = 'alice'`, [other]),
        { message: /list_members_one_owner/ },
      );
      await t.throwsAsync(
        db.query(`UPDATE list_members SET state = 'gone' WHERE list_id = $1 AND user_id = 'alice'`, [id]),
        { message: /list_members_state_check/ },
      );
    } finally {
      await drop();
    }
  });

  test(`${adapter.name}: deliveries and an event's actor and scope are history: only published_at may be set, once`, async (t) => {
    const { db, drop } = await adapter.open();
    try {
      const user = `u-${randomUUID()}`;
      const id = randomUUID();
      const { events } = await new TaskTurns(db).execute(
        user,
        id,
        { type: 'create', id, data: { title: 'shared' } },
        { correlationId: randomUUID() },
      );
      const eventId = events[0]?.event_id;
      await db.query(`INSERT INTO users (id) VALUES ('bob')`);
      await db.query(`INSERT INTO event_deliveries (user_id, seq, event_id) VALUES ('bob', 1, $1)`, [eventId]);
      await t.throwsAsync(
        db.query(`INSERT INTO event_deliveries (user_id, seq, event_id) VALUES ('bob', 2, $1)`, [eventId]),
        {
          message: /event_deliveries_event_id_user_id_key|duplicate/,
        },
      );
      await t.throwsAsync(db.query(`UPDATE event_deliveries SET seq = 5 WHERE user_id = 'bob'`), {
        message: /immutable/,
      });
      await t.throwsAsync(db.query(`DELETE FROM event_deliveries WHERE user_id = 'bob'`), { message: /immutable/ });
      await t.throwsAsync(db.query('TRUNCATE event_deliveries'), { message: /immutable|cannot truncate/ });
      t.is((await db.query(`UPDATE event_deliveries SET published_at = now() WHERE user_id = 'bob'`)).rowCount, 1);
      await t.throwsAsync(
        db.query(`UPDATE event_deliveries SET published_at = now() + interval '1 hour' WHERE user_id = 'bob'`),
        { message: /once/ },
      );
      await t.throwsAsync(db.query(`UPDATE events SET actor_id = 'mallory' WHERE event_id = $1`, [eventId]), {
        message: /immutable/,
      });
      await t.throwsAsync(
        db.query(`UPDATE events SET scope = ARRAY[gen_random_uuid()] WHERE event_id = $1`, [eventId]),
        {
          message: /immutable/,
        },
      );
      t.is((await db.query('UPDATE events SET published_at = now() WHERE event_id = $1', [eventId])).rowCount, 1);
    } finally {
      await drop();
    }
  });
}
