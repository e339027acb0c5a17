/**
 * Quick add (api/quick-add/parse.ts): the table of phrases in test/fixtures/quick-add-phrases.json, each
 * read at its group's fixed reference instant, zone (far east and far west of UTC, a half-hour
 * offset, both DST changes, the year's end) and locale (en-US unless named: a date in figures is read in its
 * order), must give exactly the fields listed: title, due_date as
 * sent to POST /tasks, its instant, the rule, priority, list, labels and notes. Then what holds for any
 * text: the parser never throws, and its fields are a body POST /tasks accepts whenever it has a title.
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  AFTER_COMPLETION_FIELDS,
  dateOrderOf,
  parseQuickAdd,
  type DateOrder,
  type QuickAddFields,
} from '../../api/quick-add/parse.ts';
import { createTask, LOCALE, parseTask, textProblem } from '../../api/schemas.ts';
import { validateRule } from '../../actors/recurrence/index.ts';

interface Case {
  text: string;
  title: string;
  due_date?: string;
  at?: string;
  rule?: string;
  priority?: number;
  list?: string;
  labels?: string[];
  /** Names after @ that are no label yet: made when the task is saved. */
  new_labels?: string[];
  mode?: 'after_completion';
  /** The reminder "remind me … before" asks for, as POST /tasks takes it. */
  reminders?: QuickAddFields['reminders'];
  /** How each expected note begins, in order. */
  notes?: string[];
}
interface Table {
  lists: string[];
  labels: string[];
  /** `locale`: the user's BCP 47 tag (the dashboard sends navigator.language); en-US when absent. */
  groups: { now: string; zone: string; locale?: string; why: string; cases: Case[] }[];
}

const table = JSON.parse(readFileSync(new URL('../fixtures/quick-add-phrases.json', import.meta.url), 'utf8')) as Table;
// Ids that look like the API's (uuids), derived from the position so the table can name lists and labels.
const idOf = (kind: 'list' | 'label', i: number) =>
  `${kind === 'list' ? '00000000' : '11111111'}-0000-4000-8000-${String(i).padStart(12, '0')}`;
const lists = table.lists.map((name, i) => ({ id: idOf('list', i), name }));
const labels = table.labels.map((name, i) => ({ id: idOf('label', i), name }));
const listId = (name: string) => lists.find((l) => l.name === name)?.id ?? `unknown list ${name}`;
const labelId = (name: string) => labels.find((l) => l.name === name)?.id ?? `unknown label ${name}`;

test('the table has at least 150 phrases, in zones far from UTC and across both DST changes', (t) => {
  const cases = table.groups.flatMap((g) => g.cases);
  t.true(cases.length >= 150, `${cases.length} phrases`);
  t.is(new Set(table.groups.map((g) => `${g.zone} ${g.now} ${g.locale}`)).size, table.groups.length);
  t.true(
    table.groups.some((g) => g.locale !== undefined && dateOrderOf(g.locale) === 'day_first'),
    'a locale that writes the day first',
  );
  for (const zone of [
    'Pacific/Kiritimati',
    'Pacific/Pago_Pago',
    'Pacific/Auckland',
    'America/New_York',
    'Europe/Berlin',
  ])
    t.true(
      table.groups.some((g) => g.zone === zone),
      zone,
    );
});

for (const group of table.groups) {
  test(`phrases read at ${group.now} in ${group.zone}${group.locale ? `, ${group.locale}` : ''} (${group.why})`, (t) => {
    const dateOrder = dateOrderOf(group.locale ?? 'en-US');
    for (const c of group.cases) {
      const result = parseQuickAdd({
        text: c.text,
        now: new Date(group.now),
        zone: group.zone,
        lists,
        labels,
        dateOrder,
      });
      const expected: QuickAddFields = {
        title: c.title,
        ...(c.priority !== undefined ? { priority: c.priority } : {}),
        ...(c.list !== undefined ? { list_id: listId(c.list) } : {}),
        ...(c.labels !== undefined ? { labels: c.labels.map(labelId) } : {}),
        ...(c.due_date !== undefined ? { due_date: c.due_date } : {}),
        ...(c.rule !== undefined ? { recurrence_rule: c.rule } : {}),
        ...(c.reminders !== undefined ? { reminders: c.reminders } : {}),
        ...(c.mode === 'after_completion' && AFTER_COMPLETION_FIELDS ? AFTER_COMPLETION_FIELDS : {}),
      };
      t.deepEqual(result.fields, expected, c.text);
      t.is(result.due?.at, c.at, `${c.text}: the instant`);
      t.deepEqual(result.new_labels, c.new_labels ?? [], `${c.text}: the labels to make`);
      t.is(result.repeat?.mode, c.rule === undefined ? undefined : (c.mode ?? 'calendar'), `${c.text}: the mode`);
      const notes = [
        ...(c.notes ?? []),
        ...(c.mode === 'after_completion' && !AFTER_COMPLETION_FIELDS ? ['repeating after completion'] : []),
      ];
      t.is(result.notes.length, notes.length, `${c.text}: notes ${JSON.stringify(result.notes)}`);
      for (const [i, note] of notes.entries())
        t.true(result.notes[i]?.startsWith(note), `${c.text}: ${result.notes[i]}`);
    }
  });
}

