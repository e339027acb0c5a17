/**
 * DTSTART and wall-clock times: the first start of a series as a wall-clock time in its zone
 * (RFC 5545 §3.3.5 form #3, DATE-TIME with TZID), and a wall-clock time read as an instant.
 */
import type { IANAZone } from 'luxon';
import { HOUR_MS, MINUTE_MS, SECOND_MS, checkWall, wallToFloating, type WallClock } from './calendar.ts';
import { RecurrenceError } from './errors.ts';
import { floatingToInstant, instantToWall, offsetMs, resolveZone } from './local-time.ts';

export type { WallClock } from './calendar.ts';

function startError(detail: string): RecurrenceError {
  return new RecurrenceError('invalid_start', `start: ${detail}`, 'start');
}

/** ISO 8601 extended date or date-time: 1–3 date, 4–7 time and fraction, 8 `Z`, 9–11 offset sign, hours, minutes. */
const ISO_START =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * A series' first start: its wall-clock time in the zone and, when the start named an instant on the
 * second pass of a repeated (fall-back) hour, that instant (`at`, epoch ms, whole seconds). Every other
 * occurrence at an ambiguous wall time takes the earlier instant; the start itself is the instant given,
 * so a series whose due date is 01:30 EST on the night New York falls back starts then, not an hour
 * earlier at 01:30 EDT (the wall time alone cannot tell the two apart: PEP 495's `fold`).
 */
export type StartWall = WallClock & { at?: number };

/** `wall` read from `instant` in `zone`, with `at` when the instant is the later of two with that wall time. */
function fromInstant(instant: number, zone: IANAZone): StartWall {
  const wall = instantToWall(instant, zone);
  checkWall(wall, startError);
  const whole = Math.floor(instant / SECOND_MS) * SECOND_MS;
  const first = floatingToInstant(wallToFloating(wall), (ms) => offsetMs(zone, ms));
  return first < whole ? { ...wall, at: whole } : wall;
}

/** parseStart with the zone already resolved (local-time.ts `resolveZone`). */
export function parseStartInZone(start: string | Date, zone: IANAZone): StartWall {
  if (start instanceof Date) {
    const ms = start.getTime();
    if (Number.isNaN(ms)) throw startError('invalid Date');
    return fromInstant(ms, zone);
  }
  if (typeof start !== 'string') throw startError('must be an ISO 8601 string or a Date');
  const m = ISO_START.exec(start);
  if (!m) throw startError(`${JSON.stringify(start)} is not an ISO 8601 date-time (e.g. 2026-03-08T09:30)`);
  const wall: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  checkWall(wall, startError);
  const hasOffset = m[8] !== undefined || m[9] !== undefined;
  if (!hasOffset) return wall; // wall-clock time in `zone`, kept as written (even inside a gap)
  let offset = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) throw startError(`${JSON.stringify(start)} has an invalid UTC offset`);
    offset = (m[9] === '-' ? -1 : 1) * (oh * HOUR_MS + om * MINUTE_MS);
  }
  return fromInstant(wallToFloating(wall) - offset, zone);
}

/**
 * Wall-clock time of a series' first start (its DTSTART) in `zone`.
 * - `start` an ISO 8601 string without offset (`2026-03-08T02:30`, or a date alone for 00:00): that
 *   wall-clock time, kept as written even inside a DST gap (the gap is resolved per occurrence).
 * - `start` with `Z` or an offset (at most ±23:59), or a Date: that instant, read in `zone`; on the second
 *   pass of a repeated hour the instant itself is kept too (`at`, see StartWall).
 * Seconds are whole seconds; fractions are dropped. The year must be 1000–9999 and the day exist.
 * Throws RecurrenceError 'invalid_timezone' (part 'timezone') or 'invalid_start' (part 'start').
 */
export function parseStart(start: string | Date, zone: string): StartWall {
  return parseStartInZone(start, resolveZone(zone));
}

/**
 * Wall-clock time in `zone` -> instant. A time in a spring-forward gap moves forward by the gap
 * length (RFC 5545 errata 4271, as RFC 5545 §3.3.5 reads a nonexistent local time); an ambiguous
 * fall-back time takes the earlier instant, or the later with `fold` 1 (PEP 495). `second` defaults
 * to 0; fields are integers, year 1000–9999. Throws RecurrenceError 'invalid_timezone' (part
 * 'timezone') or 'invalid_start' (part 'wall') naming the field out of range.
 */
export function localToInstant(
  wall: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  zone: string,
  fold: 0 | 1 = 0,
): Date {
  const z = resolveZone(zone);
  const w: WallClock = {
    year: wall.year,
    month: wall.month,
    day: wall.day,
    hour: wall.hour,
    minute: wall.minute,
    second: wall.second ?? 0,
  };
  checkWall(w, (detail) => new RecurrenceError('invalid_start', `wall-clock time: ${detail}`, 'wall'));
  return new Date(floatingToInstant(wallToFloating(w), (ms) => offsetMs(z, ms), fold));
}
