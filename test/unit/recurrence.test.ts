import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  RecurrenceError,
  localToInstant,
  nextOccurrence,
  occurrences,
  parseRule,
  parseStart,
  validateRule,
} from '../../actors/recurrence/index.ts';
import type { ExpansionMeter, RecurrenceErrorCode } from '../../actors/recurrence/index.ts';

const NY = 'America/New_York';

function iso(dates: readonly Date[]): string[] {
  return dates.map((d) => d.toISOString());
}

/** Expected instants written compactly: `z('1997-09-02T13:00')` -> '1997-09-02T13:00:00.000Z'. */
function z(...values: string[]): string[] {
  return values.map((v) => `${v}:00.000Z`);
}

function all(rule: string, start: string | Date, zone: string, limit = 1000): string[] {
  return iso(occurrences(rule, start, zone, { limit }));
}

// -------------------------------------------------------------------------------------------------
// RFC 5545 section 3.8.5.3 examples (DTSTART;TZID=America/New_York). In 1997 EDT (-4) ended on
// Sunday Oct 26; in 1998 EDT began Sunday Apr 5, in 1999 Sunday Apr 4. 09:00 EDT = 13:00Z,
// 09:00 EST = 14:00Z.
// -------------------------------------------------------------------------------------------------

test('RFC 5545: daily for 10 occurrences', (t) => {
  t.deepEqual(
    all('RRULE:FREQ=DAILY;COUNT=10', '1997-09-02T09:00', NY),
    z(
      '1997-09-02T13:00',
      '1997-09-03T13:00',
      '1997-09-04T13:00',
      '1997-09-05T13:00',
      '1997-09-06T13:00',
      '1997-09-07T13:00',
      '1997-09-08T13:00',
      '1997-09-09T13:00',
      '1997-09-10T13:00',
      '1997-09-11T13:00',
    ),
  );
});

test('RFC 5545: daily until December 24, 1997 (crosses the end of DST)', (t) => {
  const got = all('FREQ=DAILY;UNTIL=19971224T000000Z', '1997-09-02T09:00', NY);
  t.is(got.length, 113); // Sep 2-30 (29) + Oct (31) + Nov (30) + Dec 1-23 (23)
  t.is(got[0], '1997-09-02T13:00:00.000Z');
  t.true(got.includes('1997-10-25T13:00:00.000Z'));
  t.true(got.includes('1997-10-26T14:00:00.000Z'));
  t.is(got[got.length - 1], '1997-12-23T14:00:00.000Z');
});

test('RFC 5545: every other day', (t) => {
  t.deepEqual(
    all('FREQ=DAILY;INTERVAL=2', '1997-09-02T09:00', NY, 5),
    z('1997-09-02T13:00', '1997-09-04T13:00', '1997-09-06T13:00', '1997-09-08T13:00', '1997-09-10T13:00'),
  );
});

test('RFC 5545: every 10 days, 5 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=DAILY;INTERVAL=10;COUNT=5', '1997-09-02T09:00', NY),
    z('1997-09-02T13:00', '1997-09-12T13:00', '1997-09-22T13:00', '1997-10-02T13:00', '1997-10-12T13:00'),
  );
});

test('RFC 5545: weekly for 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=WEEKLY;COUNT=10', '1997-09-02T09:00', NY),
    z(
      '1997-09-02T13:00',
      '1997-09-09T13:00',
      '1997-09-16T13:00',
      '1997-09-23T13:00',
      '1997-09-30T13:00',
      '1997-10-07T13:00',
      '1997-10-14T13:00',
      '1997-10-21T13:00',
      '1997-10-28T14:00',
      '1997-11-04T14:00',
    ),
  );
});

test('RFC 5545: weekly on Tuesday and Thursday for five weeks (UNTIL and COUNT forms)', (t) => {
  const expected = z(
    '1997-09-02T13:00',
    '1997-09-04T13:00',
    '1997-09-09T13:00',
    '1997-09-11T13:00',
    '1997-09-16T13:00',
    '1997-09-18T13:00',
    '1997-09-23T13:00',
    '1997-09-25T13:00',
    '1997-09-30T13:00',
    '1997-10-02T13:00',
  );
  t.deepEqual(all('FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH', '1997-09-02T09:00', NY), expected);
  t.deepEqual(all('FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH', '1997-09-02T09:00', NY), expected);
});

test('RFC 5545: every other week on Tuesday and Thursday, for 8 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH', '1997-09-02T09:00', NY),
    z(
      '1997-09-02T13:00',
      '1997-09-04T13:00',
      '1997-09-16T13:00',
      '1997-09-18T13:00',
      '1997-09-30T13:00',
      '1997-10-02T13:00',
      '1997-10-14T13:00',
      '1997-10-16T13:00',
    ),
  );
});

test('RFC 5545: monthly on the first Friday for 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;COUNT=10;BYDAY=1FR', '1997-09-05T09:00', NY),
    z(
      '1997-09-05T13:00',
      '1997-10-03T13:00',
      '1997-11-07T14:00',
      '1997-12-05T14:00',
      '1998-01-02T14:00',
      '1998-02-06T14:00',
      '1998-03-06T14:00',
      '1998-04-03T14:00',
      '1998-05-01T13:00',
      '1998-06-05T13:00',
    ),
  );
});

test('RFC 5545: every other month on the first and last Sunday, 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU', '1997-09-07T09:00', NY),
    z(
      '1997-09-07T13:00',
      '1997-09-28T13:00',
      '1997-11-02T14:00',
      '1997-11-30T14:00',
      '1998-01-04T14:00',
      '1998-01-25T14:00',
      '1998-03-01T14:00',
      '1998-03-29T14:00',
      '1998-05-03T13:00',
      '1998-05-31T13:00',
    ),
  );
});

test('RFC 5545: monthly on the second-to-last Monday for 6 months', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;COUNT=6;BYDAY=-2MO', '1997-09-22T09:00', NY),
    z(
      '1997-09-22T13:00',
      '1997-10-20T13:00',
      '1997-11-17T14:00',
      '1997-12-22T14:00',
      '1998-01-19T14:00',
      '1998-02-16T14:00',
    ),
  );
});

