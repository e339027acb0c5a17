/**
 * The expansion engine: the occurrences of a series as UTC instants, walking its plan month by month
 * in floating time within the step budget, and mapping each floating time to its instant in the
 * series' zone.
 */
import type { IANAZone } from 'luxon';
import {
  DAYS_BEFORE_MONTH,
  DAY_MS,
  MAX_YEAR,
  dayNumber,
  daysInMonth,
  isLeapYear,
  monthIndexOf,
  mod,
  wallToFloating,
  weekdayOfDayNumber,
} from './calendar.ts';
import { MAX_OCCURRENCE_LIMIT, budgetOf, spend, type Budget, type ExpansionMeter } from './budget.ts';
import { MARGIN_MS, SLACK_MS, floatingToInstant, inInstantRange, memoOffsets, resolveZone } from './local-time.ts';
import {
  ALL_DAYS_MASK,
  canEverOccur,
  monthMask,
  dailyPhaseMask,
  weeklyPhaseMask,
  planOf,
  ruleFloatingUpper,
  type Plan,
} from './plan.ts';
import { resolveRule, type ParsedRule } from './rule.ts';
import { parseStartInZone, type StartWall } from './start.ts';

/** Which occurrences `occurrences` returns, and the work it may do. */
export interface OccurrenceOptions {
  /** Only occurrences strictly after this instant. */
  after?: Date;
  /** Maximum number of occurrences returned, >= 0 (fractions dropped, capped at MAX_OCCURRENCE_LIMIT = 1000). */
  limit: number;
  /** No occurrence after this instant (inclusive bound). */
  until?: Date;
  /** Work allowed, in steps (see EXPANSION_BUDGET, the default); over it: RecurrenceError 'budget_exceeded'. */
  budget?: number;
  /** Receives the steps this expansion took (reset to 0 first). */
  meter?: ExpansionMeter;
}

/**
 * Calls `visit(f)` with the floating instances of the plan (floating epoch ms), ascending: those on
 * floating day numbers >= `lowerDay` with startF <= f <= upperF (floating ms, may be +Infinity), until `visit` returns false, `count` instances were visited, or year
 * 9999 ends. `lowerDay` must be the start's day when COUNT applies (instances are counted from the
 * start). Costs one step per loop turn (each turn moves at least one month on) and one per instance.
 * Months are skipped without a look at their days when outside BYMONTH, off MONTHLY's or YEARLY's
 * INTERVAL phase, or (DAILY, WEEKLY) holding no day of the INTERVAL phase.
 */
