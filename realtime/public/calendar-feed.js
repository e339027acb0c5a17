// The calendar feed control (issue 16): the user's secret webcal:// URL, for a calendar app to subscribe to
// (api/feed/routes.ts). GET /me/calendar-feed says whether one is active; POST makes one (or a new one in
// place of the old, which stops working) and answers its URL once, since only a hash of the secret is
// stored: the panel shows it with a copy button until it is closed, and says so. DELETE revokes it.
import { $, h } from './dom.js';
import { api, act } from './api.js';
import { subscribe, userZone } from './store.js';
import { fmt } from './time.js';

/** What the panel shows: null until read; the URL only right after it was made. */
let feed = null;
let shownUrl = null;
let signedIn = null;

const panel = () => $('#feed-panel');

async function load() {
  try {
    feed = await api('GET', '/me/calendar-feed');
  } catch (error) {
    feed = { error: error.message };
  }
  render();
}

async function make(button) {
  await act(
    button,
    async () => {
      const made = await api('POST', '/me/calendar-feed');
      feed = { active: true, created_at: made.created_at };
      shownUrl = made.url;
      render();
      $('#feed-url')?.select();
    },
    'The calendar feed was not made',
  );
}

async function revoke(button) {
  await act(
    button,
    async () => {
      await api('DELETE', '/me/calendar-feed');
      feed = { active: false, created_at: null };
      shownUrl = null;
      render();
      $('#feed-make')?.focus();
    },
    'The calendar feed was not revoked',
  );
}

async function copy(button) {
  const input = $('#feed-url');
  const note = $('#feed-copied');
  try {
    await navigator.clipboard.writeText(input.value);
    note.textContent = 'Copied.';
  } catch {
    input.select();
    note.textContent = 'Copy it with Ctrl+C (the browser did not allow copying).';
  }
  button.focus();
}

function close() {
  panel().hidden = true;
  shownUrl = null;
  render();
  $('#feed-edit').focus();
}

function render() {
  const el = panel();
  if (!el) return;
  // Rebuilt on each change: the focused control keeps the focus when it is still there.
  const focused = el.contains(document.activeElement) ? document.activeElement.id : null;
  const status =
    feed === null
      ? 'Checking…'
      : feed.error
        ? `Could not read the feed's state: ${feed.error}`
        : feed.active
          ? `A feed URL is active (made ${fmt(feed.created_at, userZone())}).`
          : 'No feed URL is active.';
  const active = feed?.active === true;
  const children = [
    h('h2', { id: 'feed-heading' }, 'Calendar feed'),
    h(
      'p',
      { class: 'hint' },
      'A secret address a calendar app can subscribe to: your open tasks, with their due dates, series and reminders.',
    ),
    h('p', { id: 'feed-status', role: 'status' }, status),
    shownUrl
      ? h(
          'div',
          { class: 'feed-url' },
          h('label', { for: 'feed-url' }, 'Your feed URL'),
          h('input', { id: 'feed-url', type: 'text', readonly: true, value: shownUrl, spellcheck: 'false' }),
          h('button', { type: 'button', id: 'feed-copy', onclick: (e) => void copy(e.currentTarget) }, 'Copy'),
          h('span', { id: 'feed-copied', class: 'hint', 'aria-live': 'polite' }),
          h(
            'p',
            { class: 'hint', id: 'feed-once' },
            'It is shown only once: copy it now. Anyone with this URL can read your tasks. Lost it? Make a new one (the old one then stops working).',
          ),
        )
      : null,
    h(
      'div',
      { class: 'feed-actions' },
      h(
        'button',
        { type: 'button', id: 'feed-make', onclick: (e) => void make(e.currentTarget) },
        active ? 'Make a new URL (the old one stops working)' : 'Create feed URL',
      ),
      active
        ? h('button', { type: 'button', id: 'feed-revoke', onclick: (e) => void revoke(e.currentTarget) }, 'Revoke')
        : null,
      h('button', { type: 'button', id: 'feed-close', onclick: close }, 'Close'),
    ),
  ];
  // A part not on show is null here; replaceChildren would print it as the text "null".
  el.replaceChildren(...children.filter((child) => child !== null));
  if (focused) (document.getElementById(focused) ?? $('#feed-make'))?.focus();
}

/** Wires the header's "Calendar feed" button; the panel forgets everything when the signed-in user changes. */
export function setupCalendarFeed() {
  $('#feed-edit').addEventListener('click', () => {
    const el = panel();
    if (!el.hidden) {
      close();
      return;
    }
    el.hidden = false;
    feed = null;
    render();
    void load();
    $('#feed-make')?.focus();
  });
  // Esc closes it, as it closes the dialogs (the keyboard help says so), and gives the focus back.
  panel()?.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || panel().hidden) return;
    e.preventDefault();
    e.stopPropagation();
    close();
  });
  subscribe((s) => {
    const who = s.token ? (s.me?.id ?? null) : null;
    if (who === signedIn) return;
    signedIn = who;
    feed = null;
    shownUrl = null;
    const el = panel();
    if (el) {
      el.hidden = true;
      el.replaceChildren();
    }
  });
}
