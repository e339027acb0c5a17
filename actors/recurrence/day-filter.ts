/**
 * The day filter of a rule: which calendar days BYMONTH, BYMONTHDAY and BYDAY (RFC 5545 §3.3.10)
 * select, with BYDAY ordinals (1MO, -1FR) counted within the month, or within the year for
 * FREQ=YEARLY without BYMONTH. parseRule uses it to refuse patterns that never match any date; the
 * expansion uses it to build its table of matching days per month shape.
 */
import { WEEKDAY_INDEX, daysInMonth, maxDaysInMonth, type RecurrenceByDay } from './calendar.ts';

/** Every month, 1..12. */
export const ALL_MONTHS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** BYMONTH / BYMONTHDAY / BYDAY of a rule, with defaults from the start already filled in where needed. */
export interface DayPattern {
  /** Months that can be visited (1..12), non-empty. */
  months: readonly number[];
  /** BYMONTHDAY: 1..31, or -31..-1 counted from the month's last day; empty = any day. */
  monthDays: readonly number[];
  /** BYDAY; empty = any weekday. */
  byDay: readonly RecurrenceByDay[];
  /** BYDAY ordinals count within the year (YEARLY without BYMONTH) instead of within the month. */
  yearScope: boolean;
}

/**
 * Whether a day matches BYMONTHDAY and BYDAY of `p` (BYMONTH is the caller's): `monthDay`
 * 1..`monthLength`, `weekday` Monday = 0, `ordPos` / `ordNeg` the day's weekday ordinal from the
 * start (1, 2, …) and from the end (-1, -2, …) of its month, or of its year when `p.yearScope`.
 */
export function dayMatches(
  p: DayPattern,
  monthDay: number,
  monthLength: number,
  weekday: number,
  ordPos: number,
  ordNeg: number,
): boolean {
  if (p.monthDays.length > 0 && !p.monthDays.some((x) => (x > 0 ? x === monthDay : monthLength + 1 + x === monthDay))) {
    return false;
  }
  if (p.byDay.length === 0) return true;
  return p.byDay.some(
    (b) => WEEKDAY_INDEX[b.weekday] === weekday && (b.ordinal === null || b.ordinal === ordPos || b.ordinal === ordNeg),
  );
}

/**
 * Whether some calendar day satisfies BYMONTH / BYMONTHDAY / BYDAY. Every (month, month length,
 * weekday of the 1st) and every (year length, weekday of Jan 1) occurs in the 400-year Gregorian
 * cycle, so checking these shapes is exact (ignoring INTERVAL phase, handled by the caller).
 */
export function dayPatternFeasible(p: DayPattern): boolean {
  const hasOrdinal = p.byDay.some((b) => b.ordinal !== null);
  if (p.yearScope && hasOrdinal) {
    for (const leap of [false, true]) {
      const yearLength = leap ? 366 : 365;
      const year = leap ? 2000 : 2001;
      for (let jan1 = 0; jan1 < 7; jan1++) {
        let doy = 0;
        for (let month = 1; month <= 12; month++) {
          const len = daysInMonth(year, month);
          for (let d = 1; d <= len; d++) {
            doy++;
            if (!p.months.includes(month)) continue;
            const ordPos = Math.ceil(doy / 7);
            const ordNeg = -(Math.floor((yearLength - doy) / 7) + 1);
            if (dayMatches(p, d, len, (jan1 + doy - 1) % 7, ordPos, ordNeg)) return true;
          }
        }
      }
    }
    return false;
  }
  for (const month of p.months) {
    const lengths = month === 2 ? [28, 29] : [maxDaysInMonth(month)];
    for (const len of lengths) {
      for (let first = 0; first < 7; first++) {
        for (let d = 1; d <= len; d++) {
          const ordPos = Math.ceil(d / 7);
          const ordNeg = -(Math.floor((len - d) / 7) + 1);
          if (dayMatches(p, d, len, (first + d - 1) % 7, ordPos, ordNeg)) return true;
        }
      }
    }
  }
  return false;
}
