// Bounded recurrence expansion: every hostile rule answers within EXPANSION_BUDGET steps (counted, not
// timed), sparse rules take the month-by-month fast path at any INTERVAL, rules minutely in effect are
// refused, and results agree with rrule.js (the engine actors/recurrence used before it had a budget).
import test from 'ava';
import fc from 'fast-check';
import rrulePkg from 'rrule';
import type { Options as RRuleOptions } from 'rrule';
import {
  EXPANSION_BUDGET,
  MAX_TIMES_PER_DAY,
  RecurrenceError,
  checkSeries,
  expansionBound,
  localToInstant,
  nextOccurrence,
  occurrences,
  parseRule,
  parseStart,
  validateRule,
  type ExpansionMeter,
  type OccurrenceOptions,
} from '../../actors/recurrence/index.ts';
import { decide, evolve, type TaskState, type TaskCommand, type DecideContext } from '../../actors/task/index.ts';
import { DomainError } from '../../actors/errors.ts';
import { HOSTILE_RULES, type HostileCase } from '../fixtures/recurrence-hostile.ts';

const { RRule } = rrulePkg;
const DAY_MS = 86_400_000;
const WEEKDAYS = [RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA, RRule.SU];
const WEEKDAY_INDEX = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 } as const;

function run(rule: string, start: string, zone: string, opts: OccurrenceOptions): { list: number[]; steps: number } {
  const meter: ExpansionMeter = { steps: 0 };
  const list = occurrences(rule, start, zone, { ...opts, meter }).map((d) => d.getTime());
  return { list, steps: meter.steps };
}

function errorOf(fn: () => unknown): RecurrenceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RecurrenceError) return error;
    throw error;
  }
  throw new Error('expected a RecurrenceError');
}

// -------------------------------------------------------------------------------------------------
// Reference: rrule.js as the day engine, bounded by a horizon so its day-by-day walk stays short.
// -------------------------------------------------------------------------------------------------

/** rrule.js periods per year of a rule (its cost), to choose a horizon it can walk quickly. */
function periodsPerYear(rule: string): number {
  const p = parseRule(rule);
  const perYear = { DAILY: 365, WEEKLY: 52, MONTHLY: 12, YEARLY: 1 }[p.freq];
  return perYear / p.interval;
}

/**
 * The first `limit` instants after `after` of the series, computed with rrule.js for the rule's days
 * (its own DTSTART defaults) and localToInstant for the wall times; only instants before `cut` are
 * returned, and `cut` lies well inside what rrule.js walked.
 *
 * rrule.js checks its UNTIL only on days that pass its filters, so on a sparse rule it would walk on
 * to year 9999 (the very stall this module fixes). Where a plain BYDAY is a pure filter on days (DAILY;
 * MONTHLY/YEARLY with BYMONTHDAY, so no default from the start depends on it) it is left out of what
 * rrule.js sees and applied here, and COUNT is applied here to the filtered instances, in order.
 */
