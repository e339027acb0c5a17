// Snooze choices (issue 16, "Reminders you missed"): when a fired reminder fires again. Pure: the clock and
// the zone come in as arguments. The one place "tomorrow at 09:00" becomes an instant.
import { DateTime } from 'luxon';
import { invalid } from '../errors.ts';
import { checkZone, ianaZone } from '../zone.ts';
import { parseDuration, plusOffset } from '../durations.ts';
import { localToInstant } from '../recurrence/index.ts';
import { readInstant, ms } from './time.ts';

/** The longest a snooze may postpone a reminder: 30 days from now (duration or instant alike). */
export const MAX_SNOOZE_SECONDS = 30 * 86_400;

/**
 * What POST /tasks/{id}/reminders/{rid}/snooze takes, exactly one of:
 * - `{for: "PT10M"}`: an ISO-8601 duration from now (the dashboard's 10 min and 1 h); its days nominal in
 *   `dayZone`, the task's (P1D is the same wall-clock time tomorrow there, across DST, as its reminders' days);
 * - `{until: "2026-12-24T18:00"}`: an instant (RFC 3339; without an offset, wall-clock time in the task's
 *   user's zone, or in the zone an RFC 9557 suffix names);
 * - `{tomorrow_at: "09:00", timezone?}`: that wall-clock time on the day after today, both in `timezone` (the
 *   snoozer's, as the dashboard sends it), else in the task's user's zone.
 */
export type SnoozeChoice = { for: string } | { until: string } | { tomorrow_at: string; timezone?: string };

/** `HH:MM`, 00:00–23:59. */
export const WALL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * The instant of wall-clock `hhmm` ("HH:MM") on the calendar day after `now`'s day in `zone` (IANA). The
 * day is the zone's, not UTC's: at 23:30 in Pacific/Auckland (10:30Z) "tomorrow" is the next Auckland day.
 * A time that does not exist that day (a spring-forward gap) moves forward by the gap; an ambiguous one
 * (fall-back) takes the earlier instant — the rules of DESIGN.md for series, via `localToInstant`.
 * Errors: DomainError `validation` on `field` for a malformed time or an unknown zone (on `timezone`).
 */
export function tomorrowAt(now: Date, zone: string, hhmm: string, field = 'tomorrow_at'): Date {
  const m = WALL_TIME.exec(hhmm);
  if (!m) throw invalid(field, `"${hhmm}" is not a wall-clock time HH:MM (00:00 to 23:59)`);
  const name = checkZone('timezone', zone);
  const today = DateTime.fromMillis(now.getTime(), { zone: ianaZone(name) ?? 'UTC' });
  // Calendar arithmetic on the date alone (no time, no zone), so a DST change today cannot shift the day.
  const next = DateTime.utc(today.year, today.month, today.day).plus({ days: 1 });
  return localToInstant(
    { year: next.year, month: next.month, day: next.day, hour: Number(m[1]), minute: Number(m[2]) },
    name,
  );
}

/** A snooze decided: when the reminder fires again, and the choice as its event records it. */
export interface SnoozePlan {
  /** UTC ISO instant, after `now` and at most 30 days later (nominal days: an hour more across DST). */
  remind_at: string;
  /** `{for: canonical duration}`, `{until: instant}` or `{tomorrow_at, timezone}`. */
  choice: Record<string, string>;
}

/**
 * The instant a snooze choice names, from `now`, in the task's user's `zone` unless the choice names one.
 * Errors: DomainError `validation` naming the field (`for`, `until`, `tomorrow_at`, `timezone`) for a malformed value, an instant not after now, one
 * more than 30 days ahead, or not exactly one choice given.
 */
export function planSnooze(choice: SnoozeChoice, now: Date, zone: string, dayZone: string = zone): SnoozePlan {
  const given = (['for', 'until', 'tomorrow_at'] as const).filter(
    (k) => (choice as Record<string, unknown>)[k] !== undefined,
  );
  if (given.length !== 1)
    throw invalid(given[1] ?? 'for', 'give exactly one of for (a duration), until (an instant) or tomorrow_at (HH:MM)');
  if ('for' in choice && choice.for !== undefined) {
    // Days are nominal (RFC 5545 §3.3.6), as a reminder's offset is: P1D at 09:00 is 09:00 tomorrow across DST.
    const offset = parseDuration('for', choice.for, { max: MAX_SNOOZE_SECONDS });
    return { remind_at: plusOffset(now.toISOString(), offset, dayZone), choice: { for: offset.canonical } };
  }
  if ('until' in choice && choice.until !== undefined) {
    const at = readInstant('until', choice.until, zone);
    return { remind_at: within('until', ms(at), now), choice: { until: at } };
  }
  const { tomorrow_at: hhmm, timezone } = choice as { tomorrow_at: string; timezone?: string };
  const name = checkZone('timezone', timezone ?? zone);
  const at = tomorrowAt(now, name, hhmm);
  return { remind_at: within('tomorrow_at', at.getTime(), now), choice: { tomorrow_at: hhmm, timezone: name } };
}

function within(field: string, at: number, now: Date): string {
  const iso = new Date(at).toISOString();
  if (at <= now.getTime()) throw invalid(field, `${iso} is not in the future`);
  if (at > now.getTime() + MAX_SNOOZE_SECONDS * 1000)
    throw invalid(field, `${iso} is more than ${MAX_SNOOZE_SECONDS / 86_400} days ahead`);
  return iso;
}