function enumerate(
  plan: Plan,
  count: number | null,
  lowerDay: number,
  upperF: number,
  budget: Budget,
  visit: (f: number) => boolean,
): void {
  const { freq, interval, times, startF } = plan;
  const lastMonthIndex = Math.min(MAX_YEAR * 12 + 11, Number.isFinite(upperF) ? monthIndexOf(upperF) : Infinity);
  let monthIndex = Math.max(plan.startMonthIndex, monthIndexOf(lowerDay * DAY_MS));
  let produced = 0;
  let cachedYear = Number.NaN;
  let jan1Day = 0;
  let leap = 0;
  let jan1Weekday = 0;
  while (monthIndex <= lastMonthIndex) {
    spend(budget, 1);
    if (freq === 'MONTHLY') {
      const r = mod(monthIndex - plan.startMonthIndex, interval);
      if (r !== 0) {
        monthIndex += interval - r;
        continue;
      }
    }
    const year = Math.floor(monthIndex / 12);
    const month = monthIndex - year * 12 + 1;
    if (freq === 'YEARLY') {
      const r = mod(year - plan.startYear, interval);
      if (r !== 0) {
        monthIndex = (year + interval - r) * 12;
        continue;
      }
    }
    if (!plan.inMonth[month]) {
      monthIndex += plan.toNextMonth[month] ?? 1;
      continue;
    }
    if (year !== cachedYear) {
      cachedYear = year;
      const jan1 = new Date(0);
      jan1.setUTCFullYear(year, 0, 1);
      jan1Day = dayNumber(jan1.getTime());
      leap = isLeapYear(year) ? 1 : 0;
      jan1Weekday = weekdayOfDayNumber(jan1Day);
    }
    const firstDay = jan1Day + (DAYS_BEFORE_MONTH[leap]?.[month - 1] ?? 0);
    if (interval > 1 && (freq === 'DAILY' || freq === 'WEEKLY')) {
      // The first day of this month or later on the INTERVAL phase; past the month's end, jump there.
      let nextDay = firstDay + mod(plan.startDay - firstDay, interval);
      if (freq === 'WEEKLY') {
        const week = Math.floor((firstDay - plan.weekAnchor) / 7);
        const r = mod(week, interval);
        nextDay = r === 0 ? firstDay : plan.weekAnchor + (week + interval - r) * 7;
      }
      if (nextDay >= firstDay + daysInMonth(year, month)) {
        monthIndex = monthIndexOf(nextDay * DAY_MS);
        continue;
      }
    }
    let mask = monthMask(plan, leap, jan1Weekday, month);
    if (mask !== 0 && firstDay < lowerDay)
      mask &= lowerDay - firstDay >= 31 ? 0 : ALL_DAYS_MASK & ~((1 << (lowerDay - firstDay)) - 1);
    if (mask !== 0 && interval > 1 && freq === 'DAILY') mask &= dailyPhaseMask(plan, firstDay);
    if (mask !== 0 && interval > 1 && freq === 'WEEKLY') mask &= weeklyPhaseMask(plan, firstDay);
    while (mask !== 0) {
      const low = mask & -mask;
      mask ^= low;
      const dayStart = (firstDay + 31 - Math.clz32(low)) * DAY_MS;
      for (const time of times) {
        const f = dayStart + time;
        if (f < startF) continue;
        if (f > upperF) return;
        spend(budget, 1);
        produced++;
        if (!visit(f)) return;
        if (count !== null && produced >= count) return;
      }
    }
    monthIndex += plan.toNextMonth[month] ?? 1;
  }
}

/** Inserts into an ascending, duplicate-free array, keeping at most `limit` smallest values. */
function insertSorted(out: number[], value: number, limit: number): void {
  let lo = 0;
  let hi = out.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = out[mid];
    if (v !== undefined && v < value) lo = mid + 1;
    else hi = mid;
  }
  if (out[lo] === value) return;
  if (lo >= limit) return;
  out.splice(lo, 0, value);
  if (out.length > limit) out.pop();
}

/** Epoch ms of an optional Date option; RangeError naming `opts.<name>` for an invalid Date. */
function optionalInstant(value: Date | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`occurrences: opts.${name} must be a valid Date`);
  }
  return value.getTime();
}

/**
 * Instants (epoch ms, ascending, distinct, at most `limit`) of a validated rule from `start` in
 * `zone`, in (afterMs, untilMs]; every bound optional. Spends from `budget` as `enumerate` does.
 */
