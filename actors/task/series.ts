// A series' start as the user wrote it. A series is expanded from its first wall-clock start in its
// zone, not from its first instant: a start inside a DST gap ("2027-03-14T02:30" in America/New_York)
// has its first instant moved forward by the gap (07:30Z, 03:30 local), but every later occurrence is
// at 02:30 local again. Keeping only the instant would turn the series into a 03:30 one for good.
// Source of the rule: DESIGN.md, "a series keeps its wall-clock start as written, even when that time
// falls in a gap on its first day"; RFC 5545 §3.3.5 (a nonexistent DTSTART is read with the offset
// before the gap, and only that instance moves).
import { invalid } from '../errors.ts';
import { parseStart, RecurrenceError, type WallClock } from '../recurrence/index.ts';
import type { TaskState } from './state.ts';
import { sameZone } from '../zone.ts';

/**
 * A date-time without offset, as `readInstant` accepts it: date, optional time, optional fraction, optional
 * RFC 9557 zone suffix (group 7: the zone it was written in).
 */
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?(?:\[!?([^\]]+)\])?$/;

const two = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DDTHH:MM:SS`, the form `dtstart_local` is kept in. */
export function formatWall(w: WallClock): string {
  return `${String(w.year).padStart(4, '0')}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}:${two(w.second)}`;
}

/**
 * The wall-clock time written in `text` for a series in `zone` when it has no offset (`2027-03-14T02:30` →
 * `2027-03-14T02:30:00`; a date alone is 00:00; fractions of a second are dropped), or null when it
 * names an instant (`Z` or an offset) or was written in another zone (an RFC 9557 suffix naming another
 * zone than `zone`, links resolved: its wall clock is not the series'). Meant for text `readInstant` has already accepted.
 */
export function writtenWall(text: string, zone: string): string | null {
  const m = LOCAL.exec(text);
  if (!m) return null;
  if (m[7] !== undefined && !sameZone(m[7], zone)) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}`;
}

/**
 * The wall-clock start to keep for a series whose due date was given as `written` and read as the
 * instant `instant` (UTC ISO) in `zone`: the time as written when it had no offset and named no other zone
 * (`writtenWall`), else that instant's wall-clock time in `zone`. Throws a DomainError `validation` on `field` for a start the recurrence
 * module cannot expand (years outside 1000–9999).
 */
export function startOf(field: string, written: string | null, instant: string, zone: string): string {
  const wall = written === null ? null : writtenWall(written, zone);
  try {
    return formatWall(parseStart(wall ?? new Date(instant), zone));
  } catch (error) {
    if (error instanceof RecurrenceError) throw invalid(field, `cannot start a series: ${error.message}`);
    throw error;
  }
}

/**
 * What every expansion of a series in `zone` starts from: its wall-clock start (text without offset,
 * which the recurrence module reads in the series' zone); its due date (the instant) when that is the
 * second pass of the same wall-clock time in a repeated (fall-back) hour, which the wall time alone would
 * read as the first pass, an hour early (the series' due date is its first occurrence, README "Series");
 * or, for a series written before the wall-clock start was kept, its first instant.
 */
export function seriesStart(task: Pick<TaskState, 'dtstart_local' | 'due_date'>, zone: string): string | Date {
  const { dtstart_local, due_date } = task;
  if (dtstart_local === null || dtstart_local === undefined) return new Date(due_date ?? Number.NaN);
  if (due_date !== null && due_date !== undefined) {
    let due: ReturnType<typeof parseStart> | undefined;
    try {
      due = parseStart(new Date(due_date), zone);
    } catch (error) {
      // An unreadable zone or year is the expansion's to report, from the wall-clock start below.
      if (!(error instanceof RecurrenceError)) throw error;
    }
    if (due?.at !== undefined && formatWall(due) === dtstart_local) return new Date(due_date);
  }
  return dtstart_local;
}
