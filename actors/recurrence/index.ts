/**
 * Recurrence rules (a strict subset of RFC 5545 RRULE) expanded in an IANA time zone: the public API
 * of actors/recurrence/. Importers use this module only.
 *
 * Pure: no I/O, no clock, and no dependence on the host's TZ.
 *
 * Design
 * - Rule semantics are RFC 5545's as python-dateutil and npm `rrule` implement them (the oracle test
 *   checks against dateutil, a property test against rrule.js). The expansion is our own because
 *   rrule.js walks a DAILY rule day by day up to year 9999 with no way to bound it: a sparse rule
 *   (Feb 29 that is a Monday, INTERVAL=2) took 10-30 s of the event loop. Here a rule is expanded
 *   month by month from a table of matching days per month shape (plan.ts), with a step budget
 *   (EXPANSION_BUDGET, budget.ts) that every supported rule provably fits; see `enumerate` (expand.ts).
 * - The first start's wall-clock time is encoded as a "floating" time (`Date.UTC(y, m-1, d, h, mi,
 *   s)`, calendar.ts), the rule is expanded in floating time, and every floating result is mapped to
 *   a real instant by exactly one function, `floatingToInstant` (local-time.ts, exported here as
 *   `localToInstant`), using luxon's zone offsets. Zone names are validated by actors/zone.ts only.
 * - A wall time inside a spring-forward gap is read with the offset in force before the gap, i.e.
 *   it moves forward by the gap length (RFC 5545 errata 4271). An ambiguous fall-back wall time
 *   takes the earlier instant, but a start given as an instant on the second pass is that instant
 *   (start.ts StartWall: the first occurrence is where the series was started).
 * - Because of the gap rule the floating -> instant mapping is not strictly monotonic (a wall time
 *   in a gap can land after a later wall time just past the gap), so windows are expanded with a
 *   two-day floating margin, filtered by real instants, sorted, and de-duplicated (two wall times
 *   can map to the same instant, e.g. 02:30 and 03:30 on a spring-forward day).
 * - COUNT counts floating rule instances from the start (RFC 5545: DTSTART is the first instance
 *   when it matches the rule); duplicates produced by a gap are emitted once.
 * - UNTIL in UTC form is an inclusive instant. UNTIL as a date (YYYYMMDD) means "up to the end of
 *   that local day", i.e. wall-clock time <= YYYY-MM-DD 23:59:59.
 *
 * Files, in dependency order: errors.ts (RecurrenceError), calendar.ts (floating time, month tables),
 * local-time.ts (zone offsets, floating <-> instant), day-filter.ts (the BYMONTH/BYMONTHDAY/BYDAY
 * filter), rule.ts (RRULE parsing), start.ts (DTSTART, localToInstant), plan.ts (one rule from one
 * start), budget.ts (step budget, series bound), expand.ts (occurrences).
 */
export { RecurrenceError, type RecurrenceErrorCode } from './errors.ts';
export type { RecurrenceByDay, WallClock, WeekdayCode } from './calendar.ts';
export { daysInMonth } from './calendar.ts';
export {
  MAX_RULE_LENGTH,
  MAX_TIMES_PER_DAY,
  formatRule,
  parseRule,
  validateRule,
  type ParsedRule,
  type RecurrenceFrequency,
  type RecurrenceUntil,
} from './rule.ts';
export { localToInstant, parseStart, type StartWall } from './start.ts';
export { EXPANSION_BUDGET, MAX_OCCURRENCE_LIMIT, checkSeries, expansionBound, type ExpansionMeter } from './budget.ts';
export { nextOccurrence, occurrences, type OccurrenceOptions } from './expand.ts';
