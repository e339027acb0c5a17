// The "New task" form: title, description, due date (in the user's zone), recurrence, one reminder;
// and the "Hide completed" switch of the list below it.
import { render } from '/vendor/lit-html/lit-html.js';
import { $ } from './dom.js';
import { getState, subscribe, setHideDone, userZone } from './store.js';
import { api } from './api.js';
import { isBusy, setBusy } from './a11y.js';
import { recurrencePicker } from './recurrence-picker.js';
import { reminderChooser, readReminder } from './reminder-chooser.js';
import { upsertTask } from './tasks.js';

export function setupCreateForm() {
  const form = $('#create-form');
  const due = $('#new-due');
  const picker = recurrencePicker({ id: 'new-rec', getStart: () => due.value, getZone: userZone });
  $('#new-recurrence').replaceChildren(picker.element);
  const reminder = { choice: '', at: '' };
  const showReminder = () => render(reminderChooser({ id: 'new-rem', label: 'Reminder', draft: reminder, onChange: showReminder }), $('#new-reminder'));
  showReminder();
  due.addEventListener('change', () => picker.refresh());

  // The zone the due date is read in is shown beside it; the preview follows it.
  let zone = null;
  subscribe(() => {
    if (userZone() === zone) return;
    zone = userZone();
    $('.new-zone').textContent = `(in ${zone})`;
    picker.refresh();
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const error = $('.error', form);
    const title = $('#new-title').value.trim();
    if (!title) { error.textContent = 'A title is needed.'; $('#new-title').focus(); return; }
    const body = { title };
    const description = $('#new-description').value;
    if (description.trim()) body.description = description;
    if (due.value) body.due_date = due.value;
    const rule = picker.getRule();
    if (rule) body.recurrence_rule = rule;
    const spec = readReminder(reminder);
    if (spec?.error) { error.textContent = spec.error; return; }
    if (spec) body.reminders = [spec];
    error.textContent = '';
    const submit = $('#create-submit');
    if (isBusy(submit)) return;
    void (async () => {
      setBusy(submit, true);
      try {
        upsertTask(await api('POST', '/tasks', body));
        form.reset();
        picker.reset();
        reminder.choice = '';
        reminder.at = '';
        showReminder();
        $('#new-title').focus();
      } catch (err) {
        error.textContent = err.message;
      } finally {
        setBusy(submit, false);
      }
    })();
  });

  const hide = $('#hide-done');
  hide.checked = getState().hideDone;
  hide.addEventListener('change', () => setHideDone(hide.checked));
}