function expand(
  p: ParsedRule,
  start: StartWall,
  zone: IANAZone,
  afterMs: number | undefined,
  untilMs: number | undefined,
  limit: number,
  budget: Budget,
): number[] {
  if (limit <= 0 || !canEverOccur(p, start)) return [];
  const startF = wallToFloating(start);

  // Upper bounds: a real-instant bound (UTC UNTIL, opts.until) and the floating bound of the walk.
  let instantUpper = untilMs;
  let floatingUpper = untilMs === undefined ? undefined : untilMs + MARGIN_MS;
  const ruleUpper = ruleFloatingUpper(p);
  if (ruleUpper !== undefined)
    floatingUpper = floatingUpper === undefined ? ruleUpper : Math.min(floatingUpper, ruleUpper);
  if (p.until?.kind === 'instant') {
    instantUpper = instantUpper === undefined ? p.until.epochMs : Math.min(instantUpper, p.until.epochMs);
  }
  if (floatingUpper !== undefined && floatingUpper < startF) return [];

  // A floating time below skipBelowF maps to an instant before afterMs, so it is skipped unmapped.
  const skipBelowF = afterMs === undefined ? undefined : afterMs - SLACK_MS;
  // Without COUNT nothing before `after` needs counting, so the walk starts two days before it (in
  // the INTERVAL phase of the start, which the plan keeps); with COUNT it starts at the start.
  const startDay = dayNumber(startF);
  const lowerDay =
    p.count === null && afterMs !== undefined ? Math.max(startDay, dayNumber(afterMs - MARGIN_MS)) : startDay;

  const offset = memoOffsets(zone);
  const out: number[] = [];
  enumerate(planOf(p, start), p.count, lowerDay, floatingUpper ?? Number.POSITIVE_INFINITY, budget, (f) => {
    const kth = out.length >= limit ? out[limit - 1] : undefined;
    // No floating time >= f can map below f - SLACK_MS, so the result is complete.
    if (kth !== undefined && f - SLACK_MS > kth) return false;
    if (skipBelowF !== undefined && f < skipBelowF) return true;
    // A start given on the second pass of a repeated hour (StartWall.at): it and the rule's times after it in
    // the same repeated hour take the second pass too, so nothing comes before the start.
    let instant = floatingToInstant(f, offset);
    if (start.at !== undefined && instant < start.at) instant = floatingToInstant(f, offset, 1);
    // Outside years 0001–9999 in UTC (e.g. 9999-12-31T13:00 in Etc/GMT+12) there is no occurrence.
    if (!inInstantRange(instant)) return true;
    if (instantUpper !== undefined && instant > instantUpper) return true;
    if (afterMs !== undefined && instant <= afterMs) return true;
    insertSorted(out, instant, limit);
    return true;
  });
  return out;
}

/**
 * Occurrences (UTC instants, ascending, no duplicates, each within 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999Z:
 * a wall-clock time that maps outside is no occurrence) of `rule` (an RRULE string or a ParsedRule)
 * whose first wall-clock start is `start` in `zone` (read as `parseStart` reads it): strictly after `opts.after`, not after `opts.until`, at most `opts.limit`
 * (capped at 1000). Work is bounded by `opts.budget` steps (default EXPANSION_BUDGET), which every
 * supported rule fits; throws RecurrenceError ('invalid_rule' | 'unsupported_rule' |
 * 'invalid_timezone' | 'invalid_start' | 'budget_exceeded') naming the part, RangeError for bad opts.
 */
export function occurrences(
  rule: string | ParsedRule,
  start: string | Date,
  zone: string,
  opts: OccurrenceOptions,
): Date[] {
  const parsed = resolveRule(rule);
  const z = resolveZone(zone);
  const startWall = parseStartInZone(start, z);
  if (
    typeof opts !== 'object' ||
    opts === null ||
    typeof opts.limit !== 'number' ||
    Number.isNaN(opts.limit) ||
    opts.limit < 0
  ) {
    throw new RangeError('occurrences: opts.limit must be a non-negative number');
  }
  const limit = Math.min(Math.floor(opts.limit), MAX_OCCURRENCE_LIMIT);
  const afterMs = optionalInstant(opts.after, 'after');
  const untilMs = optionalInstant(opts.until, 'until');
  return expand(parsed, startWall, z, afterMs, untilMs, limit, budgetOf(opts)).map((ms) => new Date(ms));
}

/** First occurrence strictly after `after`, or null when the series has ended. Bounded like `occurrences`. */
export function nextOccurrence(
  rule: string | ParsedRule,
  start: string | Date,
  zone: string,
  after: Date,
  opts: Pick<OccurrenceOptions, 'budget' | 'meter'> = {},
): Date | null {
  if (!(after instanceof Date) || Number.isNaN(after.getTime())) {
    throw new RangeError('nextOccurrence: after must be a valid Date');
  }
  return occurrences(rule, start, zone, { ...opts, after, limit: 1 })[0] ?? null;
}
