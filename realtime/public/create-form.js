// The "New task" form: one line (title, Details, Add task) that keeps the list in view on a phone;
// Details opens description, due date (in the user's zone), priority, list, labels, recurrence and one
// reminder. A task made while a list is shown goes into that list, else into the Inbox, unless Details
// names another; in a label's view it carries that label unless unticked there.
import { html, render, nothing } from '/vendor/lit-html/lit-html.js';
import { live } from '/vendor/lit-html/directives/live.js';
import { $, formError } from './dom.js';
import { getState, subscribe, userZone, orderedLists, inboxList } from './store.js';
import { withViewDefaults, viewDefaults } from './views.js';
import { canHold } from './sharing.js';
import { api } from './api.js';
import { setSaving } from './a11y.js';
import { recurrencePicker } from './recurrence-picker.js';
import { reminderChooser, readReminder } from './reminder-chooser.js';
import { taskAdded } from './tasks.js';
import { allDayToggle, dueSaid, taskDueSaid, writtenIn } from './due.js';

/** How long the line saying what the server made of the task added last stays (ms). */
const ADDED_SAID_MS = 20_000;
let addedSaid;
import { sentence } from './sharing.js';

/** Opens (or closes) the form's details. */
export function expandCreateForm(open = true) {
  const more = $('#create-more');
  if (!open && more.hidden) return;
  more.hidden = !open;
  $('#more-options').setAttribute('aria-expanded', String(open));
}