test('RFC 5545: monthly on the third-to-the-last day of the month', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;BYMONTHDAY=-3', '1997-09-28T09:00', NY, 6),
    z(
      '1997-09-28T13:00',
      '1997-10-29T14:00',
      '1997-11-28T14:00',
      '1997-12-29T14:00',
      '1998-01-29T14:00',
      '1998-02-26T14:00',
    ),
  );
});

test('RFC 5545: monthly on the 2nd and 15th for 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15', '1997-09-02T09:00', NY),
    z(
      '1997-09-02T13:00',
      '1997-09-15T13:00',
      '1997-10-02T13:00',
      '1997-10-15T13:00',
      '1997-11-02T14:00',
      '1997-11-15T14:00',
      '1997-12-02T14:00',
      '1997-12-15T14:00',
      '1998-01-02T14:00',
      '1998-01-15T14:00',
    ),
  );
});

test('RFC 5545: monthly on the first and last day for 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1', '1997-09-30T09:00', NY),
    z(
      '1997-09-30T13:00',
      '1997-10-01T13:00',
      '1997-10-31T14:00',
      '1997-11-01T14:00',
      '1997-11-30T14:00',
      '1997-12-01T14:00',
      '1997-12-31T14:00',
      '1998-01-01T14:00',
      '1998-01-31T14:00',
      '1998-02-01T14:00',
    ),
  );
});

test('RFC 5545: every 18 months on the 10th thru 15th, 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15', '1997-09-10T09:00', NY),
    z(
      '1997-09-10T13:00',
      '1997-09-11T13:00',
      '1997-09-12T13:00',
      '1997-09-13T13:00',
      '1997-09-14T13:00',
      '1997-09-15T13:00',
      '1999-03-10T14:00',
      '1999-03-11T14:00',
      '1999-03-12T14:00',
      '1999-03-13T14:00',
    ),
  );
});

test('RFC 5545: yearly in June and July for 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=YEARLY;COUNT=10;BYMONTH=6,7', '1997-06-10T09:00', NY),
    z(
      '1997-06-10T13:00',
      '1997-07-10T13:00',
      '1998-06-10T13:00',
      '1998-07-10T13:00',
      '1999-06-10T13:00',
      '1999-07-10T13:00',
      '2000-06-10T13:00',
      '2000-07-10T13:00',
      '2001-06-10T13:00',
      '2001-07-10T13:00',
    ),
  );
});

test('RFC 5545: every other year on January, February and March, 10 occurrences', (t) => {
  t.deepEqual(
    all('FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3', '1997-03-10T09:00', NY),
    z(
      '1997-03-10T14:00',
      '1999-01-10T14:00',
      '1999-02-10T14:00',
      '1999-03-10T14:00',
      '2001-01-10T14:00',
      '2001-02-10T14:00',
      '2001-03-10T14:00',
      '2003-01-10T14:00',
      '2003-02-10T14:00',
      '2003-03-10T14:00',
    ),
  );
});

test('RFC 5545: every Friday the 13th (DTSTART does not match, so it is not an occurrence)', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13', '1997-09-02T09:00', NY, 5),
    z('1998-02-13T14:00', '1998-03-13T14:00', '1998-11-13T14:00', '1999-08-13T13:00', '2000-10-13T13:00'),
  );
});

test('RFC 5545: the first Saturday that follows the first Sunday of the month', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13', '1997-09-13T09:00', NY, 10),
    z(
      '1997-09-13T13:00',
      '1997-10-11T13:00',
      '1997-11-08T14:00',
      '1997-12-13T14:00',
      '1998-01-10T14:00',
      '1998-02-07T14:00',
      '1998-03-07T14:00',
      '1998-04-11T13:00',
      '1998-05-09T13:00',
      '1998-06-13T13:00',
    ),
  );
});

test('RFC 5545: US presidential election day', (t) => {
  t.deepEqual(
    all('FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8', '1996-11-05T09:00', NY, 3),
    z('1996-11-05T14:00', '2000-11-07T14:00', '2004-11-02T14:00'),
  );
});

test('RFC 5545: WKST changes the result (WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU)', (t) => {
  t.deepEqual(
    all('FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO', '1997-08-05T09:00', NY),
    z('1997-08-05T13:00', '1997-08-10T13:00', '1997-08-19T13:00', '1997-08-24T13:00'),
  );
  t.deepEqual(
    all('FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU', '1997-08-05T09:00', NY),
    z('1997-08-05T13:00', '1997-08-17T13:00', '1997-08-19T13:00', '1997-08-31T13:00'),
  );
});

// -------------------------------------------------------------------------------------------------
// Month ends and ordinals (2026: Jan 1 is a Thursday; EDT from Mar 8)
// -------------------------------------------------------------------------------------------------

test('BYMONTHDAY=31 (and the default from a 31st start) skips shorter months', (t) => {
  const expected = z(
    '2026-01-31T14:00',
    '2026-03-31T13:00',
    '2026-05-31T13:00',
    '2026-07-31T13:00',
    '2026-08-31T13:00',
  );
  t.deepEqual(all('FREQ=MONTHLY;COUNT=5', '2026-01-31T09:00', NY), expected);
  t.deepEqual(all('FREQ=MONTHLY;BYMONTHDAY=31', '2026-01-31T09:00', NY, 5), expected);
});

test('last Friday (-1FR) and last day (BYMONTHDAY=-1)', (t) => {
  t.deepEqual(
    all('FREQ=MONTHLY;BYDAY=-1FR;COUNT=4', '2026-01-01T10:00', NY),
    z('2026-01-30T15:00', '2026-02-27T15:00', '2026-03-27T14:00', '2026-04-24T14:00'),
  );
  t.deepEqual(
    all('FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4', '2026-01-01T10:00', NY),
    z('2026-01-31T15:00', '2026-02-28T15:00', '2026-03-31T14:00', '2026-04-30T14:00'),
  );
});

test('yearly on Feb 29 only in leap years', (t) => {
  t.deepEqual(
    all('FREQ=YEARLY;COUNT=3', '2024-02-29T12:00', 'UTC'),
    z('2024-02-29T12:00', '2028-02-29T12:00', '2032-02-29T12:00'),
  );
});

