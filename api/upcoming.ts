// The series occurrences of GET /views/upcoming, with one step budget for the whole request: a user may
// hold many series, each costly to expand (a COUNT rule is counted from its first start, which may lie in
// year 1000), and each expansion is bounded only by its own EXPANSION_BUDGET. Expanded one after another
// in one synchronous loop, 300 such series held the event loop ~2 s. Here the request has one budget,
// the event loop is yielded between series, and whatever is left out is counted, never silently dropped.
import { EXPANSION_BUDGET, RecurrenceError, occurrences, type ExpansionMeter } from '../actors/recurrence/index.ts';
import { seriesStart } from '../actors/task/index.ts';
import type { SeriesTask } from './ports.ts';
import { DateTime } from 'luxon';
import { ianaZone } from '../actors/zone.ts';

/**
 * Steps (actors/recurrence/budget.ts) one request may spend on all its series together: EXPANSION_BUDGET,
 * so the costliest single series still fits (~50 ms of work on this kind of machine, in slices).
 */
export const UPCOMING_BUDGET = EXPANSION_BUDGET;
/** Series read per request (the soonest first); more are counted as left out. */
export const MAX_UPCOMING_SERIES = 1000;
/** At most this many occurrences per series, and in all. */
export const MAX_OCCURRENCES_PER_SERIES = 200;
export const MAX_OCCURRENCES = 2000;

export interface UpcomingOccurrence {
  series_id: string;
  title: string;
  /** UTC ISO instant. */
  at: string;
  /** Present (true) for an occurrence of an all-day series: `at` is the first instant of its day in its zone. */
  all_day?: true;
  /**
   * An all-day occurrence's date (`YYYY-MM-DD`) in its series' zone: the day it is on for everyone, as a
   * task's `due_day` is, wherever the viewer is (Saturday in Tokyo is still Saturday in New York).
   */
  date?: string;
  /**
   * Present (true) on a calendar series' next occurrence while none of its occurrences is open: POST
   * /tasks/{series_id}/complete completes it ahead of its time (else that is a 409 naming the open one).
   */
  completable?: true;
}

export interface UpcomingExpansion {
  /** Ascending by `at`, then series id; at most MAX_OCCURRENCES. */
  occurrences: UpcomingOccurrence[];
  /** Series whose occurrences in the window are missing or incomplete (budget spent, a cap reached, not read). */
  seriesLeftOut: number;
  /** The ids of those that were read (the unread ones have none here): a caller that leaves out more counts each series once. */
  leftOutIds: ReadonlySet<string>;
  /** Steps spent, at most `budget`. */
  steps: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const DAY_MS = 86_400_000;

/**
 * The instant the occurrences a series has not spawned yet come strictly after, from `now` on: its
 * next_occurrence, which its decider keeps (after a zone change, the first in the new zone past where it
 * stood; counted from the instant after the last spawn, a move west listed again the occurrence already
 * spawned, beside its instance). Null: the series has ended, or waits for a completion to know its next.
 */
export function notSpawnedAfter(series: Pick<SeriesTask, 'next_occurrence'>, now: Date): Date | null {
  if (series.next_occurrence === null) return null;
  return new Date(Math.max(now.getTime(), Date.parse(series.next_occurrence)) - 1);
}

/**
 * The occurrences in [now, end) of `series` (ordered soonest first, as host/reads.ts `series` gives them)
 * that are not spawned yet, in each series' zone (else `zone`). `unread` counts the user's series that
 * were not read (over MAX_UPCOMING_SERIES). Spends at most `budget` steps in all; the event loop is
 * yielded before each series. A series that does not fit in what is left, or whose stored rule cannot be
 * expanded, is left out and counted, as is every series after the budget is spent.
 */
export async function upcomingOccurrences(
  series: readonly SeriesTask[],
  window: { now: Date; end: Date; zone: string; unread?: number; budget?: number },
): Promise<UpcomingExpansion> {
  const budget = window.budget ?? UPCOMING_BUDGET;
  const endMs = window.end.getTime();
  const leftOut = new Set<string>();
  const found: UpcomingOccurrence[] = [];
  let steps = 0;
  for (const [index, s] of series.entries()) {
    if (!s.recurrence_rule || !s.due_date) continue;
    if (steps >= budget) {
      for (const rest of series.slice(index)) if (rest.recurrence_rule && rest.due_date) leftOut.add(rest.id);
      break;
    }
    if (index > 0) await yieldToLoop();
    const after = notSpawnedAfter(s, window.now);
    if (after === null) continue;
    const meter: ExpansionMeter = { steps: 0 };
    const zone = s.timezone ?? window.zone;
    // An all-day occurrence belongs to its date, not its instant: a day of a series in a zone west of the
    // viewer's may start after the window's last instant, so those are expanded a day further.
    const until = s.due_day ? new Date(endMs + DAY_MS) : window.end;
    let list: Date[];
    try {
      list = occurrences(s.recurrence_rule, seriesStart(s, zone), zone, {
        after,
        until,
        // An after-completion series has only its scheduled first instance ahead: the rest follow completions.
        limit: s.recurrence_mode === 'after_completion' ? 1 : MAX_OCCURRENCES_PER_SERIES + 1,
        budget: budget - steps,
        meter,
      });
    } catch (error) {
      if (!(error instanceof RecurrenceError)) throw error;
      steps = Math.min(budget, steps + meter.steps);
      leftOut.add(s.id);
      continue;
    }
    steps += meter.steps;
    if (list.length > MAX_OCCURRENCES_PER_SERIES) leftOut.add(s.id);
    const completable = s.recurrence_mode === 'calendar' && s.open_occurrence === false;
    for (const [i, at] of list.slice(0, MAX_OCCURRENCES_PER_SERIES).entries()) {
      if (at.getTime() < until.getTime())
        found.push({
          series_id: s.id,
          title: s.title,
          at: at.toISOString(),
          ...(i === 0 && completable && at.toISOString() === s.next_occurrence ? { completable: true as const } : {}),
          ...(s.due_day
            ? {
                all_day: true as const,
                date: DateTime.fromJSDate(at, { zone: ianaZone(zone) ?? 'UTC' }).toISODate() ?? '',
              }
            : {}),
        });
    }
  }
  found.sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : a.series_id < b.series_id ? -1 : a.series_id > b.series_id ? 1 : 0,
  );
  for (const dropped of found.slice(MAX_OCCURRENCES)) leftOut.add(dropped.series_id);
  return {
    occurrences: found.slice(0, MAX_OCCURRENCES),
    seriesLeftOut: leftOut.size + (window.unread ?? 0),
    leftOutIds: leftOut,
    steps,
  };
}
