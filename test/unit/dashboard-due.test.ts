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
}
const modulePath = '../../realtime/public/due.js';
const { writtenIn, occurrenceDay, previewBody } = (await import(modulePath)) as DueModule;

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
