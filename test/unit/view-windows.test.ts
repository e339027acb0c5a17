// The views' day windows (api/views.ts) are the user's local calendar days, each from its own first instant:
// on a day a DST change skips midnight (the day starts at 01:00), the next day still starts at 00:00.
import test from 'ava';
import { DateTime } from 'luxon';
import { windowsOf, daysOf } from '../../api/views.ts';

/** Zones whose DST change skips a midnight in 2026–2027 (tzdata), and two that never do. */
const ZONES = ['America/Santiago', 'Asia/Beirut', 'America/Havana', 'Africa/Cairo', 'Europe/Berlin', 'Asia/Tokyo'];

/** Whether `instant` is the first instant of local date `date` in `zone`: on it, and a millisecond before is the day before. */
const firstInstantOf = (instant: string, date: string, zone: string): boolean => {
  const at = DateTime.fromISO(instant, { zone });
  return at.toISODate() === date && at.minus({ milliseconds: 1 }).toISODate() !== date;
};

test('every day of the Upcoming window starts at its own first instant and ends where the next starts, across skipped midnights', (t) => {
  let checked = 0;
  for (const zone of ZONES) {
    for (let day = DateTime.fromISO('2026-01-01', { zone }); day.year < 2028; day = day.plus({ days: 1 })) {
      const now = day.set({ hour: 12 }).toJSDate();
      const days = daysOf(zone, now);
      for (const [i, d] of days.entries()) {
        if (!firstInstantOf(d.start, d.date, zone))
          t.fail(`${zone} at ${now.toISOString()}: ${d.date} starts at ${d.start}`);
        const next = days[i + 1];
        if (next && next.start !== d.end)
          t.fail(`${zone}: ${d.date} ends at ${d.end}, ${next.date} starts at ${next.start}`);
        checked++;
      }
      const w = windowsOf(zone, now);
      if (w.todayEnd !== days[1]?.start || w.tomorrow !== days[1]?.date)
        t.fail(`${zone} at ${now.toISOString()}: today ends ${w.todayEnd}, tomorrow starts ${days[1]?.start}`);
      if (!firstInstantOf(w.upcomingEnd, w.upcomingEndDay, zone)) t.fail(`${zone}: upcoming ends at ${w.upcomingEnd}`);
    }
  }
  t.true(checked > 20_000);
});

test('Santiago, 6 September 2026 (midnight skipped): today ends at 00:00 on the 7th (03:00Z), not 01:00', (t) => {
  const w = windowsOf('America/Santiago', new Date('2026-09-06T12:00:00Z'));
  t.is(w.today, '2026-09-06');
  t.is(w.todayEnd, '2026-09-07T03:00:00.000Z');
  t.deepEqual(daysOf('America/Santiago', new Date('2026-09-06T12:00:00Z'))[0], {
    date: '2026-09-06',
    start: '2026-09-06T04:00:00.000Z',
    end: '2026-09-07T03:00:00.000Z',
  });
});
