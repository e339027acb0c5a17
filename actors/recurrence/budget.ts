/**
 * The step budget of an expansion: work counted, not timed, so a hostile rule is refused or stopped
 * deterministically instead of holding the event loop.
 */
import { MAX_YEAR, monthIndexOf } from './calendar.ts';
import { RecurrenceError } from './errors.ts';
import { resolveZone } from './local-time.ts';
import { ruleFloatingUpper, timesOfDay } from './plan.ts';
import { resolveRule, type ParsedRule } from './rule.ts';
import { parseStartInZone } from './start.ts';

/** Most occurrences one call returns (`OccurrenceOptions.limit` is capped at it). */
export const MAX_OCCURRENCE_LIMIT = 1000;

/**
 * The work one expansion may do, in steps: one per calendar month the expansion looks at, plus one
 * per candidate wall time it considers. Counted, not timed, so it is deterministic.
 *
 * Months outside BYMONTH, and months or years off the INTERVAL phase of MONTHLY / YEARLY, are
 * jumped over arithmetically; each visited month costs one table look-up of its matching days
 * (`monthMask`), never a day-by-day walk, whatever the INTERVAL. So one call costs at most
 *   months from the start to the end of the series (start years >= 1000, so <= 12 × 9,000 = 108,000)
 * + candidates (COUNT <= 10,000; without COUNT <= 2 × limit + 12 days × MAX_TIMES_PER_DAY = 2,288)
 * = 118,000 at worst, under this budget: every rule of the supported subset fits, from any start.
 * `expansionBound` gives the bound of one series; `checkSeries` refuses a series whose bound is
 * over the budget when it is created or changed. An expansion that still reaches the budget stops
 * with RecurrenceError 'budget_exceeded' (a bug, never a spin).
 */
export const EXPANSION_BUDGET = 150_000;

/** Candidates beyond `limit` an expansion without COUNT may consider: edge days around `after` / `until`. */
export const EDGE_DAYS = 12;

/** Steps taken by one expansion; pass one in `OccurrenceOptions.meter` to read it. */
export interface ExpansionMeter {
  steps: number;
}

export interface Budget {
  readonly meter: ExpansionMeter;
  readonly limit: number;
}

export function spend(budget: Budget, steps: number): void {
  budget.meter.steps += steps;
  if (budget.meter.steps > budget.limit) {
    throw new RecurrenceError(
      'budget_exceeded',
      `recurrence_rule: expanding this rule needs more than ${budget.limit} steps (EXPANSION_BUDGET)`,
      'RRULE',
    );
  }
}

export function budgetOf(opts: { budget?: number; meter?: ExpansionMeter }): Budget {
  const limit = opts.budget ?? EXPANSION_BUDGET;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError('occurrences: opts.budget must be a positive integer');
  }
  const meter = opts.meter ?? { steps: 0 };
  meter.steps = 0;
  return { meter, limit };
}

/**
 * Upper bound, in steps, of any expansion of this series (any `after`, `until`, and `limit` up to
 * 1000): the months from the start's month to the series' end (UNTIL, else December 9999), plus
 * COUNT, or without COUNT 2 × 1000 (accepted instants and the gap duplicates of them) + 12 edge
 * days × the times of a day. See EXPANSION_BUDGET.
 */
export function expansionBound(rule: string | ParsedRule, start: string | Date, zone: string): number {
  const p = resolveRule(rule);
  const startWall = parseStartInZone(start, resolveZone(zone));
  const upper = ruleFloatingUpper(p);
  const lastMonthIndex = Math.min(MAX_YEAR * 12 + 11, upper === undefined ? Infinity : monthIndexOf(upper));
  const months = Math.max(0, lastMonthIndex - (startWall.year * 12 + (startWall.month - 1)) + 1);
  const candidates = p.count ?? 2 * MAX_OCCURRENCE_LIMIT + EDGE_DAYS * timesOfDay(p, startWall).length;
  return months + candidates;
}

/**
 * Refuses a series whose expansion could exceed EXPANSION_BUDGET, so a stored series never stalls a
 * timer: call it when a series is created or its rule, start or zone changes. Throws the
 * RecurrenceErrors of `occurrences` ('budget_exceeded' naming RRULE when over the budget).
 */
export function checkSeries(rule: string | ParsedRule, start: string | Date, zone: string): void {
  const bound = expansionBound(rule, start, zone);
  if (bound > EXPANSION_BUDGET) {
    throw new RecurrenceError(
      'budget_exceeded',
      `recurrence_rule: expanding this series could take ${bound} steps, more than the budget of ${EXPANSION_BUDGET}`,
      'RRULE',
    );
  }
}
