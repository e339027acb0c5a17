// Lists, labels, priority, search, filters, sorts with cursor paging and the views (issue 15), through
// the REST API on embedded PGlite (server.inject), as a user in a zone far from UTC would use them.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { injectedApp, ok } from '../helpers/api-suite.ts';
import { ManualClock } from '../helpers/clock.ts';
import { eventually } from '../helpers/eventually.ts';
import { inboxIdOf } from '../../actors/list/index.ts';

const suite = injectedApp();
const { call } = suite;
/**
 * The views test's app stands at noon today in Pacific/Kiritimati on a clock that does not move: the
 * views read the app's clock, so no midnight can pass between making the tasks and reading the views.
 */
const VIEWS_ZONE = 'Pacific/Kiritimati';
const noon = new ManualClock(
  DateTime.now().setZone(VIEWS_ZONE).set({ hour: 12, minute: 0, second: 0, millisecond: 0 }).toMillis(),
);
const atNoon = injectedApp({ database: 'pglite', clock: noon.date });

type Json = Record<string, unknown>;
const user = () => suite.app.token(`org-${randomUUID()}`);
const titles = (body: Json) => (body.tasks as Json[]).map((t) => t.title);

test('a user has an Inbox from the first request; lists are created, renamed, reordered and deleted, their tasks moving to the Inbox', async (t) => {
  const alice = user();
  const first = await ok(call('GET', '/lists', { token: alice }));
  const [inbox] = first.lists as Json[];
  t.like(inbox, { name: 'Inbox', inbox: true, position: 0, version: 0 });

  const work = await ok(call('POST', '/lists', { token: alice, body: { name: ' Work ', color: '#FF8800' } }), 201);
  t.like(work, { name: 'Work', color: '#ff8800', inbox: false, version: 1, position: 1 });
  const home = await ok(call('POST', '/lists', { token: alice, body: { name: 'Home', position: 5 } }), 201);
  const errands = await ok(call('POST', '/lists', { token: alice, body: { name: 'Errands' } }), 201);
  t.is(errands.position, 6, 'a new list goes after the last one');
  const renamed = await ok(
    call('PATCH', `/lists/${home.id}`, {
      token: alice,
      body: { name: 'House', position: 0 },
      headers: { 'if-match': '1' },
    }),
  );
  t.like(renamed, { name: 'House', position: 0, version: 2 });
  t.is(
    (await call('PATCH', `/lists/${home.id}`, { token: alice, body: { name: 'x' }, headers: { 'if-match': '1' } }))
      .status,
    412,
  );
  t.deepEqual(
    ((await ok(call('GET', '/lists', { token: alice }))).lists as Json[]).map((l) => l.name),
    ['Inbox', 'House', 'Work', 'Errands'],
  );

  // Tasks in lists; a move is a PATCH with list_id; an unknown list is a 400 naming list_id.
  const report = await ok(call('POST', '/tasks', { token: alice, body: { title: 'Report', list_id: work.id } }), 201);
  const milk = await ok(call('POST', '/tasks', { token: alice, body: { title: 'Milk' } }), 201);
  t.is(milk.list_id, inbox?.id, 'a task without a list is in the Inbox');
  const moved = await ok(call('PATCH', `/tasks/${milk.id}`, { token: alice, body: { list_id: errands.id } }));
  t.is(moved.list_id, errands.id);
  const history = await ok(call('GET', `/tasks/${milk.id}/history`, { token: alice }));
  t.like((history.events as Json[]).at(-1), {
    event_type: 'task.updated',
    data: { changes: { list_id: { from: inbox?.id, to: errands.id } } },
  });
  const unknown = await call('POST', '/tasks', { token: alice, body: { title: 'x', list_id: randomUUID() } });
  t.is(unknown.status, 400);
  t.is(unknown.body.field, 'list_id');
  t.deepEqual(titles(await ok(call('GET', `/tasks?list_id=${work.id}`, { token: alice }))), ['Report']);

  // The Inbox cannot be deleted; a deleted list's tasks go to the Inbox (or are deleted when asked).
  const inboxDelete = await call('DELETE', `/lists/${inbox?.id}`, { token: alice });
  t.is(inboxDelete.status, 409);
  t.is(inboxDelete.body.field, 'id');
  t.is((await call('DELETE', `/lists/${work.id}`, { token: alice })).status, 204);
  t.is((await ok(call('GET', `/tasks/${report.id}`, { token: alice }))).list_id, inbox?.id);
  t.is(
    (await call('DELETE', `/lists/${work.id}`, { token: alice })).status,
    204,
    'deleting again is fine (and finishes any move)',
  );
  t.is((await call('PATCH', `/lists/${work.id}`, { token: alice, body: { name: 'back' } })).status, 404);
  const moveToDeleted = await call('PATCH', `/tasks/${report.id}`, { token: alice, body: { list_id: work.id } });
  t.is(moveToDeleted.status, 400);
  t.is((await call('DELETE', `/lists/${errands.id}?tasks=delete`, { token: alice })).status, 204);
  t.is((await call('GET', `/tasks/${milk.id}`, { token: alice })).status, 404, 'deleted with its list');
  t.deepEqual(
    ((await ok(call('GET', '/lists', { token: alice }))).lists as Json[]).map((l) => l.name),
    ['Inbox', 'House'],
  );

  // The events are in the user's gapless seq, list events included.
  const events = await ok(call('GET', '/events?after=0&limit=1000', { token: alice }));
  const seqs = (events.events as Json[]).map((e) => e.seq as number);
  t.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
  t.true((events.events as Json[]).some((e) => e.event_type === 'list.deleted' && (e.data as Json).tasks === 'delete'));
});

