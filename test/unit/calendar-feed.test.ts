// The pure mapping of tasks to the calendar feed (api/feed/ical.ts), on the cases the integration test does not
// reach through the API: all-day tasks and series, day reminders, after-completion series, a zone without a VTIMEZONE, series with nothing left, the priority
// scale, and the RFC 5545 text rules (CRLF, 75-octet lines, escaping) on a hostile calendar name.
import test from 'ava';
import ICAL from 'ical.js';
import {
  FeedWriter,
  feedBudget,
  MAX_ZONE_CHECKS,
  PRODID,
  renderFeed,
  todoOf,
  type FeedBudget,
  type FeedTask,
} from '../../api/feed/ical.ts';
import { IANA_ZONE_NAMES } from '../../actors/zone-names.ts';
import { isZone } from '../../actors/zone.ts';
import { localToInstant, occurrences } from '../../actors/recurrence/index.ts';
import { feedTask } from '../helpers/feed-task.ts';

const task = feedTask;
const none = new Map<string, string>();
const lines = (text: string) => text.split('\r\n');

test("a task's DUE is its wall-clock time in its zone, with that zone's TZID", (t) => {
  const todo = todoOf(task(), 'UTC', none);
  t.true(lines(todo?.text ?? '').includes('DUE;TZID=Pacific/Kiritimati:20261224T000000'));
  t.deepEqual(todo?.tzids, ['Pacific/Kiritimati']);
});

test('a due date on the second pass of a repeated hour is written in UTC, since the wall time with a TZID reads as the first', (t) => {
  // New York falls back on 2027-11-07: 01:30 EDT is 05:30Z, 01:30 EST is 06:30Z.
  const second = todoOf(task({ timezone: 'America/New_York', due_date: '2027-11-07T06:30:00.000Z' }), 'UTC', none);
  t.true(lines(second?.text ?? '').includes('DUE:20271107T063000Z'));
  t.deepEqual(second?.tzids, []);
  const first = todoOf(task({ timezone: 'America/New_York', due_date: '2027-11-07T05:30:00.000Z' }), 'UTC', none);
  t.true(lines(first?.text ?? '').includes('DUE;TZID=America/New_York:20271107T013000'));
});

test('a series whose next occurrence is the second pass of a repeated hour: that occurrence alone, in UTC, not an hour early', (t) => {
  // 01:30 EST on 7 November 2027 (06:30Z); with a TZID, 01:30 reads as EDT (05:30Z).
  const budget = feedBudget();
  const series = task({
    timezone: 'America/New_York',
    recurrence_rule: 'FREQ=DAILY',
    is_recurring: true,
    dtstart_local: '2027-11-07T01:30:00',
    due_date: '2027-11-07T06:30:00.000Z',
    next_occurrence: '2027-11-07T06:30:00.000Z',
  });
  const text = todoOf(series, 'UTC', none, budget)?.text ?? '';
  t.true(lines(text).includes('DUE:20271107T063000Z'), text);
  t.false(/^(RRULE|DTSTART)/m.test(text));
  t.is(budget.simplified, 1, 'the feed says it simplified a series');
  // The next day its occurrence is no longer ambiguous: the rule is back.
  const later = todoOf({ ...series, next_occurrence: '2027-11-08T06:30:00.000Z' }, 'UTC', none)?.text ?? '';
  t.regex(later, /RRULE:FREQ=DAILY/);
});

test('a due date before 1970 is written in UTC, and a year before 1000 with four digits: the feed still parses', (t) => {
  // Tokyo kept local mean time (+09:18:59) until 1888; its VTIMEZONE describes +09:00 from 1970 on.
  const ancient = todoOf(task({ timezone: 'Asia/Tokyo', due_date: '0999-06-01T00:00:00.000Z' }), 'UTC', none);
  t.true(lines(ancient?.text ?? '').includes('DUE:09990601T000000Z'));
  const early = todoOf(task({ timezone: 'Asia/Tokyo', due_date: '1969-06-01T00:00:00.000Z' }), 'UTC', none);
  t.true(lines(early?.text ?? '').includes('DUE:19690601T000000Z'));
  const day = todoOf(task({ due_day: '0005-06-01', due_date: '0005-05-31T09:30:00.000Z' }), 'UTC', none);
  t.true(lines(day?.text ?? '').includes('DUE;VALUE=DATE:00050601'));
  const feed = renderFeed({
    name: 'Old',
    userZone: 'Asia/Tokyo',
    tasks: [task({ due_date: '0001-01-01T00:00:00.000Z' }), task({ id: 'b2', due_day: '0999-06-01' })],
    labelNames: none,
  });
  const parsed = new ICAL.Component(ICAL.parse(feed));
  const due = parsed.getFirstSubcomponent('vtodo')?.getFirstPropertyValue('due') as ICAL.Time | null;
  t.is(due?.year, 1);
});

