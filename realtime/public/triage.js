// Overdue triage (a user's pass: twelve overdue tasks took three clicks each): the Overdue view moves
// every task it shows to tomorrow at once — a timed one at its time of day, in the zone it is shown in,
// an all-day one to tomorrow's date (due.js DUE_SHORTCUTS, as the editor's Tomorrow) — and one Undo
// takes all of them back (undo.js, by the one correlation id the writes share).
// A repeating task's missed occurrences are not each moved (a later pass: a daily task missed five days
// became five copies due tomorrow, beside the one its series spawns): of each series only the newest is
// moved, and only when the series has nothing due by the end of tomorrow; the others are skipped (deleted,
// as the series has moved on), and the toast says so.
import { getState, taskZone, userZone } from './store.js';
import { api, act } from './api.js';
import { toast } from './toasts.js';
import { upsertTask, removeTask } from './tasks.js';
import { visibleTasks, localDate, addDays, dueDayOf } from './views.js';
import { DUE_SHORTCUTS, writtenIn } from './due.js';
import { toLocalInput } from './time.js';
import { triagePlan } from './triage-plan.js';
import { newCorrelation, undoEdits, undoDeletes, UNDO_MS } from './undo.js';

const TOMORROW = DUE_SHORTCUTS.find(([name]) => name === 'Tomorrow')?.[1];

/** The Overdue view's tasks moved to tomorrow (see triagePlan); a toast says how many, with one Undo for all. */
export async function moveOverdueToTomorrow(button) {
  const overdue = visibleTasks(getState()).filter((t) => !t.completed && !t.is_recurring);
  if (!overdue.length || !TOMORROW) return;
  const correlation = newCorrelation();
  const moved = [];
  const skipped = [];
  let failed = 0;
  await act(
    button,
    async () => {
      const now = Date.now();
      const upcoming = overdue.some((t) => t.series_id)
        ? (await api('GET', '/tasks?view=upcoming&limit=200')).tasks
        : [];
      const zone = userZone();
      const tomorrow = addDays(localDate(now, zone), 1);
      const plan = triagePlan(overdue, upcoming, tomorrow, (task) => dueDayOf(task, zone));
      const headers = (task) => ({ 'if-match': String(task.version), 'x-correlation-id': correlation });
      for (const task of plan.move) {
        const zone = taskZone(task);
        const value = task.due_day ?? toLocalInput(task.due_date, zone);
        const due = writtenIn(TOMORROW(value, zone, now, task.due_day !== null), zone);
        try {
          upsertTask(await api('PATCH', `/tasks/${task.id}`, { due_date: due }, headers(task)));
          moved.push(task);
        } catch {
          failed++; // changed elsewhere meanwhile (412), or gone: left as it is, and counted
        }
      }
      for (const task of plan.skip) {
        try {
          await api('DELETE', `/tasks/${task.id}`, undefined, headers(task));
          removeTask(task.id);
          skipped.push(task);
        } catch {
          failed++;
        }
      }
    },
    'Could not move the overdue tasks',
  );
  if (!moved.length && !skipped.length && !failed) return;
  const said = [
    skipped.length
      ? `${skipped.length} missed ${skipped.length === 1 ? 'repeat was' : 'repeats were'} skipped: ${
          skipped.length === 1 ? 'its task repeats' : 'their tasks repeat'
        } anyway`
      : '',
    failed ? `${failed} changed elsewhere meanwhile and stayed as they were` : '',
  ].filter(Boolean);
  toast({
    title: `Moved ${moved.length} to tomorrow`,
    body: said.join('; '),
    group: 'undo',
    timeoutMs: UNDO_MS,
    actions:
      moved.length || skipped.length
        ? [
            {
              label: 'Undo',
              run: (b) =>
                act(
                  b,
                  async () => {
                    await undoEdits(moved, correlation);
                    await undoDeletes(skipped, correlation);
                  },
                  'Could not undo',
                ),
            },
          ]
        : [],
  });
}
