// The tasks the page holds, kept current from two sources: REST answers (upsertTask) and the user's
// event stream (applyEvent, in seq order from the SyncClient). Versions decide: an event is applied
// only on top of the version before it; a gap, or an event of a task the page does not hold, makes
// the page fetch the task.
import { getState, update } from './store.js';
import { api, ApiError } from './api.js';
import { evolve } from './task-state.js';
import { toast } from './toasts.js';
import { notifyReminder } from './notifications.js';
import { historyChanged } from './history.js';

/** A reminder that fired longer ago than this is not announced again when it is replayed. */
const FRESH_REMINDER_MS = 15 * 60_000;
const LIST_PAGES = 20;

/** One event of the user's stream (each once, in seq order). */
export function applyEvent(event) {
  const s = getState();
  if (event.aggregate_type === 'user') {
    if (event.event_type === 'user.timezone_changed' && s.me) {
      update((st) => { st.me = { ...st.me, timezone: event.data?.changes?.timezone?.to ?? st.me.timezone }; });
    }
    return;
  }
  if (event.event_type === 'reminder.triggered') {
    const firedAt = Date.parse(event.data?.fired_at ?? event.timestamp);
    if (Date.now() - firedAt < FRESH_REMINDER_MS) notifyReminder(event);
  }
  const id = event.aggregate_id;
  const task = s.tasks.get(id);
  if (event.event_type === 'task.created') {
    if (!task && !s.gone.has(id)) setTask(evolve(null, event), { flash: true });
    return;
  }
  if (!task) {
    // An event of a task this page does not hold (e.g. beyond the first pages): fetch it.
    if (event.event_type !== 'task.deleted' && !s.gone.has(id)) void fetchTask(id);
    return;
  }
  if (event.version <= task.version) return; // already in the fetched state
  if (event.version > task.version + 1) { void fetchTask(id); return; } // something is missing: reload it
  const next = evolve(task, event);
  if (next === null) removeTask(id, 'deleted elsewhere');
  else setTask(next);
  historyChanged(id);
}

const fetching = new Set();

/** GET /tasks/{id} into the store; a 404 removes it. One request per task at a time. */
export async function fetchTask(id) {
  if (fetching.has(id)) return;
  fetching.add(id);
  try {
    upsertTask(await api('GET', `/tasks/${id}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) removeTask(id);
  } finally {
    fetching.delete(id);
  }
}

/** A task from a REST response: taken when it is newer than what the page holds. */
export function upsertTask(task) {
  if (!task?.id) return;
  if (task.deleted_at) { removeTask(task.id); return; }
  const s = getState();
  const known = s.tasks.get(task.id);
  if (known && known.version >= task.version) return;
  if (s.gone.has(task.id)) return;
  setTask(task, { flash: !known });
}

function setTask(task, { flash = false } = {}) {
  update((s) => {
    if (flash && !s.tasks.has(task.id)) s.flashing.add(task.id);
    s.tasks.set(task.id, task);
  });
  getState().editors.get(task.id)?.changedElsewhere(task);
}

/** The task is gone (deleted here, elsewhere, or not found); `why` set: an open editor of it says so. */
export function removeTask(id, why) {
  const editor = getState().editors.get(id);
  if (editor && why) toast({ title: 'A task you were editing was deleted elsewhere', body: editor.title });
  update((s) => {
    s.gone.add(id);
    s.tasks.delete(id);
    s.editors.delete(id);
    s.history.delete(id);
    s.openHistory.delete(id);
    s.confirming.delete(id);
  });
}

/** The first pages of GET /tasks into the store (tasks the stream already brought are kept). */
export async function loadTasks() {
  const found = [];
  let cursor = null;
  for (let page = 0; page < LIST_PAGES; page++) {
    const body = await api('GET', `/tasks?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    found.push(...body.tasks);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  update((s) => { for (const task of found) if (!s.tasks.has(task.id)) s.tasks.set(task.id, task); });
}
