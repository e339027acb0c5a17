// The membership audit (test/helpers/membership-audit.ts), on PGlite and PostgreSQL: on a shared list's
// history made through the API (share, accept, members editing each other's tasks, removal, re-invitation,
// leaving, the list's delete sending each task to its home user's Inbox) it finds no row outside a
// membership window and no gap; and a leak written by hand inside a transaction that is then
// rolled back (a delivery to a stranger, one to a member after they left, a seq skipped or held twice) is
// caught, naming the row. So the audit the chaos run and the model test rely on is shown able to fail.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { TestApp } from '../helpers/app.ts';
import { ok, injectedApps, DATABASES } from '../helpers/api-suite.ts';
import { auditGaps, auditMembership } from '../helpers/membership-audit.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Queryable } from '../../host/db/types.ts';

const suite = injectedApps();

/** Thrown to roll a transaction back after the audit inside it was read. */
class RollBack extends Error {}

/** Runs `fn` in a transaction that is always rolled back: the hand-made leak never outlives the test. */
async function rolledBack(app: TestApp, fn: (tx: Queryable) => Promise<void>): Promise<void> {
  await app.app.db
    .transaction(async (tx) => {
      await fn(tx);
      throw new RollBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RollBack)) throw error;
    });
}

/** Appends `eventId` to `userId`'s stream as a delivery row at their next seq, as persist would for a recipient. */
async function deliver(tx: Queryable, userId: string, eventId: string): Promise<number> {
  const bumped = await tx.query<{ seq: number }>(
    'UPDATE users SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq::int AS seq',
    [userId],
  );
  const seq = bumped.rows[0]?.seq;
  if (seq === undefined) throw new Error(`no user ${userId}`);
  await tx.query('INSERT INTO event_deliveries (user_id, seq, event_id) VALUES ($1, $2, $3)', [userId, seq, eventId]);
  return seq;
}