function reference(
  c: Pick<HostileCase, 'rule' | 'start' | 'zone'>,
  after: number | undefined,
  limit: number,
  horizonF: number,
): { list: number[]; cut: number } {
  const p = parseRule(c.rule);
  const wall = parseStart(c.start, c.zone);
  const dtstart = new Date(0);
  dtstart.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  dtstart.setUTCHours(wall.hour, wall.minute, wall.second, 0);
  const options: Partial<RRuleOptions> = {
    freq: { DAILY: RRule.DAILY, WEEKLY: RRule.WEEKLY, MONTHLY: RRule.MONTHLY, YEARLY: RRule.YEARLY }[p.freq],
    interval: p.interval,
    wkst: WEEKDAY_INDEX[p.wkst],
    dtstart,
    until: new Date(horizonF),
  };
  if (p.byMonth.length > 0) options.bymonth = [...p.byMonth];
  if (p.byMonthDay.length > 0) options.bymonthday = [...p.byMonthDay];
  if (p.byHour.length > 0) options.byhour = [...p.byHour];
  if (p.byMinute.length > 0) options.byminute = [...p.byMinute];
  const plain = p.byDay.every((b) => b.ordinal === null);
  const postFilter =
    p.byDay.length > 0 && plain && (p.freq === 'DAILY' || (p.freq !== 'WEEKLY' && p.byMonthDay.length > 0));
  const weekdays = new Set(p.byDay.map((b) => (WEEKDAY_INDEX[b.weekday] + 1) % 7)); // as Date#getUTCDay
  if (p.byDay.length > 0 && !postFilter) {
    options.byweekday = p.byDay.map((b) => {
      const wd = WEEKDAYS[WEEKDAY_INDEX[b.weekday]];
      if (wd === undefined) throw new Error('weekday');
      return b.ordinal === null ? wd : wd.nth(b.ordinal);
    });
  }
  let floatingUntil = Number.POSITIVE_INFINITY;
  let instantUntil = Number.POSITIVE_INFINITY;
  if (p.until?.kind === 'instant') instantUntil = p.until.epochMs;
  if (p.until?.kind === 'date') {
    const d = new Date(0);
    d.setUTCFullYear(p.until.year, p.until.month - 1, p.until.day);
    d.setUTCHours(23, 59, 59, 0);
    floatingUntil = d.getTime();
  }
  // Ascending distinct instants after `after`; the walk stops once the first `limit` are settled
  // (no later floating time maps more than a day earlier), else at the horizon.
  const found: number[] = [];
  let counted = 0;
  let settled = false;
  new RRule(options, true).all((f) => {
    if (f.getTime() > floatingUntil) return false;
    const kth = found.length >= limit ? found[limit - 1] : undefined;
    if (kth !== undefined && f.getTime() - 2 * DAY_MS > kth) {
      settled = true;
      return false;
    }
    if (postFilter && !weekdays.has(f.getUTCDay())) return true;
    if (p.count !== null && ++counted > p.count) return false;
    const instant = localToInstant(
      {
        year: f.getUTCFullYear(),
        month: f.getUTCMonth() + 1,
        day: f.getUTCDate(),
        hour: f.getUTCHours(),
        minute: f.getUTCMinutes(),
        second: f.getUTCSeconds(),
      },
      c.zone,
    ).getTime();
    if (instant <= instantUntil && (after === undefined || instant > after) && !found.includes(instant)) {
      found.push(instant);
      found.sort((a, b) => a - b);
    }
    return true;
  });
  const cut = settled ? Number.POSITIVE_INFINITY : horizonF - 3 * DAY_MS;
  return { list: found.slice(0, limit).filter((x) => x < cut), cut };
}

/** A floating horizon: `years` after the start, at most the end of 9999. */
function horizonOf(start: string, zone: string, years: number): number {
  const wall = parseStart(start, zone);
  const d = new Date(0);
  d.setUTCFullYear(Math.min(9999, wall.year + Math.ceil(years)), 11, 31);
  return d.getTime();
}

// -------------------------------------------------------------------------------------------------
// The hostile corpus
// -------------------------------------------------------------------------------------------------

test("the issue's rule (DAILY;INTERVAL=2 on a Feb 29 that is a Monday) answers 100 occurrences by looking at Februaries only", (t) => {
  const { list, steps } = run(
    'FREQ=DAILY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO',
    '2027-01-01T09:00',
    'Europe/Berlin',
    { limit: 100 },
  );
  t.is(list.length, 100);
  // 2044-02-29 is a Monday, 6,268 days (even) after 2027-01-01; 2072-02-29 is one too, but 10,227 days after (odd).
  t.deepEqual(
    list.slice(0, 2).map((x) => new Date(x).toISOString()),
    ['2044-02-29T08:00:00.000Z', '2112-02-29T08:00:00.000Z'],
  );
  // One step per visited February (BYMONTH jumps over the other months) plus one per candidate: the
  // walk ends at the 101st occurrence, which shows the 100th is the last one wanted (+1: it begins in
  // January, one jump before the first February).
  const next = occurrences(
    'FREQ=DAILY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO',
    '2027-01-01T09:00',
    'Europe/Berlin',
    { limit: 101 },
  )[100];
  const years = (next?.getUTCFullYear() ?? 0) - 2027 + 1;
  t.true(steps <= years + 102, `${steps} steps for ${years} years`);
  t.true(steps >= years, 'every February up to there was looked at');
});

