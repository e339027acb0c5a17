// Issue 12 review: instants a decider computes stay within years 0001–9999 in UTC (recurrence
// expansion yields none outside; a rescheduled start outside is a 400 naming `timezone`), and zone
// names are accepted in a bounded set of spellings (actors/zone.ts).
import test from 'ava';
import fc from 'fast-check';
import { DomainError } from '../../actors/errors.ts';
import { occurrences } from '../../actors/recurrence/index.ts';
import { rescheduledStart } from '../../actors/task/decide.ts';
import { checkInstant, END_MS, FIRST_MS, inRange } from '../../actors/task/time.ts';
import { checkZone, ianaZone, sameZone } from '../../actors/zone.ts';
import { IANA_ZONE_NAMES } from '../../actors/zone-names.ts';

const refusedOn = (t: import('ava').ExecutionContext, fn: () => unknown, field: string): void => {
  const error = t.throws(fn, { instanceOf: DomainError });
  t.is(error?.field, field);
};

test('inRange and checkInstant: years 0001–9999 once in UTC, a DomainError naming the field outside', (t) => {
  t.true(inRange(FIRST_MS));
  t.false(inRange(FIRST_MS - 1));
  t.true(inRange(END_MS - 1));
  t.false(inRange(END_MS));
  t.false(inRange(Number.NaN));
  t.is(checkInstant('x', END_MS - 1), '9999-12-31T23:59:59.999Z');
  refusedOn(t, () => checkInstant('reminders[0].before', FIRST_MS - 1), 'reminders[0].before');
  refusedOn(t, () => checkInstant('timezone', END_MS), 'timezone');
});

test('a series has no occurrence past 9999-12-31T23:59:59.999Z (wall clock 9999-12-31 in UTC-12)', (t) => {
  // 11:00 at UTC-12 is 23:00Z; the next day's 11:00 is 10000-01-01T23:00Z, which does not exist.
  const got = occurrences('FREQ=DAILY', '9999-12-30T11:00', 'Etc/GMT+12', { limit: 5 }).map((d) => d.toISOString());
  t.deepEqual(got, ['9999-12-30T23:00:00.000Z', '9999-12-31T23:00:00.000Z']);
  // The same in Kiritimati (UTC+14) wall time read back: 9999-12-31T13:00 there is 9999-12-30T23:00Z.
  t.deepEqual(occurrences('FREQ=YEARLY', '9998-12-31T13:00', 'Etc/GMT-14', { limit: 5 }).length, 2);
});

test('property: every occurrence of any series near the ends of the range lies within it', (t) => {
  const zones = ['Etc/GMT+12', 'Etc/GMT-14', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC'];
  const result = fc.check(
    fc.property(
      fc.constantFrom(...zones),
      fc.constantFrom('FREQ=DAILY', 'FREQ=YEARLY', 'FREQ=WEEKLY', 'FREQ=DAILY;BYHOUR=0,11,23'),
      fc.integer({ min: 0, max: 23 }),
      fc.boolean(),
      (zone, rule, hour, late) => {
        // Series start in years 1000–9999 (wall clock); the low end cannot reach year 0 in any zone.
        const start = `${late ? '9999-12-30' : '1000-01-01'}T${String(hour).padStart(2, '0')}:00`;
        for (const d of occurrences(rule, start, zone, { limit: 50 })) if (!inRange(d.getTime())) return false;
        return true;
      },
    ),
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
});

test('rescheduledStart: a start with no instant in years 0001–9999 in the new zone is refused on timezone', (t) => {
  const a = { dtstart_local: '9999-12-31T13:00:00', due_date: '9999-12-30T23:00:00.000Z' };
  refusedOn(t, () => rescheduledStart(a, 'Etc/GMT-14', 'Etc/GMT+12'), 'timezone');
  t.deepEqual(rescheduledStart(a, 'Etc/GMT-14', 'UTC'), {
    dtstart_local: '9999-12-31T13:00:00',
    due_date: '9999-12-31T13:00:00.000Z',
  });
  // An older series without dtstart_local: read from due_date in the old zone.
  const b = { dtstart_local: null, due_date: '9999-12-31T20:00:00.000Z' };
  refusedOn(t, () => rescheduledStart(b, 'UTC', 'Pacific/Pago_Pago'), 'timezone');
});

test('rescheduledStart: a start on the second pass of a repeated hour stays on it where the new zone repeats that hour', (t) => {
  // 01:30 EST on New York's fall-back night (06:30Z); Toronto falls back at the same moment.
  const second = { dtstart_local: '2027-11-07T01:30:00', due_date: '2027-11-07T06:30:00.000Z' };
  t.is(rescheduledStart(second, 'America/New_York', 'America/Toronto').due_date, '2027-11-07T06:30:00.000Z');
  // Berlin has no repeated hour that night: 01:30 CET, the one instant.
  t.is(rescheduledStart(second, 'America/New_York', 'Europe/Berlin').due_date, '2027-11-07T00:30:00.000Z');
  // The first pass stays the first; an older series (no dtstart_local) on the second pass keeps it too.
  const first = { dtstart_local: '2027-11-07T01:30:00', due_date: '2027-11-07T05:30:00.000Z' };
  t.is(rescheduledStart(first, 'America/New_York', 'America/Toronto').due_date, '2027-11-07T05:30:00.000Z');
  const older = { dtstart_local: null, due_date: '2027-11-07T06:30:00.000Z' };
  t.deepEqual(rescheduledStart(older, 'America/New_York', 'America/Toronto'), second);
});

test('zone names: any capitalisation of a known name becomes its one IANA spelling; nothing else is accepted', (t) => {
  const known = new Set(IANA_ZONE_NAMES.filter((n) => ianaZone(n) !== null));
  t.is(checkZone('timezone', 'aMeRiCa/argentina/comodrivadavia'), 'America/Argentina/ComodRivadavia');
  t.is(checkZone('timezone', 'europe/kyiv'), 'Europe/Kyiv', 'never the backward link Europe/Kiev');
  t.is(checkZone('timezone', 'Europe/Kiev'), 'Europe/Kiev', 'a link IANA spells so is kept as sent');
  t.is(checkZone('timezone', 'etc/gmt+12'), 'Etc/GMT+12');
  const results = new Set<string>();
  fc.assert(
    fc.property(fc.constantFrom(...known), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (name, flips) => {
      const spelled = [...name].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join('');
      const kept = checkZone('timezone', spelled);
      results.add(kept);
      return kept === name && ianaZone(spelled)?.name === name;
    }),
    { numRuns: 3000 },
  );
  t.true(
    [...results].every((n) => known.has(n)),
    'only IANA spellings come out',
  );
  t.true(results.size <= known.size);
  for (const bad of ['Europe/Atlantis', 'Europe//Berlin', 'Europe/Berlin/', ' ', 'GMT+1', 'Etc/GMT+15'])
    refusedOn(t, () => checkZone('timezone', bad), 'timezone');
});

test('sameZone: a name and its links, in any letter case, are one zone; other zones and non-names are not', (t) => {
  t.true(sameZone('America/New_York', 'US/Eastern'));
  t.true(sameZone('us/eastern', 'AMERICA/NEW_YORK'));
  t.true(sameZone('Europe/Kyiv', 'Europe/Kiev'));
  t.true(sameZone('Asia/Kolkata', 'Asia/Calcutta'));
  t.true(sameZone('Etc/UTC', 'UTC'));
  t.false(sameZone('America/New_York', 'America/Toronto'), 'same rules today, not the same zone');
  t.false(sameZone('Europe/Berlin', 'Europe/Atlantis'));
  t.false(sameZone('', ''));
});
