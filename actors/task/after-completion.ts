// Series mode `after_completion` ("every 3 days after I finish": Todoist's `every!`, Tasks.org's "repeat
// from completion date"). Pure, like the rest of the decider: the completion instant comes in as an
// argument.
//
// Semantics (DESIGN.md "Series mode after_completion"; README "Repeat after completion"):
// - The series spawns its first instance as a calendar series does (at `next_occurrence`, the rule's first
//   occurrence from the start). From then on it has no calendar: `next_occurrence` stays null while an
//   instance is open, and the next instance spawns in the same turn that completes the series' latest
//   instance (or deletes it: deleting the open instance skips it, the series goes on).
// - Its due time: take the completion instant's local date in the series' zone (the task's, else the
//   user's) at the series' wall-clock time of day (from its start, `dtstart_local`); call it D. Expand the
//   rule with DTSTART = D (RFC 5545 §3.3.10, COUNT left out) and take the first occurrence strictly after
//   D, and after the occurrence spawned last (so an instance completed more than a period early never
//   gets a successor at or before its own due time). The wall time maps to an instant as every series'
//   does (a time in a DST gap moves forward by the gap, an ambiguous one takes the first instant).
// - UNTIL ends the series as in calendar mode (no occurrence after it); COUNT is the number of instances
//   the series spawns in all (`spawn_count`).
// - Which rules: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY) with INTERVAL, COUNT or UNTIL, WKST, and plain
//   weekdays in BYDAY for WEEKLY ("every 2 weeks on Monday after I finish"). Parts that pin the calendar
//   (BYMONTHDAY, BYMONTH, ordinal BYDAY, BYDAY on another FREQ) or the time of day (BYHOUR, BYMINUTE)
//   have no meaning counted from a completion day: such a rule is refused (400), never changed.
import { invalid } from '../errors.ts';
import {
  localToInstant,
  nextOccurrence,
  parseRule,
  parseStart,
  type ParsedRule,
  type RecurrenceUntil,
} from '../recurrence/index.ts';
import { formatWall, seriesStart } from './series.ts';
import { RECURRENCE_MODES, type RecurrenceMode, type TaskState } from './state.ts';

/** `recurrence_mode` as given: one of RECURRENCE_MODES, else a DomainError `validation` on `recurrence_mode`. */
export function checkMode(value: unknown): RecurrenceMode {
  if (typeof value === 'string' && (RECURRENCE_MODES as readonly string[]).includes(value))
    return value as RecurrenceMode;
  throw invalid('recurrence_mode', `must be one of ${RECURRENCE_MODES.join(', ')}`);
}

/**
 * Why `rule` has no meaning counted from a completion day, or null when it has one (see the header).
 * `rule` is a rule parseRule accepts.
 */
export function afterCompletionProblem(rule: string | ParsedRule): string | null {
  const p = typeof rule === 'string' ? parseRule(rule) : rule;
  const pinned = (part: string, what: string) =>
    `${part} ${what}, which has no meaning counted from the day an instance is completed; after_completion takes FREQ with INTERVAL, COUNT or UNTIL, WKST, and plain weekdays in BYDAY for FREQ=WEEKLY (use recurrence_mode calendar for ${part})`;
  if (p.byMonthDay.length > 0) return pinned('BYMONTHDAY', 'pins days of the month');
  if (p.byMonth.length > 0) return pinned('BYMONTH', 'pins months of the year');
  if (p.byHour.length > 0 || p.byMinute.length > 0)
    return pinned(
      p.byHour.length > 0 ? 'BYHOUR' : 'BYMINUTE',
      'sets times of day (the series keeps the time of its start)',
    );
  if (p.byDay.some((b) => b.ordinal !== null)) return pinned('BYDAY', 'with an ordinal pins a weekday of the month');
  if (p.byDay.length > 0 && p.freq !== 'WEEKLY') return pinned('BYDAY', `on FREQ=${p.freq} filters calendar days`);
  return null;
}

/** Throws a DomainError `validation` on `field` when `rule` cannot be repeated after completion. */
export function checkAfterCompletionRule(rule: string, field: 'recurrence_rule' | 'recurrence_mode'): void {
  const problem = afterCompletionProblem(rule);
  if (problem !== null) throw invalid(field, `recurrence_mode after_completion: ${problem}`);
}

const two = (n: number): string => String(n).padStart(2, '0');

function untilText(u: RecurrenceUntil): string {
  if (u.kind === 'date') return `${String(u.year).padStart(4, '0')}${two(u.month)}${two(u.day)}`;
  const d = new Date(u.epochMs);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}T${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
}

/** The rule as expanded from a completion day: the same parts without COUNT (counted in `spawn_count` instead). */
export function openRule(p: ParsedRule): string {
  const parts = [`FREQ=${p.freq}`, `INTERVAL=${p.interval}`, `WKST=${p.wkst}`];
  if (p.byDay.length > 0) parts.push(`BYDAY=${p.byDay.map((b) => b.weekday).join(',')}`);
  if (p.until !== null) parts.push(`UNTIL=${untilText(p.until)}`);
  return parts.join(';');
}

/**
 * DTSTART of the expansion after a completion at `doneAt` (epoch ms): that instant's local date in `zone`
 * at the series' wall-clock time of day, as `YYYY-MM-DDTHH:MM:SS`.
 */
export function completionStart(
  series: Pick<TaskState, 'dtstart_local' | 'due_date'>,
  doneAt: number,
  zone: string,
): string {
  const time = parseStart(seriesStart(series, zone), zone);
  const day = parseStart(new Date(doneAt), zone);
  return formatWall({ ...day, hour: time.hour, minute: time.minute, second: time.second });
}

/**
 * The due time (UTC ISO) of the instance an after-completion series spawns when its latest instance is
 * completed (or deleted) at `doneAt` (epoch ms), or null when the series has ended (COUNT instances
 * spawned, or no occurrence up to UNTIL). `zone` is the series' zone. Throws RecurrenceError only for a
 * rule or start the series could not have been created with.
 */
export function nextAfterCompletion(
  series: Pick<TaskState, 'recurrence_rule' | 'dtstart_local' | 'due_date' | 'last_spawned_at' | 'spawn_count'>,
  doneAt: number,
  zone: string,
): string | null {
  if (series.recurrence_rule === null) return null;
  const p = parseRule(series.recurrence_rule);
  if (p.count !== null && series.spawn_count >= p.count) return null;
  const start = completionStart(series, doneAt, zone);
  const from = localToInstant(parseStart(start, zone), zone).getTime();
  const floor = series.last_spawned_at === null ? from : Math.max(from, Date.parse(series.last_spawned_at));
  const next = nextOccurrence(openRule(p), start, zone, new Date(floor));
  return next === null ? null : next.toISOString();
}

/**
 * Whether an after-completion series is waiting for its latest instance to be completed: it has spawned,
 * and nothing is scheduled on its calendar. Edits and zone changes keep such a series waiting.
 */
export function awaitingCompletion(
  series: Pick<TaskState, 'recurrence_mode' | 'last_spawned_at' | 'next_occurrence'>,
): boolean {
  return (
    series.recurrence_mode === 'after_completion' && series.last_spawned_at !== null && series.next_occurrence === null
  );
}
