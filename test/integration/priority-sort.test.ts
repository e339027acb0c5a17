// Sorted by priority, the tasks of one priority come by due date, soonest first, those without one last
// (all-day dates at their day's start), whoever's list they are in; descending is the exact reverse; a
// cursor pages through both without repeating or skipping a task. On PostgreSQL and on PGlite.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DATABASES, injectedApps, ok } from '../helpers/api-suite.ts';

const apps = injectedApps();
type Json = Record<string, unknown>;

const inDays = (days: number, hour = 9) => {
  const d = new Date();
  d.setUTCHours(hour, 0, 0, 0);
  return new Date(d.getTime() + days * 86_400_000).toISOString();
};

for (const database of DATABASES) {
  test(`${database}: under one priority, soonest due first and no due last; descending reverses it; pages agree`, async (t) => {
    const { app, call } = apps(database);
    const ownerId = `prio-${randomUUID()}`;
    const owner = app.token(ownerId);
    const friendId = `prio-friend-${randomUUID()}`;
    const friend = app.token(friendId);
    await ok(call('GET', '/me', { token: friend }));
    await ok(call('GET', '/me', { token: owner }));
    const make = async (token: string, title: string, priority: number, due?: string, extra: Json = {}) =>
      (
        await ok(
          call('POST', '/tasks', { token, body: { title, priority, ...(due ? { due_date: due } : {}), ...extra } }),
          201,
        )
      ).id as string;
    // Made in an order unlike the one expected, so neither creation time nor a random id could pass.
    await make(owner, 'P4 no date', 4);
    await make(owner, 'P1 in 3 days', 1, inDays(3));
    await make(owner, 'P1 no date', 1);
    await make(owner, 'P4 in 5 days', 4, inDays(5));
    await make(owner, 'P1 tomorrow', 1, inDays(1));
    await make(owner, 'P4 all day in 4 days', 4, inDays(4).slice(0, 10));
    await make(owner, 'P2 in 2 days', 2, inDays(2));
    await make(owner, 'P1 in 2 days, late', 1, inDays(2, 20));
    // A daily series started ten days ago, at a time of day six hours from now: it ties by its next
    // occurrence (5 to 30 hours ahead), not by its start, which would put it first.
    const seriesHour = new Date(Date.now() + 6 * 3_600_000).getUTCHours();
    const seriesId = await make(owner, 'P1 daily series', 1, inDays(-10, seriesHour), {
      recurrence_rule: 'FREQ=DAILY',
    });
    // A task of another user's list shared with the owner sorts among the owner's own.
    const shared = (await ok(call('POST', '/lists', { token: friend, body: { name: 'Shared' } }), 201)).id as string;
    await ok(
      call('POST', `/lists/${shared}/members`, { token: friend, body: { user_id: ownerId, role: 'editor' } }),
      201,
    );
    await ok(call('POST', `/invitations/${shared}/accept`, { token: owner }));
    await make(friend, "Friend's P1 in 2 days", 1, inDays(2), { list_id: shared });

    const next = Date.parse((await ok(call('GET', `/tasks/${seriesId}`, { token: owner }))).next_occurrence as string);
    t.true(next > Date.now() + 4 * 3_600_000, 'the series has its next occurrence hours ahead');
    // A P1 task an hour before it: the series comes after it (by its start it would come first).
    await make(owner, 'P1 an hour before the series', 1, new Date(next - 3_600_000).toISOString());
    const p1: [string, number][] = [
      ['P1 tomorrow', Date.parse(inDays(1))],
      ["Friend's P1 in 2 days", Date.parse(inDays(2))],
      ['P1 in 2 days, late', Date.parse(inDays(2, 20))],
      ['P1 in 3 days', Date.parse(inDays(3))],
      ['P1 daily series', next],
      ['P1 an hour before the series', next - 3_600_000],
    ];
    const expected = [
      ...p1.sort((a, b) => a[1] - b[1]).map(([title]) => title),
      'P1 no date',
      'P2 in 2 days',
      'P4 all day in 4 days',
      'P4 in 5 days',
      'P4 no date',
    ];
    for (const order of ['asc', 'desc'] as const) {
      const want = order === 'asc' ? expected : [...expected].reverse();
      const all = await ok(call('GET', `/tasks?sort=priority&order=${order}&limit=50`, { token: owner }));
      t.deepEqual(
        (all.tasks as Json[]).map((x) => x.title),
        want,
        `${order}: one page`,
      );
      for (const limit of [1, 2, 4]) {
        const seen: unknown[] = [];
        let cursor: string | null = null;
        do {
          const page: Json = await ok(
            call('GET', `/tasks?sort=priority&order=${order}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, {
              token: owner,
            }),
          );
          seen.push(...(page.tasks as Json[]).map((x) => x.title));
          cursor = page.next_cursor as string | null;
        } while (cursor !== null && seen.length <= expected.length);
        t.deepEqual(seen, want, `${order}: pages of ${limit}`);
      }
    }

    // A cursor of the kind the API gave before ties had a key of their own ('1', the priority alone), held by
    // a page open across the upgrade: that priority's tasks again from the first, nothing lost.
    const first = await ok(call('GET', '/tasks?sort=priority&limit=1', { token: owner }));
    const made = JSON.parse(Buffer.from(first.next_cursor as string, 'base64url').toString('utf8')) as Json;
    const old = Buffer.from(JSON.stringify({ ...made, k: '1' })).toString('base64url');
    const resumed = await ok(call('GET', `/tasks?sort=priority&limit=50&cursor=${old}`, { token: owner }));
    t.deepEqual(
      (resumed.tasks as Json[]).map((x) => x.title),
      expected,
      'an old cursor in P1: from the first P1 on',
    );
    // Anything else that is not a cursor of this sort is refused, naming it.
    for (const k of ['0', '1|tomorrow', '5|', '1|2026-13-01T00:00:00Z', '1|*']) {
      const cursor = Buffer.from(JSON.stringify({ ...made, k })).toString('base64url');
      const refused = await call('GET', `/tasks?sort=priority&limit=1&cursor=${cursor}`, { token: owner });
      t.is(refused.status, 400, k);
      t.is(refused.body.field, 'cursor', k);
    }
  });
}