// -------------------------------------------------------------------------------------------------
// DST
// -------------------------------------------------------------------------------------------------

test('Europe/Berlin: daily 09:00 stays 09:00 local across 2026-03-29 and 2026-10-25', (t) => {
  t.deepEqual(
    all('FREQ=DAILY', '2026-03-27T09:00', 'Europe/Berlin', 4),
    z('2026-03-27T08:00', '2026-03-28T08:00', '2026-03-29T07:00', '2026-03-30T07:00'),
  );
  t.deepEqual(
    all('FREQ=DAILY', '2026-10-23T09:00', 'Europe/Berlin', 4),
    z('2026-10-23T07:00', '2026-10-24T07:00', '2026-10-25T08:00', '2026-10-26T08:00'),
  );
});

test('America/New_York: gap time moves forward (2007-03-11 02:30 -> 03:30 EDT = 07:30Z)', (t) => {
  t.is(
    localToInstant({ year: 2007, month: 3, day: 11, hour: 2, minute: 30 }, NY).toISOString(),
    '2007-03-11T07:30:00.000Z',
  );
  t.deepEqual(
    all('FREQ=DAILY;COUNT=3', '2007-03-10T02:30', NY),
    z('2007-03-10T07:30', '2007-03-11T07:30', '2007-03-12T06:30'),
  );
  // The start's wall clock is kept as written, so later days are at 02:30 again.
  t.deepEqual(parseStart('2007-03-11T02:30', NY), { year: 2007, month: 3, day: 11, hour: 2, minute: 30, second: 0 });
});

