// The sidebar (views with their counts, the lists with colour and open count, a list's create / rename /
// recolour / delete dialog, drop a task on a list to move it; a shared list marked, and every list's
// members dialog: sharing.js) and the toolbar (search, sort, hide completed, the narrow-screen menu button).
import { html, render, nothing } from '/vendor/lit-html/lit-html.js';
import { repeat } from '/vendor/lit-html/directives/repeat.js';
import { $, h, cssVar, formError } from './dom.js';
import { getState, update, subscribe, orderedLists, setSort, setHideDone } from './store.js';
import { api, act, ApiError } from './api.js';
import { showView, viewTitle, refreshCounts, sameView } from './views.js';
import { listDeleted, upsertTask } from './tasks.js';
import { toast } from './toasts.js';
import { undoable } from './undo.js';
import { openMembersDialog, roleOf, isShared, peopleIcon, shareIcon, canHold } from './sharing.js';

/** The colours a list can take: [value, name]. */
export const COLORS = [
  ['#db4c3f', 'Red'],
  ['#e07a1f', 'Orange'],
  ['#c9a400', 'Yellow'],
  ['#2e9d5b', 'Green'],
  ['#1f8a9e', 'Teal'],
  ['#1f5fbf', 'Blue'],
  ['#7a4fc9', 'Purple'],
  ['#c2488f', 'Pink'],
  ['#6b7280', 'Grey'],
];
const SEARCH_DEBOUNCE_MS = 200;
export const TASK_DRAG_TYPE = 'application/x-tasklane-task';

const VIEWS = [
  ['today', 'Today', 'today'],
  ['upcoming', 'Upcoming', 'upcoming'],
  ['overdue', 'Overdue', 'overdue'],
  ['completed', 'Completed', 'completed_recent'],
  ['assigned', 'Assigned to me', 'assigned'],
];

/**
 * Whether the sidebar offers `kind`: Assigned to me only to someone who shares a list or has a task assigned
 * (or is looking at it): a private todo list has no one else to assign.
 */
const offered = (kind, s) =>
  kind !== 'assigned' ||
  (s.counts?.assigned ?? 0) > 0 ||
  s.view.kind === 'assigned' ||
  [...s.lists.values()].some((l) => isShared(l));

/** Shows a view (closing the menu on a narrow screen, clearing a search). */
export function goTo(view) {
  $('#search').value = '';
  setNav(false);
  return showView((s) => {
    s.view = view;
    s.q = '';
  });
}

function setNav(open) {
  $('#nav-toggle').setAttribute('aria-expanded', String(open));
  $('#sidebar').classList.toggle('open', open);
}

/** PATCH the task's list (from the select of its row, or a drop on the sidebar). */
export async function moveTask(taskId, listId, control) {
  const task = getState().tasks.get(taskId);
  if (!task || task.list_id === listId) return;
  const list = getState().lists.get(listId);
  if (list && !canHold(list, task)) {
    toast({
      title: `Cannot move to ${list.name}`,
      body: `${task.title} was added by ${task.user_id}: it can go to a shared list or one of theirs.`,
      group: 'moved',
    });
    return;
  }
  await act(
    control,
    async () => {
      upsertTask(
        await undoable(
          'edit',
          task,
          (headers) => api('PATCH', `/tasks/${taskId}`, { list_id: listId }, headers),
          `Moved to ${getState().lists.get(listId)?.name ?? 'the list'}`,
        ),
      );
    },
    'Could not move the task',
  );
}