test("a date in figures is read in the order of the user's locale: day first where they write it so", (t) => {
  const orders = Object.fromEntries(
    ['en-US', 'en-GB', 'en-AU', 'en-IN', 'de-DE', 'fr-FR', 'es-MX', 'pt-BR', 'ja-JP', 'zh-CN', 'sv-SE', 'ko-KR'].map(
      (l) => [l, dateOrderOf(l)],
    ),
  );
  t.deepEqual(orders, {
    'en-US': 'month_first',
    'en-GB': 'day_first',
    'en-AU': 'day_first',
    'en-IN': 'day_first',
    'de-DE': 'day_first',
    'fr-FR': 'day_first',
    'es-MX': 'day_first',
    'pt-BR': 'day_first',
    // Year first (2026-04-03): the month comes before the day.
    'ja-JP': 'month_first',
    'zh-CN': 'month_first',
    'sv-SE': 'month_first',
    'ko-KR': 'month_first',
  });
  const read = (text: string, dateOrder: DateOrder) =>
    parseQuickAdd({ text, now: new Date('2026-12-01T10:00:00Z'), zone: 'Europe/London', lists, labels, dateOrder });
  t.is(read('Pay rent 3/4', 'month_first').fields.due_date, '2027-03-04');
  t.is(read('Pay rent 3/4', 'day_first').fields.due_date, '2027-04-03');
  // A day no month has is said in the user's order: "4/31" in the US, "31/4" in the UK.
  t.regex(read('Pay 4/31', 'month_first').notes[0] ?? '', /"4\/31" is not a date: April has 30 days/);
  t.regex(read('Pay 31/4', 'day_first').notes[0] ?? '', /"31\/4" is not a date: April has 30 days/);
  // A first number that is no month is read the other way round, as chrono reads "12/25" in the UK.
  t.regex(read('Pay 4/31', 'day_first').notes[0] ?? '', /"4\/31" is not a date: April has 30 days/);
  t.is(read('Xmas 12/25', 'day_first').fields.due_date, '2026-12-25');
  // Without a locale the order is the US's (the API's default).
  t.is(
    parseQuickAdd({ text: 'x 3/4', now: new Date('2026-12-01T10:00:00Z'), zone: 'UTC', lists, labels }).fields.due_date,
    '2027-03-04',
  );
});

test('locale: a BCP 47 tag, said back in its canonical form; anything else is a 400 naming the field', (t) => {
  t.is(parseTask.validate({ text: 'x', locale: 'en-gb' }).value?.locale, 'en-GB');
  t.is(parseTask.validate({ text: 'x' }).error, undefined);
  for (const locale of ['not a locale', 'en_GB!', '', 'en-GB-x-private', 'en-GB-', '12', 'en-GB-u-ca-buddhist', 'aaaa'])
    t.regex(parseTask.validate({ text: 'x', locale }).error?.message ?? 'accepted', /"locale"/, JSON.stringify(locale));
});

