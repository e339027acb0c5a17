// The dashboard's due dates (realtime/public/due.js): a wall-clock due date is sent with the zone the form
// showed it in, and an all-day series' next occurrence is shown on its day in the series' zone, also for
// another member's series whose zone name the page does not have. Checked against the server's own rules.
import test from 'ava';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { readInstant } from '../../actors/task/time.ts';
import { dayStart } from '../../actors/task/all-day.ts';

// The browser module is plain JavaScript without declarations: its shape, as used here.
interface DueModule {
  writtenIn(value: string, zone: string): string;
  occurrenceDay(task: { due_day: string; due_date: string }, iso: string, zone: string | null): string;
  previewBody(o: {
    rule: string;
    start: string;
    zone: string;
    homeOf?: string | null;
    after?: string;
    limit?: number;
  }): Record<string, unknown>;
  DUE_SHORTCUTS: [string, (value: string, zone: string, now: number, allDay?: boolean) => string][];
  dayNear(day: string, today: string): string;
  fmtNear(iso: string, zone: string, now: number): string;
}
const modulePath = '../../realtime/public/due.js';
const { writtenIn, occurrenceDay, previewBody, DUE_SHORTCUTS, dayNear, fmtNear } = (await import(
  modulePath
)) as DueModule;

test("the recurrence preview of a series that follows its creator's zone asks for that zone, with the start where it was typed", (t) => {
  const base = { rule: 'FREQ=DAILY', zone: 'America/New_York', after: '2026-12-01T00:00:00.000Z', limit: 5 };
  t.deepEqual(previewBody({ ...base, start: '2027-03-10T10:00', homeOf: 'task-1' }), {
    rule: 'FREQ=DAILY',
    start: '2027-03-10T10:00[America/New_York]',
    home_of: 'task-1',
    after: base.after,
    limit: 5,
  });
  t.deepEqual(previewBody({ ...base, start: '2027-03-10T10:00' }), {
    rule: 'FREQ=DAILY',
    start: '2027-03-10T10:00[America/New_York]',
    timezone: 'America/New_York',
    after: base.after,
    limit: 5,
  });
  t.like(previewBody({ ...base, start: '2027-03-10', homeOf: 'task-1' }), { start: '2027-03-10', home_of: 'task-1' });
});

test('a wall-clock due date goes out with the zone it was shown in; a date alone and nothing as they are', (t) => {
  t.is(writtenIn('2026-12-01T09:00', 'America/New_York'), '2026-12-01T09:00[America/New_York]');
  t.is(writtenIn('2026-12-01', 'America/New_York'), '2026-12-01');
  t.is(writtenIn('', 'America/New_York'), '');
  // What the server makes of it: 09:00 in New York, whatever zone the task follows.
  t.is(
    readInstant('due_date', writtenIn('2026-12-01T09:00', 'America/New_York'), 'Asia/Tokyo'),
    '2026-12-01T14:00:00.000Z',
  );
});

// Zones with summer time on either hemisphere, half- and quarter-hour offsets, a 30-minute change, and the far east and west.
const ZONES = [
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'America/New_York',
  'America/St_Johns',
  'America/Santiago',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Asia/Tokyo',
];

