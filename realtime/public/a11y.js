// Accessibility helpers: busy controls that keep keyboard focus, and focus that survives removals.
import { $ } from './dom.js';

/**
 * Marks a control busy while its request runs. Not `disabled`: a focused control that becomes
 * disabled loses keyboard focus to <body>.
 */
export function setBusy(el, on) {
  if (!el) return;
  if (on) {
    el.dataset.busy = '1';
    el.setAttribute('aria-disabled', 'true');
  } else {
    delete el.dataset.busy;
    el.removeAttribute('aria-disabled');
  }
}

export const isBusy = (el) => el?.dataset.busy === '1';

/**
 * Marks `form` as saving (aria-busy, and its `button` busy-looking) while it still takes input: a form whose
 * entries queue (quick add, the new-task form) is never closed to the next one.
 */
export function setSaving(form, button, on) {
  if (on) {
    button.dataset.busy = '1';
    form.setAttribute('aria-busy', 'true');
  } else {
    delete button.dataset.busy;
    form.removeAttribute('aria-busy');
  }
}

/**
 * Before `el` leaves the page: when it holds the focus, returns a function that moves the focus to
 * the neighbouring item's first control (or `fallback`) once it is gone; else a no-op.
 */
export function focusAfterRemoval(el, fallback) {
  if (!el?.contains(document.activeElement)) return () => {};
  const next = el.nextElementSibling ?? el.previousElementSibling;
  return () => (((next?.isConnected && $('[data-k="done"], button', next)) || fallback) ?? null)?.focus();
}
