// Keyboard shortcuts (listed in the page's help dialog, #help): q quick add (in plain words), n new task
// (a title, Details for more), / search, j/k or the
// arrow keys move between tasks, x or Space completes, e edits, 1–4 set the priority, z undoes the last
// change while its toast shows, ? shows the list.
// A key typed into a field is the field's; Escape leaves the field.
import { $ } from './dom.js';
import { getState } from './store.js';
import { openEditor } from './editor.js';
import { setPriority } from './task-list.js';
import { undoLatest } from './undo.js';

/**
 * Where a key is the field's: every form control but a task row's own checkbox, which takes no letters (after
 * `x` the focus may land on the next row's; a click leaves it there), so the keys stay shortcuts on it.
 */
const FIELD = 'input:not([data-k="done"]), textarea, select, [contenteditable=""], [contenteditable="true"]';

/** The task rows on screen, in order. */
const rows = () => [...document.querySelectorAll('#tasks:not([hidden]) > li.task, #upcoming:not([hidden]) li.task')];
const currentRow = () => document.activeElement?.closest?.('li.task') ?? null;

function move(step) {
  const all = rows();
  if (!all.length) return;
  const at = all.indexOf(currentRow());
  const next = all[at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}

export function setupShortcuts() {
  // A touch screen without a keyboard has no keys to press: its fields do not show the shortcut hints.
  if (matchMedia('(hover: none) and (pointer: coarse)').matches) {
    $('#new-title').placeholder = 'Add a task…';
    // Short enough to be read whole on a phone's box (~256 px at 375 px wide).
    $('#quick-add').placeholder = 'Rent every 1st at 9am #Home';
    $('#search').placeholder = 'Search tasks';
  }
  const help = $('#help');
  $('#help-open').addEventListener('click', () => help.showModal());

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if ($('#app').hidden || document.querySelector('dialog[open]')) return;
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest(FIELD)) {
      // Escape leaves a field (the task list's inline editor handles its own).
      if (e.key === 'Escape' && !target.closest('form.edit') && target.matches('input, textarea')) {
        target.blur();
        $('#tasks-heading').focus();
      }
      return;
    }
    const row = currentRow();
    const id = row?.dataset.id;
    const key = e.key;
    let handled = true;
    if (key === 'q') $('#quick-add').focus();
    else if (key === 'n') $('#new-title').focus();
    else if (key === '/') $('#search').focus();
    else if (key === '?') help.showModal();
    else if (key === 'j' || key === 'ArrowDown') move(1);
    else if (key === 'k' || key === 'ArrowUp') move(-1);
    else if ((key === 'x' && row) || (key === ' ' && row && target === row)) {
      // As a click on the box: the row decides what it completes (a series' row, its next occurrence).
      const box = row.querySelector('[data-k="done"]');
      if (box && !box.disabled) box.click();
    } else if (key === 'e' && row && getState().tasks.has(id)) openEditor(id);
    else if (/^[1-4]$/.test(key) && row) setPriority(id, row.querySelector('[data-k="priority"]'), Number(key));
    else if (key === 'z') handled = undoLatest();
    else handled = false;
    if (handled) e.preventDefault();
  });
}