test('labels: unique names, on tasks, renamed for every task at once, and stripped from every task when deleted', async (t) => {
  const bob = user();
  const urgent = await ok(call('POST', '/labels', { token: bob, body: { name: 'Urgent', color: '#aa0000' } }), 201);
  const later = await ok(call('POST', '/labels', { token: bob, body: { name: 'later' } }), 201);
  const taken = await call('POST', '/labels', { token: bob, body: { name: 'URGENT' } });
  t.is(taken.status, 409);
  t.is(taken.body.field, 'name');
  const a = await ok(
    call('POST', '/tasks', { token: bob, body: { title: 'A', labels: [urgent.id, later.id, urgent.id], priority: 1 } }),
    201,
  );
  t.deepEqual(a.labels, [urgent.id, later.id].sort());
  t.is(a.priority, 1);
  const b = await ok(call('POST', '/tasks', { token: bob, body: { title: 'B' } }), 201);
  t.is(b.priority, 4);
  t.deepEqual(b.labels, []);
  const tagged = await ok(call('PATCH', `/tasks/${b.id}`, { token: bob, body: { labels: [urgent.id], priority: 2 } }));
  t.deepEqual(tagged.labels, [urgent.id]);
  const bad = await call('PATCH', `/tasks/${b.id}`, { token: bob, body: { labels: [randomUUID()] } });
  t.is(bad.status, 400);
  t.is(bad.body.field, 'labels');
  t.is((await call('PATCH', `/tasks/${b.id}`, { token: bob, body: { priority: 5 } })).status, 400);

  t.deepEqual(titles(await ok(call('GET', `/tasks?label=${urgent.id}&sort=title`, { token: bob }))), ['A', 'B']);
  t.deepEqual(titles(await ok(call('GET', `/tasks?label=${later.id}`, { token: bob }))), ['A']);
  const renamed = await ok(call('PATCH', `/labels/${urgent.id}`, { token: bob, body: { name: 'Now' } }));
  t.like(renamed, { name: 'Now', version: 2 });
  t.deepEqual(
    ((await ok(call('GET', '/labels', { token: bob }))).labels as Json[]).map((l) => l.name),
    ['later', 'Now'],
  );

  t.is((await call('DELETE', `/labels/${urgent.id}`, { token: bob })).status, 204);
  t.deepEqual((await ok(call('GET', `/tasks/${a.id}`, { token: bob }))).labels, [later.id]);
  t.deepEqual((await ok(call('GET', `/tasks/${b.id}`, { token: bob }))).labels, []);
  const strip = await ok(call('GET', `/tasks/${b.id}/history`, { token: bob }));
  t.like((strip.events as Json[]).at(-1), {
    event_type: 'task.updated',
    data: { reason: 'label_deleted', changes: { labels: { from: [urgent.id], to: [] } } },
  });
  t.is((await call('PATCH', `/labels/${urgent.id}`, { token: bob, body: { name: 'again' } })).status, 404);
  // Its name is free again.
  await ok(call('POST', '/labels', { token: bob, body: { name: 'urgent' } }), 201);
});

