// The views' windows (Today, Upcoming, Overdue, recently Completed) as instants, computed in the user's
// zone: "today" is the user's local calendar day, whatever the server's or UTC's day is (issue 15).
import { addDays, dayOf, dayStart } from '../actors/task/all-day.ts';
import type { TaskFilter, ViewWindows } from './ports.ts';

/** How far back "recently completed" reaches (GET /views/counts completed_recent). */
export const RECENT_DAYS = 7;
/** The Upcoming window: from now through the end of local day today + UPCOMING_DAYS. */
export const UPCOMING_DAYS = 7;

export type View = 'today' | 'upcoming' | 'overdue' | 'completed' | 'assigned';

/**
 * The windows at `now` in the IANA zone `zone` (the user's): the end of today (the first instant of
 * tomorrow, exclusive), the end of local day today + `days`, and the start of the recent-completion window.
 * Each day starts at its own first instant (actors/task/all-day.ts dayStart): where a DST change skips a
 * midnight (America/Santiago, Asia/Beirut, America/Havana) that day starts at 01:00, and the next one at
 * 00:00 again. Adding a day to today's start kept the 01:00 (luxon keeps the wall time) and put the first
 * hour of tomorrow in Today.
 */
export function windowsOf(zone: string, now: Date, days = UPCOMING_DAYS): ViewWindows {
  const today = dayOf(now.toISOString(), zone);
  return {
    now: now.toISOString(),
    todayEnd: dayStart('timezone', addDays(today, 1), zone),
    upcomingEnd: dayStart('timezone', addDays(today, days + 1), zone),
    recentSince: new Date(now.getTime() - RECENT_DAYS * 86_400_000).toISOString(),
    today,
    tomorrow: addDays(today, 1),
    upcomingEndDay: addDays(today, days + 1),
  };
}

/** The local days of the Upcoming window: today through today + `days`, each `YYYY-MM-DD` with its [start, end) as instants. */
export function daysOf(zone: string, now: Date, days = UPCOMING_DAYS): { date: string; start: string; end: string }[] {
  const today = dayOf(now.toISOString(), zone);
  return Array.from({ length: days + 1 }, (_, i) => {
    const date = addDays(today, i);
    return { date, start: dayStart('timezone', date, zone), end: dayStart('timezone', addDays(date, 1), zone) };
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