for (const c of HOSTILE_RULES) {
  test(`hostile: ${c.name}`, (t) => {
    const after = c.after === undefined ? undefined : new Date(c.after);
    if (typeof c.expect === 'object') {
      const e = errorOf(() => occurrences(c.rule, c.start, c.zone, { limit: c.limit, ...(after ? { after } : {}) }));
      t.is(e.code, c.expect.code);
      t.is(e.part, c.expect.part);
      t.true(e.message.includes(c.expect.part), e.message);
      t.throws(() => validateRule(c.rule), { instanceOf: RecurrenceError });
      return;
    }
    const bound = expansionBound(c.rule, c.start, c.zone);
    t.true(bound <= EXPANSION_BUDGET, `static bound ${bound}`);
    t.notThrows(() => checkSeries(c.rule, c.start, c.zone));

    // The preview, a spawn's window (up to 1000 within 400 days of a point) and a nextOccurrence chain:
    // each within the series' bound, which is within the budget.
    const preview = run(c.rule, c.start, c.zone, { limit: c.limit, ...(after ? { after } : {}) });
    t.true(preview.steps <= bound, `preview: ${preview.steps} steps > bound ${bound}`);
    if (c.expect === 'none') t.deepEqual(preview.list, []);
    else t.true(preview.list.length > 0, 'some occurrences');
    const point = new Date(preview.list[0] ?? Date.parse(c.after ?? '2030-01-01T00:00:00Z'));
    const spawn = run(c.rule, c.start, c.zone, {
      after: point,
      until: new Date(point.getTime() + 400 * DAY_MS),
      limit: 1000,
    });
    t.true(spawn.steps <= bound, `spawn window: ${spawn.steps} steps > bound ${bound}`);
    let cursor = after ?? new Date(Date.UTC(1000, 0, 1));
    for (const expected of preview.list.slice(0, 5)) {
      const meter: ExpansionMeter = { steps: 0 };
      const next = nextOccurrence(c.rule, c.start, c.zone, cursor, { meter });
      t.is(next?.getTime(), expected);
      t.true(meter.steps <= bound);
      cursor = next ?? cursor;
    }

    // Agreement with rrule.js over a horizon it walks in a moment (whole range when its periods are long).
    {
      const horizon = horizonOf(c.start, c.zone, 60_000 / periodsPerYear(c.rule));
      const ref = reference(c, after?.getTime(), c.limit, horizon);
      t.deepEqual(
        preview.list.filter((x) => x < ref.cut).map((x) => new Date(x).toISOString()),
        ref.list.map((x) => new Date(x).toISOString()),
      );
    }
  });
}

test('the corpus compares real results with rrule.js, not only empty windows', (t) => {
  let compared = 0;
  for (const c of HOSTILE_RULES.filter((h) => h.expect === 'some')) {
    const horizon = horizonOf(c.start, c.zone, 60_000 / periodsPerYear(c.rule));
    compared +=
      reference(c, c.after === undefined ? undefined : Date.parse(c.after), c.limit, horizon).list.length > 0 ? 1 : 0;
  }
  t.true(compared >= HOSTILE_RULES.filter((h) => h.expect === 'some').length - 3, `${compared} cases compared`);
});

// -------------------------------------------------------------------------------------------------
// Budget mechanics
// -------------------------------------------------------------------------------------------------

test('an expansion that reaches its budget stops at it with budget_exceeded, naming RRULE', (t) => {
  const meter: ExpansionMeter = { steps: 0 };
  const e = errorOf(() =>
    occurrences('FREQ=DAILY;INTERVAL=773;BYMONTHDAY=31;BYDAY=MO', '1000-01-01T00:00', 'UTC', {
      limit: 100,
      budget: 500,
      meter,
    }),
  );
  t.is(e.code, 'budget_exceeded');
  t.is(e.part, 'RRULE');
  t.is(meter.steps, 501);
  t.throws(() => occurrences('FREQ=DAILY', '2026-01-01T09:00', 'UTC', { limit: 1, budget: 0 }), {
    instanceOf: RangeError,
  });
});

test('the worst series of the subset stays within the budget: COUNT=10000 hourly from year 1000, and no end from year 1000', (t) => {
  const hours = Array.from({ length: 24 }, (_, h) => h).join(',');
  for (const rule of [
    `FREQ=DAILY;COUNT=10000;BYHOUR=${hours}`,
    `FREQ=DAILY;BYHOUR=${hours}`,
    'FREQ=DAILY;INTERVAL=2;BYMONTHDAY=31;BYDAY=MO',
  ]) {
    const bound = expansionBound(rule, '1000-01-01T00:00', 'UTC');
    t.true(bound <= EXPANSION_BUDGET, `${rule}: ${bound}`);
    t.true(bound > 100_000, 'the bound counts every month to 9999');
    const { steps } = run(rule, '1000-01-01T00:00', 'UTC', { after: new Date('9999-12-01T00:00:00Z'), limit: 1000 });
    t.true(steps <= bound, `${rule}: ${steps}`);
  }
  // UNTIL shortens the range the bound counts.
  t.true(
    expansionBound('FREQ=DAILY;UNTIL=10101231', '1000-01-01T00:00', 'UTC') < 200 + 2 * 1000 + 12 * MAX_TIMES_PER_DAY,
  );
});