test('search finds a task by a word of its description (prefixes too), and every filter narrows', async (t) => {
  const carol = user();
  const list = await ok(call('POST', '/lists', { token: carol, body: { name: 'Shop' } }), 201);
  await ok(
    call('POST', '/tasks', {
      token: carol,
      body: { title: 'Groceries', description: 'oat milk and Café beans', list_id: list.id, priority: 2 },
    }),
    201,
  );
  const done = await ok(
    call('POST', '/tasks', {
      token: carol,
      body: { title: 'Call the plumber', description: 'kitchen sink', due_date: '2030-01-02T10:00:00Z' },
    }),
    201,
  );
  await ok(
    call('POST', '/tasks', {
      token: carol,
      body: { title: 'Milk run', due_date: '2030-01-05T10:00:00Z', priority: 1 },
    }),
    201,
  );
  await ok(call('POST', `/tasks/${done.id}/complete`, { token: carol }));

  t.deepEqual(titles(await ok(call('GET', `/tasks?q=${encodeURIComponent('beans')}`, { token: carol }))), [
    'Groceries',
  ]);
  t.deepEqual(
    titles(await ok(call('GET', '/tasks?q=MIL&sort=title', { token: carol }))),
    ['Groceries', 'Milk run'],
    'a prefix, case-insensitively, title or description',
  );
  t.deepEqual(titles(await ok(call('GET', '/tasks?q=caf%C3%A9', { token: carol }))), ['Groceries']);
  // Text is one text whichever Unicode form it was typed in (NFC kept): é decomposed (e + U+0301) finds é
  // precomposed, and a title pasted decomposed is found by the word typed precomposed.
  t.deepEqual(titles(await ok(call('GET', '/tasks?q=cafe%CC%81', { token: carol }))), ['Groceries']);
  const rene = await ok(call('POST', '/tasks', { token: carol, body: { title: 'Rene\u0301 birthday' } }), 201);
  t.is(rene.title, 'Ren\u00e9 birthday', 'stored in NFC');
  t.deepEqual(titles(await ok(call('GET', '/tasks?q=Ren%C3%A9', { token: carol }))), ['Ren\u00e9 birthday']);
  await ok(call('DELETE', `/tasks/${rene.id}`, { token: carol }), 204);
  t.deepEqual(
    titles(await ok(call('GET', '/tasks?q=milk%20oat', { token: carol }))),
    ['Groceries'],
    'every word must match',
  );
  t.deepEqual(titles(await ok(call('GET', '/tasks?q=%21%21', { token: carol }))), [], 'no word: nothing matches');
  // #List and @label name a list and a label of the caller's, as quick add reads them; the rest are words.
  const errands = await ok(call('POST', '/labels', { token: carol, body: { name: 'errands' } }), 201);
  await ok(call('PATCH', `/tasks/${done.id}`, { token: carol, body: { labels: [errands.id] } }));
  const search = async (text: string) =>
    titles(await ok(call('GET', `/tasks?sort=title&q=${encodeURIComponent(text)}`, { token: carol })));
  t.deepEqual(await search('#shop'), ['Groceries'], 'a list alone: all of its tasks');
  t.deepEqual(await search('@errands'), ['Call the plumber']);
  t.deepEqual(await search('milk #Shop'), ['Groceries'], 'a word within the list');
  t.deepEqual(await search('run #Shop'), [], 'both must hold');
  t.deepEqual(await search('@nobody milk'), [], 'a tag naming nothing of theirs stays a word');
  t.deepEqual(titles(await ok(call('GET', '/tasks?completed=true', { token: carol }))), ['Call the plumber']);
  t.deepEqual(titles(await ok(call('GET', '/tasks?completed=false&sort=title', { token: carol }))), [
    'Groceries',
    'Milk run',
  ]);
  t.deepEqual(titles(await ok(call('GET', '/tasks?priority=1', { token: carol }))), ['Milk run']);
  t.deepEqual(titles(await ok(call('GET', `/tasks?list_id=${list.id}`, { token: carol }))), ['Groceries']);
  t.deepEqual(
    titles(await ok(call('GET', `/tasks?list_id=${inboxIdOf(`org-x`)}`, { token: carol }))),
    [],
    "another user's Inbox holds nothing of mine",
  );
  t.deepEqual(titles(await ok(call('GET', '/tasks?due_after=2030-01-03T00:00:00Z', { token: carol }))), ['Milk run']);
  t.deepEqual(titles(await ok(call('GET', '/tasks?due_before=2030-01-03T00:00:00Z', { token: carol }))), [
    'Call the plumber',
  ]);
  const completed = await ok(call('GET', '/tasks?view=completed', { token: carol }));
  t.deepEqual(titles(completed), ['Call the plumber']);
  t.truthy((completed.tasks as Json[])[0]?.completed_at);
});

