// Costly reads per caller (api/costly-reads.ts) on the running app: one user's burst of Upcoming and
// counts reads runs two at a time with eight waiting, the rest refused with 429 and Retry-After, while
// another user's reads are served at once; every turn is given back when its answer is done.
import test from 'ava';
import { injectedApp, ok } from '../helpers/api-suite.ts';

const suite = injectedApp();

test("a burst of one user's costly reads: ten served, the rest 429 with Retry-After; another user is served; turns are given back", async (t) => {
  const { call } = suite;
  const eve = suite.app.token('eve');
  const demo = suite.app.token('demo');
  await ok(call('GET', '/me', { token: eve }));
  await ok(
    call('POST', '/tasks', {
      token: eve,
      body: { title: 'daily', due_date: new Date(Date.now() + 3_600_000).toISOString(), recurrence_rule: 'FREQ=DAILY' },
    }),
    201,
  );
  const burst = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      call('GET', i % 2 ? '/views/counts' : '/views/upcoming?days=31', { token: eve }),
    ),
  );
  const statuses = burst.map((r) => r.status);
  t.is(statuses.filter((s) => s === 200).length, 10, statuses.join(' '));
  const refused = burst.filter((r) => r.status === 429);
  t.is(refused.length, 10);
  t.is(refused[0]?.headers.get('retry-after'), '1');
  t.regex(String(refused[0]?.body.message), /too many costly requests at once/);
  await ok(call('GET', '/views/counts', { token: demo }));
  // Every turn was given back: a second burst of ten is served whole.
  const again = await Promise.all(Array.from({ length: 10 }, () => call('GET', '/views/counts', { token: eve })));
  t.deepEqual(
    again.map((r) => r.status),
    Array.from({ length: 10 }, () => 200),
  );
});

test('zone changes are costly requests too: of twenty at once, ten are taken (two at a time) and ten refused with 429', async (t) => {
  const { call } = suite;
  const zoner = suite.app.token(`zoner-${Date.now()}`);
  await ok(
    call('POST', '/tasks', {
      token: zoner,
      body: { title: 'daily', due_date: new Date(Date.now() + 3_600_000).toISOString(), recurrence_rule: 'FREQ=DAILY' },
    }),
    201,
  );
  const zones = ['Europe/Berlin', 'America/New_York'];
  const burst = await Promise.all(
    Array.from({ length: 20 }, (_, i) => call('PATCH', '/me', { token: zoner, body: { timezone: zones[i % 2] } })),
  );
  const statuses = burst.map((r) => r.status);
  t.is(statuses.filter((s) => s === 200).length, 10, statuses.join(' '));
  t.is(statuses.filter((s) => s === 429).length, 10, statuses.join(' '));
  t.is(burst.find((r) => r.status === 429)?.headers.get('retry-after'), '1');
});
