// The views' windows (Today, Upcoming, Overdue, recently Completed) as instants, computed in the user's
// zone: "today" is the user's local calendar day, whatever the server's or UTC's day is (issue 15).
import { DateTime } from 'luxon';
import type { TaskFilter, ViewWindows } from './ports.ts';

/** How far back "recently completed" reaches (GET /views/counts completed_recent). */
export const RECENT_DAYS = 7;
/** The Upcoming window: from now through the end of local day today + UPCOMING_DAYS. */
export const UPCOMING_DAYS = 7;

export type View = 'today' | 'upcoming' | 'overdue' | 'completed' | 'assigned';

/**
 * The windows at `now` in the IANA zone `zone` (the user's): the end of today (local midnight, exclusive),
 * the end of local day today + `days`, and the start of the recent-completion window. A local midnight in
 * a DST gap is the first instant of that day (luxon's startOf).
 */
export function windowsOf(zone: string, now: Date, days = UPCOMING_DAYS): ViewWindows {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  return {
    now: now.toISOString(),
    todayEnd: today.plus({ days: 1 }).toUTC().toISO() as string,
    upcomingEnd: today
      .plus({ days: days + 1 })
      .toUTC()
      .toISO() as string,
    recentSince: new Date(now.getTime() - RECENT_DAYS * 86_400_000).toISOString(),
    today: today.toISODate() as string,
    tomorrow: today.plus({ days: 1 }).toISODate() as string,
    upcomingEndDay: today.plus({ days: days + 1 }).toISODate() as string,
  };
}

/** The local days of the Upcoming window: today through today + `days`, each `YYYY-MM-DD` with its [start, end) as instants. */
export function daysOf(zone: string, now: Date, days = UPCOMING_DAYS): { date: string; start: string; end: string }[] {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  return Array.from({ length: days + 1 }, (_, i) => {
    const start = today.plus({ days: i });
    return {
      date: start.toISODate() as string,
      start: start.toUTC().toISO() as string,
      end: start.plus({ days: 1 }).toUTC().toISO() as string,
    };
  });
}

/**
 * A view as GET /tasks filters: which tasks, and the order it lists them in unless the request says another.
 * A timed task is placed by its instant, an all-day task by its date in the user's zone (`w.today`): it is
 * due today all day long and overdue only once its day has ended (issue 16).
 */
export function viewFilter(
  view: View,
  w: ViewWindows,
): {
  completed: boolean;
  window?: NonNullable<TaskFilter['window']>;
  completed_after?: string;
  no_series: boolean;
  sort: 'due' | 'completed';
  order: 'asc' | 'desc';
} {
  switch (view) {
    case 'today':
      return {
        completed: false,
        window: { due_before: w.todayEnd, day_before: w.tomorrow },
        no_series: true,
        sort: 'due',
        order: 'asc',
      };
    case 'upcoming':
      return {
        completed: false,
        window: { due_after: w.now, due_before: w.upcomingEnd, day_from: w.today, day_before: w.upcomingEndDay },
        no_series: true,
        sort: 'due',
        order: 'asc',
      };
    case 'overdue':
      return {
        completed: false,
        window: { due_before: w.now, day_before: w.today },
        no_series: true,
        sort: 'due',
        order: 'asc',
      };
    case 'completed':
      return { completed: true, no_series: false, sort: 'completed', order: 'desc' };
    // Open tasks assigned to the caller (the route adds `assignee`), series too (a repeating task assigned
    // is one, as in a list), soonest due first, undated last.
    case 'assigned':
      return { completed: false, no_series: false, sort: 'due', order: 'asc' };
  }
}
