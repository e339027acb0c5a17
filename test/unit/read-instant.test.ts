// The one parser for instants in input (actors/task/time.ts readInstant): RFC 3339 / ISO-8601 date-time
// or date, real calendar dates, offsets within ±23:59, years 0001–9999 once in UTC; without an offset,
// wall-clock time in the given zone. Anything else is a validation error naming the field.
import test from 'ava';
import fc from 'fast-check';
import { readInstant } from '../../actors/task/time.ts';
import { DomainError } from '../../actors/errors.ts';

const refused = (value: string, zone = 'UTC') => {
  try {
    readInstant('due_date', value, zone);
    return null;
  } catch (error) {
    return error instanceof DomainError && error.code === 'validation' && error.field === 'due_date'
      ? error.message
      : `unexpected: ${String(error)}`;
  }
};

test('instants with an offset, wall-clock times in a zone, and dates alone', (t) => {
  t.is(readInstant('f', '2026-03-08T09:30:00Z', 'Asia/Tokyo'), '2026-03-08T09:30:00.000Z');
  t.is(readInstant('f', '2026-03-08T09:30:00.123456+05:30', 'UTC'), '2026-03-08T04:00:00.123Z');
  t.is(readInstant('f', '2026-03-08T09:30', 'Europe/Berlin'), '2026-03-08T08:30:00.000Z');
  t.is(readInstant('f', '2026-03-08', 'America/New_York'), '2026-03-08T05:00:00.000Z');
  t.is(readInstant('f', '2024-02-29', 'UTC'), '2024-02-29T00:00:00.000Z');
  // A wall-clock time in a DST gap moves forward by the gap; an ambiguous one takes the earlier instant.
  t.is(readInstant('f', '2027-03-14T02:30:00', 'America/New_York'), '2027-03-14T07:30:00.000Z');
  t.is(readInstant('f', '2026-11-01T01:30', 'America/New_York'), '2026-11-01T05:30:00.000Z');
  // The edges of years 0001–9999 in UTC, reached through an offset.
  t.is(readInstant('f', '0000-12-31T23:00:00-01:00', 'UTC'), '0001-01-01T00:00:00.000Z');
  t.is(readInstant('f', '9999-12-31T23:59:59+12:00', 'UTC'), '9999-12-31T11:59:59.000Z');
  t.is(readInstant('f', '0001-01-01T00:00', 'America/New_York'), '0001-01-01T04:56:02.000Z');
});

test('what the hostile run sent is refused, naming the field', (t) => {
  const cases: Array<[string, RegExp, string?]> = [
    ['0000-01-01T00:00:00Z', /outside years 0001–9999/],
    ['+010000-01-01T00:00:00Z', /not an ISO-8601 date-time/],
    ['9999-12-31T23:59:59-12:00', /outside years 0001–9999/],
    ['0001-01-01T00:00', /outside years 0001–9999/, 'Asia/Tokyo'],
    ['2026-01-01T00:00:00+25:00', /offset outside ±23:59/],
    ['2026-01-01T00:00:00-00:60', /offset outside ±23:59/],
    ['2026-02-30', /not a calendar date/],
    ['2025-02-29T09:00', /not a calendar date/],
    ['2026-04-31T00:00:00Z', /not a calendar date/],
    ['2026-13-01', /not a calendar date/],
    ['2026-03-08T24:00:00Z', /not a time of day/],
    ['2026-03-08T23:59:60Z', /not a time of day/],
    ['next tuesday', /not an ISO-8601 date-time/],
    [' 2026-03-08T09:30:00Z', /not an ISO-8601 date-time/],
    ['2026-03-08T09:30:00Z\u0000', /not an ISO-8601 date-time/],
    ['1700000000', /not an ISO-8601 date-time/],
  ];
  for (const [value, message, zone] of cases)
    t.regex(refused(value, zone) ?? 'accepted', message, JSON.stringify(value));
});

// A day inside either end, so that the local time written with an offset stays a four-digit year.
const inRange = fc.date({
  min: new Date('0001-01-02T00:00:00Z'),
  max: new Date('9999-12-30T00:00:00Z'),
  noInvalidDate: true,
});