test('a feed holds at most its bytes of VTODO text: a task that would not fit is refused whole', (t) => {
  const long = (id: string) => task({ id, description: '😀,;\\'.repeat(2500) });
  const one = new FeedWriter({ name: 'n', userZone: 'UTC', labelNames: none });
  t.true(one.add(long('a')));
  const size = one.bytes;
  t.true(size > 20_000, 'a 10,000-character description escaped and folded');
  const writer = new FeedWriter({ name: 'n', userZone: 'UTC', labelNames: none }, 2 * size + 10);
  t.true(writer.add(long('a')));
  t.true(writer.add(long('b')));
  t.false(writer.add(long('c')));
  t.is(writer.bytes, 2 * size);
  const feed = writer.finish();
  t.is(feed.split('BEGIN:VTODO').length - 1, 2);
  t.true(Buffer.byteLength(feed) < 2 * size + 1000);
});

test('an all-day task has DUE;VALUE=DATE on its date (due_day) and no TZID', (t) => {
  // due_date is the first instant of 2026-12-24 in Kiritimati (UTC+14): the day before in UTC.
  const todo = todoOf(task({ due_day: '2026-12-24', due_date: '2026-12-23T10:00:00.000Z' }), 'UTC', none);
  t.true(lines(todo?.text ?? '').includes('DUE;VALUE=DATE:20261224'));
  t.false(/^DTSTART/m.test(todo?.text ?? ''));
  t.deepEqual(todo?.tzids, []);
});

/** An all-day weekly series in Kiritimati from Thursday 2026-12-24; its next occurrence is 2026-12-31. */
const allDaySeries = (over: Partial<FeedTask> = {}): FeedTask =>
  task({
    due_day: '2026-12-24',
    due_date: '2026-12-23T10:00:00.000Z',
    recurrence_rule: 'FREQ=WEEKLY',
    is_recurring: true,
    dtstart_local: '2026-12-24T00:00:00',
    next_occurrence: '2026-12-30T10:00:00.000Z',
    ...over,
  });

test('an all-day series has DTSTART and DUE as DATEs on its next local day, and its UNTIL as a DATE', (t) => {
  const dated = lines(todoOf(allDaySeries({ recurrence_rule: 'FREQ=WEEKLY;UNTIL=20270304' }), 'UTC', none)?.text ?? '');
  t.true(dated.includes('DTSTART;VALUE=DATE:20261231'));
  t.true(dated.includes('DUE;VALUE=DATE:20261231'));
  t.true(dated.includes('RRULE:FREQ=WEEKLY;UNTIL=20270304'));
  // An instant UNTIL (12:00Z on 1 March is 02:00 on 2 March in Kiritimati) becomes that local date.
  const instant = todoOf(allDaySeries({ recurrence_rule: 'FREQ=WEEKLY;UNTIL=20270301T120000Z' }), 'UTC', none);
  t.true(lines(instant?.text ?? '').includes('RRULE:FREQ=WEEKLY;UNTIL=20270302'));
  t.deepEqual(instant?.tzids, [], 'an all-day series needs no VTIMEZONE');
});

const dayReminder = (at_time: string, days_before: number, remind_at: string | null = null) => ({
  id: `r-${at_time}-${days_before}`,
  task_id: 't',
  user_id: 'u1',
  offset: null,
  remind_at,
  at_time,
  days_before,
  notified: false,
  cancelled: false,
  cancel_reason: null,
  created_at: '2026-12-01T00:00:00.000Z',
  unacknowledged: false,
  snoozed: false,
  version: 1,
});

