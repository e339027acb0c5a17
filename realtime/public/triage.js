// Overdue triage (a user's pass: twelve overdue tasks took three clicks each): the Overdue view moves
// every task it shows to tomorrow at once — a timed one at its time of day, in the zone it is shown in,
// an all-day one to tomorrow's date (due.js DUE_SHORTCUTS, as the editor's Tomorrow) — and one Undo
// takes all of them back (undo.js, by the one correlation id the writes share).
import { getState, taskZone } from './store.js';
import { api, act } from './api.js';
import { toast } from './toasts.js';
import { upsertTask } from './tasks.js';
import { visibleTasks } from './views.js';
import { DUE_SHORTCUTS, writtenIn } from './due.js';
import { toLocalInput } from './time.js';
import { newCorrelation, undoEdits, UNDO_MS } from './undo.js';

const TOMORROW = DUE_SHORTCUTS.find(([name]) => name === 'Tomorrow')?.[1];

/** The Overdue view's tasks, each moved to tomorrow; a toast says how many, with one Undo for all. */
export async function moveOverdueToTomorrow(button) {
  const tasks = visibleTasks(getState()).filter((t) => !t.completed && !t.is_recurring);
  if (!tasks.length || !TOMORROW) return;
  const correlation = newCorrelation();
  const moved = [];
  let failed = 0;
  await act(
    button,
    async () => {
      const now = Date.now();
      for (const task of tasks) {
        const zone = taskZone(task);
        const value = task.due_day ?? toLocalInput(task.due_date, zone);
        const due = writtenIn(TOMORROW(value, zone, now, task.due_day !== null), zone);
        try {
          const saved = await api(
            'PATCH',
            `/tasks/${task.id}`,
            { due_date: due },
            { 'if-match': String(task.version), 'x-correlation-id': correlation },
          );
          upsertTask(saved);
          moved.push(task);
        } catch {
          failed++; // changed elsewhere meanwhile (412), or gone: left as it is, and counted
        }
      }
    },
    'Could not move the overdue tasks',
  );
  if (!moved.length && !failed) return;
  toast({
    title: `Moved ${moved.length} to tomorrow`,
    body: failed ? `${failed} changed elsewhere meanwhile and stayed as they were` : '',
    group: 'undo',
    timeoutMs: UNDO_MS,
    actions: moved.length
      ? [{ label: 'Undo', run: (b) => act(b, () => undoEdits(moved, correlation), 'Could not undo') }]
      : [],
  });
}