for (const database of DATABASES) {
  test(`${database}: a shared list's history has no row outside a membership window and no gap; a hand-made leak is caught`, async (t) => {
    const { app, call } = suite(database);
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((name) => {
      const id = `${name}-${randomUUID()}`;
      return { id, token: app.token(id) };
    }) as [
      { id: string; token: string },
      { id: string; token: string },
      { id: string; token: string },
      { id: string; token: string },
    ];
    const users = [alice, bob, carol, dave].map((u) => u.id);
    for (const u of [alice, bob, carol, dave]) await ok(call('GET', '/me', { token: u.token }));
    const list = (await ok(call('POST', '/lists', { token: alice.token, body: { name: 'Groceries' } }), 201))
      .id as string;
    const edit = (who: { token: string }, id: string) =>
      ok(call('PATCH', `/tasks/${id}`, { token: who.token, body: { title: `edit ${randomUUID()}` } }));
    for (const u of [bob, dave]) {
      await ok(call('POST', `/lists/${list}/members`, { token: alice.token, body: { user_id: u.id } }), 201);
      await ok(call('POST', `/invitations/${list}/accept`, { token: u.token }));
    }
    const create = async (who: { token: string }, title: string, extra: Record<string, unknown> = {}) =>
      (await ok(call('POST', '/tasks', { token: who.token, body: { title, list_id: list, ...extra } }), 201))
        .id as string;
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const milk = await create(bob, 'buy oat milk', { due_date: soon, reminders: [{ before: 'PT10M' }] });
    const eggs = await create(alice, 'buy eggs');
    await ok(call('POST', '/tasks', { token: carol.token, body: { title: "carol's own" } }), 201);
    await edit(alice, milk);
    await edit(dave, eggs);
    await ok(call('DELETE', `/lists/${list}/members/${dave.id}`, { token: alice.token }), 204);
    await edit(alice, milk);
    await edit(bob, eggs);
    await ok(call('POST', `/lists/${list}/members`, { token: alice.token, body: { user_id: dave.id } }), 201);
    // Renamed while Dave's invitation is open: the rename reaches him (his invitation shows the name), the
    // edit below does not.
    await ok(call('PATCH', `/lists/${list}`, { token: alice.token, body: { name: 'Groceries & more' } }));
    await edit(alice, eggs);
    await ok(call('POST', `/invitations/${list}/accept`, { token: dave.token }));
    const bread = await create(dave, 'buy bread');
    // Bob's own reminder cancelled (the due date dropped): it reaches Bob alone.
    await ok(call('PATCH', `/tasks/${milk}`, { token: bob.token, body: { due_date: null } }));
    await ok(call('DELETE', `/lists/${list}/members/${bob.id}`, { token: bob.token }), 204);
    await edit(dave, milk);
    await edit(alice, bread);
    const latest = await app.app.db.query<{ event_id: string }>(
      `SELECT event_id::text AS event_id FROM events WHERE aggregate_id = $1 ORDER BY version DESC LIMIT 1`,
      [bread],
    );
    // Alice's last edit, made after Bob left.
    const eventId = latest.rows[0]?.event_id as string;
    // The list deleted: each task goes back to its home user's Inbox, Bob's (who left) and Dave's (whose
    // membership ended with the delete) too, which reaches them as their own task coming home.
    await ok(call('DELETE', `/lists/${list}`, { token: alice.token }), 204);
    await eventually(
      async () =>
        (
          await app.app.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM tasks WHERE list_id = $1 AND deleted_at IS NULL',
            [list],
          )
        ).rows[0]?.n === 0,
      { what: "the deleted list's tasks went home" },
    );

    const renames = await app.app.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM event_deliveries d JOIN events e ON e.event_id = d.event_id
        WHERE d.user_id = $1 AND e.event_type = 'list.updated' AND e.aggregate_id = $2`,
      [dave.id, list],
    );
    t.is(renames.rows[0]?.n, 1, 'Dave, invited again, received the rename');
    const clean = await auditMembership(app.app.db, { users });
    t.deepEqual(clean.rows, [], 'no row outside a membership window');
    t.is(clean.outside, 0);
    // The events about the shared list above, each in one stream or more.
    t.true(clean.checked >= 20, `only ${clean.checked} rows about the shared list checked`);
    t.like(await auditGaps(app.app.db, { users }), { users: 4, gapped: 0, streams: [] });

    // A stranger receives the list's task event: caught, named.
    await rolledBack(app, async (tx) => {
      const seq = await deliver(tx, carol.id, eventId);
      const audit = await auditMembership(tx, { users });
      t.is(audit.outside, 1, 'a delivery to a stranger is caught');
      t.like(audit.rows[0], { user_id: carol.id, seq, event_id: eventId, aggregate_id: bread, canonical: false });
      t.deepEqual(audit.rows[0]?.scope, [list]);
      t.like(await auditGaps(tx, { users }), { gapped: 0 }, 'the leak itself keeps her stream gapless');
    });
    // A member who left receives an event committed after they left: caught.
    await rolledBack(app, async (tx) => {
      const seq = await deliver(tx, bob.id, eventId);
      const audit = await auditMembership(tx, { users, limit: 5 });
      t.is(audit.outside, 1, 'a delivery after leaving is caught');
      t.like(audit.rows[0], { user_id: bob.id, seq, event_id: eventId });
    });
    // A skipped seq and a seq held twice: both streams named.
    await rolledBack(app, async (tx) => {
      await tx.query('UPDATE users SET last_seq = last_seq + 1 WHERE id = $1', [alice.id]);
      await tx.query('INSERT INTO event_deliveries (user_id, seq, event_id) VALUES ($1, $2, $3)', [
        carol.id,
        1,
        eventId,
      ]);
      const gaps = await auditGaps(tx, { users });
      t.is(gaps.gapped, 2);
      t.deepEqual(gaps.streams.map((s) => s.user_id).sort(), [alice.id, carol.id].sort());
      const held = gaps.streams.find((s) => s.user_id === carol.id);
      t.true(held !== undefined && held.rows === held.distinct + 1, 'seq 1 held twice');
    });
    // Rolled back: clean again.
    t.is((await auditMembership(app.app.db, { users })).outside, 0);
    t.is((await auditGaps(app.app.db, { users })).gapped, 0);
  });
}