test('every tag the document allows for locale is taken: the pattern in the OpenAPI document and the check agree', (t) => {
  for (const locale of ['en', 'en-GB', 'zh-Hans-CN', 'es-419', 'qaa'])
    t.is(parseTask.validate({ text: 'x', locale }).error, undefined, locale);
  const result = fc.check(
    fc.property(fc.stringMatching(LOCALE), (locale) => parseTask.validate({ text: 'x', locale }).error === undefined),
    { numRuns: 500 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
});

test("the issue's phrases, spelled out: title, the next 1st at 09:00 local, RFC 5545 rule, priority and list", (t) => {
  // Monday 2026-11-30 09:30 in Auckland (+13).
  const now = new Date('2026-11-29T20:30:00Z');
  const zone = 'Pacific/Auckland';
  const rent = parseQuickAdd({ text: 'Pay rent every month on the 1st at 9am !1 #Home', now, zone, lists, labels });
  t.deepEqual(rent.fields, {
    title: 'Pay rent',
    priority: 1,
    list_id: listId('Home'),
    due_date: '2026-12-01T09:00:00',
    recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
  });
  t.deepEqual(rent.due, { date: '2026-12-01', time: '09:00', at: '2026-11-30T20:00:00.000Z' });
  t.deepEqual(rent.list, { id: listId('Home'), name: 'Home' });
  const standup = parseQuickAdd({ text: 'Standup every weekday at 9:30', now, zone, lists, labels });
  t.is(standup.fields.recurrence_rule, 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR');
  t.is(standup.due?.time, '09:30');
  const mum = parseQuickAdd({ text: 'Call mum tomorrow evening', now, zone, lists, labels });
  t.deepEqual(mum.fields, { title: 'Call mum', due_date: '2026-12-01T19:00:00' });
});

const words = fc.constantFrom(
  'every',
  'every!',
  'day',
  'days',
  'monday',
  'mon-fri',
  'and',
  'on',
  'the',
  '1st',
  '31st',
  'last',
  'month',
  'weekday',
  'at',
  '9am',
  '25:99',
  'tomorrow',
  'evening',
  'in',
  '3',
  '0',
  '99999',
  'hours',
  'until',
  'dec',
  '24',
  'times',
  '!1',
  '!9',
  '#Home',
  '#Nope',
  '#',
  '@calls',
  '@',
  'bob@example.com',
  'Call',
  'mum',
  ',',
);
const phrase = fc.oneof(
  fc.array(words, { maxLength: 12 }).map((w) => w.join(' ')),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

test('property: for any text the route lets through, the parser answers (never throws), and with a title its fields are a valid POST /tasks body with a valid rule', (t) => {
  const result = fc.check(
    fc.property(
      phrase,
      fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
      fc.constantFrom('UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/New_York', 'Asia/Kolkata'),
      fc.constantFrom('month_first', 'day_first') as fc.Arbitrary<DateOrder>,
      (text, now, zone, dateOrder) => {
        fc.pre(textProblem(text) === null); // the route refuses such text before the parser (api/text.ts)
        const out = parseQuickAdd({ text, now, zone, lists, labels, dateOrder });
        if (out.fields.recurrence_rule !== undefined) validateRule(out.fields.recurrence_rule);
        if (out.fields.title === '' || out.fields.title.length > 500) return out.notes.length > 0;
        const check = createTask.validate(out.fields);
        return check.error === undefined;
      },
    ),
    { numRuns: 400 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
});

test('#List and @label match names stored decomposed (NFD) when typed precomposed, as the text now always is', (t) => {
  const nfd = [{ id: 'l-nfd', name: 'Cafe\u0301' }];
  const r = parseQuickAdd({
    text: 'Order beans #Caf\u00e9 @Caf\u00e9',
    now: new Date('2026-11-30T18:50:00Z'),
    zone: 'Europe/Berlin',
    lists: nfd,
    labels: nfd,
  });
  t.like(r.fields, { title: 'Order beans', list_id: 'l-nfd', labels: ['l-nfd'] });
  t.deepEqual(r.notes, []);
});

test('more labels than a task carries: the first ones typed are kept (the preview is a body POST /tasks takes), the rest said', (t) => {
  const many = Array.from({ length: 25 }, (_, i) => ({ id: idOf('label', 100 + i), name: `l${i}` }));
  const typed = `Plan ${many.map((l) => `@${l.name}`).join(' ')} @fresh1 @fresh2`;
  const now = new Date('2026-11-30T18:50:00Z');
  const r = parseQuickAdd({ text: typed, now, zone: 'UTC', lists, labels: many });
  t.deepEqual(
    r.fields.labels,
    many.slice(0, 20).map((l) => l.id),
  );
  t.deepEqual(r.new_labels, []);
  t.is(createTask.validate(r.fields).error, undefined);
  t.deepEqual(r.notes, ['a task has at most 20 labels: @l20, @l21, @l22, @l23, @l24, @fresh1, @fresh2 left out']);
  // Labels still to make count too: 18 of the user's and 3 new ones keep 2 of the new.
  const mixed = parseQuickAdd({
    text: `Plan ${many
      .slice(0, 18)
      .map((l) => `@${l.name}`)
      .join(' ')} @new1 @new2 @new3`,
    now,
    zone: 'UTC',
    lists,
    labels: many,
  });
  t.is(mixed.fields.labels?.length, 18);
  t.deepEqual(mixed.new_labels, ['new1', 'new2']);
  t.deepEqual(mixed.notes, ['a task has at most 20 labels: @new3 left out']);
});