test('America/New_York: ambiguous time takes the earlier instant (2026-11-01 01:30 -> 05:30Z, not 06:30Z)', (t) => {
  t.is(
    localToInstant({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, NY).toISOString(),
    '2026-11-01T05:30:00.000Z',
  );
  t.deepEqual(
    all('FREQ=DAILY;COUNT=3', '2026-10-31T01:30', NY),
    z('2026-10-31T05:30', '2026-11-01T05:30', '2026-11-02T06:30'),
  );
});

test('two wall times mapping to one instant in a gap are emitted once', (t) => {
  // 02:30 (gap -> 03:30 EDT) and 03:30 are the same instant on 2026-03-08.
  t.deepEqual(
    all('FREQ=DAILY;BYHOUR=2,3;BYMINUTE=30', '2026-03-07T00:00', NY, 4),
    z('2026-03-07T07:30', '2026-03-07T08:30', '2026-03-08T07:30', '2026-03-09T06:30'),
  );
});

test('Australia/Lord_Howe: 30-minute DST', (t) => {
  // First Sunday of October 2026 is Oct 4: 02:00 +10:30 -> 02:30 +11:00. 02:15 moves forward 30 minutes.
  t.is(
    localToInstant({ year: 2026, month: 10, day: 4, hour: 2, minute: 15 }, 'Australia/Lord_Howe').toISOString(),
    '2026-10-03T15:45:00.000Z',
  );
  t.deepEqual(
    all('FREQ=DAILY;COUNT=3', '2026-10-03T02:15', 'Australia/Lord_Howe'),
    z('2026-10-02T15:45', '2026-10-03T15:45', '2026-10-04T15:15'),
  );
  // First Sunday of April 2026 is Apr 5: 02:00 +11:00 -> 01:30 +10:30. 01:45 is ambiguous -> +11:00.
  t.is(
    localToInstant({ year: 2026, month: 4, day: 5, hour: 1, minute: 45 }, 'Australia/Lord_Howe').toISOString(),
    '2026-04-04T14:45:00.000Z',
  );
});

test('Pacific/Apia: 2011-12-30 does not exist', (t) => {
  // Thursday 2011-12-29 23:59:59 -10:00 was followed by Saturday 2011-12-31 00:00 +14:00.
  t.is(
    localToInstant({ year: 2011, month: 12, day: 30, hour: 0, minute: 0 }, 'Pacific/Apia').toISOString(),
    '2011-12-30T10:00:00.000Z',
  );
  t.is(
    localToInstant({ year: 2011, month: 12, day: 30, hour: 9, minute: 0 }, 'Pacific/Apia').toISOString(),
    '2011-12-30T19:00:00.000Z',
  );
  // Daily 09:00: Dec 30 09:00 is read at -10:00, i.e. Dec 31 09:00 +14:00 -- the same instant as the
  // Dec 31 occurrence, so it is emitted once.
  // COUNT=5 covers the floating days Dec 28..Jan 1; Dec 30 and Dec 31 collapse into one instant.
  t.deepEqual(
    all('FREQ=DAILY;COUNT=5', '2011-12-28T09:00', 'Pacific/Apia'),
    z('2011-12-28T19:00', '2011-12-29T19:00', '2011-12-30T19:00', '2011-12-31T19:00'),
  );
  t.deepEqual(
    all('FREQ=DAILY', '2011-12-28T09:00', 'Pacific/Apia', 5),
    z('2011-12-28T19:00', '2011-12-29T19:00', '2011-12-30T19:00', '2011-12-31T19:00', '2012-01-01T19:00'),
  );
});

test('America/Sao_Paulo: DST at midnight (2018-11-04 00:30 -> 01:30 -02:00)', (t) => {
  t.is(
    localToInstant({ year: 2018, month: 11, day: 4, hour: 0, minute: 30 }, 'America/Sao_Paulo').toISOString(),
    '2018-11-04T03:30:00.000Z',
  );
  t.deepEqual(
    all('FREQ=DAILY;COUNT=4', '2018-11-02T00:30', 'America/Sao_Paulo'),
    z('2018-11-02T03:30', '2018-11-03T03:30', '2018-11-04T03:30', '2018-11-05T02:30'),
  );
  // End of DST: 2019-02-17 00:00 -02:00 -> 2019-02-16 23:00 -03:00; 23:30 on Feb 16 is ambiguous.
  t.is(
    localToInstant({ year: 2019, month: 2, day: 16, hour: 23, minute: 30 }, 'America/Sao_Paulo').toISOString(),
    '2019-02-17T01:30:00.000Z',
  );
});

// -------------------------------------------------------------------------------------------------
// COUNT, UNTIL, after, limit
// -------------------------------------------------------------------------------------------------

test('UNTIL (UTC) is an inclusive instant', (t) => {
  const start = '2026-01-01T09:00'; // 14:00Z (EST)
  t.is(all('FREQ=DAILY;UNTIL=20260105T140000Z', start, NY).length, 5);
  t.is(all('FREQ=DAILY;UNTIL=20260105T135959Z', start, NY).length, 4);
});

test('UNTIL as a date means the end of that local day', (t) => {
  const got = all('FREQ=DAILY;UNTIL=20260105', '2026-01-01T23:30', NY);
  t.is(got.length, 5);
  t.is(got[4], '2026-01-06T04:30:00.000Z'); // Jan 5 23:30 EST
});

test('COUNT counts from the start; a start that does not match the rule is not an occurrence', (t) => {
  // 2026-01-05 is a Monday.
  t.deepEqual(
    all('FREQ=WEEKLY;BYDAY=MO;COUNT=3', '2026-01-05T09:00', 'UTC'),
    z('2026-01-05T09:00', '2026-01-12T09:00', '2026-01-19T09:00'),
  );
  t.deepEqual(
    all('FREQ=WEEKLY;BYDAY=MO;COUNT=3', '2026-01-06T09:00', 'UTC'),
    z('2026-01-12T09:00', '2026-01-19T09:00', '2026-01-26T09:00'),
  );
  // COUNT still counts from the start when `after` skips some.
  t.deepEqual(
    iso(
      occurrences('FREQ=DAILY;COUNT=5', '2026-01-01T09:00', 'UTC', { after: new Date('2026-01-03T09:00Z'), limit: 10 }),
    ),
    z('2026-01-04T09:00', '2026-01-05T09:00'),
  );
});

test('`after` is strict, `until` inclusive, `limit` respected and capped at 1000', (t) => {
  const rule = 'FREQ=DAILY';
  const start = '2026-01-01T09:00';
  t.deepEqual(
    iso(occurrences(rule, start, 'UTC', { after: new Date('2026-01-02T09:00Z'), limit: 2 })),
    z('2026-01-03T09:00', '2026-01-04T09:00'),
  );
  t.deepEqual(
    iso(
      occurrences(rule, start, 'UTC', {
        after: new Date('2026-01-02T09:00Z'),
        until: new Date('2026-01-04T09:00Z'),
        limit: 10,
      }),
    ),
    z('2026-01-03T09:00', '2026-01-04T09:00'),
  );
  t.is(occurrences(rule, start, 'UTC', { limit: 5000 }).length, 1000);
  t.deepEqual(occurrences(rule, start, 'UTC', { limit: 0 }), []);
});

test('far-ahead `after` does not change results, and the walk starts near it', (t) => {
  const meter: ExpansionMeter = { steps: 0 };
  t.deepEqual(
    iso(occurrences('FREQ=DAILY', '1971-01-01T09:00', NY, { after: new Date('2026-06-01T00:00Z'), limit: 2, meter })),
    z('2026-06-01T13:00', '2026-06-02T13:00'),
  );
  t.true(meter.steps <= 10, `${meter.steps} steps`); // a month or two, and the days around \`after\`
  // 1990-01-01 was a Monday; its WKST=SU week began 1989-12-31. 2026-06-01 is 13,301 days later
  // = 633 periods of 21 days + 8 days, so the current period began Sunday 2026-05-24 (Mon 25 and
  // Fri 29 already past) and the next one begins 2026-06-14: Mon 15 and Fri 19 at 09:00 CEST.
  t.deepEqual(
    iso(
      occurrences('FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;WKST=SU', '1990-01-01T09:00', 'Europe/Berlin', {
        after: new Date('2026-06-01T00:00Z'),
        limit: 2,
      }),
    ),
    z('2026-06-15T07:00', '2026-06-19T07:00'),
  );
});

test('nextOccurrence: first occurrence strictly after, null when ended', (t) => {
  t.is(
    nextOccurrence('FREQ=DAILY;COUNT=3', '2026-01-01T09:00', 'UTC', new Date('2026-01-02T09:00Z'))?.toISOString(),
    '2026-01-03T09:00:00.000Z',
  );
  t.is(nextOccurrence('FREQ=DAILY;COUNT=3', '2026-01-01T09:00', 'UTC', new Date('2026-01-03T09:00Z')), null);
  t.is(
    nextOccurrence('FREQ=DAILY;UNTIL=20260103T090000Z', '2026-01-01T09:00', 'UTC', new Date('2026-01-03T09:00Z')),
    null,
  );
  t.is(
    nextOccurrence('FREQ=DAILY', '2026-01-01T09:00', 'UTC', new Date('2025-06-01T00:00Z'))?.toISOString(),
    '2026-01-01T09:00:00.000Z',
  );
});

test('BYHOUR/BYMINUTE replace the time of day; seconds come from the start', (t) => {
  t.deepEqual(all('FREQ=DAILY;BYHOUR=8,17;BYMINUTE=0,30;COUNT=5', '2026-01-01T09:15:42', 'UTC'), [
    '2026-01-01T17:00:42.000Z',
    '2026-01-01T17:30:42.000Z',
    '2026-01-02T08:00:42.000Z',
    '2026-01-02T08:30:42.000Z',
    '2026-01-02T17:00:42.000Z',
  ]);
});

// -------------------------------------------------------------------------------------------------
// Start parsing
// -------------------------------------------------------------------------------------------------

test('parseStart: wall-clock strings vs instants', (t) => {
  t.deepEqual(parseStart('2026-03-08T02:30', NY), { year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 });
  t.deepEqual(parseStart('2026-03-08T07:30:15Z', NY), {
    year: 2026,
    month: 3,
    day: 8,
    hour: 3,
    minute: 30,
    second: 15,
  });
  // 12:00+05:30 = 06:30Z = 01:30 EST (before the 02:00 change that day).
  t.deepEqual(parseStart('2026-03-08T12:00+05:30', NY), {
    year: 2026,
    month: 3,
    day: 8,
    hour: 1,
    minute: 30,
    second: 0,
  });
  // 06:30Z on 2026-11-01 is 01:30 EST, the second pass of New York's repeated hour: the instant is kept
  // (`at`), since the wall time alone reads as the first pass (05:30Z, EDT).
  const oneThirty = { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 };
  t.deepEqual(parseStart(new Date('2026-11-01T06:30:00Z'), NY), {
    ...oneThirty,
    at: Date.parse('2026-11-01T06:30:00Z'),
  });
  t.deepEqual(parseStart(new Date('2026-11-01T05:30:00Z'), NY), oneThirty);
  // The same instant given as a Date and as a string gives the same occurrences.
  t.deepEqual(
    all('FREQ=WEEKLY;COUNT=3', new Date('2026-01-05T14:00:00Z'), NY),
    all('FREQ=WEEKLY;COUNT=3', '2026-01-05T09:00', NY),
  );
});

test('a start named on the second pass of a repeated hour is itself the first occurrence; other days take their wall time', (t) => {
  // New York, 2026-11-01: 01:30 EDT (05:30Z), then 01:30 EST (06:30Z).
  const second = ['2026-11-01T06:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z'];
  t.deepEqual(all('FREQ=DAILY;COUNT=3', '2026-11-01T01:30-05:00', NY), second);
  t.deepEqual(all('FREQ=DAILY;COUNT=3', new Date('2026-11-01T06:30:00Z'), NY), second);
  // The wall time alone, or the first pass named: the earlier instant (RFC 5545 §3.3.5).
  const first = ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z'];
  t.deepEqual(all('FREQ=DAILY;COUNT=3', '2026-11-01T01:30', NY), first);
  t.deepEqual(all('FREQ=DAILY;COUNT=3', '2026-11-01T01:30-04:00', NY), first);
  // Only the start: a yearly series started on the second pass is at 01:30 EDT on a later fall-back night.
  t.deepEqual(all('FREQ=YEARLY;BYMONTH=11;BYDAY=1SU;COUNT=2', '2026-11-01T06:30:00Z', NY), [
    '2026-11-01T06:30:00.000Z',
    '2027-11-07T05:30:00.000Z',
  ]);
  // The rule's later times in the repeated hour that night are on the second pass too: none before the start.
  t.deepEqual(all('FREQ=DAILY;BYHOUR=1;BYMINUTE=15,45;COUNT=3', '2026-11-01T06:15:00Z', NY), [
    '2026-11-01T06:15:00.000Z',
    '2026-11-01T06:45:00.000Z',
    '2026-11-02T06:15:00.000Z',
  ]);
  // And it is not "after" itself: the next occurrence after the first pass is the start on the second.
  t.deepEqual(
    nextOccurrence('FREQ=DAILY', '2026-11-01T06:30:00Z', NY, new Date('2026-11-01T05:30:00Z'))?.toISOString(),
    '2026-11-01T06:30:00.000Z',
  );
});

function errorOf(fn: () => unknown): RecurrenceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RecurrenceError) return e;
    throw e;
  }
  throw new Error('expected a RecurrenceError');
}