test('property: an all-day occurrence is on its day in the series zone, with the zone or without its name', (t) => {
  const day = fc
    .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const result = fc.check(
    fc.property(fc.constantFrom(...ZONES), day, day, (zone, start, occurrence) => {
      // As the server holds them: each day's first instant in the series' zone (actors/task/all-day.ts).
      const task = { due_day: start, due_date: dayStart('due_date', start, zone) };
      const at = dayStart('due_date', occurrence, zone);
      return occurrenceDay(task, at, zone) === occurrence && occurrenceDay(task, at, null) === occurrence;
    }),
    { numRuns: 2000 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
});

test("another member's series in Kiritimati is shown on its own day to a viewer in Honolulu", (t) => {
  const zone = 'Pacific/Kiritimati';
  const task = { due_day: '2026-12-01', due_date: dayStart('due_date', '2026-12-01', zone) };
  const next = dayStart('due_date', '2026-12-05', zone);
  // The viewer's zone would say the 4th: the occurrence's instant is 10:00 UTC on the 4th.
  t.is(DateTime.fromISO(next, { zone: 'Pacific/Honolulu' }).toISODate(), '2026-12-04');
  t.is(occurrenceDay(task, next, null), '2026-12-05');
});

test("the editor's reschedule shortcuts move the day in the user's zone and keep the time of day, or the date alone", (t) => {
  const [today, tomorrow, nextWeek, none] = DUE_SHORTCUTS.map(([, next]) => next);
  if (!today || !tomorrow || !nextWeek || !none) throw new Error('four shortcuts');
  t.deepEqual(
    DUE_SHORTCUTS.map(([label]) => label),
    ['Today', 'Tomorrow', 'Next week', 'No date'],
  );
  // 20:00 on Tuesday 1 December in New York is 01:00Z on the 2nd: the user's day decides.
  const now = Date.parse('2026-12-02T01:00:00Z');
  t.is(today('2026-11-20T18:30', 'America/New_York', now), '2026-12-01T18:30', 'the time of day kept');
  t.is(tomorrow('2026-11-20T18:30', 'America/New_York', now), '2026-12-02T18:30');
  t.is(tomorrow('2026-11-20', 'America/New_York', now), '2026-12-02', 'a date alone stays one');
  t.is(tomorrow('', 'America/New_York', now), '2026-12-02T09:00', 'no due date: 09:00');
  t.is(nextWeek('2026-11-20T07:15', 'America/New_York', now), '2026-12-07T07:15', "the Monday after Tuesday's week");
  t.is(
    nextWeek('2026-11-20', 'Asia/Tokyo', Date.parse('2026-12-06T16:00:00Z')),
    '2026-12-14',
    'on a Monday: the next one',
  );
  t.is(none('2026-11-20T07:15', 'UTC', now), '');
  // "All day" ticked with no date yet: the day alone, not 09:00.
  t.is(tomorrow('', 'America/New_York', now, true), '2026-12-02');
  t.is(nextWeek('', 'America/New_York', now, true), '2026-12-07');
});

test('a due day is said as a todo list says it: yesterday, today, tomorrow, a weekday of the coming week, else its date (with a year not this one)', (t) => {
  // The words are English, the formats the browser's; what is checked is which of them a day gets.
  const words = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const weekday = (day: string) =>
    new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short' }).format(new Date(`${day}T12:00:00Z`));
  const date = (day: string, year: boolean) =>
    new Intl.DateTimeFormat(undefined, {
      timeZone: 'UTC',
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      ...(year ? { year: 'numeric' } : {}),
    }).format(new Date(`${day}T12:00:00Z`));
  const today = '2026-12-30';
  t.is(dayNear('2026-12-29', today), words.format(-1, 'day'));
  t.is(dayNear('2026-12-30', today), words.format(0, 'day'));
  t.is(dayNear('2026-12-31', today), words.format(1, 'day'));
  // Past the year's end the weekday still says it: the coming week has no year.
  for (const day of ['2027-01-01', '2027-01-05']) t.is(dayNear(day, today), weekday(day), day);
  t.is(dayNear('2027-01-06', today), date('2027-01-06', true), 'a week ahead: the date, in another year with it');
  t.is(dayNear('2026-12-28', today), date('2026-12-28', false), 'a past day is never a weekday');
  t.is(dayNear('2026-12-20', '2026-12-01'), date('2026-12-20', false));
  t.is(dayNear('', today), '');
});

test("a due time is said on the user's day in their zone, with its time there", (t) => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  const words = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const time = (iso: string, zone: string) =>
    new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
  // 23:30Z on 1 December is that evening in London, and the next morning in Tokyo, where `now` is 19:00 on the 1st.
  const iso = '2026-12-01T23:30:00Z';
  t.is(fmtNear(iso, 'Europe/London', now), `${words.format(0, 'day')}, ${time(iso, 'Europe/London')}`);
  t.is(fmtNear(iso, 'Asia/Tokyo', now), `${words.format(1, 'day')}, ${time(iso, 'Asia/Tokyo')}`);
  t.is(fmtNear(iso, 'America/Los_Angeles', now), `${words.format(0, 'day')}, ${time(iso, 'America/Los_Angeles')}`);
  t.is(
    fmtNear('2026-12-02T08:00:00Z', 'Europe/London', now),
    `${words.format(1, 'day')}, ${time('2026-12-02T08:00:00Z', 'Europe/London')}`,
  );
  // At 08:00Z it is still 30 November (22:00) in Honolulu: 1 December 08:00 there is tomorrow.
  t.is(
    fmtNear('2026-12-01T18:00:00Z', 'Pacific/Honolulu', now - 2 * 3_600_000),
    `${words.format(1, 'day')}, ${time('2026-12-01T18:00:00Z', 'Pacific/Honolulu')}`,
  );
  t.is(fmtNear('', 'UTC', now), '—');
});