test('every sort pages with a cursor that neither repeats nor skips a task while tasks are created, edited and deleted', async (t) => {
  const dave = user();
  const ids: string[] = [];
  for (let i = 0; i < 14; i++) {
    const body: Json = { title: `Task ${String.fromCharCode(97 + ((i * 5) % 14))}${i}`, priority: (i % 4) + 1 };
    if (i % 3 !== 0) body.due_date = new Date(Date.UTC(2031, 0, 1 + ((i * 7) % 10), 9)).toISOString();
    ids.push((await ok(call('POST', '/tasks', { token: dave, body }), 201)).id as string);
  }
  for (const [sort, order] of [
    ['due', 'asc'],
    ['due', 'desc'],
    ['priority', 'asc'],
    ['priority', 'desc'],
    ['created', 'desc'],
    ['created', 'asc'],
    ['title', 'asc'],
    ['title', 'desc'],
  ] as const) {
    const all = await ok(call('GET', `/tasks?sort=${sort}&order=${order}&limit=200`, { token: dave }));
    const expected = (all.tasks as Json[]).map((x) => x.id as string);
    t.is(expected.length, 14);
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const body: Json = await ok(
        call('GET', `/tasks?sort=${sort}&order=${order}&limit=4${cursor ? `&cursor=${cursor}` : ''}`, { token: dave }),
      );
      seen.push(...(body.tasks as Json[]).map((x) => x.id as string));
      cursor = body.next_cursor as string | null;
      if (page++ === 0) {
        // While paging: a new task, a task deleted that was seen, a task edited without changing its key.
        const extra = await ok(
          call('POST', '/tasks', { token: dave, body: { title: `zz extra ${sort}${order}` } }),
          201,
        );
        await call('DELETE', `/tasks/${extra.id}`, { token: dave });
        await ok(call('PATCH', `/tasks/${seen[0]}`, { token: dave, body: { description: 'touched' } }));
      }
    } while (cursor !== null);
    t.deepEqual(seen, expected, `${sort} ${order}`);
  }
  // Tasks without a due date come last in either order.
  const due = await ok(call('GET', '/tasks?sort=due&order=desc&limit=200', { token: dave }));
  t.is((due.tasks as Json[]).at(-1)?.due_date, null);
  t.not((due.tasks as Json[])[0]?.due_date, null);
  // A cursor made for another sort is refused.
  const first = await ok(call('GET', '/tasks?sort=due&limit=2', { token: dave }));
  const wrong = await call('GET', `/tasks?sort=title&limit=2&cursor=${first.next_cursor}`, { token: dave });
  t.is(wrong.status, 400);
  t.is(wrong.body.field, 'cursor');
});