test('invalid starts are rejected with invalid_start', (t) => {
  for (const start of [
    'not-a-date',
    '2026-02-30T09:00',
    '2026-01-01T24:00',
    '2026-13-01T09:00',
    '',
    '2026-01-01T09:00+25:00',
  ]) {
    const e = errorOf(() => occurrences('FREQ=DAILY', start, 'UTC', { limit: 1 }));
    t.is(e.code, 'invalid_start', start);
    t.is(e.part, 'start');
  }
  t.is(errorOf(() => parseStart(new Date(Number.NaN), 'UTC')).code, 'invalid_start');
});

test('invalid zones are rejected with invalid_timezone', (t) => {
  for (const zone of ['Mars/Olympus', '', 'America/NewYork', '+25:00']) {
    const e = errorOf(() => occurrences('FREQ=DAILY', '2026-01-01T09:00', zone, { limit: 1 }));
    t.is(e.code, 'invalid_timezone', zone);
    t.is(e.part, 'timezone');
    t.regex(e.message, /^timezone: /);
  }
  t.is(
    errorOf(() => localToInstant({ year: 2026, month: 1, day: 1, hour: 0, minute: 0 }, 'Nowhere/Land')).code,
    'invalid_timezone',
  );
});

// -------------------------------------------------------------------------------------------------
// Rule validation
// -------------------------------------------------------------------------------------------------

