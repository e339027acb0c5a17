/**
 * Floating (wall-clock) time and proleptic Gregorian calendar arithmetic, with no zone.
 *
 * A "floating" time (RFC 5545 §3.3.5, form #1) is a wall-clock date-time encoded as epoch
 * milliseconds as if it were UTC: `wallToFloating({2026, 3, 8, 2, 30, 0})` is `Date.UTC(2026, 2, 8,
 * 2, 30)`. Rules are expanded in floating time; only local-time.ts maps a floating time to a real
 * instant in a zone. Nothing here reads the host's TZ (only UTC accessors of Date are used).
 *
 * Day numbers are whole days since 1970-01-01 (a Thursday) in floating time. Weekday numbers are
 * Monday = 0 … Sunday = 6, the index of each RFC 5545 §3.3.10 weekday code in WEEKDAY_CODES.
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Years a start, an UNTIL date and an expansion may lie in (four-digit years, inclusive). */
export const MIN_YEAR = 1000;
export const MAX_YEAR = 9999;

/** RFC 5545 §3.3.10 "weekday" values of BYDAY and WKST. */
export type WeekdayCode = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';

/** Index = Python/dateutil weekday number (Monday = 0). */
/** One BYDAY item (RFC 5545 §3.3.10 "weekdaynum"): `MO`, or with an ordinal `1MO`, `-1FR`. */
export interface RecurrenceByDay {
  readonly weekday: WeekdayCode;
  /** 1..53 or -53..-1; null for a plain weekday. */
  readonly ordinal: number | null;
}

export const WEEKDAY_CODES: readonly WeekdayCode[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
export const WEEKDAY_INDEX: Readonly<Record<WeekdayCode, number>> = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 };

/** A wall-clock date-time: calendar fields, month 1–12, day 1–31, hour 0–23, whole seconds. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  switch (month) {
    case 2:
      return isLeapYear(year) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    default:
      return 31;
  }
}

/** Largest length the month can have in any year. */
export function maxDaysInMonth(month: number): number {
  return month === 2 ? 29 : daysInMonth(2001, month);
}

/** Days before the 1st of each month (index 0..11), for common [0] and leap [1] years. */
export const DAYS_BEFORE_MONTH: readonly (readonly number[])[] = [2001, 2000].map((year) => {
  const out: number[] = [];
  let sum = 0;
  for (let month = 1; month <= 12; month++) {
    out.push(sum);
    sum += daysInMonth(year, month);
  }
  return out;
});

/**
 * Checks that `w` is a wall-clock time in years MIN_YEAR..MAX_YEAR whose day exists in its month;
 * throws `fail(detail)` naming the first field out of range.
 */
export function checkWall(w: WallClock, fail: (detail: string) => Error): void {
  const fields: Array<[keyof WallClock, number, number]> = [
    ['year', MIN_YEAR, MAX_YEAR],
    ['month', 1, 12],
    ['day', 1, 31],
    ['hour', 0, 23],
    ['minute', 0, 59],
    ['second', 0, 59],
  ];
  for (const [name, min, max] of fields) {
    const v = w[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw fail(`${name} must be an integer from ${min} to ${max}`);
    }
  }
  if (w.day > daysInMonth(w.year, w.month)) throw fail(`${w.year}-${w.month} has no day ${w.day}`);
}

/** Wall-clock fields -> floating epoch ms (the wall clock encoded as if it were UTC). */
export function wallToFloating(w: WallClock): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

/** Floating epoch ms -> wall-clock fields (milliseconds dropped). */
export function floatingToWall(f: number): WallClock {
  const d = new Date(f);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Python-style weekday (Monday = 0) of a floating day number (days since 1970-01-01, a Thursday). */
export function weekdayOfDayNumber(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7;
}

/** Floating day number (days since 1970-01-01) of a floating time. */
export function dayNumber(f: number): number {
  return Math.floor(f / DAY_MS);
}

/** Month index (year × 12 + month - 1) of a floating time. */
export function monthIndexOf(f: number): number {
  const w = floatingToWall(f);
  return w.year * 12 + (w.month - 1);
}

/** `a` modulo `n`, in 0..n-1 for negative `a` too. */
export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