test('without COUNT a walk starts just before `after`: far-ahead expansions cost no more than near ones', (t) => {
  const near = run('FREQ=DAILY', '1971-01-01T09:00', 'America/New_York', {
    after: new Date('1971-06-01T00:00Z'),
    limit: 2,
  });
  const far = run('FREQ=DAILY', '1971-01-01T09:00', 'America/New_York', {
    after: new Date('9000-06-01T00:00Z'),
    limit: 2,
  });
  t.is(far.list.length, 2);
  t.true(far.steps <= near.steps + 2, `${far.steps} vs ${near.steps}`);
});

test(`BYHOUR × BYMINUTE above ${MAX_TIMES_PER_DAY} a day is FREQ=MINUTELY in effect: unsupported, naming BYMINUTE`, (t) => {
  t.is(MAX_TIMES_PER_DAY, 24);
  const every = (n: number) => Array.from({ length: n }, (_, i) => i).join(',');
  for (const rule of [
    `FREQ=DAILY;BYHOUR=${every(24)};BYMINUTE=${every(60)}`,
    `FREQ=YEARLY;BYHOUR=${every(5)};BYMINUTE=${every(5)}`,
    'FREQ=MONTHLY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,30',
  ]) {
    const e = errorOf(() => parseRule(rule));
    t.is(e.code, 'unsupported_rule', rule);
    t.is(e.part, 'BYMINUTE');
    t.regex(e.message, /^recurrence_rule: BYHOUR × BYMINUTE gives \d+ times a day, more than the 24 of FREQ=HOURLY/);
  }
  for (const rule of [
    `FREQ=DAILY;BYHOUR=${every(24)}`,
    `FREQ=DAILY;BYMINUTE=${every(24)}`,
    'FREQ=DAILY;BYHOUR=1,2,3,4,5,6;BYMINUTE=0,15,30,45',
  ]) {
    t.notThrows(() => validateRule(rule), rule);
  }
  // The 24 of a day are all there, in order.
  t.is(run(`FREQ=DAILY;BYMINUTE=${every(24)}`, '2026-01-01T05:00', 'UTC', { limit: 48 }).list.length, 48);
});

// -------------------------------------------------------------------------------------------------
// Property: the month-by-month engine equals rrule.js on random rules, sparse ones and big INTERVALs included
// -------------------------------------------------------------------------------------------------

