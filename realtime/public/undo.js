// Undo in the dashboard: for UNDO_MS after a complete, a delete or an edit (the editor's, or a priority,
// list or labels changed from the row), a toast ("Completed", with Undo) offers to take it back. The write carries its own X-Correlation-Id, so pressing Undo finds the
// event that write made in the task's history and asks POST /tasks/{id}/undo for it. The server answers
// with compensating events, which every open tab of the user applies live (tasks.js applyEvent).
import { api, act } from './api.js';
import { toast } from './toasts.js';
import { upsertTask } from './tasks.js';
import { update } from './store.js';

/** How long the toast offers the undo (issue 16: "for 10 seconds"). */
export const UNDO_MS = 10_000;

/** The event types the change of each kind writes first; the undo names that event. */
const EVENTS = {
  complete: ['task.completed'],
  delete: ['task.deleted'],
  edit: ['task.updated', 'task.due_date_changed'],
};
const TITLES = { complete: 'Completed', delete: 'Deleted', edit: 'Saved', reopen: 'Reopened' };

/** A version-4 UUID from getRandomValues (randomUUID needs a secure context). */
export function newCorrelation() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Runs `write(headers)` — the API call of a `kind` change ('complete', 'delete', 'edit', 'reopen') of the task
 * `task` ({id, title, version} before the change) — with a correlation id of its own, then shows the
 * undo toast, headed `title` (by default the kind's: "Completed", "Deleted", "Saved"). Resolves with what
 * `write` resolves with; a failed write shows no toast.
 */
export async function undoable(kind, task, write, title = TITLES[kind]) {
  const correlation = newCorrelation();
  const result = await write({ 'x-correlation-id': correlation });
  // Named as it is now (an edit may have renamed it).
  offerUndo(kind, { ...task, title: result?.title ?? task.title }, correlation, title);
  return result;
}

/**
 * Completes the next occurrence of calendar `series` ahead of its time (POST /tasks/{id}/complete on a series
 * with no occurrence open: the server spawns it done and answers with it), and offers to take that back: the
 * undo reopens the occurrence (the completion is in its history, at its version).
 */
export async function completeNextOccurrence(series) {
  const correlation = newCorrelation();
  const done = await api('POST', `/tasks/${series.id}/complete`, undefined, { 'x-correlation-id': correlation });
  offerUndo('complete', { ...done, version: done.version - 1 }, correlation, TITLES.complete);
  return done;
}

/**
 * Takes back a change of `kind`: a reopen by completing the task again (the server undoes completions,
 * deletes and edits; a reopen is itself the undo of a completion), anything else by the server's undo.
 */
function takeBack(kind, task, correlation) {
  if (kind !== 'reopen') return undo(kind, task, correlation);
  return api('POST', `/tasks/${task.id}/complete`, undefined, { 'x-correlation-id': correlation }).then(upsertTask);
}

function offerUndo(kind, task, correlation, title) {
  toast({
    title,
    body: task.title,
    group: 'undo',
    timeoutMs: UNDO_MS,
    actions: [
      {
        label: 'Undo',
        run: async (button) => {
          const done = await act(button, () => takeBack(kind, task, correlation), 'Could not undo');
          // The toast closes after this: the focus goes to the task it brought back (its row), not to <body>.
          if (done !== undefined) focusTask(task.id, task.series_id);
        },
      },
    ],
  });
}

/**
 * Focuses the row of task `id` once the page has drawn it, else the row of its series `seriesId` (in a list a
 * series' row stands for its occurrences: `x` then `z` on it left the focus on the heading, and `j` started
 * over), else the list's heading.
 */
function focusTask(id, seriesId) {
  requestAnimationFrame(() => {
    const rowOf = (taskId) => (taskId ? document.querySelector(`li.task[data-id="${CSS.escape(taskId)}"]`) : null);
    (rowOf(id) ?? rowOf(seriesId) ?? document.getElementById('tasks-heading'))?.focus();
  });
}

/**
 * The keyboard's undo (`z`): presses Undo on the newest undo toast still showing. False when there is
 * none (its 10 s have passed, or nothing was done here).
 */
export function undoLatest() {
  const toasts = document.querySelectorAll('#toasts [data-group="undo"]');
  const button = toasts[toasts.length - 1]?.querySelector('.actions button');
  if (!button || button.disabled) return false;
  button.click();
  return true;
}

/** Undoes the edit of each of `tasks` ({id, title, version} before it) that the writes of `correlation` made. */
export async function undoEdits(tasks, correlation) {
  for (const task of tasks) await undo('edit', task, correlation);
}

/** Undoes the deletes of `tasks` made under `correlation` (one Undo for a batch, as undoEdits). */
export async function undoDeletes(tasks, correlation) {
  for (const task of tasks) await undo('delete', task, correlation);
}

/** Finds the change's event (after the version the task had before it) and undoes it. */
async function undo(kind, task, correlation) {
  const page = await api('GET', `/tasks/${task.id}/history?after=${task.version}&limit=100`);
  const event = page.events.find((e) => e.correlation_id === correlation && EVENTS[kind].includes(e.event_type));
  if (!event) throw new Error('The change was not found in the task history');
  const back = await api('POST', `/tasks/${task.id}/undo`, { event_id: event.event_id });
  // A deleted task is kept out of the page (it is "gone"): the restore brings it back.
  if (kind === 'delete')
    update((s) => {
      s.gone.delete(task.id);
    });
  upsertTask(back);
  return back;
}
