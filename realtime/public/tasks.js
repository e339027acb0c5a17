// The tasks the page holds, kept current from two sources: REST answers (upsertTask) and the user's
// event stream (applyEvent, in seq order from the SyncClient). Versions decide: an event is applied
// only on top of the version before it; a gap, or an event of a task the page does not hold, makes
// the page fetch the task.
import { getState, update } from './store.js';
import { api, ApiError } from './api.js';
import { evolve } from './task-state.js';
import { toast, dismissGroup } from './toasts.js';
import { notifyReminder, reminderAnswered, taskAnswered } from './notifications.js';
import { historyChanged } from './history.js';
import { countsChanged, inView, showView } from './views.js';

/** A reminder that fired, or an assignment made, longer ago than this is not announced again when it is replayed. */
const FRESH_REMINDER_MS = 15 * 60_000;

/** One event of the user's stream (each once, in seq order). */
export function applyEvent(event) {
  const s = getState();
  const type = String(event.event_type ?? '');
  if (type.startsWith('list.')) {
    applyListEvent(event);
    countsChanged();
    return;
  }
  if (type.startsWith('label.')) {
    applyLabelEvent(event);
    return;
  }
  if (event.aggregate_type === 'task' || type.startsWith('task.') || type.startsWith('recurring.')) countsChanged();
  if (event.aggregate_type === 'user') {
    if (event.event_type === 'user.timezone_changed' && s.me) {
      update((st) => {
        st.me = { ...st.me, timezone: event.data?.changes?.timezone?.to ?? st.me.timezone, timezone_chosen: true };
      });
    }
    return;
  }
  if (event.event_type === 'reminder.triggered') {
    const firedAt = Date.parse(event.data?.fired_at ?? event.timestamp);
    if (Date.now() - firedAt < FRESH_REMINDER_MS) notifyReminder(event);
  }
  // Answered here or on another device: its toast goes everywhere.
  if (['reminder.acknowledged', 'reminder.snoozed', 'reminder.cancelled'].includes(event.event_type))
    reminderAnswered(event.data?.reminder_id);
  if (event.event_type === 'task.completed' || event.event_type === 'task.deleted') taskAnswered(event.aggregate_id);
  const id = event.aggregate_id;
  const task = s.tasks.get(id);
  announceAssignment(event, task, s);
  if (event.event_type === 'task.restored') {
    // An undone delete: the task this page dropped (or never held) comes back, whole, from the event.
    if (!task || event.version > task.version) {
      update((st) => {
        st.gone.delete(id);
      });
      setTask(evolve(null, event), { flash: !task });
      historyChanged(id);
    }
    return;
  }
  if (event.event_type === 'task.created') {
    if (!task && !s.gone.has(id)) setTask(evolve(null, event), { flash: true });
    return;
  }
  if (!task) {
    // An event of a task this page does not hold (e.g. beyond the first pages): fetch it.
    if (event.event_type !== 'task.deleted' && !s.gone.has(id)) void fetchTask(id);
    return;
  }
  // An open History reloads for every event of its task, also one already in the state (this page's own
  // edit, answered before its event came).
  historyChanged(id);
  if (event.version <= task.version) return; // already in the fetched state
  if (event.version > task.version + 1) {
    void fetchTask(id);
    return;
  } // something is missing: reload it
  const next = evolve(task, event);
  if (next === null) removeTask(id, 'deleted elsewhere');
  else setTask(next);
}

/**
 * A task assigned to this user by someone else, announced once with a way to the Assigned to me view. Not an
 * assignment this page made (its answer was taken before its event) or one older than FRESH_REMINDER_MS
 * (replayed after a reconnect). The event names no actor: an assignment made on another of the user's own
 * devices is announced too; a task created by the user is not.
 */