function renderSidebar(s) {
  const counts = s.counts ?? {};
  const current = s.q ? null : s.view;
  const viewItem = ([kind, name, countKey]) => {
    const active = current && sameView(current, { kind });
    // Today and Upcoming hold the occurrences of series not spawned yet too (GET /views/counts).
    const n =
      kind === 'today' && counts.today !== undefined
        ? counts.today + (counts.today_occurrences ?? 0)
        : kind === 'upcoming' && counts.upcoming !== undefined
          ? counts.upcoming + (counts.upcoming_occurrences ?? 0)
          : counts[countKey];
    return html`<li><button type="button" class="side-item${kind === 'overdue' && n ? ' alert' : ''}" data-view=${kind} aria-current=${active ? 'page' : nothing}
      @click=${() => goTo({ kind })}><span class="side-icon ${kind}" aria-hidden="true"></span><span class="side-name">${name}</span><span class="side-count" aria-label=${n === undefined ? nothing : `${n} tasks`}>${n ?? ''}</span></button></li>`;
  };
  render(VIEWS.filter(([kind]) => offered(kind, s)).map(viewItem), $('#views'));

  const lists = orderedLists();
  const listItem = (list) => {
    const active = current && sameView(current, { kind: 'list', listId: list.id });
    const n = counts.lists?.[list.id];
    const drop = {
      over: (e) => {
        if (e.dataTransfer?.types.includes(TASK_DRAG_TYPE)) {
          e.preventDefault();
          e.currentTarget.classList.add('drop');
        }
      },
      leave: (e) => e.currentTarget.classList.remove('drop'),
      drop: (e) => {
        e.currentTarget.classList.remove('drop');
        const id = e.dataTransfer?.getData(TASK_DRAG_TYPE);
        if (id) {
          e.preventDefault();
          void moveTask(id, list.id, e.currentTarget);
        }
      },
    };
    return html`<li class="side-row" data-list=${list.id} @dragover=${drop.over} @dragleave=${drop.leave} @drop=${drop.drop}><button type="button" class="side-item" aria-current=${active ? 'page' : nothing}
      @click=${() => goTo({ kind: 'list', listId: list.id })}><span class="dot" ${cssVar('--dot', list.color ?? 'var(--muted)')} aria-hidden="true"></span><span class="side-name" title=${list.name}>${list.name}</span>${
        isShared(list)
          ? html`<span class="side-shared" role="img" aria-label="shared" title="Shared list">${peopleIcon}</span>`
          : nothing
      }<span class="side-count" aria-label=${n === undefined ? nothing : `${n} open`}>${n ?? ''}</span></button>${
        list.inbox
          ? nothing
          : roleOf(list) === 'editor'
            ? html`<button type="button" class="icon side-edit side-share" aria-label="Members of ${list.name}" title="Members" @click=${() => openMembersDialog(list)}>${shareIcon}</button>`
            : html`<button type="button" class="icon side-edit side-share" aria-label="Share list: ${list.name}" title="Members and sharing" @click=${() => openMembersDialog(list)}>${shareIcon}</button>`
      }${
        // Renaming, recolouring and deleting are the owner's (an editor gets 403).
        list.inbox || roleOf(list) === 'editor'
          ? nothing
          : html`<button type="button" class="icon side-edit" aria-label="Edit list: ${list.name}" title="Rename, recolour or delete" @click=${() => openListDialog(list)}>⋯</button>`
      }</li>`;
  };
  render(
    repeat(lists, (l) => l.id, listItem),
    $('#lists'),
  );
  $('#list-new').hidden = !s.listsLoaded;
  $('#lists-heading').parentElement.hidden = !s.listsLoaded;

  // Labels: each shows the tasks carrying it (GET /tasks?label=…); ⋯ renames or deletes it.
  const labels = [...s.labels.values()].sort((a, b) => a.name.localeCompare(b.name));
  const labelItem = (label) => {
    const active = current && sameView(current, { kind: 'label', labelId: label.id });
    return html`<li class="side-row" data-label=${label.id}><button type="button" class="side-item" aria-current=${active ? 'page' : nothing}
      @click=${() => goTo({ kind: 'label', labelId: label.id })}><span class="side-at" aria-hidden="true">@</span><span class="side-name" title=${label.name}>${label.name}</span></button><button type="button" class="icon side-edit" aria-label="Edit label: ${label.name}" title="Rename or delete" @click=${() => openLabelDialog(label)}>⋯</button></li>`;
  };
  render(
    repeat(labels, (l) => l.id, labelItem),
    $('#labels-nav'),
  );
  $('#labels-head').hidden = labels.length === 0;

  $('#view-title').textContent = viewTitle(s);
  $('#nav-toggle').textContent = `☰ ${viewTitle(s)}`;
  document.title = `${viewTitle(s)} · tasklane`;
}

// ------------------------------------------------------------------ the list and label dialogs
/**
 * A delete asks twice: the first press arms `button` (its text says what the second press does), the
 * second is the delete. True when this press is the second.
 */
function confirmed(button, confirmText) {
  if (button.dataset.armed) return true;
  button.dataset.armed = '1';
  button.classList.add('confirm');
  button.textContent = confirmText;
  return false;
}

/** What a failed save of a list or label says: changed elsewhere meanwhile (412), or the server's reason. */
const saveFailure = (err, what) =>
  err instanceof ApiError && err.status === 412
    ? `This ${what} was changed elsewhere: close and try again.`
    : err.message;

// ------------------------------------------------------------------ the label dialog
let editingLabel = null;