test("Today, Upcoming, Overdue and counts are computed in the user's zone (Pacific/Kiritimati, UTC+14), with the occurrences of series", async (t) => {
  const call = atNoon.call;
  const erin = atNoon.app.token(`org-${randomUUID()}`);
  const zone = VIEWS_ZONE;
  await ok(call('PATCH', '/me', { token: erin, body: { timezone: zone } }));
  const now = DateTime.fromMillis(noon.now(), { zone });
  const today = now.startOf('day');
  // Wall-clock times without an offset are read in the user's zone.
  const wall = (d: DateTime) => d.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const make = async (title: string, due: DateTime | null, extra: Json = {}) =>
    await ok(
      call('POST', '/tasks', { token: erin, body: { title, ...(due ? { due_date: wall(due) } : {}), ...extra } }),
      201,
    );
  const overdue = await make('overdue', now.minus({ hours: 30 }));
  const laterToday = await make('later today', today.plus({ hours: 23, minutes: 59 }));
  await make('tomorrow', today.plus({ days: 1, hours: 12 }));
  await make('in a week', today.plus({ days: 7, hours: 12 }));
  await make('in nine days', today.plus({ days: 9, hours: 12 }));
  await make('no date', null);
  const done = await make('done', now.minus({ hours: 1 }));
  await ok(call('POST', `/tasks/${done.id}/complete`, { token: erin }));
  // A daily series at 08:00 local from tomorrow: its occurrences show in Upcoming, the series itself in no view.
  await make('stretch', today.plus({ days: 1, hours: 8 }), { recurrence_rule: 'FREQ=DAILY' });

  t.deepEqual(titles(await ok(call('GET', '/tasks?view=today', { token: erin }))), ['overdue', 'later today']);
  t.deepEqual(titles(await ok(call('GET', '/tasks?view=overdue', { token: erin }))), ['overdue']);
  t.deepEqual(titles(await ok(call('GET', '/tasks?view=upcoming', { token: erin }))), [
    'later today',
    'tomorrow',
    'in a week',
  ]);
  t.deepEqual(titles(await ok(call('GET', '/tasks?view=completed', { token: erin }))), ['done']);
  t.deepEqual(titles(await ok(call('GET', '/tasks?view=today&sort=title&order=desc', { token: erin }))), [
    'overdue',
    'later today',
  ]);

  const counts = await ok(call('GET', '/views/counts', { token: erin }));
  t.like(counts, { today: 2, overdue: 1, upcoming: 3, completed_recent: 1 });
  t.is(counts.next_change_at, laterToday.due_date, 'the counts change next when "later today" comes due');
  t.is(counts.upcoming_occurrences, 7, "the series' 08:00 on each of Upcoming's 7 days after today");
  // Without it they change next at the local midnight (Today's day ends).
  await ok(call('DELETE', `/tasks/${laterToday.id}`, { token: erin }), 204);
  t.is(
    (await ok(call('GET', '/views/counts', { token: erin }))).next_change_at,
    today.plus({ days: 1 }).toUTC().toISO(),
    'then at midnight',
  );
  t.is((counts.lists as Json)[inboxIdOf(overdue.user_id as string)], 7, 'open tasks in the Inbox, the series included');

  const upcoming = await ok(call('GET', '/views/upcoming?days=7', { token: erin }));
  t.is(upcoming.timezone, zone);
  const days = upcoming.days as { date: string; tasks: Json[]; occurrences: Json[] }[];
  t.deepEqual(
    days.map((d) => d.date),
    Array.from({ length: 8 }, (_, i) => today.plus({ days: i }).toISODate()),
  );
  t.deepEqual(
    days[1]?.tasks.map((x) => x.title),
    ['tomorrow'],
  );
  t.deepEqual(
    days[7]?.tasks.map((x) => x.title),
    ['in a week'],
  );
  // 08:00 local each day from tomorrow (the clock stands at noon today: none is spawned yet).
  for (const day of days.slice(2)) {
    t.deepEqual(
      day.occurrences.map((o) =>
        DateTime.fromISO(o.at as string)
          .setZone(zone)
          .toFormat('HH:mm'),
      ),
      ['08:00'],
      day.date,
    );
  }
});