test("a series' day reminders are triggers relative to the start of its DUE date; an instance's fire at their instant", (t) => {
  const reminders = [
    dayReminder('09:00', 0),
    dayReminder('09:00', 1),
    dayReminder('18:30', 3),
    dayReminder('00:00', 7),
  ];
  const triggers = lines(todoOf(allDaySeries({ reminders }), 'UTC', none)?.text ?? '').filter((l) =>
    l.startsWith('TRIGGER'),
  );
  t.deepEqual(triggers, [
    'TRIGGER;RELATED=END:PT9H',
    'TRIGGER;RELATED=END:-PT15H',
    'TRIGGER;RELATED=END:-P2DT5H30M',
    'TRIGGER;RELATED=END:-P1W',
  ]);
  // A task's own day reminder has its instant (09:00 the day before in Kiritimati = 19:00Z two days before).
  const single = task({
    due_day: '2026-12-24',
    due_date: '2026-12-23T10:00:00.000Z',
    reminders: [dayReminder('09:00', 1, '2026-12-22T19:00:00.000Z')],
  });
  t.true(lines(todoOf(single, 'UTC', none)?.text ?? '').includes('TRIGGER;VALUE=DATE-TIME:20261222T190000Z'));
});

test('a repeat-after-completion series has no RRULE: its next occurrence is DUE; waiting for a completion, no VTODO', (t) => {
  const series = task({
    recurrence_rule: 'FREQ=DAILY;INTERVAL=3;COUNT=5',
    recurrence_mode: 'after_completion',
    is_recurring: true,
    dtstart_local: '2026-12-24T09:00:00',
    due_date: '2026-12-23T19:00:00.000Z',
    next_occurrence: '2026-12-23T19:00:00.000Z',
    reminders: [{ ...dayReminder('00:00', 0), at_time: null, days_before: null, offset: 'PT1H' }],
  });
  const text = todoOf(series, 'UTC', none)?.text ?? '';
  t.true(lines(text).includes('DUE;TZID=Pacific/Kiritimati:20261224T090000'));
  t.false(/^(RRULE|DTSTART)/m.test(text));
  t.true(lines(text).includes('TRIGGER;RELATED=END:-PT1H'), 'its reminder is still relative to DUE');
  t.is(todoOf({ ...series, next_occurrence: null, spawn_count: 1 }, 'UTC', none), null);
  const allDay = todoOf(allDaySeries({ recurrence_mode: 'after_completion' }), 'UTC', none)?.text ?? '';
  t.true(lines(allDay).includes('DUE;VALUE=DATE:20261231'));
  t.false(/^(RRULE|DTSTART)/m.test(allDay));
});

test('a zone with no VTIMEZONE, and UTC itself, are written as UTC instants', (t) => {
  for (const timezone of ['Factory', 'UTC', 'Etc/UTC']) {
    const todo = todoOf(task({ timezone }), 'UTC', none);
    t.true(lines(todo?.text ?? '').includes('DUE:20261223T100000Z'), timezone);
    t.deepEqual(todo?.tzids, [], timezone);
  }
});

test('priority 1, 2, 3 become PRIORITY 1, 5, 9; 4 (none) writes no PRIORITY', (t) => {
  const priorityOf = (priority: number) =>
    lines(todoOf(task({ priority }), 'UTC', none)?.text ?? '').find((l) => l.startsWith('PRIORITY:')) ?? null;
  t.deepEqual([1, 2, 3, 4].map(priorityOf), ['PRIORITY:1', 'PRIORITY:5', 'PRIORITY:9', null]);
});

test('a series that has ended has no VTODO; one with COUNT keeps the occurrences left', (t) => {
  const series = {
    recurrence_rule: 'FREQ=DAILY;COUNT=3',
    is_recurring: true,
    dtstart_local: '2026-12-01T09:00:00',
    due_date: '2026-11-30T19:00:00.000Z',
  };
  t.is(todoOf(task({ ...series, next_occurrence: null }), 'UTC', none), null);
  // The third (last) occurrence is next: one is left.
  t.regex(
    todoOf(task({ ...series, next_occurrence: '2026-12-02T19:00:00.000Z' }), 'UTC', none)?.text ?? '',
    /COUNT=1\r\n/,
  );
});

