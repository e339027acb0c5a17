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
import { undoable } from './undo.js';
import { allDayToggle, dueSaid, writtenIn, DUE_SHORTCUTS, isDay } from './due.js';
import { assignableMembers, isShared } from './sharing.js';

/** The fields the editor shows, in words (for what changed elsewhere meanwhile). */
const FIELD_WORDS = {
  title: 'the title',
  description: 'the description',
  due_date: 'the due date',
  timezone: 'the time zone',
  recurrence_rule: 'the repeat',
  recurrence_mode: 'how it repeats',
  assignee: 'who it is assigned to',
};

const itemOf = (id) => document.querySelector(`li.task[data-id="${CSS.escape(id)}"]`);

export function openEditor(id) {
  const s = getState();
  const task = s.tasks.get(id);
  if (!task || s.editors.has(id)) return;
  const p = `edit-${id}`;
  const original = {
    title: task.title,
    description: task.description ?? '',
    // An all-day task's date as it is (issue 16), else the instant as wall-clock time in the task's zone.
    due: task.due_day ?? toLocalInput(task.due_date, taskZone(task)),
    timezone: task.timezone ?? '',
    rule: task.recurrence_rule ?? null,
    mode: task.recurrence_mode ?? 'calendar',
    assignee: task.assignee ?? '',
  };
  let baseVersion = task.version;
  const title = h('input', {
    id: `${p}-title`,
    value: task.title,
    required: true,
    autocomplete: 'off',
    dir: 'auto',
  });
  const description = h('textarea', { id: `${p}-description`, rows: '2', dir: 'auto' });
  description.value = original.description;
  const due = h('input', { id: `${p}-due`, type: task.due_day ? 'date' : 'datetime-local', value: original.due });
  const allDay = h('input', { id: `${p}-all-day`, type: 'checkbox' });
  allDay.checked = Boolean(task.due_day);
  const dueSaidNow = h('span', { class: 'hint', role: 'status' });
  const said = () => {
    dueSaidNow.textContent = dueSaid(due.value, zoneNow());
  };
  const readDue = allDayToggle(due, allDay, () => {
    said();
    picker?.refresh();
  });
  due.addEventListener('input', said);
  const dueZone = h('span', { class: 'hint' });
  // Without a zone of its own a task follows its creator's (its home user's), which is this viewer's only
  // on their own tasks; the picker's note names the creator's zone once its preview has it.
  const me = getState().me?.id ?? null;
  const tz = zoneSelect(`${p}-tz`, task.timezone, {
    followLabel: task.user_id === me ? `Follow my zone (${userZone()})` : `Follow its creator's zone (${task.user_id})`,
  });
  const zoneNow = () => tz.value || userZone();
  const picker = task.series_id
    ? null
    : recurrencePicker({
        id: `${p}-rec`,
        rule: task.recurrence_rule,
        mode: original.mode,
        getStart: () => due.value,
        getZone: zoneNow,
        // Without a zone of its own the series follows its creator's, which may not be this viewer's.
        getHomeOf: () => (tz.value ? null : task.id),
      });
  // "Assign to": the list's owner and active members (PATCH {assignee}); only for a task of a shared list.
  const whoName = (userId) => (userId === me ? `${userId} (you)` : userId);
  const assign = h('select', { id: `${p}-assignee` });
  const setAssignOptions = (ids) => {
    const all = [...new Set([...ids, ...(original.assignee ? [original.assignee] : [])])];
    assign.replaceChildren(
      h('option', { value: '' }, 'Nobody'),
      ...all.map((userId) => h('option', { value: userId }, whoName(userId))),
    );
    assign.value = original.assignee;
  };
  setAssignOptions([]);
  const taskList = getState().lists.get(task.list_id);
  const assignField =
    isShared(taskList) || task.assignee
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: `${p}-assignee` }, 'Assign to'),
          assign,
          h('span', { class: 'hint' }, ' Only the assignee sets reminders on an assigned task.'),
        )
      : null;
  if (assignField)
    void assignableMembers(task.list_id).then((ids) => {
      if (assign.isConnected || getState().editors.has(id)) {
        const chosen = assign.value;
        setAssignOptions(ids);
        assign.value = chosen;
      }
    });
  const note = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const updateZone = () => {
    dueZone.textContent = `(in ${zoneNow()})`;
    picker?.refresh();
    said();
  };
  tz.addEventListener('change', updateZone);
  due.addEventListener('change', () => picker?.refresh());
  updateZone();

  const form = h(
    'form',
    { class: 'edit', 'aria-label': `Edit task: ${task.title}` },
    h('div', { class: 'field' }, h('label', { for: `${p}-title` }, 'Title'), title),
    h('div', { class: 'field' }, h('label', { for: `${p}-description` }, 'Description'), description),
    h(
      'div',
      { class: 'field' },
      // A series' date is its start, not an occurrence's: said so, and no one-click "Tomorrow" that would
      // restart the series there while the occurrence shown stays (a user's pass expected that one to move).
      h('label', { for: `${p}-due` }, task.is_recurring ? 'Starts ' : 'Due ', dueZone),
      due,
      h('label', { class: 'inline hint' }, allDay, ' All day'),
      dueSaidNow,
      task.is_recurring
        ? h(
            'p',
            { class: 'hint' },
            'The first occurrence of the series. To move one occurrence, edit it in Today or Upcoming.',
          )
        : null,
      // Rescheduling in one click: the day moves, the time of day stays (or the date alone).
      task.is_recurring
        ? null
        : h(
            'div',
            { class: 'due-shortcuts', role: 'group', 'aria-label': 'Reschedule' },
            DUE_SHORTCUTS.map(([label, next]) =>
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => {
                    const value = next(due.value, zoneNow(), Date.now(), allDay.checked);
                    if (value && isDay(value) !== allDay.checked) {
                      allDay.checked = isDay(value);
                      due.type = allDay.checked ? 'date' : 'datetime-local';
                    }
                    due.value = value;
                    due.dispatchEvent(new Event('input'));
                    due.dispatchEvent(new Event('change'));
                  },
                },
                label,
              ),
            ),
          ),
    ),
    h('div', { class: 'field' }, h('label', { for: `${p}-tz` }, 'Time zone of this task'), tz),
    picker
      ? picker.element
      : h(
          'p',
          { class: 'hint' },
          'This is one occurrence of a repeating task: edit the series to change the schedule.',
        ),
    // A task of a shared list may be assigned to one member (issue 17).
    assignField,
    h('div', { class: 'actions' }, save, cancel),
    note,
    error,
  );

  /** Whether `now` (the task as the server has it) still holds what this edit started from in every field of `patch`. */
  const untouched = (now, patch) => Object.keys(patch).every((field) => same(now, field));
  /** The fields (in words) another change touched since this edit started, among those the editor shows. */
  const changedFields = (now) =>
    Object.entries(FIELD_WORDS)
      .filter(([field]) => !same(now, field))
      .map(([, words]) => words);
  /** Whether `now` holds in `field` what this edit started from. */
  const same = (now, field) => {
    switch (field) {
      case 'title':
        return now.title === original.title;
      case 'description':
        return (now.description ?? '') === original.description;
      case 'timezone':
        return (now.timezone ?? '') === original.timezone;
      case 'due_date':
        return (now.due_day ?? toLocalInput(now.due_date, taskZone(now))) === original.due;
      case 'recurrence_rule':
        return (now.recurrence_rule ?? null) === original.rule;
      case 'recurrence_mode':
        return (now.recurrence_mode ?? 'calendar') === original.mode;
      case 'assignee':
        return (now.assignee ?? '') === original.assignee;
      default:
        return false;
    }
  };

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
    const dueValue = readDue();
    if (dueValue?.error) {
      error.textContent = dueValue.error;
      due.focus();
      return;
    }
    // Sent with the zone it was shown in: another member's task follows their zone, not this user's. A new zone
    // alone sends the due date too: the form says "09:00 in <new zone>", and that is what is kept.
    const zoneChanged = 'timezone' in patch && dueValue !== '';
    if (dueValue !== original.due || zoneChanged) patch.due_date = writtenIn(dueValue, zoneNow()) || null;
    if (picker) {
      const rule = picker.getRule();
      if (rule !== original.rule) patch.recurrence_rule = rule;
      if (rule !== null && picker.getMode() !== original.mode) patch.recurrence_mode = picker.getMode();
    }
    if (assignField && assign.value !== original.assignee) patch.assignee = assign.value || null;
    if (Object.keys(patch).length === 0) {
      close();
      return;
    }
    error.textContent = '';
    if (isBusy(save)) return;
    void (async () => {
      setBusy(save, true);
      try {
        for (let tries = 0; ; tries++) {
          try {
            const before = getState().tasks.get(id);
            const send = (headers = {}) =>
              api('PATCH', `/tasks/${id}`, patch, { 'if-match': String(baseVersion), ...headers });
            // The edit can be undone for a while (undo.js); the history is read after the version it was made on.
            const updated = before ? await undoable('edit', { ...before, version: baseVersion }, send) : await send();
            update((st) => {
              st.editors.delete(id);
            });
            upsertTask(updated);
            close();
            return;
          } catch (err) {
            // Changed elsewhere (another tab, another member of a shared list): when none of the fields this
            // edit changes was touched there, the edit is sent again on top (edits of different fields both
            // land, as PATCH sends only the fields changed); else the user decides below.
            if (!(err instanceof ApiError && err.status === 412) || tries >= 2) throw err;
            const now = await api('GET', `/tasks/${id}`).catch(() => null);
            if (!now || !untouched(now, patch)) throw err;
            upsertTask(now);
            baseVersion = now.version;
          }
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          baseVersion = getState().tasks.get(id)?.version ?? baseVersion;
          await fetchTask(id);
          const now = getState().tasks.get(id);
          const fields = now ? changedFields(now) : [];
          error.textContent = `Changed elsewhere since you started${fields.length ? `: ${fields.join(', ')}` : ''}. Save again to keep your version, or Cancel to see theirs.`;
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
        if (now.version === baseVersion) return;
        const fields = changedFields(now);
        note.textContent = fields.length
          ? `Changed elsewhere while you edit: ${fields.join(', ')}.`
          : 'Changed elsewhere while you edit (not in what this form shows).';
      },
    });
  });
  flush();
  title.focus();
}