test("Today's count holds a series' occurrences still ahead today, as Upcoming's today lists them", async (t) => {
  const call = atNoon.call;
  const fay = atNoon.app.token(`org-${randomUUID()}`);
  await ok(call('PATCH', '/me', { token: fay, body: { timezone: VIEWS_ZONE } }));
  const today = DateTime.fromMillis(noon.now(), { zone: VIEWS_ZONE }).startOf('day');
  const series = async (title: string, at: DateTime) =>
    await ok(
      call('POST', '/tasks', {
        token: fay,
        body: { title, due_date: at.toFormat("yyyy-MM-dd'T'HH:mm:ss"), recurrence_rule: 'FREQ=DAILY' },
      }),
      201,
    );
  await series('evening walk', today.plus({ hours: 20 }));
  await series('tomorrow morning run', today.plus({ days: 1, hours: 7 }));
  const counts = await ok(call('GET', '/views/counts', { token: fay }));
  t.like(counts, { today: 0, today_occurrences: 1, upcoming_occurrences: 15 });
  t.is(
    counts.next_change_at,
    today.plus({ hours: 20 }).toUTC().toISO(),
    'the counts change next when the evening walk comes (it spawns then)',
  );
  const upcoming = await ok(call('GET', '/views/upcoming?days=1', { token: fay }));
  const days = upcoming.days as { occurrences: Json[] }[];
  t.deepEqual(
    days[0]?.occurrences.map((o) => o.title),
    ['evening walk'],
  );
});

test('another user sees none of it: lists, labels, tasks by list or label, and 404 for each of them', async (t) => {
  const owner = user();
  const other = user();
  const list = await ok(call('POST', '/lists', { token: owner, body: { name: 'Secret' } }), 201);
  const label = await ok(call('POST', '/labels', { token: owner, body: { name: 'private' } }), 201);
  const task = await ok(
    call('POST', '/tasks', { token: owner, body: { title: 'hidden words', list_id: list.id, labels: [label.id] } }),
    201,
  );
  t.deepEqual(
    ((await ok(call('GET', '/lists', { token: other }))).lists as Json[]).map((l) => l.name),
    ['Inbox'],
  );
  t.deepEqual((await ok(call('GET', '/labels', { token: other }))).labels, []);
  t.deepEqual((await ok(call('GET', `/tasks?list_id=${list.id}`, { token: other }))).tasks, []);
  t.deepEqual((await ok(call('GET', `/tasks?label=${label.id}`, { token: other }))).tasks, []);
  t.deepEqual((await ok(call('GET', '/tasks?q=hidden', { token: other }))).tasks, []);
  t.is((await call('PATCH', `/lists/${list.id}`, { token: other, body: { name: 'mine' } })).status, 404);
  t.is((await call('DELETE', `/lists/${list.id}`, { token: other })).status, 404);
  t.is((await call('PATCH', `/labels/${label.id}`, { token: other, body: { name: 'mine' } })).status, 404);
  t.is((await call('DELETE', `/labels/${label.id}`, { token: other })).status, 404);
  t.is(
    (await call('POST', '/tasks', { token: other, body: { title: 'x', list_id: list.id } })).status,
    400,
    "another user's list is no list of mine",
  );
  t.is((await call('POST', '/tasks', { token: other, body: { title: 'x', labels: [label.id] } })).status, 400);
  t.is((await call('PATCH', `/tasks/${task.id}`, { token: other, body: { priority: 1 } })).status, 404);
  const counts = await ok(call('GET', '/views/counts', { token: other }));
  t.deepEqual(Object.keys(counts.lists as Json).length, 1);
  // And the owner's list and label still stand.
  t.is((await ok(call('GET', `/tasks/${task.id}`, { token: owner }))).list_id, list.id);
});

