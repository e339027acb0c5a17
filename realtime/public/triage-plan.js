// What "Move all to tomorrow" (triage.js) does with the Overdue view's tasks. Pure: no imports, no clock.

/**
 * `overdue`: the open, non-series tasks the Overdue view shows; `upcoming`: GET /tasks?view=upcoming's tasks;
 * `tomorrow`: tomorrow's local date (YYYY-MM-DD); `dayOf(task)`: the local date a task is due on. Answers
 * `move` — every one-off task, and of each series its newest missed occurrence unless the series has another
 * open occurrence due by the end of tomorrow — and `skip`: the series' other missed occurrences (moving each
 * would put as many copies of a daily task on tomorrow, beside the one its series brings).
 */
export function triagePlan(overdue, upcoming, tomorrow, dayOf) {
  const move = [];
  const bySeries = new Map();
  for (const task of overdue) {
    if (!task.series_id) move.push(task);
    else bySeries.set(task.series_id, [...(bySeries.get(task.series_id) ?? []), task]);
  }
  const skip = [];
  const order = (t) => t.occurrence_at ?? t.due_date ?? '';
  for (const [seriesId, missed] of bySeries) {
    missed.sort((a, b) => order(a).localeCompare(order(b)));
    const ids = new Set(missed.map((t) => t.id));
    const soon = upcoming.some(
      (u) => u.series_id === seriesId && !u.completed && !ids.has(u.id) && dayOf(u) <= tomorrow,
    );
    const newest = missed.at(-1);
    if (soon || newest === undefined) skip.push(...missed);
    else {
      move.push(newest);
      skip.push(...missed.slice(0, -1));
    }
  }
  return { move, skip };
}
