// Labels on a task: its chips (each with a remove button) and the picker that adds or removes labels
// and creates new ones (PATCH /tasks/{id} {labels} replaces the set; POST /labels makes one).
import { html, nothing } from '/vendor/lit-html/lit-html.js';
import { live } from '/vendor/lit-html/directives/live.js';
import { cssVar } from './dom.js';
import { nameKey } from './names.js';
import { getState, update } from './store.js';
import { api, act, ApiError } from './api.js';
import { upsertTask } from './tasks.js';
import { undoable } from './undo.js';

const LABEL_COLORS = ['#1f5fbf', '#2e9d5b', '#c2488f', '#e07a1f', '#7a4fc9', '#1f8a9e', '#6b7280'];

const byName = (a, b) => a.name.localeCompare(b.name);
const chipStyle = (label) => cssVar('--chip', label?.color ?? '#6b7280');

/** PATCH the task's label set to `labels` (undoable for a while, as any edit). */
async function setLabels(taskId, labels, control) {
  const task = getState().tasks.get(taskId);
  await act(
    control,
    async () =>
      upsertTask(
        task
          ? await undoable(
              'edit',
              task,
              (headers) => api('PATCH', `/tasks/${taskId}`, { labels }, headers),
              'Labels changed',
            )
          : await api('PATCH', `/tasks/${taskId}`, { labels }),
      ),
    'Could not change the labels',
  );
}

/** The task's label chips (unknown ids — a label deleted meanwhile — are left out). */
export function labelChips(task, s) {
  const labels = (task.labels ?? [])
    .map((id) => s.labels.get(id))
    .filter(Boolean)
    .sort(byName);
  if (!labels.length) return nothing;
  return html`<ul class="chips" aria-label="Labels">${labels.map(
    (label) => html`<li class="chip" ${chipStyle(label)}><span>${label.name}</span><button type="button" class="chip-x"
    aria-label="Remove label ${label.name} from: ${task.title}" @click=${(e) =>
      setLabels(
        task.id,
        task.labels.filter((l) => l !== label.id),
        e.currentTarget,
      )}>×</button></li>`,
  )}</ul>`;
}

export function toggleLabelPicker(id) {
  update((s) => {
    if (s.openLabels.has(id)) s.openLabels.delete(id);
    else s.openLabels.add(id);
  });
}

/** The picker of task `task`: a checkbox per label, and a field to create a label and add it. */
export function labelPicker(task, s) {
  const id = task.id;
  const has = new Set(task.labels ?? []);
  const labels = [...s.labels.values()].sort(byName);
  const draft = s.labelDrafts.get(id) ?? '';
  const toggle = (label, box) => {
    const next = box.checked ? [...has, label.id] : [...has].filter((l) => l !== label.id);
    void setLabels(id, next, box);
  };
  const create = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const input = form.querySelector('input');
    const name = input.value.trim();
    if (!name) {
      input.focus();
      return;
    }
    void act(
      form.querySelector('button'),
      async () => {
        let label = [...getState().labels.values()].find((l) => nameKey(l.name) === nameKey(name));
        if (!label) {
          try {
            label = await api('POST', '/labels', {
              name,
              color: LABEL_COLORS[getState().labels.size % LABEL_COLORS.length],
            });
          } catch (err) {
            if (!(err instanceof ApiError && err.status === 409)) throw err;
            label = (await api('GET', '/labels')).labels.find((l) => nameKey(l.name) === nameKey(name));
            if (!label) throw err;
          }
          update((st) => {
            st.labels.set(label.id, label);
          });
        }
        update((st) => {
          st.labelDrafts.delete(id);
        });
        input.value = '';
        const now = getState().tasks.get(id)?.labels ?? [];
        if (!now.includes(label.id)) upsertTask(await api('PATCH', `/tasks/${id}`, { labels: [...now, label.id] }));
        input.focus();
      },
      'Could not add the label',
    );
  };
  return html`<div class="label-picker" id="labels-${id}"><fieldset><legend>Labels of “${task.title}”</legend>${
    labels.length
      ? labels.map(
          (label) => html`<label class="inline chip-choice"><input type="checkbox" .checked=${live(has.has(label.id))}
      @change=${(e) => toggle(label, e.currentTarget)}><span class="chip" ${chipStyle(label)}>${label.name}</span></label>`,
        )
      : html`<span class="hint">No labels yet.</span>`
  }</fieldset>
    <form class="row" @submit=${create}><label for="new-label-${id}" class="visually-hidden">New label for: ${task.title}</label><input id="new-label-${id}" placeholder="New label" autocomplete="off"
      .value=${live(draft)} @input=${(e) => s.labelDrafts.set(id, e.currentTarget.value)}><button type="submit">Create label</button></form></div>`;
}
