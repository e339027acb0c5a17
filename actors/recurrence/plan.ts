/**
 * One rule from one start, made explicit: which months, days and times of day it selects, as a
 * `Plan` the expansion walks month by month, with the table of matching days per month shape.
 */
import {
  DAYS_BEFORE_MONTH,
  SECOND_MS,
  WEEKDAY_CODES,
  WEEKDAY_INDEX,
  dayNumber,
  daysInMonth,
  mod,
  wallToFloating,
  weekdayOfDayNumber,
  type WallClock,
} from './calendar.ts';
import { ALL_MONTHS, dayMatches, dayPatternFeasible, type DayPattern } from './day-filter.ts';
import { MARGIN_MS } from './local-time.ts';
import type { ParsedRule, RecurrenceFrequency } from './rule.ts';

/**
 * Cheap checks for rules that can never produce an occurrence from this start, so nothing is
 * scanned for them: day patterns made impossible by the defaults taken from the start, by
 * MONTHLY's INTERVAL (months never visited) or by DAILY with an INTERVAL that is a multiple of 7
 * (only the start's weekday is visited).
 */
export function canEverOccur(p: ParsedRule, start: WallClock): boolean {
  let months: readonly number[] = p.byMonth.length > 0 ? p.byMonth : ALL_MONTHS;
  let monthDays = p.byMonthDay;
  let byDay = p.byDay;
  const defaults = p.byDay.length === 0 && p.byMonthDay.length === 0;
  if (defaults && (p.freq === 'MONTHLY' || p.freq === 'YEARLY')) monthDays = [start.day];
  if (defaults && p.freq === 'YEARLY' && p.byMonth.length === 0) months = [start.month];
  if (p.freq === 'MONTHLY') {
    const visited = new Set<number>();
    for (let i = 0; i < 12; i++) visited.add(((start.month - 1 + i * p.interval) % 12) + 1);
    months = months.filter((m) => visited.has(m));
  }
  if (p.freq === 'DAILY' && p.interval % 7 === 0) {
    const startWeekday = WEEKDAY_CODES[weekdayOfDayNumber(dayNumber(wallToFloating(start)))];
    if (startWeekday === undefined) return false;
    byDay =
      byDay.length === 0 ? [{ weekday: startWeekday, ordinal: null }] : byDay.filter((b) => b.weekday === startWeekday);
    if (byDay.length === 0) return false;
  }
  if (months.length === 0) return false;
  return dayPatternFeasible({ months, monthDays, byDay, yearScope: p.freq === 'YEARLY' && p.byMonth.length === 0 });
}

/** A month mask with every day set: bits 0..30 = days 1..31. */
export const ALL_DAYS_MASK = 0x7fffffff;

/**
 * One rule from one start, with every default RFC 5545 takes from DTSTART made explicit (as
 * python-dateutil and rrule.js do): YEARLY without BYDAY/BYMONTHDAY → the start's month and day;
 * MONTHLY → the start's day; WEEKLY → the start's weekday; times → the start's hour, minute, second.
 *
 * With BYSETPOS, BYWEEKNO and BYYEARDAY outside the subset, whether a day is an instance depends
 * only on the day itself (BYMONTH, BYMONTHDAY, BYDAY with ordinals counted in its month, or in its
 * year for YEARLY without BYMONTH) and on its period's INTERVAL phase. The day filter of a month
 * depends only on (leap year, weekday of Jan 1, month): 168 shapes, each a 31-bit mask computed
 * once per plan.
 */
export interface Plan {
  readonly freq: RecurrenceFrequency;
  readonly interval: number;
  /** index 1..12 */
  readonly inMonth: readonly boolean[];
  /** Months to add to reach the next month in BYMONTH (index 1..12). */
  readonly toNextMonth: readonly number[];
  readonly pattern: DayPattern;
  /** Wall times of day, milliseconds after midnight, ascending, distinct. */
  readonly times: readonly number[];
  /** The start as floating epoch ms, its floating day number, month index (year × 12 + month - 1) and year. */
  readonly startF: number;
  readonly startDay: number;
  readonly startMonthIndex: number;
  readonly startYear: number;
  /** WEEKLY: the day number of the WKST day beginning the start's week. */
  readonly weekAnchor: number;
  /** Lazily filled day masks, -1 = not yet computed; index (leap × 7 + weekday of Jan 1) × 12 + month - 1. */
  readonly masks: Int32Array;
}

/**
 * Wall times of day of the series, in ms after midnight, ascending, distinct: BYHOUR × BYMINUTE, each
 * defaulting to the start's hour or minute, at the start's second (RFC 5545 §3.3.10: parts absent
 * from the rule take their values from DTSTART).
 */
export function timesOfDay(p: ParsedRule, start: WallClock): number[] {
  const hours = p.byHour.length > 0 ? p.byHour : [start.hour];
  const minutes = p.byMinute.length > 0 ? p.byMinute : [start.minute];
  const set = new Set<number>();
  for (const h of hours) for (const m of minutes) set.add(((h * 60 + m) * 60 + start.second) * SECOND_MS);
  return [...set].sort((a, b) => a - b);
}

