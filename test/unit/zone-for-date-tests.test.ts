// The zone browser tests give a user when they work out dates from the wall clock
// (test/helpers/zone-for-date-tests.ts): Kiritimati, unless its midnight is within the margin of now, before
// or after; then St John's.
import test from 'ava';
import { DateTime } from 'luxon';
import { FALLBACK_ZONE, FAR_ZONE, zoneAwayFromMidnight } from '../helpers/zone-for-date-tests.ts';

/** An instant given as Kiritimati's wall clock. */
const inKiritimati = (local: string) => DateTime.fromISO(local, { zone: FAR_ZONE });

test('Kiritimati far from its midnight; St John’s when Kiritimati’s midnight is two hours away or less', (t) => {
  const zoneAt = (local: string) => zoneAwayFromMidnight({ now: inKiritimati(local) });
  t.is(zoneAt('2026-01-15T12:00'), FAR_ZONE, 'midday');
  t.is(zoneAt('2026-01-15T21:59'), FAR_ZONE, '2 h 1 min before midnight');
  t.is(zoneAt('2026-01-15T22:00'), FALLBACK_ZONE, 'exactly 2 h before');
  t.is(zoneAt('2026-01-15T23:59'), FALLBACK_ZONE);
  t.is(zoneAt('2026-01-16T00:00'), FALLBACK_ZONE, 'midnight');
  t.is(zoneAt('2026-01-16T00:59'), FALLBACK_ZONE);
  t.is(zoneAt('2026-01-16T01:00'), FALLBACK_ZONE, '1 h after: still within the margin');
  t.is(zoneAt('2026-01-16T02:00'), FALLBACK_ZONE, 'exactly 2 h after');
  t.is(zoneAt('2026-01-16T02:01'), FAR_ZONE, '2 h 1 min after');
});

test('the margin is `hours`', (t) => {
  t.is(zoneAwayFromMidnight({ hours: 1, now: inKiritimati('2026-01-15T22:59') }), FAR_ZONE);
  t.is(zoneAwayFromMidnight({ hours: 1, now: inKiritimati('2026-01-15T23:00') }), FALLBACK_ZONE);
  t.is(zoneAwayFromMidnight({ hours: 1, now: inKiritimati('2026-01-16T01:01') }), FAR_ZONE);
});

test('the chosen zone’s midnight is more than two hours away at every minute, with and without summer time in St John’s', (t) => {
  const tooNear: string[] = [];
  const chosen = new Set<string>();
  for (const day of ['2026-01-15', '2026-07-15']) {
    const start = DateTime.fromISO(`${day}T00:00Z`);
    for (let minute = 0; minute < 24 * 60; minute++) {
      const now = start.plus({ minutes: minute });
      const zone = zoneAwayFromMidnight({ now });
      chosen.add(zone);
      const local = now.setZone(zone);
      const midnight = local.startOf('day');
      const away = Math.min(local.diff(midnight).as('hours'), midnight.plus({ days: 1 }).diff(local).as('hours'));
      if (away <= 2) tooNear.push(`${now.toISO()}: ${zone} is ${away} h from midnight`);
    }
  }
  t.deepEqual(tooNear, []);
  t.deepEqual([...chosen].sort(), [FALLBACK_ZONE, FAR_ZONE].sort(), 'both zones are chosen in a day');
});

test('a margin neither zone can keep is refused', (t) => {
  // 06:45 UTC in January: 3¼ h before Kiritimati's midnight, 3¼ h after St John's (UTC−3:30).
  const now = DateTime.fromISO('2026-01-15T06:45Z');
  t.is(zoneAwayFromMidnight({ hours: 3, now }), FAR_ZONE);
  t.throws(() => zoneAwayFromMidnight({ hours: 3.25, now }), { instanceOf: RangeError });
});