const REJECTED: Array<[string, RecurrenceErrorCode, string]> = [
  ['FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1', 'unsupported_rule', 'BYSETPOS'],
  ['FREQ=YEARLY;BYWEEKNO=20', 'unsupported_rule', 'BYWEEKNO'],
  ['FREQ=YEARLY;BYYEARDAY=100', 'unsupported_rule', 'BYYEARDAY'],
  ['FREQ=DAILY;BYSECOND=10', 'unsupported_rule', 'BYSECOND'],
  ['FREQ=HOURLY', 'unsupported_rule', 'FREQ'],
  ['FREQ=MINUTELY;INTERVAL=15', 'unsupported_rule', 'FREQ'],
  ['FREQ=SECONDLY', 'unsupported_rule', 'FREQ'],
  ['FREQ=DAILY;EXDATE=20260101T090000Z', 'unsupported_rule', 'EXDATE'],
  ['FREQ=DAILY;RDATE=20260101T090000Z', 'unsupported_rule', 'RDATE'],
  ['EXDATE:20260101T090000Z', 'unsupported_rule', 'EXDATE'],
  ['RDATE:20260101T090000Z', 'unsupported_rule', 'RDATE'],
  ['DTSTART;TZID=America/New_York:20260101T090000\nRRULE:FREQ=DAILY', 'unsupported_rule', 'DTSTART'],
  ['RRULE:FREQ=DAILY\nEXDATE:20260102T090000Z', 'unsupported_rule', 'EXDATE'],
  ['FREQ=DAILY;X-FOO=1', 'unsupported_rule', 'X-FOO'],
  ['FREQ=DAILY;FOO=BAR', 'unsupported_rule', 'FOO'],
  ['FREQ=DAILY;COUNT=3;UNTIL=20260110T000000Z', 'invalid_rule', 'UNTIL'],
  ['FREQ=DAILY;FREQ=WEEKLY', 'invalid_rule', 'FREQ'],
  ['FREQ=DAILY;INTERVAL=2;INTERVAL=3', 'invalid_rule', 'INTERVAL'],
  ['FREQ=FORTNIGHTLY', 'invalid_rule', 'FREQ'],
  ['INTERVAL=2', 'invalid_rule', 'FREQ'],
  ['', 'invalid_rule', 'FREQ'],
  ['FREQ=DAILY;INTERVAL=0', 'invalid_rule', 'INTERVAL'],
  ['FREQ=DAILY;INTERVAL=1001', 'invalid_rule', 'INTERVAL'],
  ['FREQ=DAILY;INTERVAL=1.5', 'invalid_rule', 'INTERVAL'],
  ['FREQ=DAILY;INTERVAL=-1', 'invalid_rule', 'INTERVAL'],
  ['FREQ=DAILY;COUNT=0', 'invalid_rule', 'COUNT'],
  ['FREQ=DAILY;COUNT=10001', 'invalid_rule', 'COUNT'],
  ['FREQ=DAILY;COUNT=abc', 'invalid_rule', 'COUNT'],
  ['FREQ=DAILY;UNTIL=20260101T090000', 'invalid_rule', 'UNTIL'],
  ['FREQ=DAILY;UNTIL=2026-01-01', 'invalid_rule', 'UNTIL'],
  ['FREQ=DAILY;UNTIL=20260230', 'invalid_rule', 'UNTIL'],
  ['FREQ=DAILY;UNTIL=20260101T250000Z', 'invalid_rule', 'UNTIL'],
  ['FREQ=WEEKLY;BYDAY=1MO', 'invalid_rule', 'BYDAY'],
  ['FREQ=DAILY;BYDAY=-1FR', 'invalid_rule', 'BYDAY'],
  ['FREQ=MONTHLY;BYDAY=6MO', 'invalid_rule', 'BYDAY'],
  ['FREQ=YEARLY;BYDAY=54MO', 'invalid_rule', 'BYDAY'],
  ['FREQ=MONTHLY;BYDAY=0MO', 'invalid_rule', 'BYDAY'],
  ['FREQ=WEEKLY;BYDAY=MONDAY', 'invalid_rule', 'BYDAY'],
  ['FREQ=WEEKLY;BYDAY=', 'invalid_rule', 'BYDAY'],
  ['FREQ=WEEKLY;BYDAY=MO,,TU', 'invalid_rule', 'BYDAY'],
  ['FREQ=MONTHLY;BYMONTHDAY=0', 'invalid_rule', 'BYMONTHDAY'],
  ['FREQ=MONTHLY;BYMONTHDAY=32', 'invalid_rule', 'BYMONTHDAY'],
  ['FREQ=MONTHLY;BYMONTHDAY=-32', 'invalid_rule', 'BYMONTHDAY'],
  ['FREQ=WEEKLY;BYMONTHDAY=1', 'invalid_rule', 'BYMONTHDAY'],
  ['FREQ=YEARLY;BYMONTH=0', 'invalid_rule', 'BYMONTH'],
  ['FREQ=YEARLY;BYMONTH=13', 'invalid_rule', 'BYMONTH'],
  ['FREQ=DAILY;BYHOUR=24', 'invalid_rule', 'BYHOUR'],
  ['FREQ=DAILY;BYMINUTE=60', 'invalid_rule', 'BYMINUTE'],
  ['FREQ=DAILY;BYHOUR=-1', 'invalid_rule', 'BYHOUR'],
  ['FREQ=WEEKLY;WKST=XX', 'invalid_rule', 'WKST'],
  ['FREQ=DAILY;;COUNT=2', 'invalid_rule', 'RRULE'],
  ['FREQ', 'invalid_rule', 'FREQ'],
  ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'invalid_rule', 'BYMONTHDAY'],
  ['FREQ=MONTHLY;BYMONTHDAY=1;BYDAY=5MO', 'invalid_rule', 'BYMONTHDAY'],
];

test('rules outside the subset or malformed are rejected, naming the part', (t) => {
  for (const [rule, code, part] of REJECTED) {
    const e = errorOf(() => parseRule(rule));
    t.is(e.code, code, rule);
    t.is(e.part, part, rule);
    t.true(e.message.startsWith('recurrence_rule: '), rule);
    t.true(e.message.includes(part), `${rule}: ${e.message}`);
    t.throws(() => validateRule(rule), { instanceOf: RecurrenceError });
    t.throws(() => occurrences(rule, '2026-01-01T09:00', 'UTC', { limit: 1 }), { instanceOf: RecurrenceError });
  }
});

test('example messages', (t) => {
  t.is(
    errorOf(() => parseRule('FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1')).message,
    'recurrence_rule: BYSETPOS is not supported',
  );
  t.is(
    errorOf(() => parseRule('FREQ=DAILY;INTERVAL=0')).message,
    'recurrence_rule: INTERVAL must be an integer from 1 to 1000',
  );
  t.is(errorOf(() => parseRule('FREQ=HOURLY')).message, 'recurrence_rule: FREQ=HOURLY is not supported');
});

test('accepted rule forms', (t) => {
  for (const rule of [
    'RRULE:FREQ=DAILY',
    'FREQ=DAILY',
    'rrule:freq=daily;interval=2',
    'FREQ=WEEKLY;BYDAY=MO,WE,FR;WKST=SU;UNTIL=20261231T235959Z',
    'FREQ=MONTHLY;BYDAY=1MO,-1FR',
    'FREQ=YEARLY;BYDAY=20MO',
    'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH',
    'FREQ=MONTHLY;BYMONTHDAY=1,-1,31',
    'FREQ=DAILY;BYHOUR=0,23;BYMINUTE=0,59;COUNT=10000',
    'FREQ=DAILY;UNTIL=20261231',
    'FREQ=DAILY;INTERVAL=1000',
    'FREQ=DAILY;',
  ]) {
    t.notThrows(() => validateRule(rule), rule);
  }
  const parsed = parseRule('rrule:freq=weekly;byday=mo,fr');
  t.is(parsed.source, 'rrule:freq=weekly;byday=mo,fr');
  t.is(parsed.freq, 'WEEKLY');
  t.deepEqual(parsed.byDay, [
    { weekday: 'MO', ordinal: null },
    { weekday: 'FR', ordinal: null },
  ]);
  // A ParsedRule can be passed instead of the string.
  t.deepEqual(
    iso(occurrences(parsed, '2026-01-05T09:00', 'UTC', { limit: 3 })),
    z('2026-01-05T09:00', '2026-01-09T09:00', '2026-01-12T09:00'),
  );
});

