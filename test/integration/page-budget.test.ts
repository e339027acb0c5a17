// Every list-returning read is bounded in bytes, not only in count (issue 12, "Bounded work"): big
// events and tasks make pages that stay within MAX_PAGE_BYTES, and a client that follows each route's
// paging gets every item exactly once.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { MAX_PAGE_BYTES } from '../../api/page-budget.ts';
import { injectedApp } from '../helpers/api-suite.ts';

const suite = injectedApp();
const { call } = suite;

/** 10,000 CJK characters: 30,000 bytes of UTF-8 (each event or task carrying it is over 30 KB as JSON). */
const big = (n: number) => `${n}:${'漢'.repeat(9_990)}`;
/** Enough such items for more than one page of MAX_PAGE_BYTES. */
const MANY = Math.ceil((MAX_PAGE_BYTES * 1.5) / 30_000);

test('big events: /events pages stay within the byte budget and following has_more yields every event once', async (t) => {
  const token = suite.app.token(`big-${randomUUID()}`);
  const ids: string[] = [];
  for (let i = 0; i < MANY; i++) {
    const res = await call('POST', '/tasks', { token, body: { title: `t${i}`, description: big(i) } });
    t.is(res.status, 201);
    ids.push(res.body.id as string);
  }
  const seqs: number[] = [];
  let after = 0;
  let pages = 0;
  for (let more = true; more; pages++) {
    t.true(pages < MANY + 5, 'paging ends');
    const res = await call('GET', `/events?after=${after}&limit=1000`, { token });
    t.is(res.status, 200);
    t.true(Buffer.byteLength(res.text) <= MAX_PAGE_BYTES + 4096, `page of ${Buffer.byteLength(res.text)} bytes`);
    const events = res.body.events as { seq: number }[];
    t.true(events.length > 0);
    seqs.push(...events.map((e) => e.seq));
    t.is(res.body.next_after, events.at(-1)?.seq);
    more = res.body.has_more as boolean;
    after = res.body.next_after as number;
  }
  t.true(pages > 1, 'the budget, not the count, ended a page');
  const last = (await call('GET', '/me', { token })).body.last_seq as number;
  t.deepEqual(
    seqs,
    Array.from({ length: last }, (_, i) => i + 1),
    'every event exactly once, in seq order',
  );

  // GET /tasks: the cursor follows the last task returned.
  const listed: string[] = [];
  let cursor: string | null = null;
  pages = 0;
  do {
    t.true(pages++ < MANY + 5, 'paging ends');
    const res = await call('GET', `/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      token,
    });
    t.is(res.status, 200);
    t.true(Buffer.byteLength(res.text) <= MAX_PAGE_BYTES + 4096);
    listed.push(...(res.body.tasks as { id: string }[]).map((task) => task.id));
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  t.true(pages > 1);
  t.deepEqual([...listed].sort(), [...ids].sort(), 'every task exactly once');
  t.is(new Set(listed).size, listed.length);
});

test('big history: /tasks/{id}/history pages by version within the byte budget, every event once', async (t) => {
  const token = suite.app.token(`hist-${randomUUID()}`);
  const created = await call('POST', '/tasks', { token, body: { title: 'h', description: big(0) } });
  const id = created.body.id as string;
  // Each update carries the description from and to: about 60 KB per event.
  const edits = Math.ceil(MANY / 2);
  for (let i = 1; i <= edits; i++)
    t.is((await call('PATCH', `/tasks/${id}`, { token, body: { description: big(i) } })).status, 200);
  const versions: number[] = [];
  let after = 0;
  let pages = 0;
  for (let more = true; more; pages++) {
    t.true(pages < edits + 5, 'paging ends');
    const res = await call('GET', `/tasks/${id}/history?after=${after}`, { token });
    t.is(res.status, 200);
    t.true(Buffer.byteLength(res.text) <= MAX_PAGE_BYTES + 4096, `page of ${Buffer.byteLength(res.text)} bytes`);
    const events = res.body.events as { version: number }[];
    versions.push(...events.map((e) => e.version));
    t.is(res.body.next, events.at(-1)?.version);
    more = res.body.has_more as boolean;
    after = res.body.next as number;
  }
  t.true(pages > 1, 'the budget ended a page');
  t.deepEqual(
    versions,
    Array.from({ length: edits + 1 }, (_, i) => i + 1),
    'every version exactly once, in order',
  );

  // A small page by count: has_more with next at the last version returned.
  const first = await call('GET', `/tasks/${id}/history?limit=1`, { token });
  t.is((first.body.events as unknown[]).length, 1);
  t.is(first.body.next, 1);
  t.true(first.body.has_more as boolean);
  const end = await call('GET', `/tasks/${id}/history?after=${edits + 1}`, { token });
  t.deepEqual(end.body, { events: [], next: edits + 1, has_more: false });
});

test('big upcoming tasks: /views/upcoming stays within the byte budget and says it is truncated', async (t) => {
  const token = suite.app.token(`up-${randomUUID()}`);
  const due = new Date(Date.now() + 3_600_000).toISOString();
  for (let i = 0; i < MANY; i++) {
    t.is(
      (await call('POST', '/tasks', { token, body: { title: `u${i}`, description: big(i), due_date: due } })).status,
      201,
    );
  }
  const res = await call('GET', '/views/upcoming?days=2', { token });
  t.is(res.status, 200);
  t.true(Buffer.byteLength(res.text) <= MAX_PAGE_BYTES, `answer of ${Buffer.byteLength(res.text)} bytes`);
  t.true(res.body.truncated as boolean);
  const shown = (res.body.days as { tasks: unknown[] }[]).reduce((n, d) => n + d.tasks.length, 0);
  t.true(shown > 0 && shown < MANY);
});

test('big upcoming occurrences: the whole answer stays within the byte budget, and each series left out counts once', async (t) => {
  const token = suite.app.token(`up-series-${randomUUID()}`);
  // 70 daily series with 500-emoji titles (2 KB each as JSON): over 31 days more occurrences than the
  // answer lists (MAX_OCCURRENCES) and more bytes than MAX_PAGE_BYTES, so series are left out both ways.
  const series = 70;
  const due = new Date(Date.now() + 3_600_000).toISOString();
  for (let i = 0; i < series; i++)
    t.is(
      (
        await call('POST', '/tasks', {
          token,
          body: { title: `${i}${'😀'.repeat(490)}`, due_date: due, recurrence_rule: 'FREQ=DAILY' },
        })
      ).status,
      201,
    );
  const res = await call('GET', '/views/upcoming?days=31', { token });
  t.is(res.status, 200);
  t.true(Buffer.byteLength(res.text) <= MAX_PAGE_BYTES, `answer of ${Buffer.byteLength(res.text)} bytes`);
  t.true(res.body.truncated as boolean);
  const leftOut = res.body.series_left_out as number;
  t.true(leftOut > 0 && leftOut <= series, `series_left_out ${leftOut} of ${series} series`);
});