export function setupCreateForm() {
  $('#more-options').addEventListener('click', () => expandCreateForm($('#create-more').hidden));
  const form = $('#create-form');
  const due = $('#new-due');
  const allDay = $('#new-all-day');
  const picker = recurrencePicker({ id: 'new-rec', getStart: () => due.value, getZone: userZone });
  $('#new-recurrence').replaceChildren(picker.element);
  const reminder = { choice: '', at: '' };
  const showReminder = () =>
    render(
      reminderChooser({
        id: 'new-rem',
        label: 'Reminder',
        draft: reminder,
        allDay: allDay.checked,
        onChange: showReminder,
      }),
      $('#new-reminder'),
    );
  showReminder();
  // What the due date will make, said beside it ("All day, Thu, 24 Dec").
  const said = () => {
    $('#new-due-said').textContent = allDay.checked || due.value ? dueSaid(due.value, userZone()) : '';
  };
  const readDue = allDayToggle(due, allDay, () => {
    picker.refresh();
    showReminder();
    said();
  });
  due.addEventListener('input', said);
  // What the server made of the last task stands until the next one is begun.
  $('#new-title').addEventListener('input', () => {
    $('#new-added').textContent = '';
  });
  due.addEventListener('change', () => {
    picker.refresh();
    said();
  });

  // List and labels: the view's own (viewDefaults) until the user picks others here; both forgotten once a task is added.
  const choice = { list: null, labels: null };
  const listOfForm = (s) => choice.list ?? viewDefaults(s).list_id ?? inboxList()?.id ?? '';
  const labelsOfForm = (s) => choice.labels ?? new Set(viewDefaults(s).labels ?? []);
  const mine = { user_id: null };
  let shownView = '';
  const showChoices = (s) => {
    mine.user_id = s.me?.id ?? null;
    // Another view: its own list and labels again (a choice made here was for the view it was made in).
    const view = JSON.stringify(s.view);
    if (view !== shownView) {
      shownView = view;
      choice.list = null;
      choice.labels = null;
    }
    const lists = orderedLists().filter((l) => canHold(l, mine));
    const wanted = listOfForm(s);
    const chosen = lists.some((l) => l.id === wanted) ? wanted : (inboxList()?.id ?? '');
    render(
      lists.map((l) => html`<option value=${l.id} ?selected=${l.id === chosen}>${l.name}</option>`),
      $('#new-list'),
    );
    $('#new-list').value = chosen;
    const labels = [...s.labels.values()].sort((a, b) => a.name.localeCompare(b.name));
    const ticked = labelsOfForm(s);
    $('#new-labels').hidden = labels.length === 0;
    render(
      labels.length
        ? html`<legend>Labels</legend>${labels.map(
            (l) =>
              html`<label class="inline"><input type="checkbox" value=${l.id} .checked=${live(ticked.has(l.id))} @change=${(
                e,
              ) => {
                const next = new Set(labelsOfForm(getState()));
                if (e.currentTarget.checked) next.add(l.id);
                else next.delete(l.id);
                choice.labels = next;
              }}> ${l.name}</label>`,
          )}`
        : nothing,
      $('#new-labels'),
    );
  };
  $('#new-list').addEventListener('change', (e) => {
    choice.list = e.currentTarget.value;
  });

  // The zone the due date is read in is shown beside it; the preview follows it.
  let zone = null;
  subscribe((s) => {
    showChoices(s);
    const unchosen = s.me?.timezone_chosen === false;
    const text = unchosen ? `(in ${userZone()}: your zone is not chosen yet)` : `(in ${userZone()})`;
    if ($('.new-zone').textContent !== text) $('.new-zone').textContent = text;
    if (userZone() === zone) return;
    zone = userZone();
    picker.refresh();
  });

  /** The saves entered and not yet answered, one after another. */
  let saving = Promise.resolve();
  let pending = 0;
  /** The body entered last (JSON). */
  let lastEntered = '';
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const error = formError(form);
    const title = $('#new-title').value.trim();
    if (!title) {
      error.textContent = 'A title is needed.';
      $('#new-title').focus();
      return;
    }
    const body = { title };
    const description = $('#new-description').value;
    if (description.trim()) body.description = description;
    const dueValue = readDue();
    if (dueValue?.error) {
      error.textContent = dueValue.error;
      due.focus();
      return;
    }
    // Sent with the zone it was shown in (the form says which), whatever the server last knew of it.
    if (dueValue) body.due_date = writtenIn(dueValue, userZone());
    const priority = Number($('#new-priority').value);
    if (priority !== 4) body.priority = priority;
    Object.assign(body, withViewDefaults(body));
    // The form's list and labels stand as shown (the view's own unless changed there).
    const list = $('#new-list').value;
    if (list && list !== inboxList()?.id) body.list_id = list;
    else delete body.list_id;
    const labels = [...labelsOfForm(getState())].filter((id) => getState().labels.has(id));
    if (labels.length) body.labels = labels;
    else delete body.labels;
    const rule = picker.getRule();
    if (rule) body.recurrence_rule = rule;
    if (rule && picker.getMode() !== 'calendar') body.recurrence_mode = picker.getMode();
    const spec = readReminder(reminder, userZone());
    if (spec?.error) {
      error.textContent = spec.error;
      return;
    }
    if (spec) body.reminders = [spec];
    error.textContent = '';
    $('#new-title').removeAttribute('aria-invalid');
    const submit = $('#create-submit');
    // Saved in the order entered, none dropped: a task entered while the last one saves waits for it (a busy
    // guard had dropped it without a word), and a form the user has begun filling again is not reset.
    // The same task entered again while it is still being saved is a double press, not a second task.
    const entered = JSON.stringify(body);
    if (pending > 0 && entered === lastEntered) return;
    lastEntered = entered;
    pending++;
    setSaving(form, submit, true);
    saving = saving.then(async () => {
      try {
        const task = await api('POST', '/tasks', body);
        taskAdded(task);
        // Says what the server made of it: "Added “Title”: all day, Thu, 24 Dec", until the next task is begun,
        // or for ADDED_SAID_MS (a user's pass found it there ten minutes on).
        $('#new-added').textContent = task.due_date ? `Added “${task.title}”: ${taskDueSaid(task, userZone())}` : '';
        clearTimeout(addedSaid);
        addedSaid = setTimeout(() => {
          $('#new-added').textContent = '';
        }, ADDED_SAID_MS);
        // The next task already begun in the form (its title changed since this one was entered): left as typed.
        if ($('#new-title').value.trim() !== title) return;
        form.reset();
        $('#new-due-said').textContent = '';
        if (due.type !== 'datetime-local') {
          due.type = 'datetime-local';
          showReminder();
        }
        expandCreateForm(false);
        choice.list = null;
        choice.labels = null;
        showChoices(getState());
        picker.reset();
        reminder.choice = '';
        reminder.at = '';
        showReminder();
        $('#new-title').focus();
      } catch (err) {
        // Said beside the title field (not only in the Details panel, which may be closed), and kept there.
        error.textContent = `Could not add the task: ${sentence(err.message)}`;
        $('#new-title').setAttribute('aria-invalid', 'true');
      } finally {
        if (--pending === 0) setSaving(form, submit, false);
      }
    });
  });
}