const WD = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const ruleArb = fc
  .record({
    freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'),
    interval: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 1000 })),
    days: fc.subarray([...WD], { minLength: 0, maxLength: 3 }),
    ordinal: fc.constantFrom(0, 0, 1, 2, 4, 5, -1, -5, 20, 53, -53),
    monthDays: fc.subarray([1, 2, 13, 15, 28, 29, 30, 31, -1, -31], { minLength: 0, maxLength: 2 }),
    months: fc.subarray([1, 2, 3, 6, 10, 11, 12], { minLength: 0, maxLength: 3 }),
    hours: fc.subarray([0, 2, 9, 23], { minLength: 0, maxLength: 2 }),
    minutes: fc.subarray([0, 30], { minLength: 0, maxLength: 2 }),
    wkst: fc.constantFrom(...WD),
    count: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
  })
  .map((r) => {
    const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`, `WKST=${r.wkst}`];
    const ordinalOk = r.freq === 'MONTHLY' || r.freq === 'YEARLY';
    if (r.days.length > 0)
      parts.push(`BYDAY=${r.days.map((d) => `${ordinalOk && r.ordinal !== 0 ? r.ordinal : ''}${d}`).join(',')}`);
    if (r.monthDays.length > 0 && r.freq !== 'WEEKLY') parts.push(`BYMONTHDAY=${r.monthDays.join(',')}`);
    if (r.months.length > 0) parts.push(`BYMONTH=${r.months.join(',')}`);
    if (r.hours.length > 0) parts.push(`BYHOUR=${r.hours.join(',')}`);
    if (r.minutes.length > 0) parts.push(`BYMINUTE=${r.minutes.join(',')}`);
    if (r.count !== undefined) parts.push(`COUNT=${r.count}`);
    return parts.join(';');
  })
  .filter((rule) => {
    try {
      validateRule(rule);
      return true;
    } catch {
      return false; // statically impossible or out-of-range combinations (BYMONTH=2;BYMONTHDAY=30, 6MO)
    }
  });

const startArb = fc
  .record({
    dayOffset: fc.integer({ min: 0, max: 20_000 }),
    hour: fc.constantFrom(0, 2, 9, 23),
    minute: fc.constantFrom(0, 30),
    second: fc.constantFrom(0, 7),
  })
  .map(({ dayOffset, hour, minute, second }) => {
    const d = new Date(Date.UTC(1990, 0, 1) + dayOffset * DAY_MS);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  });

test('property: equals rrule.js (sparse rules and INTERVAL up to 1000 included), each call within its bound', (t) => {
  const result = fc.check(
    fc.property(
      ruleArb,
      startArb,
      fc.constantFrom('UTC', 'America/New_York', 'Australia/Lord_Howe'),
      fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: undefined }),
      fc.integer({ min: 1, max: 40 }),
      (rule, start, zone, afterDays, limit) => {
        const startMs = localToInstant(parseStart(start, zone), zone).getTime();
        const after = afterDays === undefined ? undefined : startMs + afterDays * DAY_MS - 3_600_000;
        const got = run(rule, start, zone, { limit, ...(after === undefined ? {} : { after: new Date(after) }) });
        if (got.steps > expansionBound(rule, start, zone)) return false;
        const years = Math.min(400, 20_000 / periodsPerYear(rule)) + (afterDays ?? 0) / 365;
        const ref = reference({ rule, start, zone }, after, limit, horizonOf(start, zone, years));
        return JSON.stringify(got.list.filter((x) => x < ref.cut)) === JSON.stringify(ref.list);
      },
    ),
    { numRuns: 250 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
  t.true(result.numRuns > 0);
});

// -------------------------------------------------------------------------------------------------
// Through the task decider: decided when the series is created or edited; timers stay bounded
// -------------------------------------------------------------------------------------------------

function decider(nowIso: string) {
  let now = Date.parse(nowIso);
  let n = 0;
  let state: TaskState | null = null;
  let version = 0;
  const ctx = (): DecideContext => ({
    now: new Date(now),
    userId: 'u1',
    userTimezone: 'Europe/Berlin',
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  });
  return {
    at(iso: string) {
      now = Date.parse(iso);
    },
    get state() {
      return state;
    },
    run(command: TaskCommand) {
      const events = decide(command, state, ctx());
      for (const e of events) {
        if (e.aggregate_id !== 'series') continue;
        state = evolve(state, {
          ...e,
          event_id: `e${++version}`,
          user_id: 'u1',
          version,
          seq: version,
          timestamp: new Date(now).toISOString(),
          correlation_id: 'c',
          causation_id: null,
        });
      }
      return events;
    },
  };
}

function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

test("a series on the issue's sparse rule is accepted, scheduled and spawned; one minutely in effect is a 400 on recurrence_rule", (t) => {
  const h = decider('2026-12-01T00:00:00Z');
  const rule = 'FREQ=DAILY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO';
  h.run({ type: 'create', id: 'series', data: { title: 'rare', due_date: '2027-01-01T09:00', recurrence_rule: rule } });
  t.is(h.state?.next_occurrence, '2044-02-29T08:00:00.000Z');
  h.at('2044-02-29T08:00:00Z');
  const spawned = h.run({ type: 'spawn' });
  t.is(spawned[0]?.event_type, 'recurring.spawned');
  t.deepEqual(spawned[0]?.data.next_occurrence, { from: '2044-02-29T08:00:00.000Z', to: '2112-02-29T08:00:00.000Z' });

  const every = (n: number) => Array.from({ length: n }, (_, i) => i).join(',');
  const minutely = `FREQ=DAILY;BYHOUR=${every(24)};BYMINUTE=${every(60)}`;
  const onCreate = domainErrorOf(() =>
    decider('2026-12-01T00:00:00Z').run({
      type: 'create',
      id: 'series',
      data: { title: 'x', due_date: '2027-01-01T09:00', recurrence_rule: minutely },
    }),
  );
  t.is(onCreate.field, 'recurrence_rule');
  t.regex(onCreate.message, /BYMINUTE/);
  const onEdit = domainErrorOf(() => h.run({ type: 'update', data: { recurrence_rule: minutely } }));
  t.is(onEdit.field, 'recurrence_rule');
});
