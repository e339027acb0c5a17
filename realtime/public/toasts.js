// Toasts: short messages in the polite live region #toasts (at most 5; errors are alerts).
import { $, h } from './dom.js';

/**
 * Shows a toast; `actions` are buttons [{label, run(button)}] that close it when done; `onDismiss` runs when
 * its Dismiss button closes it (not when an action or the timeout does). A toast of a
 * `group` ('moved', 'added') takes the place of the one before it of that group, so a run of moves shows
 * one toast, not a stack over the tasks. A toast whose action `opens` a list (its id) goes when the user loses
that list (dismissToastsOf). Returns the element.
 */
export function toast({
  title,
  body,
  kind = 'info',
  actions = [],
  group,
  opens,
  timeoutMs = kind === 'reminder' ? 0 : 6000,
  onDismiss,
}) {
  const region = $('#toasts');
  if (group) dismissGroup(group);
  const el = h(
    'div',
    { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : undefined, 'data-group': group, 'data-opens': opens },
    h('p', { class: 'toast-title' }, title),
    body ? h('p', {}, body) : null,
  );
  const close = () => el.remove();
  const buttons = actions.map(({ label, run, title: hint }) =>
    h(
      'button',
      {
        type: 'button',
        title: hint,
        // An action that answers false failed and said so: its toast stays, to be tried again.
        onclick: async (e) => {
          if ((await run(e.currentTarget)) !== false) close();
        },
      },
      label,
    ),
  );
  buttons.push(
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          onDismiss?.();
          close();
        },
      },
      'Dismiss',
    ),
  );
  el.append(h('div', { class: 'actions' }, buttons));
  if (kind === 'reminder')
    el.append(h('button', { type: 'button', class: 'unfold', onclick: () => el.classList.remove('folded') }, 'Show'));
  watchFolding(region);
  region.append(el);
  // At most 5 passing toasts; reminders stay until answered (notifications.js).
  const passing = [...region.children].filter((child) => !child.classList.contains('reminder'));
  while (passing.length > 5) passing.shift().remove();
  if (timeoutMs > 0) {
    // Held while the pointer or the focus is on it (WCAG 2.2.1: time to read it and reach its buttons).
    let timer = setTimeout(close, timeoutMs);
    const hold = () => clearTimeout(timer);
    const resume = () => {
      clearTimeout(timer);
      if (!el.matches(':hover') && !el.contains(document.activeElement)) timer = setTimeout(close, timeoutMs);
    };
    el.addEventListener('mouseenter', hold);
    el.addEventListener('focusin', hold);
    el.addEventListener('mouseleave', resume);
    el.addEventListener('focusout', () => requestAnimationFrame(resume));
  }
  return el;
}

/** Removes the toasts whose action opens list `listId` (the user has no access to it any more). */
export function dismissToastsOf(listId) {
  for (const el of $('#toasts')?.querySelectorAll('[data-opens]') ?? []) if (el.dataset.opens === listId) el.remove();
}

/** Removes the toasts of `group` (the news they gave is no longer true). */
export function dismissGroup(group) {
  for (const el of $('#toasts')?.querySelectorAll(`[data-group="${CSS.escape(group)}"]`) ?? []) el.remove();
}

let folding = null;
/** Folds the reminders again whenever a toast comes or goes, whoever removes it (an answer on another device too). */
function watchFolding(region) {
  if (folding) return;
  folding = new MutationObserver(foldReminders);
  folding.observe(region, { childList: true });
}

/** Reminders shown whole at once: the newest; older ones fold to their title and a Show button. */
const OPEN_REMINDERS = { narrow: 1, wide: 2 };

/**
 * Folds all but the newest reminders (OPEN_REMINDERS) to one line each: reminders stay until answered,
 * and a few of them whole covered half a phone's screen and a row's buttons on a desktop (a user's pass).
 * A folded one opens with its Show button; the next one opens by itself when a newer one is answered.
 */
function foldReminders() {
  const reminders = [...($('#toasts')?.querySelectorAll('.toast.reminder') ?? [])];
  const open = globalThis.matchMedia?.('(max-width: 760px)').matches ? OPEN_REMINDERS.narrow : OPEN_REMINDERS.wide;
  reminders.forEach((el, i) => {
    el.classList.toggle('folded', i < reminders.length - open);
  });
}