test('rules that can never occur from this start return nothing, proved without scanning', (t) => {
  const meter: ExpansionMeter = { steps: 0 };
  // Every 7 days from a Monday never reaches a Tuesday.
  t.deepEqual(occurrences('FREQ=DAILY;INTERVAL=7;BYDAY=TU', '2026-01-05T09:00', 'UTC', { limit: 5, meter }), []);
  t.is(meter.steps, 0);
  // Monthly on the 30th (from the start) restricted to February.
  t.deepEqual(occurrences('FREQ=MONTHLY;BYMONTH=2', '2026-01-30T09:00', 'UTC', { limit: 5, meter }), []);
  t.is(meter.steps, 0);
  // Every 12 months from January never visits March.
  t.deepEqual(occurrences('FREQ=MONTHLY;INTERVAL=12;BYMONTH=3', '2026-01-15T09:00', 'UTC', { limit: 5, meter }), []);
  t.is(meter.steps, 0);
  t.is(
    nextOccurrence('FREQ=DAILY;INTERVAL=14;BYDAY=SA,SU', '2026-01-05T09:00', 'UTC', new Date('2026-01-01T00:00Z'), {
      meter,
    }),
    null,
  );
  t.is(meter.steps, 0);
});

// -------------------------------------------------------------------------------------------------
// Properties (fast-check)
// -------------------------------------------------------------------------------------------------

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'Australia/Lord_Howe',
  'Australia/Sydney',
  'Pacific/Apia',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Tehran',
  'America/Santiago',
  'Pacific/Chatham',
  'Africa/Casablanca',
  'America/St_Johns',
  'Europe/Dublin',
  'UTC',
];
const WD = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

interface GenRule {
  text: string;
  hours: number[];
  minutes: number[];
}