test('list and label writes honour Idempotency-Key: a retry answers as the first call and creates nothing more', async (t) => {
  const frank = user();
  const key = randomUUID();
  const first = await call('POST', '/lists', {
    token: frank,
    body: { name: 'Once' },
    headers: { 'idempotency-key': key },
  });
  const again = await call('POST', '/lists', {
    token: frank,
    body: { name: 'Once' },
    headers: { 'idempotency-key': key },
  });
  t.is(first.status, 201);
  t.is(again.status, 201);
  t.is(again.body.id, first.body.id);
  t.is(((await ok(call('GET', '/lists', { token: frank }))).lists as Json[]).length, 2);
  t.is(
    (await call('POST', '/lists', { token: frank, body: { name: 'Other' }, headers: { 'idempotency-key': key } }))
      .status,
    422,
  );
  const labelKey = randomUUID();
  const l1 = await call('POST', '/labels', {
    token: frank,
    body: { name: 'x' },
    headers: { 'idempotency-key': labelKey },
  });
  const l2 = await call('POST', '/labels', {
    token: frank,
    body: { name: 'x' },
    headers: { 'idempotency-key': labelKey },
  });
  t.is(l2.status, 201);
  t.is(l2.body.id, l1.body.id);
});

test("a list's open count holds a series once with its open occurrences, as the list shows it", async (t) => {
  const zed = user();
  const home = await ok(call('POST', '/lists', { token: zed, body: { name: 'Home' } }), 201);
  // Its reminder, two days ahead of each occurrence, needs its first two occurrences there at once.
  const start = DateTime.now().plus({ hours: 1 }).toUTC().toISO();
  const series = await ok(
    call('POST', '/tasks', {
      token: zed,
      body: {
        title: 'stretch',
        due_date: start,
        recurrence_rule: 'FREQ=DAILY',
        list_id: home.id,
        reminders: [{ before: 'P2D' }],
      },
    }),
    201,
  );
  await ok(call('POST', '/tasks', { token: zed, body: { title: 'plain', list_id: home.id } }), 201);
  const open = await eventually(
    async () => {
      const page = await ok(call('GET', `/tasks?series_id=${String(series.id)}&completed=false`, { token: zed }));
      return (page.tasks as Json[]).length >= 2 ? (page.tasks as Json[]) : null;
    },
    { what: 'the series spawned its first two occurrences' },
  );
  t.true(open.length >= 2);
  const counts = await ok(call('GET', '/views/counts', { token: zed }));
  t.is((counts.lists as Json)[String(home.id)], 2, 'the series (once, its occurrences with it) and the plain task');
  // An occurrence moved to another list is a task of that list.
  await ok(
    call('PATCH', `/tasks/${String(open[0]?.id)}`, {
      token: zed,
      body: { list_id: inboxIdOf(String(series.user_id)) },
    }),
  );
  const after = await ok(call('GET', '/views/counts', { token: zed }));
  t.is((after.lists as Json)[String(home.id)], 2);
  t.is((after.lists as Json)[inboxIdOf(String(series.user_id))], 1);
});

test('a label name the database folds to a taken one ("İstanbul" beside "istanbul") is a 409 naming name, either way round, never a 500', async (t) => {
  for (const [first, second] of [
    ['istanbul', 'İstanbul'],
    ['İzmir', 'izmir'],
  ]) {
    const alice = user();
    await ok(call('POST', '/labels', { token: alice, body: { name: first } }), 201);
    const taken = await call('POST', '/labels', { token: alice, body: { name: second } });
    t.is(taken.status, 409, taken.text);
    t.like(taken.body, { field: 'name' });
    const other = await ok(call('POST', '/labels', { token: alice, body: { name: 'other' } }), 201);
    const renamed = await call('PATCH', `/labels/${other.id}`, { token: alice, body: { name: second } });
    t.is(renamed.status, 409, renamed.text);
    t.is(((await ok(call('GET', '/labels', { token: alice }))).labels as Json[]).length, 2);
  }
});

test('sorted by title, every page is reached through the cursors the server gives, however long and non-ASCII the titles', async (t) => {
  const alice = user();
  const titles = ['é'.repeat(499), '😀'.repeat(500), '"'.repeat(500), 'İ'.repeat(500)];
  for (const title of titles) await ok(call('POST', '/tasks', { token: alice, body: { title } }), 201);
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const body = await ok(
      call('GET', `/tasks?sort=title&limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: alice }),
    );
    seen.push(...(body.tasks as Json[]).map((task) => task.title as string));
    if (!body.next_cursor) break;
    cursor = body.next_cursor as string;
  }
  t.deepEqual([...seen].sort(), [...titles].sort());
});
