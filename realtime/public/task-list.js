// The task list: a lit-html view of the store's tasks (newest first). lit-html updates the elements in
// place, so a control keeps keyboard focus across updates; only an item that leaves the page hands
// its focus on (a11y.focusAfterRemoval). Each item: completion, title, badges, due/recurrence line,
// reminders (with an adder), Edit / History / Delete with confirmation, the open history.
import { html, render, nothing } from '/vendor/lit-html/lit-html.js';
import { repeat } from '/vendor/lit-html/directives/repeat.js';
import { $ } from './dom.js';
import { getState, update, subscribe, userZone, taskZone } from './store.js';
import { api, act } from './api.js';
import { isBusy, setBusy, focusAfterRemoval } from './a11y.js';
import { fmt, formatter, humanDuration } from './time.js';
import { describeRule } from './rules.js';
import { byCreated, reminderStatus } from './task-state.js';
import { upsertTask, fetchTask, removeTask } from './tasks.js';
import { toggleHistory, historyView } from './history.js';
import { openEditor } from './editor.js';
import { snooze } from './notifications.js';
import { reminderChooser, readReminder } from './reminder-chooser.js';
import { toast } from './toasts.js';

/** How long Delete waits for its confirmation. */
const CONFIRM_MS = 4000;

export function startTaskList() {
  subscribe(renderList);
  renderList(getState());
}

function renderList(s) {
  const list = $('#tasks');
  const focused = [...list.children].find((li) => li.contains(document.activeElement));
  const handOn = focusAfterRemoval(focused, $('#tasks-heading'));
  const tasks = [...s.tasks.values()].sort((a, b) => byCreated(b, a));
  render(repeat(tasks, (task) => task.id, (task) => item(task, s)), list);
  s.flashing.clear(); // highlighted once, when they arrived
  if (focused && !focused.isConnected) handOn();

  const total = s.tasks.size;
  const open = tasks.filter((t) => !t.completed).length;
  $('#task-count').textContent = total ? `(${open} open, ${total} in all)` : '';
  const status = $('#list-status');
  status.textContent = s.listStatus ?? (total === 0 ? 'No tasks yet: add one above.' : '');
  status.hidden = s.listStatus === null && total !== 0;
}

function item(task, s) {
  const editor = s.editors.get(task.id);
  const cls = `task${task.completed ? ' done' : ''}${s.flashing.has(task.id) ? ' flash' : ''}`;
  return html`<li class=${cls} data-id=${task.id} ?hidden=${s.hideDone && task.completed}>${editor ? editor.element : itemBody(task, s)}</li>`;
}

// The checkbox and <details> are bound to the store without live(): a render that comes between the
// user's click and its change/toggle event must not undo the click (lit-html then leaves them alone).
function itemBody(task, s) {
  const id = task.id;
  const zone = userZone();
  const meta = [];
  if (task.due_date) {
    const own = task.timezone && task.timezone !== zone ? ` (${formatter(taskZone(task), 'time').format(new Date(task.due_date))} ${task.timezone})` : '';
    const overdue = !task.completed && !task.is_recurring && Date.parse(task.due_date) < Date.now() ? ' — overdue' : '';
    meta.push(`${task.is_recurring ? 'Starts' : 'Due'} ${fmt(task.due_date, zone)}${own}${overdue}`);
  }
  if (task.recurrence_rule) meta.push(`Repeats ${describeRule(task.recurrence_rule)}`);
  if (task.is_recurring) meta.push(task.next_occurrence ? `Next ${fmt(task.next_occurrence, zone)}` : 'No further occurrences');
  const historyOpen = s.openHistory.has(id);
  const confirming = s.confirming.has(id);
  return html`<div class="task-head"><input type="checkbox" id="done-${id}" data-k="done" .checked=${task.completed} ?disabled=${task.is_recurring}
      aria-label="Completed: ${task.title}" title=${task.is_recurring ? 'A series is not completed itself: complete its occurrences, or delete the series' : nothing}
      @change=${(e) => setCompleted(id, e.currentTarget)}><span class="title">${task.title}</span>${
      task.is_recurring ? html`<span class="badge">repeats</span>` : nothing}${
      task.series_id ? html`<span class="badge">occurrence</span>` : nothing}${
      task.completed ? html`<span class="badge">done</span>` : nothing}</div>${
    task.description ? html`<p class="desc">${task.description}</p>` : nothing}${
    meta.length ? html`<p class="meta">${meta.map((line) => html`<span>${line}</span>`)}</p>` : nothing}${
    remindersView(task, s)}<div class="actions"><button type="button" data-k="edit" aria-label="Edit: ${task.title}" @click=${() => openEditor(id)}>Edit</button><button type="button" data-k="history"
      aria-label="${historyOpen ? 'Hide history' : 'History'}: ${task.title}" aria-expanded=${String(historyOpen)} aria-controls="history-${id}"
      @click=${() => toggleHistory(id)}>${historyOpen ? 'Hide history' : 'History'}</button><button type="button" class="danger${confirming ? ' confirm' : ''}" data-k="delete"
      aria-label="${confirming ? 'Confirm delete' : 'Delete'}: ${task.title}" @click=${(e) => deleteTask(id, e.currentTarget)}>${confirming ? 'Confirm delete' : 'Delete'}</button></div>${
    historyOpen ? historyView(id) : nothing}`;
}

