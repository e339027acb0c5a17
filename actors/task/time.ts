// Instants and zones as the task decider reads them from input.
import { invalid } from '../errors.ts';
import { daysInMonth, localToInstant } from '../recurrence/index.ts';
import { END_INSTANT_MS, FIRST_INSTANT_MS, inInstantRange } from '../recurrence/local-time.ts';
import { ianaZone } from '../zone.ts';

// Zones: the one validator lives in actors/zone.ts (names kept as sent, never a backward link).
export { isZone, checkZone } from '../zone.ts';

/**
 * RFC 3339 / ISO-8601 extended date-time or date (groups 1–7: date and time; 8 `Z`; 9–11 offset), optionally
 * followed by an RFC 9557 time-zone suffix (12 its critical flag `!`, 13 the IANA name): `2026-03-08T09:30[America/New_York]`.
 */
export const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?(?:\[(!?)([A-Za-z][A-Za-z0-9_+\-/]{0,63})\])?$/;
/** 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z in epoch ms: what PostgreSQL and ISO text both hold. */
export const FIRST_MS = FIRST_INSTANT_MS;
export const END_MS = END_INSTANT_MS;

/** True when `epochMs` lies in years 0001–9999 once in UTC (FIRST_MS inclusive, END_MS exclusive). */
export const inRange = inInstantRange;

/**
 * An instant a decider computed (a reminder's `due − offset`, a series' start rescheduled into a new
 * zone), checked before it becomes an event: canonical UTC ISO text with milliseconds. Throws a
 * DomainError `validation` naming `field` when `epochMs` is not a number in years 0001–9999 once in
 * UTC, so it never reaches PostgreSQL (which refuses it) as a 400 without a field.
 */
export function checkInstant(field: string, epochMs: number, what = 'the computed time'): string {
  if (!inRange(epochMs)) throw invalid(field, `${what} lies outside years 0001–9999 once in UTC`);
  return new Date(epochMs).toISOString();
}

/** Wall-clock fields as if in UTC (proleptic Gregorian, any year 0–9999), in epoch ms. */
function floating(y: number, mo: number, d: number, h: number, mi: number, s: number, msec: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, msec);
  return date.getTime();
}

/**
 * The one parser for instants in input (every route, filter and the task decider use it).
 *
 * Accepts RFC 3339 / ISO-8601 extended format: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fraction]]`
 * followed by `Z`, an offset `±HH[:MM]` (at most ±23:59) or nothing. With an offset it is that instant;
 * without one it is wall-clock time in `zone` (a time in a DST gap moves forward by the gap, an
 * ambiguous one takes the earlier instant, as for series starts); a date alone is 00:00 that day in
 * `zone`. An RFC 9557 suffix names the zone the value was written in, `…T09:30[America/New_York]`: without
 * an offset the wall-clock time is read there instead of in `zone` (a client that shows a task's times in
 * its user's zone says so, whichever zone the task follows); with one, the offset must be that zone's at
 * that instant (`Z` and `-00:00` say nothing about local time and always agree); a date alone with a suffix is 00:00
 * that day in the named zone, an instant (not an all-day date). The suffix changes no task's zone. The date must exist in the calendar (no 2026-02-30) and the instant, once in UTC, must lie in
 * years 0001–9999 (what PostgreSQL's timestamptz and ISO text share). Fractions beyond milliseconds
 * are dropped. `zone` must be a valid IANA zone (checked by the caller).
 *
 * Returns canonical UTC ISO text with milliseconds (`2026-03-08T08:30:00.000Z`).
 * Throws a DomainError `validation` naming `field` for anything else.
 */
export function readInstant(field: string, value: string, zone: string): string {
  const shown =
    typeof value === 'string' ? JSON.stringify(value.length > 48 ? `${value.slice(0, 48)}…` : value) : String(value);
  const m = typeof value === 'string' ? INSTANT.exec(value) : null;
  if (!m)
    throw invalid(
      field,
      `${shown} is not an ISO-8601 date-time (e.g. 2026-03-08T09:30:00Z, 2026-03-08T09:30 in the task's zone, or 2026-03-08)`,
    );
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const msec = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) throw invalid(field, `${shown} is not a calendar date`);
  if (h > 23 || mi > 59 || s > 59) throw invalid(field, `${shown} is not a time of day (00:00:00 to 23:59:59)`);
  const named = m[13];
  if (named !== undefined && ianaZone(named) === null)
    throw invalid(field, `${shown} names [${named}], which is not an IANA time zone (e.g. Europe/Berlin)`);
  // Wall-clock time is read in the zone the value names, else in the task's.
  const wallZone = named !== undefined && !m[8] && !m[9] ? named : zone;
  let at: number;
  if (m[8] || m[9]) {
    const [oh, om] = [Number(m[10] ?? 0), Number(m[11] ?? 0)];
    if (oh > 23 || om > 59) throw invalid(field, `${shown} has a UTC offset outside ±23:59`);
    const offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
    at = floating(y, mo, d, h, mi, s, msec) - offset * 60_000;
    // `-00:00`, like `Z`, says the local offset is unknown (RFC 3339 §4.3): it agrees with any zone.
    const unknownLocal = m[9] === '-' && offset === 0;
    if (named !== undefined && m[9] && !unknownLocal && inRange(at) && ianaZone(named)?.offset(at) !== offset)
      throw invalid(field, `${shown}: the offset is not ${named}'s at that time`);
  } else if (y >= 1000) {
    at = localToInstant({ year: y, month: mo, day: d, hour: h, minute: mi, second: s }, wallZone).getTime() + msec;
  } else {
    // Before 1000 every zone keeps its local mean time (no DST): its offset one day off is exact.
    // (`zone` is checked by the caller; were it not a zone, NaN would fail the range check below.)
    const offset = (t: number): number => ianaZone(wallZone)?.offset(t) ?? Number.NaN;
    const wall = floating(y, mo, d, h, mi, s, msec);
    at = wall - offset(wall) * 60_000;
    at = wall - offset(at) * 60_000;
  }
  if (!inRange(at)) throw invalid(field, `${shown} lies outside years 0001–9999 once in UTC`);
  return new Date(at).toISOString();
}

export const iso = (date: Date): string => date.toISOString();
export const ms = (isoText: string): number => Date.parse(isoText);
