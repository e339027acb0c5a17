// ISO-8601 durations for reminder offsets and snoozes. Calendar units of variable length (years,
// months) are refused: "1 month before" has no fixed meaning. Canonical form matches PostgreSQL's
// `interval` output with IntervalStyle iso_8601 (days kept apart, the time part normalised to H/M/S),
// so a stored offset reads back identical.
import { DateTime, Duration } from 'luxon';
import { invalid } from './errors.ts';
import { localToInstant, RecurrenceError } from './recurrence/index.ts';

/** The ISO-8601 durations accepted (weeks, days, hours, minutes, seconds; case-insensitive after upper-casing). */
export const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export interface ParsedDuration {
  days: number;
  seconds: number;
  canonical: string;
  millis: number;
}

export function parseDuration(field: string, text: unknown, { max = 366 * 86_400 } = {}): ParsedDuration {
  if (typeof text !== 'string') throw invalid(field, 'must be an ISO-8601 duration such as PT10M, PT1H or P1D');
  const m = ISO_DURATION.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/.test(text.trim())) {
    throw invalid(
      field,
      `"${text}" is not a supported ISO-8601 duration (use weeks, days, hours, minutes, seconds: PT10M, PT1H, P1D, P1W)`,
    );
  }
  const [w, d, h, mi, s] = m.slice(1).map((x) => (x ? Number(x) : 0)) as [number, number, number, number, number];
  const days = w * 7 + d;
  const seconds = h * 3600 + mi * 60 + s;
  const millis = (days * 86_400 + seconds) * 1000;
  if (millis <= 0) throw invalid(field, 'must be longer than zero');
  if (millis > max * 1000)
    throw invalid(field, `must be at most ${Duration.fromObject({ seconds: max }).shiftTo('days').days} days`);
  return { days, seconds, canonical: canonical(days, seconds), millis };
}

function canonical(days: number, seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/**
 * Subtracts an offset from an instant in a zone: days move the wall clock (P1D before 09:00 is 09:00 the day
 * before, across DST: RFC 5545 §3.3.6, a day is nominal), then hours are exact. A wall time the days land on
 * twice (a fall-back hour) is its first pass, as every wall time without an offset is read (DESIGN; RFC 5545
 * §3.3.5); one in a gap moves forward by the gap. Luxon's own minus({days}) kept the offset it started
 * with where it could, so a reminder a day before 01:30 EST fired on the second pass, an hour late.
 */
export function minusOffset(instant: string, offset: ParsedDuration, zone: string): string {
  return moveBy(instant, offset, zone, -1);
}

/** Adds an offset to an instant in a zone, by the rules of minusOffset: "P1D" from 09:00 is 09:00 the next day, across DST. */
export function plusOffset(instant: string, offset: ParsedDuration, zone: string): string {
  return moveBy(instant, offset, zone, 1);
}

function moveBy(instant: string, offset: ParsedDuration, zone: string, sign: 1 | -1): string {
  let at = Date.parse(instant);
  if (offset.days) {
    const wall = DateTime.fromMillis(at, { zone }).plus({ days: sign * offset.days });
    try {
      at =
        localToInstant(
          {
            year: wall.year,
            month: wall.month,
            day: wall.day,
            hour: wall.hour,
            minute: wall.minute,
            second: wall.second,
          },
          zone,
        ).getTime() + wall.millisecond;
    } catch (error) {
      // Before year 1000 (the recurrence module's range) the instant luxon gives stands.
      if (!(error instanceof RecurrenceError)) throw error;
      at = wall.toMillis();
    }
  }
  return new Date(at + sign * offset.seconds * 1000).toISOString();
}