test('property: any instant in range, written with any offset within ±23:59, reads back as itself', (t) => {
  const result = fc.check(
    fc.property(inRange, fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), (date, offsetMin) => {
      const local = new Date(date.getTime() + offsetMin * 60_000).toISOString().slice(0, 23);
      const sign = offsetMin < 0 ? '-' : '+';
      const abs = Math.abs(offsetMin);
      const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
      return readInstant('f', text, 'UTC') === date.toISOString();
    }),
    { numRuns: 300 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
});

test('property: whatever text comes in, the answer is a UTC instant in years 0001–9999 or a validation error', (t) => {
  const digits = fc.string({ unit: fc.constantFrom(...'0123456789-+:TZ. '), maxLength: 30 });
  const result = fc.check(
    fc.property(
      fc.oneof(digits, fc.string({ unit: 'binary', maxLength: 30 })),
      fc.constantFrom('UTC', 'Pacific/Kiritimati', 'Pacific/Niue', 'Europe/Berlin'),
      (text, zone) => {
        try {
          const out = readInstant('f', text, zone);
          return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(out) && out >= '0001-01-01' && out < '10000';
        } catch (error) {
          return error instanceof DomainError && error.field === 'f';
        }
      },
    ),
    { numRuns: 500 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
});

test('an RFC 9557 zone suffix says which zone a wall-clock time was written in', (t) => {
  // Written in New York, read there whatever the task's zone (a member shows another's task in their own zone).
  t.is(readInstant('f', '2026-12-01T09:00[America/New_York]', 'Asia/Tokyo'), '2026-12-01T14:00:00.000Z');
  t.is(readInstant('f', '2026-12-01T09:00[!America/New_York]', 'Asia/Tokyo'), '2026-12-01T14:00:00.000Z');
  // Its DST rules, not the task zone's: the gap and the fold are New York's.
  t.is(readInstant('f', '2027-03-14T02:30[America/New_York]', 'Europe/Berlin'), '2027-03-14T07:30:00.000Z');
  t.is(readInstant('f', '2026-11-01T01:30[America/New_York]', 'UTC'), '2026-11-01T05:30:00.000Z');
  // A date alone with a zone is its first instant there.
  t.is(readInstant('f', '2026-12-24[Pacific/Kiritimati]', 'UTC'), '2026-12-23T10:00:00.000Z');
  // With an offset the offset decides; it must be the named zone's then. Z says nothing about local time.
  t.is(readInstant('f', '2026-07-01T09:00+02:00[Europe/Berlin]', 'UTC'), '2026-07-01T07:00:00.000Z');
  t.is(readInstant('f', '2026-07-01T09:00Z[Europe/Berlin]', 'Asia/Tokyo'), '2026-07-01T09:00:00.000Z');
  t.regex(refused('2026-07-01T09:00+01:00[Europe/Berlin]') ?? 'accepted', /offset is not Europe\/Berlin's/);
  // -00:00, like Z, says the local offset is unknown (RFC 3339 §4.3): it agrees with any zone.
  t.is(readInstant('f', '2026-12-01T09:00-00:00[America/New_York]', 'UTC'), '2026-12-01T09:00:00.000Z');
  // A fold: both offsets of the repeated hour are New York's then.
  t.is(readInstant('f', '2026-11-01T01:30-04:00[America/New_York]', 'UTC'), '2026-11-01T05:30:00.000Z');
  t.is(readInstant('f', '2026-11-01T01:30-05:00[America/New_York]', 'UTC'), '2026-11-01T06:30:00.000Z');
  t.regex(refused('2026-12-01T09:00[Mars/Olympus]') ?? 'accepted', /\[Mars\/Olympus\].*not an IANA time zone/);
  t.regex(refused('2026-12-01T09:00[]') ?? 'accepted', /not an ISO-8601 date-time/);
  t.regex(refused('2026-12-01T09:00[America/New_York') ?? 'accepted', /not an ISO-8601 date-time/);
});
