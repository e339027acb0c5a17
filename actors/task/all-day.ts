// All-day tasks (issue 16; DESIGN.md "Growing the model"): a due date given as a date alone
// (`2026-12-24`) is a floating calendar date in the task's zone (its own, else the user's), as RFC 5545
// DTSTART;VALUE=DATE / DUE;VALUE=DATE and the todo apps people use (Todoist, Things, Tasks.org) read it.
//
// Representation (state, row, events, API alike):
// - `due_day`: the date, `YYYY-MM-DD`; null for a timed task. The response adds `all_day: due_day !== null`.
// - `due_date`: still an instant, the first instant of that local day in the task's zone (00:00, or the
//   end of a DST gap when midnight does not exist). Sorting, `due_before`/`due_after` and keyset cursors
//   read it; a zone change moves it so that `due_day` stays the same date.
// - Reminders: `{at_time: "HH:MM", days_before: N}`: wall-clock time in the task's zone on the day
//   (N = 0) or N days before it; a time in a DST gap moves forward by the gap, an ambiguous one takes the
//   earlier instant (the one rule for local times, actors/recurrence local-time.ts).
// Pure: no I/O, no clock.
import { DateTime } from 'luxon';
import { invalid, fieldIn } from '../errors.ts';
import { readInstant } from './time.ts';

/** A date alone, as the API takes an all-day due date. */
export const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A wall-clock time of day, `HH:MM` (00:00–23:59). */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** The most days before its day an all-day reminder may fire (the reminders table's CHECK, migration 008). */
export const MAX_DAYS_BEFORE = 366;

/**
 * A due date as written: a date alone is an all-day date (`due_day`, with `due_date` the first instant of
 * that day in `zone`); anything else is an instant read by `readInstant` (`due_day` null).
 * Throws a DomainError `validation` naming `field` for what `readInstant` refuses.
 */
export function readDue(field: string, value: string, zone: string): { due_date: string; due_day: string | null } {
  const due_date = readInstant(field, value, zone);
  return { due_date, due_day: typeof value === 'string' && DATE_ONLY.test(value) ? value : null };
}

/**
 * The first instant (UTC ISO) of the local day `day` (`YYYY-MM-DD`) in `zone`: 00:00, or the end of the
 * gap when a DST change skips midnight. Throws a DomainError `validation` naming `field` when that instant
 * lies outside years 0001–9999 once in UTC.
 */
export function dayStart(field: string, day: string, zone: string): string {
  return readInstant(field, day, zone);
}

/** The local calendar date (`YYYY-MM-DD`) of the instant `instant` (UTC ISO) in `zone`. */
export function dayOf(instant: string, zone: string): string {
  return DateTime.fromISO(instant, { zone }).toISODate() as string;
}

/** `day` (`YYYY-MM-DD`) moved by `days` calendar days (proleptic Gregorian). */
export function addDays(day: string, days: number): string {
  const m = DATE_ONLY.exec(day);
  if (!m) throw new Error(`not a date: ${day}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/**
 * When an all-day reminder fires (UTC ISO): `at_time` (`HH:MM`) wall-clock in `zone`, `days_before` days
 * before `day`. Across a DST change it stays at that wall-clock time. Throws a DomainError `validation`
 * naming `field` when the instant lies outside years 0001–9999 once in UTC.
 */
export function dayReminderAt(field: string, day: string, days_before: number, at_time: string, zone: string): string {
  return readInstant(field, `${addDays(day, -days_before)}T${at_time}`, zone);
}

/** Checks a reminder's `at_time` (`HH:MM`) and `days_before` (0–MAX_DAYS_BEFORE, default 0), naming `field.…` in errors. */
export function checkDayReminder(
  field: string,
  at_time: unknown,
  days_before: unknown,
): { at_time: string; days_before: number } {
  if (typeof at_time !== 'string' || !TIME_OF_DAY.test(at_time))
    throw invalid(
      fieldIn(field, 'at_time'),
      "must be a time of day HH:MM (00:00 to 23:59), wall clock in the task's zone",
    );
  const n = days_before === undefined || days_before === null ? 0 : days_before;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_DAYS_BEFORE)
    throw invalid(
      fieldIn(field, 'days_before'),
      `must be a whole number of days from 0 (on the day) to ${MAX_DAYS_BEFORE}`,
    );
  return { at_time, days_before: n };
}

/**
 * RFC 5545 §3.8.5.3: with a DATE start, BYHOUR, BYMINUTE and BYSECOND do not apply. An all-day series
 * with them is refused (400 on `field`, default `recurrence_rule`) rather than given times of day.
 */
export function checkAllDayRule(rule: string, field = 'recurrence_rule'): void {
  const part = /(?:^|;)\s*(BYHOUR|BYMINUTE|BYSECOND)\s*=/i.exec(rule);
  if (part)
    throw invalid(
      field,
      `${(part[1] as string).toUpperCase()} does not apply to an all-day series (its start is a date, RFC 5545 DTSTART;VALUE=DATE)`,
    );
}
