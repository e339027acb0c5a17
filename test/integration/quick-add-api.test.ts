// POST /quick-add/preview (quick add's preview) through the REST API on embedded PGlite (server.inject), as a
// user in Auckland (+13) would use it: the preview names the fields in their zone against their lists
// and labels, creates nothing, and POST /tasks with exactly those fields creates that task.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { injectedApp, ok } from '../helpers/api-suite.ts';
import { MAX_QUICK_ADD } from '../../api/quick-add/parse.ts';

const suite = injectedApp();
const { call } = suite;

type Json = Record<string, unknown>;
const ZONE = 'Pacific/Auckland';

async function newUser() {
  const token = suite.app.token(`quick-${randomUUID()}`);
  await ok(call('PATCH', '/me', { token, body: { timezone: ZONE } }));
  const home = await ok(call('POST', '/lists', { token, body: { name: 'Home' } }), 201);
  const urgent = await ok(call('POST', '/labels', { token, body: { name: 'Urgent' } }), 201);
  return { token, home, urgent };
}

test('the preview reads the phrase in the user zone against their lists and labels, creates nothing, and POST /tasks with its fields creates that task', async (t) => {
  const { token, home, urgent } = await newUser();
  const preview = await ok(
    call('POST', '/quick-add/preview', {
      token,
      body: { text: 'Pay rent every month on the 1st at 9am !1 #home @urgent' },
    }),
  );
  const fields = preview.fields as Json;
  t.like(fields, {
    title: 'Pay rent',
    priority: 1,
    list_id: home.id,
    labels: [urgent.id],
    recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
  });
  t.regex(String(fields.due_date), /^\d{4}-\d{2}-01T09:00:00$/, 'wall-clock 09:00 on a 1st, read in the zone');
  const due = preview.due as { date: string; time: string; at: string };
  const local = DateTime.fromISO(due.at, { zone: ZONE });
  t.deepEqual([local.day, local.hour, local.minute], [1, 9, 0], 'the instant is 09:00 on the 1st in Auckland');
  t.true(local.toMillis() > Date.now() && local.toMillis() < Date.now() + 32 * 86_400_000, 'the next 1st');
  t.is(`${due.date}T${due.time}:00`, String(fields.due_date));
  t.deepEqual(preview.list, { id: home.id, name: 'Home', role: 'owner', owner_id: home.owner_id, shared: false });
  t.deepEqual(preview.labels, [{ id: urgent.id, name: 'Urgent' }]);
  t.deepEqual(preview.repeat, { rule: 'FREQ=MONTHLY;BYMONTHDAY=1', mode: 'calendar' });
  t.deepEqual(preview.notes, []);
  t.is(preview.timezone, ZONE);
  t.deepEqual((await ok(call('GET', '/tasks', { token }))).tasks, [], 'the preview created nothing');

  const task = await ok(call('POST', '/tasks', { token, body: fields }), 201);
  t.like(task, {
    title: 'Pay rent',
    priority: 1,
    list_id: home.id,
    labels: [urgent.id],
    recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
    is_recurring: true,
    due_date: due.at,
  });
});

test('a date alone is previewed without a time and saved as the all-day task it shows, a series too', async (t) => {
  const { token } = await newUser();
  for (const text of ['Call mum on Friday', 'Water plants every day']) {
    const preview = await ok(call('POST', '/quick-add/preview', { token, body: { text } }));
    const due = preview.due as { date: string; time: string | null; at: string };
    t.is(due.time, null, text);
    t.is((preview.fields as Json).due_date, due.date, `${text}: a date alone is sent as YYYY-MM-DD`);
    const task = await ok(call('POST', '/tasks', { token, body: preview.fields }), 201);
    t.like(task, { all_day: true, due_day: due.date, due_date: due.at }, text);
    t.is(DateTime.fromISO(due.at, { zone: ZONE }).toISODate(), due.date, `${text}: the day in Auckland`);
    if (text === 'Call mum on Friday') t.is(DateTime.fromISO(due.date).weekday, 5, 'a Friday');
    else t.like(task, { recurrence_rule: 'FREQ=DAILY', is_recurring: true });
  }
});

test("a date in figures is read in the order of the locale sent (the browser's): 3/4 is 3 April in en-GB, March 4 by default", async (t) => {
  const { token } = await newUser();
  const read = async (locale?: string) =>
    ok(call('POST', '/quick-add/preview', { token, body: { text: 'Pay rent 3/4', ...(locale ? { locale } : {}) } }));
  const british = await read('en-gb');
  t.is(british.date_order, 'day_first');
  t.regex((british.fields as Json).due_date as string, /^\d{4}-04-03$/);
  const task = await ok(call('POST', '/tasks', { token, body: british.fields }), 201);
  t.regex(task.due_day as string, /^\d{4}-04-03$/, 'the task saved is the one previewed');
  for (const locale of [undefined, 'en-US', 'ja-JP']) {
    const other = await read(locale);
    t.is(other.date_order, 'month_first', String(locale));
    t.regex((other.fields as Json).due_date as string, /^\d{4}-03-04$/, String(locale));
  }
});

