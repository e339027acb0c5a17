// The dashboard's state, in one store. Modules change it only through update(); views subscribe and
// re-render once per batch of changes (a microtask later, or at once with flush()).
import { validZone } from './time.js';
import { HIDE_DONE_KEY, SORT_KEY, SORTS, storedHideDone, storedSort } from './query.js';

export { SORTS };

function initialState() {
  return {
    token: null,
    me: null, // {id, timezone, timezone_chosen, zone_from_browser}
    tasks: new Map(), // id → task (as GET /tasks/{id} returns it)
    gone: new Set(), // ids of tasks known to be deleted
    editors: new Map(), // id → {element, title, changedElsewhere(task)} while an inline edit runs
    openHistory: new Set(),
    history: new Map(), // id → events | {error} (while open)
    openReminders: new Set(),
    reminderDrafts: new Map(), // id → {choice, at, error}
    confirming: new Set(), // ids whose Delete waits for its confirmation
    flashing: new Set(), // ids that just arrived (highlighted once)
    sync: null, // the SyncClient of the session
    listStatus: 'Loading…', // what #list-status says while the list is not there (loading, failed); null: shown from the tasks
    hideDone: storedHideDone(),
    sort: storedSort(),
    lists: new Map(), // id → list (GET /lists; list.* events)
    listsLoaded: false, // false while unknown, or when the server has no lists (then the view is "all")
    labels: new Map(), // id → label (GET /labels; label.* events)
    counts: null, // GET /views/counts
    view: { kind: 'all' }, // {kind: 'list', listId} | {kind: 'today'|'upcoming'|'overdue'|'completed'|'all'}
    q: '', // the search (across all lists while not empty)
    page: null, // the paging of the shown query: {key, cursor, loading, error, last, matched}
    upcoming: null, // GET /views/upcoming: {timezone, days: [{date, occurrences}]}
    openLabels: new Set(), // ids whose label picker is open
    labelDrafts: new Map(), // id → the name typed into its "new label" field
    invitations: [], // GET /invitations: the user's open invitations to shared lists (sharing.js)
    now: 0, // when time alone last changed what is shown (views.js timePasses): the rows are drawn again
  };
}

const state = initialState();
const listeners = new Set();
let dirty = false;

/** The current state: read it, change it only inside update(). */
export const getState = () => state;

/** Changes the state; subscribers run once for all changes of the current task (or at flush()). */
export function update(change) {
  change(state);
  if (!dirty) {
    dirty = true;
    queueMicrotask(flush);
  }
}

/** Runs the subscribers now if anything changed (for code that needs the page up to date, e.g. to move focus). */
export function flush() {
  if (!dirty) return;
  dirty = false;
  for (const listener of listeners) listener(state);
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Forgets everything of the signed-in user (sign-out, or a new sign-in). */
export function resetSession() {
  update((s) => {
    s.sync?.stop();
    const fresh = initialState();
    for (const key of Object.keys(fresh))
      if (key !== 'token' && key !== 'hideDone' && key !== 'sort') s[key] = fresh[key];
  });
}

export function setHideDone(on) {
  update((s) => {
    s.hideDone = on;
  });
  localStorage.setItem(HIDE_DONE_KEY, on ? '1' : '0');
}

export function setSort(sort) {
  update((s) => {
    s.sort = sort;
  });
  localStorage.setItem(SORT_KEY, sort);
}

/** The user's lists in their order (Inbox first). */
export const orderedLists = () =>
  [...state.lists.values()].sort(
    (a, b) => b.inbox - a.inbox || a.position - b.position || (a.created_at < b.created_at ? -1 : 1),
  );
export const inboxList = () => [...state.lists.values()].find((l) => l.inbox) ?? null;

/** The user's zone (UTC until known, or when this browser does not know it). */
export const userZone = () => (state.me && validZone(state.me.timezone) ? state.me.timezone : 'UTC');
/** A task's own zone, when it has one this browser knows; null when it follows its creator's. */
export const ownZone = (task) => (task.timezone && validZone(task.timezone) ? task.timezone : null);
/** The zone a task's times are read in: its own, else the user's. */
export const taskZone = (task) => ownZone(task) ?? userZone();
