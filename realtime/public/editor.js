// The inline editor of a task, and its conflict handling: the PATCH carries If-Match with the version
// the edit started from; a 412 says the task changed elsewhere and the next Save overwrites; events
// that arrive meanwhile are noted in the form, never applied over the user's typing.
import { h, zoneSelect } from './dom.js';
import { getState, update, flush, userZone, taskZone } from './store.js';
import { api, ApiError } from './api.js';
import { isBusy, setBusy } from './a11y.js';
import { toLocalInput } from './time.js';
import { recurrencePicker } from './recurrence-picker.js';
import { upsertTask, fetchTask } from './tasks.js';

const itemOf = (id) => document.querySelector(`li.task[data-id="${CSS.escape(id)}"]`);

export function openEditor(id) {
  const s = getState();
  const task = s.tasks.get(id);
  if (!task || s.editors.has(id)) return;
  const p = `edit-${id}`;
  const original = {
    title: task.title,
    description: task.description ?? '',
    due: toLocalInput(task.due_date, taskZone(task)),
    timezone: task.timezone ?? '',
    rule: task.recurrence_rule ?? null,
    mode: task.recurrence_mode ?? 'calendar',
  };
  let baseVersion = task.version;
  const title = h('input', {
    id: `${p}-title`,
    value: task.title,
    required: true,
    maxlength: '500',
    autocomplete: 'off',
  });
  const description = h('textarea', { id: `${p}-description`, rows: '2', maxlength: '10000' });
  description.value = original.description;
  const due = h('input', { id: `${p}-due`, type: 'datetime-local', value: original.due });
  const dueZone = h('span', { class: 'hint' });
  const tz = zoneSelect(`${p}-tz`, task.timezone, { followLabel: `Follow my zone (${userZone()})` });
  const zoneNow = () => tz.value || userZone();
  const picker = task.series_id
    ? null
    : recurrencePicker({
        id: `${p}-rec`,
        rule: task.recurrence_rule,
        mode: original.mode,
        getStart: () => due.value,
        getZone: zoneNow,
      });
  const note = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const updateZone = () => {
    dueZone.textContent = `(in ${zoneNow()})`;
    picker?.refresh();
  };
  tz.addEventListener('change', updateZone);
  due.addEventListener('change', () => picker?.refresh());
  updateZone();

  const form = h(
    'form',
    { class: 'edit', 'aria-label': `Edit task: ${task.title}` },
    h('div', { class: 'field' }, h('label', { for: `${p}-title` }, 'Title'), title),
    h('div', { class: 'field' }, h('label', { for: `${p}-description` }, 'Description'), description),
    h('div', { class: 'field' }, h('label', { for: `${p}-due` }, 'Due ', dueZone), due),
    h('div', { class: 'field' }, h('label', { for: `${p}-tz` }, 'Time zone of this task'), tz),
    picker
      ? picker.element
      : h(
          'p',
          { class: 'hint' },
          'This is one occurrence of a repeating task: edit the series to change the schedule.',
        ),
    h('div', { class: 'actions' }, save, cancel),
    note,
    error,
  );

  /** Back to the item (showing the task as it is now), focus on its Edit button. */
  const close = (focus = true) => {
    update((st) => {
      st.editors.delete(id);
    });
    flush();
    if (focus) itemOf(id)?.querySelector('[data-k="edit"]')?.focus();
  };
  cancel.addEventListener('click', () => close());
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch = {};
    const t = title.value.trim();
    if (!t) {
      error.textContent = 'The title must not be empty.';
      title.focus();
      return;
    }
    if (t !== original.title) patch.title = t;
    if (description.value !== original.description)
      patch.description = description.value === '' ? null : description.value;
    if (tz.value !== original.timezone) patch.timezone = tz.value || null;
    if (due.value !== original.due) patch.due_date = due.value || null;
    if (picker) {
      const rule = picker.getRule();
      if (rule !== original.rule) patch.recurrence_rule = rule;
      if (rule !== null && picker.getMode() !== original.mode) patch.recurrence_mode = picker.getMode();
    }
    if (Object.keys(patch).length === 0) {
      close();
      return;
    }
    error.textContent = '';
    if (isBusy(save)) return;
    void (async () => {
      setBusy(save, true);
      try {
        const updated = await api('PATCH', `/tasks/${id}`, patch, { 'if-match': String(baseVersion) });
        update((st) => {
          st.editors.delete(id);
        });
        upsertTask(updated);
        close();
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          baseVersion = getState().tasks.get(id)?.version ?? baseVersion;
          error.textContent =
            'This task was changed elsewhere since you started editing. Check it, then Save again to overwrite, or Cancel.';
          void fetchTask(id);
        } else {
          error.textContent = err.message;
        }
      } finally {
        setBusy(save, false);
      }
    })();
  });

  update((st) => {
    st.editors.set(id, {
      element: form,
      title: task.title,
      changedElsewhere(now) {
        if (now.version !== baseVersion)
          note.textContent = `Changed elsewhere while you edit (now version ${now.version}).`;
      },
    });
  });
  flush();
  title.focus();
}