test('what the preview did not understand is a note: an unknown list or label, a priority off the scale, no title', async (t) => {
  const { token } = await newUser();
  // Tomorrow in Auckland as the test sees it before and after the call (the server's clock is between).
  const tomorrow = () => DateTime.now().setZone(ZONE).plus({ days: 1 }).toISODate();
  const before = tomorrow();
  const preview = await ok(
    call('POST', '/quick-add/preview', { token, body: { text: 'Call mum tomorrow evening #Hoem @nope !7' } }),
  );
  const after = tomorrow();
  t.like(preview.fields, { title: 'Call mum' });
  t.false('list_id' in (preview.fields as Json), 'no list: the task goes to the default list');
  t.false('priority' in (preview.fields as Json));
  const local = DateTime.fromISO((preview.due as { at: string }).at, { zone: ZONE });
  t.true([before, after].includes(local.toISODate()), `tomorrow in Auckland: ${local.toISO()}`);
  t.is(local.hour, 19, 'evening is 19:00');
  const notes = preview.notes as string[];
  t.true(
    notes.some((n) => n.startsWith('no such list "Hoem"')),
    JSON.stringify(notes),
  );
  t.deepEqual(preview.new_labels, ['nope'], 'a label to make when the task is saved, not a note');
  t.false(notes.some((n) => n.includes('nope')));
  t.true(notes.some((n) => n.startsWith('"!7" is not a priority')));
  const empty = await ok(call('POST', '/quick-add/preview', { token, body: { text: 'tomorrow !2' } }));
  t.like(empty, { fields: { title: '', priority: 2 } });
  t.true((empty.notes as string[]).some((n) => n.startsWith('a title is needed')));
});

for (const [name, body, field] of [
  ['no text', {}, 'text'],
  ['empty text', { text: '' }, 'text'],
  ['text not a string', { text: 5 }, 'text'],
  ['text too long', { text: 'a'.repeat(MAX_QUICK_ADD + 1) }, 'text'],
  ['text with NUL', { text: 'a\u0000b' }, 'text'],
  ['text with a line break', { text: 'a\nb' }, 'text'],
  ['text with a lone surrogate', { text: 'a\ud800b' }, 'text'],
  ['an unknown field', { text: 'a', due_date: '2026-01-01' }, 'due_date'],
  ['a locale that is no language tag', { text: 'a', locale: 'english please' }, 'locale'],
  ['a locale not a string', { text: 'a', locale: ['en-GB'] }, 'locale'],
  ['a locale with more than language, script and region', { text: 'a', locale: 'ca-ES-valencia' }, 'locale'],
] as const) {
  test(`bad input is a 400 naming the field: ${name}`, async (t) => {
    const token = suite.app.token(`quick-${randomUUID()}`);
    const reply = await call('POST', '/quick-add/preview', { token, body });
    t.is(reply.status, 400, JSON.stringify(reply.body));
    t.is(reply.body.field, field, JSON.stringify(reply.body));
  });
}

test('the longest text allowed is read; without a token there is no preview; other methods are 405', async (t) => {
  const token = suite.app.token(`quick-${randomUUID()}`);
  const long = await ok(
    call('POST', '/quick-add/preview', { token, body: { text: `${'a '.repeat(MAX_QUICK_ADD / 2 - 4)}!1 #x` } }),
  );
  t.is((long.fields as Json).priority, 1);
  t.is((await call('POST', '/quick-add/preview', { body: { text: 'a' } })).status, 401);
  t.is((await call('PATCH', '/quick-add/preview', { token, body: { text: 'a' } })).status, 405, 'POST only');
});

test('"remind me 1 hour before" is previewed as a reminder and saved with the task; "2 days before" an all-day task at 09:00', async (t) => {
  const { token } = await newUser();
  for (const [text, reminder] of [
    ['Dentist in 3 days at 3pm remind me 1 hour before', { offset: 'PT1H', at_time: null }],
    ['Passport in 10 days remind me 2 days before', { offset: null, at_time: '09:00', days_before: 2 }],
  ] as const) {
    const preview = await ok(call('POST', '/quick-add/preview', { token, body: { text } }));
    const task = await ok(call('POST', '/tasks', { token, body: preview.fields }), 201);
    t.is(task.title, text.split(/ in /)[0]);
    t.like((task.reminders as Json[])[0], { ...reminder, cancelled: false });
  }
});

test("a label typed as the database folds a taken name ('@İstanbul' beside 'istanbul') is that label, not a new one to make", async (t) => {
  const { token } = await newUser();
  const label = await ok(call('POST', '/labels', { token, body: { name: 'istanbul' } }), 201);
  // The database holds the two names for one (labels_name is on lower(name)): making the other is a 409.
  t.is((await call('POST', '/labels', { token, body: { name: 'İstanbul' } })).status, 409);
  for (const text of ['Trip @İstanbul', 'Trip @İSTANBUL', 'Trip @istanbul']) {
    const preview = await ok(call('POST', '/quick-add/preview', { token, body: { text } }));
    t.deepEqual((preview.fields as Json).labels, [label.id], text);
    t.deepEqual(preview.new_labels, [], `${text}: nothing to make`);
    t.is((preview.fields as Json).title, 'Trip', text);
  }
});
