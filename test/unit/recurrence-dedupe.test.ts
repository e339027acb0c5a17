// Repeated values in a BY* list mean nothing in RFC 5545 (each list is a set), but the expansion's work
// grew with each list's length: parseRule reduces every BY* list to its distinct values, ascending, so a
// rule costs what its distinct values cost (actors/recurrence/rule.ts).
import test from 'ava';
import fc from 'fast-check';
import { MAX_TIMES_PER_DAY, occurrences, parseRule, type ExpansionMeter } from '../../actors/recurrence/index.ts';

const repeated = (item: string, times: number) => Array.from({ length: times }, () => item).join(',');

test('BY* lists are distinct and ascending; the source keeps the text as written', (t) => {
  const rule = `FREQ=MONTHLY;BYMONTHDAY=${repeated('-1', 100)},31,1,1;BYMONTH=12,1,12;BYHOUR=9,9,8;BYMINUTE=30,0,30;BYDAY=-1FR,MO,MO,1MO,-1FR,SU`;
  const p = parseRule(rule);
  t.deepEqual([...p.byMonthDay], [-1, 1, 31]);
  t.deepEqual([...p.byMonth], [1, 12]);
  t.deepEqual([...p.byHour], [8, 9]);
  t.deepEqual([...p.byMinute], [0, 30]);
  t.deepEqual(
    p.byDay.map((b) => `${b.ordinal ?? ''}${b.weekday}`),
    ['MO', '1MO', '-1FR', 'SU'],
  );
  t.is(p.source, rule);
});

test('150 repeats expand with the same steps and results as the distinct rule', (t) => {
  const start = '1000-01-01T00:00';
  const opts = { limit: 100, after: new Date('9990-01-01T00:00:00Z') };
  const dupMeter: ExpansionMeter = { steps: 0 };
  const distinctMeter: ExpansionMeter = { steps: 0 };
  const dup = occurrences(`FREQ=DAILY;BYMONTHDAY=${repeated('-1', 150)},31`, start, 'America/New_York', {
    ...opts,
    meter: dupMeter,
  });
  const distinct = occurrences('FREQ=DAILY;BYMONTHDAY=-1,31', start, 'America/New_York', {
    ...opts,
    meter: distinctMeter,
  });
  t.is(dup.length, 100);
  t.deepEqual(dup, distinct);
  t.is(dupMeter.steps, distinctMeter.steps);
});

test('repeated hours do not count as more times a day (only distinct BYHOUR × BYMINUTE do)', (t) => {
  // 25 listed hours, one distinct: a daily rule, not the sub-hourly one MAX_TIMES_PER_DAY refuses.
  const rule = `FREQ=DAILY;BYHOUR=${repeated('9', MAX_TIMES_PER_DAY + 1)};BYMINUTE=0`;
  t.deepEqual([...parseRule(rule).byHour], [9]);
  t.deepEqual(
    occurrences(rule, '2027-01-01T00:00', 'Europe/Berlin', { limit: 2 }).map((d) => d.toISOString()),
    ['2027-01-01T08:00:00.000Z', '2027-01-02T08:00:00.000Z'],
  );
});

test('property: any BY* list with repeats in any order expands as its distinct sorted list', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 28 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU', '1MO', '-1FR', '2WE'), {
        minLength: 1,
        maxLength: 8,
      }),
      (days, hours, byDay) => {
        const distinct = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b).join(',');
        const written = `FREQ=MONTHLY;BYMONTHDAY=${[...days, ...days].join(',')};BYHOUR=${[...hours, ...hours].join(',')};BYDAY=${[...byDay, ...byDay].join(',')}`;
        const reduced = `FREQ=MONTHLY;BYMONTHDAY=${distinct(days)};BYHOUR=${distinct(hours)};BYDAY=${[...new Set(byDay)].join(',')}`;
        let expected: Date[] | string;
        try {
          expected = occurrences(reduced, '2027-01-01T00:00', 'UTC', { limit: 20 });
        } catch (error) {
          expected = (error as Error).message;
        }
        let actual: Date[] | string;
        try {
          actual = occurrences(written, '2027-01-01T00:00', 'UTC', { limit: 20 });
        } catch (error) {
          actual = (error as Error).message;
        }
        t.deepEqual(actual, expected);
      },
    ),
    { numRuns: 100 },
  );
});