const ruleArb: fc.Arbitrary<GenRule> = fc
  .record({
    freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'),
    interval: fc.constantFrom(1, 1, 1, 2, 3, 5),
    days: fc.subarray([...WD], { minLength: 0, maxLength: 3 }),
    ordinal: fc.constantFrom(0, 0, 1, 2, -1),
    monthDays: fc.subarray([1, 2, 10, 15, 28, 30, 31, -1], { minLength: 0, maxLength: 2 }),
    months: fc.subarray([1, 2, 3, 6, 10, 11, 12], { minLength: 0, maxLength: 3 }),
    hours: fc.subarray([0, 1, 2, 3, 9, 23], { minLength: 0, maxLength: 2 }),
    minutes: fc.subarray([0, 15, 30, 45], { minLength: 0, maxLength: 2 }),
    wkst: fc.constantFrom(...WD),
    end: fc.oneof(
      fc.constant(''),
      fc.integer({ min: 1, max: 50 }).map((n) => `COUNT=${n}`),
    ),
  })
  .map((r) => {
    const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`, `WKST=${r.wkst}`];
    const ordinalOk = r.freq === 'MONTHLY' || r.freq === 'YEARLY';
    if (r.days.length > 0)
      parts.push(`BYDAY=${r.days.map((d) => `${ordinalOk && r.ordinal !== 0 ? r.ordinal : ''}${d}`).join(',')}`);
    // DAILY;INTERVAL>1 with BYMONTHDAY can be extremely sparse: expanded month by month, it costs no more.
    if (r.monthDays.length > 0 && r.freq !== 'WEEKLY') {
      parts.push(`BYMONTHDAY=${r.monthDays.join(',')}`);
    }
    if (r.months.length > 0) parts.push(`BYMONTH=${r.months.join(',')}`);
    if (r.hours.length > 0) parts.push(`BYHOUR=${r.hours.join(',')}`);
    if (r.minutes.length > 0) parts.push(`BYMINUTE=${r.minutes.join(',')}`);
    if (r.end) parts.push(r.end);
    return { text: parts.join(';'), hours: r.hours, minutes: r.minutes };
  })
  .filter((r) => {
    try {
      validateRule(r.text);
      return true;
    } catch {
      return false; // statically impossible combinations (e.g. BYMONTH=2;BYMONTHDAY=30)
    }
  });

// Starts in 2000..2030, at times that often sit in DST gaps/overlaps.
const startArb = fc
  .record({
    dayOffset: fc.integer({ min: 0, max: 11_000 }),
    hour: fc.constantFrom(0, 1, 2, 3, 9, 23),
    minute: fc.constantFrom(0, 30, 45),
    second: fc.constantFrom(0, 0, 7),
  })
  .map(({ dayOffset, hour, minute, second }) => {
    const d = new Date(Date.UTC(2000, 0, 1) + dayOffset * 86_400_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  });

function wallOf(instant: Date, zone: string) {
  return parseStart(instant, zone);
}

test('property: ascending, strictly after `after`, within `until` and `limit`, wall time = rule time (or gap-shifted)', (t) => {
  const result = fc.check(
    fc.property(
      ruleArb,
      startArb,
      fc.constantFrom(...ZONES),
      fc.integer({ min: -30, max: 4000 }),
      fc.integer({ min: 1, max: 30 }),
      (rule, start, zone, afterDays, limit) => {
        const startWall = parseStart(start, zone);
        const startInstant = localToInstant(startWall, zone);
        const after = new Date(startInstant.getTime() + afterDays * 86_400_000 + 3_600_000);
        const until = new Date(after.getTime() + 400 * 86_400_000);
        const got = occurrences(rule.text, start, zone, { after, until, limit });
        if (got.length > limit) return false;
        for (const [i, d] of got.entries()) {
          if (d.getTime() <= after.getTime() || d.getTime() > until.getTime()) return false;
          const prev = got[i - 1];
          if (prev !== undefined && prev.getTime() >= d.getTime()) return false;
          // The occurrence is the instant of some allowed wall time on its local date or the day before
          // (the day before only when a gap pushed it forward past midnight, e.g. Apia 2011).
          const wall = wallOf(d, zone);
          const hours = rule.hours.length > 0 ? rule.hours : [startWall.hour];
          const minutes = rule.minutes.length > 0 ? rule.minutes : [startWall.minute];
          let explained = false;
          for (const back of [0, 1]) {
            const day = new Date(Date.UTC(wall.year, wall.month - 1, wall.day) - back * 86_400_000);
            for (const hour of hours) {
              for (const minute of minutes) {
                const candidate = localToInstant(
                  {
                    year: day.getUTCFullYear(),
                    month: day.getUTCMonth() + 1,
                    day: day.getUTCDate(),
                    hour,
                    minute,
                    second: startWall.second,
                  },
                  zone,
                );
                if (candidate.getTime() === d.getTime()) explained = true;
              }
            }
          }
          if (!explained) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
  t.true(result.numRuns > 0);
});

test('property: expanding from a later `after` (shifted dtstart) equals filtering the full expansion', (t) => {
  const result = fc.check(
    fc.property(
      ruleArb,
      startArb,
      fc.constantFrom(...ZONES),
      fc.nat({ max: 280 }),
      fc.integer({ min: 1, max: 20 }),
      (rule, start, zone, index, limit) => {
        const FULL = 300;
        const full = occurrences(rule.text, start, zone, { limit: FULL });
        if (full.length === 0) return true;
        const pivot = full[Math.min(index, full.length - 1)];
        if (pivot === undefined) return false;
        const after = new Date(pivot.getTime() + (index % 3 === 0 ? 0 : 1_000));
        const expected = full.filter((d) => d.getTime() > after.getTime()).slice(0, limit);
        if (full.length === FULL && expected.length < limit) return true; // beyond what `full` covers
        const got = occurrences(rule.text, start, zone, { after, limit });
        return JSON.stringify(iso(got)) === JSON.stringify(iso(expected));
      },
    ),
    { numRuns: 200 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
  t.true(result.numRuns > 0);
});

test('property: chaining nextOccurrence reproduces occurrences', (t) => {
  const result = fc.check(
    fc.property(ruleArb, startArb, fc.constantFrom(...ZONES), (rule, start, zone) => {
      const list = occurrences(rule.text, start, zone, { limit: 8 });
      const parsed = parseRule(rule.text);
      let cursor = new Date(localToInstant(parseStart(start, zone), zone).getTime() - 3 * 86_400_000);
      for (const expected of list) {
        const next = nextOccurrence(parsed, start, zone, cursor);
        if (next === null || next.getTime() !== expected.getTime()) return false;
        cursor = next;
      }
      return list.length === 8 || nextOccurrence(parsed, start, zone, cursor) === null;
    }),
    { numRuns: 150 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
  t.true(result.numRuns > 0);
});

// -------------------------------------------------------------------------------------------------
// Host time zone independence
// -------------------------------------------------------------------------------------------------

const HOST_ZONE_RULES: Array<[string, string, string]> = [
  ['FREQ=DAILY;COUNT=5', '2007-03-10T02:30', 'America/New_York'],
  ['FREQ=DAILY;COUNT=4', '2026-10-31T01:30', 'America/New_York'],
  ['FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU', '1997-08-05T09:00', 'America/New_York'],
  ['FREQ=MONTHLY;BYDAY=-1FR;COUNT=6', '2026-01-01T10:00', 'Europe/Berlin'],
  ['FREQ=DAILY;COUNT=6', '2026-10-02T02:15', 'Australia/Lord_Howe'],
  ['FREQ=DAILY;COUNT=5', '2011-12-28T09:00', 'Pacific/Apia'],
  ['FREQ=DAILY;COUNT=4', '2018-11-02T00:30', 'America/Sao_Paulo'],
  ['FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU;BYHOUR=1,2,3;BYMINUTE=30;COUNT=12', '2024-01-01T00:00', 'Europe/London'],
  ['FREQ=MONTHLY;BYMONTHDAY=31;COUNT=5', '2026-01-31T23:30:00Z', 'Asia/Kolkata'],
  ['FREQ=DAILY;BYHOUR=0,1,2;UNTIL=20260910', '2026-09-01T00:00', 'America/Santiago'],
  ['FREQ=WEEKLY;BYDAY=SU;COUNT=6', '2026-03-22T02:00', 'Asia/Tehran'],
  ['FREQ=DAILY;INTERVAL=3;COUNT=6', '2026-09-20T02:45', 'Pacific/Chatham'],
];

function hostZoneSnapshot(): string {
  return JSON.stringify(
    HOST_ZONE_RULES.map(([rule, start, zone]) => [
      iso(occurrences(rule, start, zone, { limit: 50 })),
      iso(occurrences(rule, start, zone, { limit: 3, after: new Date('2026-03-01T00:00Z') })),
      parseStart(new Date('2026-03-08T07:30:00Z'), zone),
    ]),
  );
}

test('results do not depend on the host TZ (child processes with TZ=Asia/Kolkata, America/Los_Angeles, UTC)', (t) => {
  const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../actors/recurrence/index.ts', import.meta.url))).href;
  const code = `
    import { occurrences, parseStart } from ${JSON.stringify(moduleUrl)};
    const rules = ${JSON.stringify(HOST_ZONE_RULES)};
    const iso = (ds) => ds.map((d) => d.toISOString());
    const snapshot = JSON.stringify(rules.map(([rule, start, zone]) => [
      iso(occurrences(rule, start, zone, { limit: 50 })),
      iso(occurrences(rule, start, zone, { limit: 3, after: new Date('2026-03-01T00:00Z') })),
      parseStart(new Date('2026-03-08T07:30:00Z'), zone),
    ]));
    process.stdout.write(JSON.stringify({ offset: new Date(2026, 0, 1).getTimezoneOffset(), snapshot }));
  `;
  const local = hostZoneSnapshot();
  const offsets: Record<string, number> = { 'Asia/Kolkata': -330, 'America/Los_Angeles': 480, UTC: 0 };
  for (const [tz, offset] of Object.entries(offsets)) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as { offset: number; snapshot: string };
    t.is(result.offset, offset, `TZ=${tz} took effect in the child`);
    t.is(result.snapshot, local, `TZ=${tz}`);
  }
});
