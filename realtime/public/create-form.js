// The "New task" form: one line (title, Details, Add task) that keeps the list in view on a phone;
// Details opens description, due date (in the user's zone), priority, recurrence and one reminder.
// A task made while a list is shown goes into that list, else into the Inbox.
import { render } from '/vendor/lit-html/lit-html.js';
import { $, formError } from './dom.js';
import { getState, subscribe, userZone } from './store.js';
import { inView, withViewDefaults } from './views.js';
import { toast } from './toasts.js';
import { api } from './api.js';
import { isBusy, setBusy } from './a11y.js';
import { recurrencePicker } from './recurrence-picker.js';
import { reminderChooser, readReminder } from './reminder-chooser.js';
import { upsertTask } from './tasks.js';
import { allDayToggle, dueSaid, taskDueSaid, writtenIn } from './due.js';
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

  // The zone the due date is read in is shown beside it; the preview follows it.
  let zone = null;
  subscribe((s) => {
    const unchosen = s.me?.timezone_chosen === false;
    const text = unchosen ? `(in ${userZone()}: your zone is not chosen yet)` : `(in ${userZone()})`;
    if ($('.new-zone').textContent !== text) $('.new-zone').textContent = text;
    if (userZone() === zone) return;
    zone = userZone();
    picker.refresh();
  });

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
    if (isBusy(submit)) return;
    void (async () => {
      setBusy(submit, true);
      try {
        const task = await api('POST', '/tasks', body);
        upsertTask(task);
        if (!inView(task))
          toast({
            title: `Added to ${getState().lists.get(task.list_id)?.name ?? 'your tasks'}`,
            body: task.title,
            group: 'added',
          });
        form.reset();
        // Says what the server made of it: "Added “Title”: all day, Thu, 24 Dec".
        $('#new-due-said').textContent = '';
        $('#new-added').textContent = task.due_date ? `Added “${task.title}”: ${taskDueSaid(task, userZone())}` : '';
        if (due.type !== 'datetime-local') {
          due.type = 'datetime-local';
          showReminder();
        }
        expandCreateForm(false);
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
        setBusy(submit, false);
      }
    })();
  });
}
