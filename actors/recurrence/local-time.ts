/**
 * Local time in an IANA zone: THE mapping from a floating (wall-clock) time to a real instant, and
 * back. Zone names are validated and resolved by actors/zone.ts (the one zone validator); here an
 * unknown name becomes RecurrenceError 'invalid_timezone'. Offsets are luxon's (the runtime's ICU tz
 * data), never the host's TZ.
 */
import type { IANAZone } from 'luxon';
import { ianaZone } from '../zone.ts';
import { DAY_MS, MINUTE_MS, SECOND_MS, floatingToWall, type WallClock } from './calendar.ts';
import { RecurrenceError } from './errors.ts';

/**
 * The luxon zone for `zone`. Throws RecurrenceError 'invalid_timezone' (part 'timezone') when it is
 * not an IANA zone name (actors/zone.ts `isZone`).
 */
export function resolveZone(zone: string): IANAZone {
  const z = ianaZone(zone);
  if (z === null) {
    throw new RecurrenceError(
      'invalid_timezone',
      `timezone: ${JSON.stringify(typeof zone === 'string' ? zone : String(zone))} is not a valid IANA time zone`,
      'timezone',
    );
  }
  return z;
}

/**
 * Floating vs. real time: an occurrence's instant is `f - o` for some real UTC offset `o` of the
 * zone (in a gap, the offset before the gap), and |o| < 16 h for every zone, so instants are always
 * within one day of their floating value.
 */
export const SLACK_MS = DAY_MS;
/** Wider margin for the floating bounds of a walk and for where a walk after `after` begins. */
export const MARGIN_MS = 2 * DAY_MS;

/**
 * The instants a series may have: 0001-01-01T00:00:00Z (inclusive) to 10000-01-01T00:00:00Z
 * (exclusive), in epoch ms — what PostgreSQL's timestamptz and four-digit ISO text share. An
 * occurrence whose wall-clock time maps outside them does not exist (the series has no more
 * occurrences there). actors/task/time.ts uses the same bounds for every other instant a decider computes.
 */
export const FIRST_INSTANT_MS = -62_135_596_800_000;
export const END_INSTANT_MS = 253_402_300_800_000;
/** True when `epochMs` is an instant a series, a task or a reminder may hold (see FIRST_INSTANT_MS). */
export const inInstantRange = (epochMs: number): boolean => epochMs >= FIRST_INSTANT_MS && epochMs < END_INSTANT_MS;

/** UTC offset of `zone` at the instant `epochMs`, in milliseconds. */
export function offsetMs(zone: IANAZone, epochMs: number): number {
  return Math.round(zone.offset(epochMs) * MINUTE_MS);
}

/** UTC offset in milliseconds at an instant (epoch ms) of one zone. */
export type OffsetFn = (epochMs: number) => number;

/** Offset lookup for one expansion; memoised because neighbouring occurrences share probe instants. */
export function memoOffsets(zone: IANAZone): OffsetFn {
  const cache = new Map<number, number>();
  return (epochMs) => {
    let o = cache.get(epochMs);
    if (o === undefined) {
      o = offsetMs(zone, epochMs);
      cache.set(epochMs, o);
    }
    return o;
  };
}

/**
 * THE floating -> instant mapping. `f` is a wall-clock time encoded as UTC epoch ms.
 * - exactly one matching instant: that one;
 * - ambiguous (fall-back overlap): the earliest matching instant, or with `fold` 1 the latest (PEP 495's
 *   fold: the second pass of the repeated time);
 * - nonexistent (spring-forward gap): read with the offset in force before the gap, which moves
 *   the time forward by the gap length (RFC 5545 errata 4271).
 */
export function floatingToInstant(f: number, offset: OffsetFn, fold: 0 | 1 = 0): number {
  // Offsets and transition shifts are all < 1 day, so the offsets one day either side of the
  // wall time are the offsets before and after any transition that can affect it.
  const before = offset(f - DAY_MS);
  const after = offset(f + DAY_MS);
  if (before === after && offset(f - before) === before) return f - before; // no transition nearby
  const candidates = [before, after];
  // Extra candidates guard against two transitions close together.
  for (const o of [before, after]) {
    const extra = offset(f - o);
    if (!candidates.includes(extra)) candidates.push(extra);
  }
  let best: number | undefined;
  for (const o of candidates) {
    const t = f - o;
    if (offset(t) === o && (best === undefined || (fold === 1 ? t > best : t < best))) best = t;
  }
  if (best !== undefined) return best;
  // Gap: the instant `f - after` lies before the transition, so its offset is the one before the gap.
  return f - offset(f - after);
}

/** Wall-clock time in `zone` at the instant `epochMs` (fractions of a second dropped). */
export function instantToWall(epochMs: number, zone: IANAZone): WallClock {
  const f = epochMs + offsetMs(zone, epochMs);
  return floatingToWall(Math.floor(f / SECOND_MS) * SECOND_MS);
}
