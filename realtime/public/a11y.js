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
 * Before `el` leaves the page: when it holds the focus, returns a function that moves the focus to
 * the neighbouring item's first control (or `fallback`) once it is gone; else a no-op.
 */
export function focusAfterRemoval(el, fallback) {
  if (!el?.contains(document.activeElement)) return () => {};
  const next = el.nextElementSibling ?? el.previousElementSibling;
  return () => (((next?.isConnected && $('[data-k="done"], button', next)) || fallback) ?? null)?.focus();
}
