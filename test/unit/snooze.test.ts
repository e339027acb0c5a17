// The snooze choices (actors/task/snooze.ts): "tomorrow at 09:00" is the user's tomorrow and 09:00 on their
// wall clock, across DST changes and in zones far from UTC; durations and instants are bounded.
import test from 'ava';
import { tomorrowAt, planSnooze, MAX_SNOOZE_SECONDS } from '../../actors/task/snooze.ts';
import { DomainError } from '../../actors/errors.ts';

const at = (now: string, zone: string, hhmm = '09:00') => tomorrowAt(new Date(now), zone, hhmm).toISOString();

test('tomorrow 09:00 is the next local day at 09:00, in zones far from UTC on either side', (t) => {
  // 01:30 on 11 Feb in Kolkata (+05:30): tomorrow is 12 Feb, though it is still 10 Feb in UTC.
  t.is(at('2026-02-10T20:00:00Z', 'Asia/Kolkata'), '2026-02-12T03:30:00.000Z');
  // 23:30 on 10 Feb in Auckland (NZDT, +13): tomorrow is 11 Feb, 09:00 NZDT = 20:00Z on 10 Feb.
  t.is(at('2026-02-10T10:30:00Z', 'Pacific/Auckland'), '2026-02-10T20:00:00.000Z');
  // 00:30 on 11 Feb at UTC+14: tomorrow is 12 Feb.
  t.is(at('2026-02-10T10:30:00Z', 'Pacific/Kiritimati'), '2026-02-11T19:00:00.000Z');
  // 23:59 on 10 Feb in Honolulu (-10): tomorrow is 11 Feb, 09:00 HST = 19:00Z.
  t.is(at('2026-02-11T09:59:00Z', 'Pacific/Honolulu'), '2026-02-11T19:00:00.000Z');
  // Chatham (+13:45 in summer): quarter-hour offsets.
  t.is(at('2026-02-10T00:00:00Z', 'Pacific/Chatham'), '2026-02-10T19:15:00.000Z');
  t.is(at('2026-02-10T12:00:00Z', 'UTC'), '2026-02-11T09:00:00.000Z');
});

test('tomorrow 09:00 keeps 09:00 on the wall clock across a DST change tonight', (t) => {
  // Europe/Berlin springs forward on 29 Mar 2026 (CET +1 → CEST +2): 09:00 CEST = 07:00Z.
  t.is(at('2026-03-28T20:00:00Z', 'Europe/Berlin'), '2026-03-29T07:00:00.000Z');
  // …and falls back on 25 Oct 2026: 09:00 CET = 08:00Z.
  t.is(at('2026-10-24T20:00:00Z', 'Europe/Berlin'), '2026-10-25T08:00:00.000Z');
  // America/New_York springs forward on 8 Mar 2026: 09:00 EDT = 13:00Z (not 14:00Z).
  t.is(at('2026-03-07T23:00:00Z', 'America/New_York'), '2026-03-08T13:00:00.000Z');
  // Pacific/Auckland leaves DST on 5 Apr 2026 (NZDT +13 → NZST +12): 09:00 NZST = 21:00Z on 4 Apr.
  t.is(at('2026-04-04T09:00:00Z', 'Pacific/Auckland'), '2026-04-04T21:00:00.000Z');
  // …and enters it on 27 Sep 2026: 09:00 NZDT = 20:00Z on 26 Sep.
  t.is(at('2026-09-26T09:00:00Z', 'Pacific/Auckland'), '2026-09-26T20:00:00.000Z');
});

test('a time in the spring-forward gap moves forward by the gap; an ambiguous one takes the first instant', (t) => {
  // 02:30 does not exist in Berlin on 29 Mar 2026: it becomes 03:30 CEST (01:30Z).
  t.is(at('2026-03-28T12:00:00Z', 'Europe/Berlin', '02:30'), '2026-03-29T01:30:00.000Z');
  // 02:30 happens twice on 25 Oct 2026: the first, in CEST (00:30Z).
  t.is(at('2026-10-24T12:00:00Z', 'Europe/Berlin', '02:30'), '2026-10-25T00:30:00.000Z');
});

test('a malformed wall time or zone is a 400 naming the field', (t) => {
  for (const hhmm of ['9:00', '24:00', '09:60', '09:00:00', '', 'nine']) {
    const error = t.throws(() => tomorrowAt(new Date('2026-02-10T12:00:00Z'), 'UTC', hhmm), {
      instanceOf: DomainError,
    });
    t.is(error?.field, 'tomorrow_at', hhmm);
  }
  const zone = t.throws(() => tomorrowAt(new Date('2026-02-10T12:00:00Z'), 'Mars/Olympus', '09:00'), {
    instanceOf: DomainError,
  });
  t.is(zone?.field, 'timezone');
});