function announceAssignment(event, held, s) {
  const me = s.me?.id;
  if (!me || !(Date.now() - Date.parse(event.timestamp) < FRESH_REMINDER_MS)) return;
  if (held && event.version <= held.version) return;
  const d = event.data ?? {};
  const assigned =
    event.event_type === 'task.updated'
      ? d.changes?.assignee?.to === me
      : // A series' occurrence carries the series' assignee: the series was announced, not each occurrence.
        event.event_type === 'task.created' && d.task?.assignee === me && d.task?.user_id !== me && !d.task?.series_id;
  if (!assigned) return;
  void (async () => {
    // A task this page does not hold (another view, a list not opened yet) is read for its title.
    let title = d.changes?.title?.to ?? held?.title ?? d.task?.title;
    let listId = held?.list_id ?? d.task?.list_id;
    if (title === undefined || listId === undefined) {
      const read = await api('GET', `/tasks/${event.aggregate_id}`).catch(() => null);
      title ??= read?.title;
      listId ??= read?.list_id;
    }
    toast({
      title: 'Assigned to you',
      body: title ?? 'A task in a shared list',
      // One per task, and it stays until answered, as a reminder's does: each assignment is its own news.
      // It goes when the news is no longer true: the user loses the list (dismissToastsOf), the task goes
      // or is given to someone else (settleAssignment).
      group: assignedGroup(event.aggregate_id),
      opens: listId,
      timeoutMs: 0,
      actions: [
        {
          label: 'Show',
          run: () =>
            showView((st) => {
              st.view = { kind: 'assigned' };
              st.q = '';
            }),
        },
      ],
    });
  })();
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
/** A task the user just added (quick add, the new-task form): upserted, and where it went said when the view does not show it. */
export function taskAdded(task) {
  upsertTask(task);
  if (!inView(task))
    toast({
      title: `Added to ${getState().lists.get(task.list_id)?.name ?? 'your tasks'}`,
      body: task.title,
      group: 'added',
    });
}

export function upsertTask(task) {
  if (!task?.id) return;
  if (task.deleted_at) {
    removeTask(task.id);
    return;
  }
  const s = getState();
  const known = s.tasks.get(task.id);
  if (known && known.version >= task.version) return;
  if (s.gone.has(task.id)) return;
  setTask(task, { flash: !known });
}

/** The toast group announcing task `id` assigned to the user. */
const assignedGroup = (id) => `assigned-${id}`;

/**
 * Takes back the "Assigned to you" toast of task `id` once it no longer says something to do (`task` gone,
 * given to another, or done: it stayed up after the task was completed, a newcomer's pass).
 */
function settleAssignment(id, task) {
  if (task && task.assignee === getState().me?.id && !task.completed) return;
  dismissGroup(assignedGroup(id));
}

function setTask(task, { flash = false } = {}) {
  settleAssignment(task.id, task);
  update((s) => {
    const before = s.tasks.get(task.id);
    if (flash && !before) s.flashing.add(task.id);
    // A search keeps what the server matched (views.js inView); once the words of a task change here or
    // elsewhere, that match says nothing more: the task stays only while it still holds every word.
    if (before && (before.title !== task.title || before.description !== task.description))
      s.page?.matched.delete(task.id);
    s.tasks.set(task.id, task);
  });
  getState().editors.get(task.id)?.changedElsewhere(task);
}

/** The task is gone (deleted here, elsewhere, or not found); `why` set: an open editor of it says so. */
export function removeTask(id, why) {
  settleAssignment(id, null);
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

const applyChanges = (thing, changes, version, at) => {
  const out = { ...thing, version: version ?? thing.version, updated_at: at ?? thing.updated_at };
  for (const [field, change] of Object.entries(changes ?? {})) out[field] = change.to;
  return out;
};

/** list.created / list.updated / list.deleted (a deleted list's tasks went to the Inbox, or were deleted). */
function applyListEvent(event) {
  const d = event.data ?? {};
  const id = d.list?.id ?? d.list_id ?? event.aggregate_id;
  if (event.event_type === 'list.created' && d.list) {
    update((s) => {
      if (!s.lists.has(id)) s.lists.set(id, { ...d.list, version: event.version ?? d.list.version });
    });
  } else if (event.event_type === 'list.updated') {
    const list = getState().lists.get(id);
    if (list && !(event.version <= list.version))
      update((s) => {
        s.lists.set(id, applyChanges(list, d.changes, event.version, event.timestamp));
      });
  } else if (event.event_type === 'list.deleted') {
    listDeleted(id, d.tasks === 'delete' ? 'delete' : 'move');
  }
}

/** The list `id` is gone: its tasks the page holds move to the Inbox (or go); a view of it shows the Inbox. */
export function listDeleted(id, tasks) {
  const s = getState();
  if (!s.lists.has(id)) return;
  const inbox = [...s.lists.values()].find((l) => l.inbox);
  update((st) => {
    st.lists.delete(id);
    for (const task of [...st.tasks.values()]) {
      if (task.list_id !== id) continue;
      if (tasks === 'delete') {
        st.tasks.delete(task.id);
        st.gone.add(task.id);
      } else st.tasks.set(task.id, { ...task, list_id: inbox?.id ?? null });
    }
  });
  if (s.view.kind === 'list' && s.view.listId === id && inbox)
    void showView((st) => {
      st.view = { kind: 'list', listId: inbox.id };
    });
}

/** label.created / label.updated / label.deleted (tasks lose it through their own task.updated). */
function applyLabelEvent(event) {
  const d = event.data ?? {};
  const id = d.label?.id ?? d.label_id ?? event.aggregate_id;
  if (event.event_type === 'label.created' && d.label) {
    update((s) => {
      if (!s.labels.has(id)) s.labels.set(id, { ...d.label, version: event.version ?? d.label.version });
    });
  } else if (event.event_type === 'label.updated') {
    const label = getState().labels.get(id);
    if (label && !(event.version <= label.version))
      update((s) => {
        s.labels.set(id, applyChanges(label, d.changes, event.version, event.timestamp));
      });
  } else if (event.event_type === 'label.deleted') {
    update((s) => {
      s.labels.delete(id);
      for (const task of [...s.tasks.values()])
        if (task.labels?.includes(id)) s.tasks.set(task.id, { ...task, labels: task.labels.filter((l) => l !== id) });
    });
    // Its view, if shown, gives way to the Inbox (showView never shows a label the user does not have).
    const { view } = getState();
    if (view.kind === 'label' && view.labelId === id) void showView(() => {});
  }
}