test('the calendar is CRLF text with lines of at most 75 octets; its name is escaped; the same tasks give the same bytes', (t) => {
  const input = {
    name: 'Mine, all; mine \\ ✓'.repeat(8),
    userZone: 'Asia/Kolkata',
    tasks: [task({ title: 'ü'.repeat(200), description: 'a\nb, c; d' })],
    labelNames: none,
  };
  const body = renderFeed(input);
  t.is(renderFeed(input), body);
  t.true(body.startsWith(`BEGIN:VCALENDAR\r\nPRODID:${PRODID}\r\nVERSION:2.0\r\n`));
  t.true(body.endsWith('END:VCALENDAR\r\n'));
  t.false(/[^\r]\n/.test(body));
  for (const l of lines(body)) t.true(Buffer.byteLength(l) <= 75, l);
  const unfolded = body.replace(/\r\n /g, '');
  t.true(unfolded.includes(`X-WR-CALNAME:${'Mine\\, all\\; mine \\\\ ✓'.repeat(8)}\r\n`));
  t.true(unfolded.includes('DESCRIPTION:a\\nb\\, c\\; d\r\n'));
  t.true(unfolded.includes('X-WR-TIMEZONE:Asia/Kolkata\r\n'));
  t.is(body.match(/^BEGIN:VTIMEZONE\r$/gm)?.length, 1, 'one VTIMEZONE per TZID used');
});

test('a series whose COUNT cannot be reduced within the budget keeps its next occurrence as DUE, without RRULE', (t) => {
  // 700 daily occurrences lie before the next one; a budget of 500 runs out while counting them.
  const series = task({
    recurrence_rule: 'FREQ=DAILY;COUNT=5000',
    is_recurring: true,
    dtstart_local: '2025-01-01T09:00:00',
    due_date: '2024-12-31T19:00:00.000Z',
    next_occurrence: '2026-12-01T19:00:00.000Z',
  });
  const budget: FeedBudget = { left: 500, zoneChecks: MAX_ZONE_CHECKS, simplified: 0 };
  const text = todoOf(series, 'UTC', none, budget)?.text ?? '';
  t.true(lines(text).includes('DUE;TZID=Pacific/Kiritimati:20261202T090000'));
  t.false(/^(RRULE|DTSTART)/m.test(text));
  t.is(budget.simplified, 1);
  const enough: FeedBudget = { left: 1000, zoneChecks: MAX_ZONE_CHECKS, simplified: 0 };
  t.regex(todoOf(series, 'UTC', none, enough)?.text ?? '', /RRULE:FREQ=DAILY;COUNT=4300\r\n/);
  t.is(enough.simplified, 0);
});

/**
 * The feed read back by ical.js with its own VTIMEZONEs: each VTODO's DUE as epoch ms, and, for a series, the
 * first `n` instants its RRULE gives from DTSTART (none without an RRULE).
 */