function setCompleted(id, box) {
  const wanted = box.checked;
  if (isBusy(box)) { box.checked = !wanted; return; }
  void act(box, async () => upsertTask(await api('POST', `/tasks/${id}/${wanted ? 'complete' : 'uncomplete'}`)), wanted ? 'Could not complete the task' : 'Could not reopen the task')
    .then(() => { const t = getState().tasks.get(id); if (t && box.isConnected) box.checked = t.completed; });
}

const disarm = new Map();
/** The first press asks for a confirmation (for CONFIRM_MS), the second deletes. */
function deleteTask(id, button) {
  if (!getState().confirming.has(id)) {
    update((s) => { s.confirming.add(id); });
    disarm.set(id, setTimeout(() => update((s) => { s.confirming.delete(id); }), CONFIRM_MS));
    return;
  }
  clearTimeout(disarm.get(id));
  void act(button, async () => { await api('DELETE', `/tasks/${id}`); removeTask(id); }, 'Could not delete the task');
}

function reminderText(r, task) {
  const zone = taskZone(task);
  if (r.offset) return `${humanDuration(r.offset)} before${r.remind_at ? ` — ${fmt(r.remind_at, zone)}` : ' each occurrence'}`;
  return `At ${fmt(r.remind_at, zone)}`;
}

const STATUS_TEXT = { pending: 'pending', notified: 'fired', template: 'per occurrence' };

function remindersView(task, s) {
  const id = task.id;
  const visible = task.reminders.filter((r) => !r.cancelled);
  const rows = visible.map((r) => {
    const status = r.status ?? reminderStatus(r);
    return html`<li><span>${reminderText(r, task)}</span><span class="status ${status}">${STATUS_TEXT[status] ?? ''}</span>${
      status === 'notified' && !task.is_recurring && !task.completed
        ? html`<button type="button" data-k="snooze-${r.id}" @click=${(e) => snooze(id, r.id, e.currentTarget)}>Snooze 10 min</button>` : nothing
    }<button type="button" data-k="remove-${r.id}" aria-label="Remove reminder: ${reminderText(r, task)}"
      @click=${(e) => act(e.currentTarget, async () => { await api('DELETE', `/tasks/${id}/reminders/${r.id}`); void fetchTask(id); }, 'Could not remove the reminder')}>Remove</button></li>`;
  });
  const toggled = (e) => {
    const open = e.currentTarget.open;
    update((st) => { if (open) st.openReminders.add(id); else st.openReminders.delete(id); });
  };
  return html`<details .open=${s.openReminders.has(id)} @toggle=${toggled}><summary data-k="reminders">Reminders (${visible.length})</summary><ul class="reminders">${rows}${
    visible.length ? nothing : html`<li class="hint">No reminders.</li>`}</ul>${
    !task.completed && !task.deleted_at ? reminderAdder(task, s) : nothing}</details>`;
}

function reminderAdder(task, s) {
  const id = task.id;
  // The draft is scratch state of the controls: made on first show, no re-render needed for it.
  let draft = s.reminderDrafts.get(id);
  if (!draft) { draft = { choice: task.due_date ? 'PT1H' : 'at', at: '', error: '' }; s.reminderDrafts.set(id, draft); }
  const redraw = () => update(() => {});
  const add = (e) => {
    const button = e.currentTarget;
    const spec = readReminder(draft);
    if (!spec || spec.error) { update(() => { draft.error = spec?.error ?? 'Choose a reminder.'; }); return; }
    if (draft.error) update(() => { draft.error = ''; });
    if (isBusy(button)) return;
    void (async () => {
      setBusy(button, true);
      try {
        await api('POST', `/tasks/${id}/reminders`, spec);
        update((st) => { st.reminderDrafts.delete(id); });
        void fetchTask(id);
      } catch (err) {
        if (getState().tasks.has(id) && getState().reminderDrafts.get(id) === draft) update(() => { draft.error = err.message; });
        else toast({ title: 'Could not add the reminder', body: err.message, kind: 'error' });
      } finally {
        setBusy(button, false);
      }
    })();
  };
  return html`<div class="row">${reminderChooser({ id: `rem-${id}`, label: 'Add', allowNone: false, allowBefore: Boolean(task.due_date), allowAt: !task.is_recurring, draft, dataK: 'rem-choice', onChange: redraw })}<button type="button" data-k="rem-add" @click=${add}>Add reminder</button><p class="error" role="alert">${draft.error}</p></div>`;
}
