// Issue 12 review over real HTTP on PGlite: a zone change that one series cannot follow (its start
// would fall after year 9999) is refused whole, naming `timezone`, with nothing half-written; series
// near year 9999 simply end; zone names come back in one spelling however they are capitalised.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { call as callAt } from '../helpers/time-scenarios.ts';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await app?.stop();
});

const target = () => ({ url: app.url, token: (u: string) => app.token(u), label: 'pglite' });
const call = (token: string, method: string, p: string, body?: unknown) => callAt(target(), token, method, p, body);

test('PATCH /me to a zone where a series would start after year 9999 is a 400 on timezone and changes nothing', async (t) => {
  const token = app.token(`range-${randomUUID()}`);
  t.is((await call(token, 'PATCH', '/me', { timezone: 'Etc/GMT-14' })).status, 200);
  const a = await call(token, 'POST', '/tasks', {
    title: 'A',
    due_date: '9999-12-31T13:00',
    recurrence_rule: 'FREQ=YEARLY',
  });
  t.is(a.status, 201, JSON.stringify(a.body));
  const b = await call(token, 'POST', '/tasks', {
    title: 'B',
    due_date: '2027-01-01T09:00',
    recurrence_rule: 'FREQ=DAILY',
  });
  t.is(b.status, 201, JSON.stringify(b.body));
  const before = (await call(token, 'GET', `/tasks/${b.body.id}/occurrences?limit=2`)).body.occurrences;

  const refused = await call(token, 'PATCH', '/me', { timezone: 'Etc/GMT+12' });
  t.is(refused.status, 400, JSON.stringify(refused.body));
  t.regex(String(refused.body.message), /^timezone: /);
  t.is((await call(token, 'GET', '/me')).body.timezone, 'Etc/GMT-14', 'the zone did not change');
  t.deepEqual((await call(token, 'GET', `/tasks/${b.body.id}/occurrences?limit=2`)).body.occurrences, before);
  t.is((await call(token, 'GET', `/tasks/${a.body.id}`)).body.due_date, '9999-12-30T23:00:00.000Z');

  // A zone every series can follow: all of them move, A to 13:00Z on the last day of year 9999.
  t.is((await call(token, 'PATCH', '/me', { timezone: 'UTC' })).status, 200);
  t.is((await call(token, 'GET', '/me')).body.timezone, 'UTC');
  t.is((await call(token, 'GET', `/tasks/${a.body.id}`)).body.due_date, '9999-12-31T13:00:00.000Z');
  const moved = (await call(token, 'GET', `/tasks/${b.body.id}/occurrences?limit=1`)).body.occurrences as string[];
  t.regex(String(moved[0]), /T09:00:00\.000Z$/);
});

test('a series whose next occurrence would fall in year 10000 is created and simply ends', async (t) => {
  const token = app.token(`range-${randomUUID()}`);
  const s = await call(token, 'POST', '/tasks', {
    title: 'end of time',
    timezone: 'Etc/GMT+12',
    due_date: '9999-12-30T11:00',
    recurrence_rule: 'FREQ=DAILY',
    reminders: [{ before: 'PT1H' }],
  });
  t.is(s.status, 201, JSON.stringify(s.body));
  const occ = await call(token, 'GET', `/tasks/${s.body.id}/occurrences?limit=5`);
  t.is(occ.status, 200);
  t.deepEqual(occ.body.occurrences, ['9999-12-30T23:00:00.000Z', '9999-12-31T23:00:00.000Z']);
  const preview = await call(token, 'POST', '/recurrence/preview', {
    rule: 'FREQ=DAILY',
    start: '9999-12-31T13:00',
    timezone: 'Pacific/Kiritimati',
    limit: 5,
  });
  t.is(preview.status, 200, JSON.stringify(preview.body));
});

test('any capitalisation of a zone name comes back in its one IANA spelling; unknown names are a 400 on timezone', async (t) => {
  const token = app.token(`spell-${randomUUID()}`);
  const names = ['America/Argentina/ComodRivadavia', 'Europe/Kyiv', 'Etc/GMT+12'];
  const seen = new Set<string>();
  let n = 1; // a seeded generator: the same spellings every run
  const flip = (): boolean => {
    n = (Math.imul(n, 1103515245) + 12345) >>> 0;
    return ((n >>> 16) & 1) === 1;
  };
  for (const name of names) {
    for (let i = 0; i < 12; i++) {
      const spelled = [...name].map((c) => (flip() ? c.toUpperCase() : c.toLowerCase())).join('');
      const res = await call(token, 'PATCH', '/me', { timezone: spelled });
      t.is(res.status, 200, `${spelled}: ${JSON.stringify(res.body)}`);
      t.is(res.body.timezone, name, spelled);
      seen.add(String(res.body.timezone));
    }
  }
  t.deepEqual([...seen].sort(), [...names].sort());
  const bad = await call(token, 'PATCH', '/me', { timezone: 'Europe/Kyivv' });
  t.is(bad.status, 400);
  t.regex(String(bad.body.message), /^"?timezone/);
});

test('PATCH /me to a zone where an open all-day task’s date cannot exist is a 400 on timezone and changes nothing', async (t) => {
  const token = app.token(`range-${randomUUID()}`);
  t.is((await call(token, 'PATCH', '/me', { timezone: 'Pacific/Kiritimati' })).status, 200);
  const a = await call(token, 'POST', '/tasks', { title: 'Year one', due_date: '0001-01-01' });
  t.is(a.status, 201, JSON.stringify(a.body));
  const refused = await call(token, 'PATCH', '/me', { timezone: 'Asia/Tokyo' });
  t.is(refused.status, 400, JSON.stringify(refused.body));
  t.regex(String(refused.body.message), /^timezone: .*0001-01-01/);
  t.is((await call(token, 'GET', '/me')).body.timezone, 'Pacific/Kiritimati', 'the zone did not change');
  t.like((await call(token, 'GET', `/tasks/${a.body.id}`)).body, { due_day: '0001-01-01', due_date: a.body.due_date });
  // Completed, it no longer follows the zone (its uncomplete starts the date anew): the change goes through.
  t.is((await call(token, 'POST', `/tasks/${a.body.id}/complete`)).status, 200);
  t.is((await call(token, 'PATCH', '/me', { timezone: 'Asia/Tokyo' })).status, 200);
});