/** The Plan of a validated rule from `start` (see Plan). */
export function planOf(p: ParsedRule, start: WallClock): Plan {
  let months: readonly number[] = p.byMonth.length > 0 ? p.byMonth : ALL_MONTHS;
  let monthDays = p.byMonthDay;
  let byDay = p.byDay;
  const startF = wallToFloating(start);
  const startDay = dayNumber(startF);
  const startWeekday = weekdayOfDayNumber(startDay);
  if (p.byDay.length === 0 && p.byMonthDay.length === 0) {
    if (p.freq === 'YEARLY') {
      if (p.byMonth.length === 0) months = [start.month];
      monthDays = [start.day];
    } else if (p.freq === 'MONTHLY') {
      monthDays = [start.day];
    } else if (p.freq === 'WEEKLY') {
      const code = WEEKDAY_CODES[startWeekday];
      if (code === undefined) throw new Error('unreachable: weekday index');
      byDay = [{ weekday: code, ordinal: null }];
    }
  }
  const inMonth = Array.from({ length: 13 }, (_, m) => months.includes(m));
  const toNextMonth = Array.from({ length: 13 }, (_, m) => {
    for (let k = 1; k <= 12; k++) if (inMonth[((m - 1 + k) % 12) + 1]) return k;
    return 12;
  });
  return {
    freq: p.freq,
    interval: p.interval,
    inMonth,
    toNextMonth,
    pattern: { months: ALL_MONTHS, monthDays, byDay, yearScope: p.freq === 'YEARLY' && p.byMonth.length === 0 },
    times: timesOfDay(p, start),
    startF,
    startDay,
    startMonthIndex: start.year * 12 + (start.month - 1),
    startYear: start.year,
    weekAnchor: startDay - mod(startWeekday - WEEKDAY_INDEX[p.wkst], 7),
    masks: new Int32Array(2 * 7 * 12).fill(-1),
  };
}

/** Days of `month` (bit d-1 for day d) that BYMONTHDAY / BYDAY select, in a year of this shape. */
export function monthMask(plan: Plan, leap: number, jan1Weekday: number, month: number): number {
  const index = (leap * 7 + jan1Weekday) * 12 + month - 1;
  const cached = plan.masks[index];
  if (cached !== undefined && cached !== -1) return cached;
  const len = daysInMonth(leap ? 2000 : 2001, month);
  const before = DAYS_BEFORE_MONTH[leap]?.[month - 1] ?? 0;
  const yearLength = leap ? 366 : 365;
  let mask = 0;
  for (let d = 1; d <= len; d++) {
    const doy = before + d;
    const weekday = (jan1Weekday + doy - 1) % 7;
    const ordPos = plan.pattern.yearScope ? Math.ceil(doy / 7) : Math.ceil(d / 7);
    const ordNeg = plan.pattern.yearScope
      ? -(Math.floor((yearLength - doy) / 7) + 1)
      : -(Math.floor((len - d) / 7) + 1);
    if (dayMatches(plan.pattern, d, len, weekday, ordPos, ordNeg)) mask |= 1 << (d - 1);
  }
  plan.masks[index] = mask;
  return mask;
}

/** DAILY: days of the month starting on day number `firstDay` that lie on the INTERVAL phase. */
export function dailyPhaseMask(plan: Plan, firstDay: number): number {
  let mask = 0;
  for (let o = mod(plan.startDay - firstDay, plan.interval); o < 31; o += plan.interval) mask |= 1 << o;
  return mask;
}

/** WEEKLY: days of the month starting on day number `firstDay` whose WKST week lies on the INTERVAL phase. */
export function weeklyPhaseMask(plan: Plan, firstDay: number): number {
  let mask = 0;
  for (let week = Math.floor((firstDay - plan.weekAnchor) / 7); ; week++) {
    const weekStart = plan.weekAnchor + week * 7;
    if (weekStart >= firstDay + 31) break;
    if (mod(week, plan.interval) !== 0) continue;
    for (let d = Math.max(weekStart, firstDay); d < weekStart + 7 && d < firstDay + 31; d++)
      mask |= 1 << (d - firstDay);
  }
  return mask;
}
/**
 * The floating upper bound of the series itself (UNTIL), or undefined: UTC UNTIL plus the margin
 * (its instant is compared exactly later), a date UNTIL as the end of that local day.
 */
export function ruleFloatingUpper(p: ParsedRule): number | undefined {
  if (p.until === null) return undefined;
  if (p.until.kind === 'instant') return p.until.epochMs + MARGIN_MS;
  return wallToFloating({
    year: p.until.year,
    month: p.until.month,
    day: p.until.day,
    hour: 23,
    minute: 59,
    second: 59,
  });
}