function openLabelDialog(label) {
  editingLabel = label;
  $('#label-dialog-heading').textContent = `Edit label “${label.name}”`;
  $('#label-name').value = label.name;
  formError($('#label-form')).textContent = '';
  const remove = $('#label-delete');
  remove.textContent = 'Delete label';
  remove.classList.remove('confirm');
  delete remove.dataset.armed;
  $('#label-dialog').showModal();
  $('#label-name').focus();
}

function setupLabelDialog() {
  const dialog = $('#label-dialog');
  const form = $('#label-form');
  $('#label-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const label = editingLabel;
    const name = $('#label-name').value.trim();
    const error = formError(form);
    if (!label) return;
    if (!name) {
      error.textContent = 'A name is needed.';
      return;
    }
    if (name === label.name) {
      dialog.close();
      return;
    }
    void act($('#label-save'), async () => {
      try {
        const saved = await api('PATCH', `/labels/${label.id}`, { name }, { 'if-match': String(label.version) });
        update((s) => {
          s.labels.set(saved.id, { ...s.labels.get(saved.id), ...saved });
        });
        dialog.close();
      } catch (err) {
        error.textContent = saveFailure(err, 'label');
      }
    });
  });
  $('#label-delete-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const button = $('#label-delete');
    const label = editingLabel;
    if (!label) return;
    if (!confirmed(button, 'Confirm: delete the label')) return;
    void act(button, async () => {
      try {
        await api('DELETE', `/labels/${label.id}`);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) {
          formError(form).textContent = err.message;
          return;
        }
      }
      dialog.close();
      update((s) => {
        s.labels.delete(label.id);
      });
      // Its ⋯ button is gone with it: the focus goes to the tasks' heading, as after deleting a list.
      $('#tasks-heading').focus();
      // Shown, the label's view gives way to the Inbox (showView never shows a label the user does not have).
      if (getState().view.kind === 'label' && getState().view.labelId === label.id) void showView(() => {});
      toast({ title: `Label “${label.name}” deleted`, body: 'Its tasks stay, without it.' });
    });
  });
}

// ------------------------------------------------------------------ the list dialog
let editing = null; // the list being edited, null: a new one

/** A dot of `color` (set through the CSSOM: the page's policy allows no style attributes in markup). */
function colorDot(color) {
  const dot = h('span', { class: 'swatch-dot', 'aria-hidden': 'true' });
  dot.style.setProperty('--dot', color);
  return dot;
}

function colorChoices(selected) {
  return COLORS.map(([value, name]) =>
    h(
      'label',
      { class: 'swatch', title: name },
      h('input', { type: 'radio', name: 'color', value, checked: value === selected, 'aria-label': name }),
      colorDot(value),
    ),
  );
}

export function openListDialog(list = null) {
  editing = list;
  const dialog = $('#list-dialog');
  $('#list-dialog-heading').textContent = list ? `Edit list “${list.name}”` : 'New list';
  $('#list-name').value = list?.name ?? '';
  const used = new Set(orderedLists().map((l) => l.color));
  const color = list?.color ?? (COLORS.find(([c]) => !used.has(c)) ?? COLORS[0])[0];
  $('#list-colors').replaceChildren(...colorChoices(color));
  formError($('#list-form')).textContent = '';
  $('#list-delete-form').hidden = !list;
  $('#list-delete').textContent = 'Delete list';
  delete $('#list-delete').dataset.armed;
  const note = $('#list-delete-note');
  if (note) delete note.dataset.members;
  deleteNote(list, null);
  if (list && isShared(list)) void countMembers(list);
  for (const radio of dialog.querySelectorAll('input[name="tasks"]')) radio.checked = radio.value === 'move';
  dialog.showModal();
  $('#list-name').focus();
}