function readBack(body: string, n: number): { due: number; rule: number[] }[] {
  const calendar = new ICAL.Component(ICAL.parse(body));
  const zones = new Map(
    calendar.getAllSubcomponents('vtimezone').map((z) => {
      const tz = new ICAL.Timezone(z);
      return [tz.tzid, tz] as const;
    }),
  );
  const timeOf = (p: ICAL.Property): ICAL.Time => {
    const t = p.getFirstValue() as ICAL.Time;
    const tzid = p.getParameter('tzid');
    if (typeof tzid !== 'string') return t;
    const w = { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
    const zone = zones.get(tzid);
    if (!zone) throw new Error(`no VTIMEZONE for ${tzid}`);
    return new ICAL.Time({ ...w, isDate: false }, zone);
  };

  return calendar.getAllSubcomponents('vtodo').map((todo) => {
    const due = timeOf(todo.getFirstProperty('due') as ICAL.Property).toUnixTime() * 1000;
    const rrule = todo.getFirstPropertyValue('rrule') as ICAL.Recur | null;
    const rule: number[] = [];
    if (rrule) {
      const it = rrule.iterator(timeOf(todo.getFirstProperty('dtstart') as ICAL.Property));
      for (let next = it.next(); next && rule.length < n; next = it.next()) rule.push(next.toUnixTime() * 1000);
    }
    return { due, rule };
  });
}

test('in every zone the engine knows, a calendar app reading the feed meets the API: each DUE its instant, each RRULE its occurrences', (t) => {
  // The VTIMEZONEs come from another tzdata than the engine's and hold one set of rules for all time: a zone
  // whose block disagrees (Africa/Casablanca +00 and America/Vancouver −07 all year, where the engine's rules
  // changed in 2026; any zone's history before its rules changed) must not put a task at another instant.
  const dues = ['1980-07-01T09:00:00.000Z', '2027-01-15T09:00:00.000Z', '2027-07-15T21:30:00.000Z'];
  const failures: string[] = [];
  const dropped: string[] = [];
  let withRule = 0;
  for (const zone of IANA_ZONE_NAMES.filter((z) => isZone(z))) {
    for (const due_date of dues) {
      const [read] = readBack(
        renderFeed({ name: 'x', userZone: 'UTC', labelNames: none, tasks: [task({ timezone: zone, due_date })] }),
        0,
      );
      if (read?.due !== Date.parse(due_date))
        failures.push(`${zone} ${due_date}: DUE read as ${new Date(read?.due ?? 0).toISOString()}`);
    }
    const rule = 'FREQ=WEEKLY;BYDAY=MO,TH;COUNT=110';
    const start = localToInstant({ year: 2027, month: 1, day: 4, hour: 9, minute: 15, second: 0 }, zone);
    const expected = occurrences(rule, start, zone, { limit: 110 }).map((d) => d.getTime());
    const series = task({
      timezone: zone,
      recurrence_rule: rule,
      is_recurring: true,
      dtstart_local: '2027-01-04T09:15:00',
      due_date: start.toISOString(),
      next_occurrence: start.toISOString(),
    });
    const [read] = readBack(renderFeed({ name: 'x', userZone: 'UTC', labelNames: none, tasks: [series] }), 110);
    if (read?.due !== expected[0])
      failures.push(`${zone} series: DUE read as ${new Date(read?.due ?? 0).toISOString()}`);
    if (read && read.rule.length === 0) dropped.push(zone);
    if (read && read.rule.length > 0) {
      withRule++;
      const wrong = read.rule.findIndex((at, i) => at !== expected[i]);
      if (wrong >= 0 || read.rule.length !== expected.length)
        failures.push(
          `${zone} series: occurrence ${wrong} read as ${new Date(read.rule[wrong] ?? 0).toISOString()}, not ${new Date(expected[wrong] ?? 0).toISOString()}`,
        );
    }
  }
  t.deepEqual(failures, []);
  // A zone whose library block disagrees gets a VTIMEZONE built from the engine's offsets: its series keep their
  // RRULE (they lost it in Africa/Cairo, Africa/Casablanca, America/Santiago, America/Vancouver, Asia/Jerusalem
  // and a dozen more). ical.js misreads the one built for America/Scoresbysund (a change at local midnight, read
  // an hour early), so its times stay in UTC: exact, only plainer.
  t.deepEqual(dropped, ['America/Scoresbysund'], 'every other zone keeps its series’ RRULE');
  // UTC, every user's zone until they choose one, under each of its names: the series keeps its RRULE.
  t.deepEqual(
    dropped.filter((z) => /^(Etc\/)?(UTC|UCT|GMT|Zulu|Universal|Greenwich)/.test(z)),
    [],
    'a series in UTC keeps its RRULE',
  );
  // Not a vacuous pass: nearly every zone's series keeps its RRULE.
  t.true(withRule > IANA_ZONE_NAMES.length * 0.9, `${withRule} of ${IANA_ZONE_NAMES.length} series kept their RRULE`);
});

test('times at the far end of the range: a wall time past year 9999 is written in UTC, a series in 9995 keeps its rule', (t) => {
  // 9999-12-31T23:30Z is 10000-01-01T00:30 in Berlin: no DATE-TIME has that year.
  const last = todoOf(task({ timezone: 'Europe/Berlin', due_date: '9999-12-31T23:30:00.000Z' }), 'UTC', none);
  t.true(lines(last?.text ?? '').includes('DUE:99991231T233000Z'));
  const far = todoOf(
    task({
      timezone: 'Europe/Berlin',
      recurrence_rule: 'FREQ=YEARLY;COUNT=3',
      is_recurring: true,
      dtstart_local: '9995-06-01T09:00:00',
      due_date: '9995-06-01T07:00:00.000Z',
      next_occurrence: '9995-06-01T07:00:00.000Z',
    }),
    'UTC',
    none,
  );
  t.true(lines(far?.text ?? '').includes('DTSTART;TZID=Europe/Berlin:99950601T090000'));
  t.true(lines(far?.text ?? '').includes('RRULE:FREQ=YEARLY;COUNT=3'));
});