test('planSnooze: one choice, in the future, at most 30 days ahead; the event records the choice', (t) => {
  const now = new Date('2026-02-10T12:00:00Z');
  t.deepEqual(planSnooze({ for: 'pt1h' }, now, 'Asia/Kolkata'), {
    remind_at: '2026-02-10T13:00:00.000Z',
    choice: { for: 'PT1H' },
  });
  // Without an offset, `until` is wall-clock time in the user's zone.
  t.deepEqual(planSnooze({ until: '2026-02-11T18:00' }, now, 'Asia/Kolkata'), {
    remind_at: '2026-02-11T12:30:00.000Z',
    choice: { until: '2026-02-11T12:30:00.000Z' },
  });
  t.deepEqual(planSnooze({ tomorrow_at: '09:00' }, now, 'Asia/Kolkata'), {
    remind_at: '2026-02-11T03:30:00.000Z',
    choice: { tomorrow_at: '09:00', timezone: 'Asia/Kolkata' },
  });
  const refused = (choice: Parameters<typeof planSnooze>[0]) =>
    t.throws(() => planSnooze(choice, now, 'UTC'), { instanceOf: DomainError })?.field;
  t.is(refused({ until: '2026-02-10T12:00:00Z' }), 'until', 'now is not later');
  t.is(refused({ until: '2026-02-09T12:00:00Z' }), 'until');
  t.is(refused({ until: new Date(now.getTime() + MAX_SNOOZE_SECONDS * 1000 + 1000).toISOString() }), 'until');
  t.is(refused({ for: 'P31D' }), 'for');
  t.is(refused({ until: 'tomorrow' }), 'until');
  t.is(refused({ for: 'PT1H', until: '2026-02-11T00:00:00Z' } as never), 'until', 'two choices');
  t.is(refused({} as never), 'for', 'no choice');
});

test('planSnooze: a duration in days is nominal (RFC 5545 §3.3.6): P1D at 09:00 is 09:00 tomorrow across DST; hours are exact', (t) => {
  // New York springs forward on 14 March 2027: 09:00 EST on the 13th is 14:00Z, 09:00 EDT on the 14th 13:00Z.
  const now = new Date('2027-03-13T14:00:00Z');
  t.is(planSnooze({ for: 'P1D' }, now, 'America/New_York').remind_at, '2027-03-14T13:00:00.000Z');
  t.is(planSnooze({ for: 'PT24H' }, now, 'America/New_York').remind_at, '2027-03-14T14:00:00.000Z');
  t.is(planSnooze({ for: 'P1DT1H' }, now, 'America/New_York').remind_at, '2027-03-14T14:00:00.000Z');
  // The days are the task's (dayZone), not the snoozer's: a Berlin member snoozing a New York task that night.
  t.is(planSnooze({ for: 'P1D' }, now, 'Europe/Berlin', 'America/New_York').remind_at, '2027-03-14T13:00:00.000Z');
  t.is(planSnooze({ for: 'P1D' }, now, 'America/New_York', 'Europe/Berlin').remind_at, '2027-03-14T14:00:00.000Z');
  // And back in the autumn (7 November 2027): 09:00 EDT is 13:00Z, 09:00 EST the next day 14:00Z.
  t.is(
    planSnooze({ for: 'P1D' }, new Date('2027-11-06T13:00:00Z'), 'America/New_York').remind_at,
    '2027-11-07T14:00:00.000Z',
  );
});

test("planSnooze: tomorrow_at in the zone the snoozer names, not the task's user's (a member of a shared list)", (t) => {
  // 23:30 on the 15th in Auckland (NZST, UTC+12) is 11:30Z: Auckland's tomorrow, the 16th, 09:00 is 21:00Z on
  // the 15th, while for the task's creator in UTC tomorrow 09:00 is the 16th, 09:00Z.
  const now = new Date('2026-06-15T11:30:00Z');
  const named = planSnooze({ tomorrow_at: '09:00', timezone: 'pacific/auckland' }, now, 'UTC');
  t.deepEqual(named, {
    remind_at: '2026-06-15T21:00:00.000Z',
    choice: { tomorrow_at: '09:00', timezone: 'Pacific/Auckland' },
  });
  t.is(planSnooze({ tomorrow_at: '09:00' }, now, 'UTC').remind_at, '2026-06-16T09:00:00.000Z');
  const error = t.throws(() => planSnooze({ tomorrow_at: '09:00', timezone: 'Mars/Olympus' }, now, 'UTC'));
  t.true(error instanceof DomainError && error.field === 'timezone');
});