function setupListDialog() {
  const dialog = $('#list-dialog');
  const form = $('#list-form');
  $('#list-new').addEventListener('click', () => openListDialog(null));
  $('#list-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const error = formError(form);
    const name = $('#list-name').value.trim();
    if (!name) {
      error.textContent = 'A name is needed.';
      $('#list-name').focus();
      return;
    }
    const color = form.querySelector('input[name="color"]:checked')?.value ?? null;
    void act($('#list-save'), async () => {
      try {
        let list;
        if (editing) {
          const patch = {};
          if (name !== editing.name) patch.name = name;
          if (color !== editing.color) patch.color = color;
          if (Object.keys(patch).length)
            list = await api('PATCH', `/lists/${editing.id}`, patch, { 'if-match': String(editing.version) });
        } else {
          list = await api('POST', '/lists', { name, color, position: getState().lists.size });
        }
        if (list)
          update((s) => {
            s.lists.set(list.id, { ...s.lists.get(list.id), ...list });
          });
        dialog.close();
        if (list && !editing) {
          await goTo({ kind: 'list', listId: list.id });
          // A new list is there to be filled: the keyboard goes to quick add, not back to the "+" (a newcomer's pass).
          $('#quick-add')?.focus();
        }
        void refreshCounts();
      } catch (err) {
        error.textContent = saveFailure(err, 'list');
      }
    });
  });
  $('#list-delete-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const button = $('#list-delete');
    const list = editing;
    if (!list) return;
    const tasks = $('#list-delete-form').querySelector('input[name="tasks"]:checked')?.value ?? 'move';
    if (!confirmed(button, tasks === 'delete' ? 'Confirm: delete the list and its tasks' : 'Confirm: delete the list'))
      return;
    void act(button, async () => {
      try {
        await api('DELETE', `/lists/${list.id}?tasks=${tasks}`);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) {
          formError(form).textContent = err.message;
          return;
        }
      }
      dialog.close();
      button.classList.remove('confirm');
      listDeleted(list.id, tasks);
      toast({
        title: `List “${list.name}” deleted`,
        body:
          tasks === 'delete'
            ? 'Its tasks were deleted.'
            : isShared(list)
              ? "Your tasks are in your Inbox now, each member's in theirs."
              : 'Its tasks are in the Inbox now.',
      });
      void refreshCounts();
      $('#tasks-heading').focus();
    });
  });
  for (const radio of $('#list-delete-form').querySelectorAll('input[name="tasks"]')) {
    radio.addEventListener('change', () => {
      const button = $('#list-delete');
      delete button.dataset.armed;
      button.classList.remove('confirm');
      button.textContent = 'Delete list';
      if (editing) deleteNote(editing, null);
    });
  }
}

/** The members (active or invited, the owner not counted) of shared `list`, for the delete dialog's note. */
async function countMembers(list) {
  try {
    const body = await api('GET', `/lists/${list.id}/members`);
    const n = (body.members ?? []).filter((m) => m.user_id !== body.owner_id).length;
    if (editing?.id === list.id) deleteNote(list, n);
  } catch {
    /* the note stays without a count */
  }
}

/**
 * What deleting `list` does to others, under the delete choices: a shared list's members lose it, and the
 * tasks each added go to that member's own Inbox (or are deleted, as the choice says). `n`: its members.
 */
function deleteNote(list, n) {
  const form = $('#list-delete-form');
  let note = $('#list-delete-note');
  if (!note) {
    note = h('p', { id: 'list-delete-note', class: 'hint' });
    form.querySelector('.actions')?.before(note);
  }
  const tasks = form.querySelector('input[name="tasks"]:checked')?.value ?? 'move';
  if (n !== null) note.dataset.members = String(n);
  const count = n ?? (note.dataset.members ? Number(note.dataset.members) : null);
  const shared = list && (isShared(list) || (count ?? 0) > 0);
  note.hidden = !shared;
  if (!shared) return;
  const who = count === null ? 'other members' : `${count} member${count === 1 ? '' : 's'}`;
  note.textContent = `This list is shared with ${who}: it goes from their pages too, and ${
    tasks === 'delete'
      ? "every member's tasks in it are deleted."
      : "each member's tasks go back to their own Inbox. Tasks added by people who have left the list are deleted with it."
  }`;
}

// ------------------------------------------------------------------ toolbar
function setupToolbar() {
  const search = $('#search');
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = search.value.trim();
      if (q !== getState().q)
        void showView((s) => {
          s.q = q;
        });
    }, SEARCH_DEBOUNCE_MS);
  });
  // Escape clears the search and leaves the field at once (as Escape leaves any field): the next key is a shortcut.
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && search.value) {
      e.preventDefault();
      e.stopPropagation();
      search.value = '';
      clearTimeout(timer);
      search.blur();
      $('#tasks-heading').focus();
      void showView((s) => {
        s.q = '';
      });
    }
  });
  const sort = $('#sort');
  sort.value = getState().sort;
  sort.addEventListener('change', () => {
    setSort(sort.value);
    void showView(() => {});
  });
  const hide = $('#hide-done');
  hide.checked = getState().hideDone;
  hide.addEventListener('change', () => {
    setHideDone(hide.checked);
    void showView(() => {});
  });
  $('#nav-toggle').addEventListener('click', () => setNav($('#nav-toggle').getAttribute('aria-expanded') !== 'true'));
}

export function setupSidebar() {
  setupToolbar();
  setupListDialog();
  setupLabelDialog();
  subscribe(renderSidebar);
  renderSidebar(getState());
}
