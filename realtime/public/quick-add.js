// Quick add: one line of plain English ("Pay rent every month on the 1st at 9am !1 #Home"). While the
// user types, the server reads it (POST /quick-add/preview, debounced) and the fields it would create are
// previewed under the box; Enter saves exactly the previewed fields with POST /tasks. Nothing is parsed
// here: the preview is the server's reading, in the user's zone, against their lists and labels.
import { html, render } from '/vendor/lit-html/lit-html.js';
import { $, formError } from './dom.js';
import { nameKey } from './names.js';
import { getState, subscribe, userZone } from './store.js';
import { withViewDefaults } from './views.js';
import { api, ApiError } from './api.js';
import { setSaving } from './a11y.js';
import { describeRule } from './rules.js';
import { clockTime, formatter, humanDuration } from './time.js';
import { taskAdded } from './tasks.js';

/** Quiet time after the last keystroke before the text is read (ms). */
const DEBOUNCE_MS = 250;
/**
 * The language the page writes dates in (Intl's default, the browser's), as language[-Script][-REGION] (what
 * the API takes): quick add reads dates in figures in its order.
 */
const PAGE_LOCALE = (() => {
  const { language, script, region } = new Intl.Locale(Intl.DateTimeFormat().resolvedOptions().locale);
  return [language, script, region].filter(Boolean).join('-');
})();
const PRIORITY = { 1: 'P1 · urgent', 2: 'P2 · high', 3: 'P3 · medium', 4: 'P4 · none' };

/** The list a task without `#List` goes to: the list shown (not a search), else the Inbox (null: the server's default). */
function defaultList() {
  const { view, q, lists } = getState();
  if (view.kind === 'list' && !q && lists.has(view.listId)) return lists.get(view.listId);
  return [...lists.values()].find((l) => l.inbox) ?? null;
}

/**
 * The id of the user's label `name` (compared as the server keeps names unique: nameKey): made now
 * (POST /labels) unless it exists, also when it was made elsewhere since the preview was read (409).
 */
async function labelIdOf(name) {
  const key = nameKey(name);
  const known = () => [...getState().labels.values()].find((l) => nameKey(l.name) === key);
  const had = known();
  if (had) return had.id;
  try {
    return (await api('POST', '/labels', { name })).id;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    const { labels } = await api('GET', '/labels');
    const found = labels.find((l) => nameKey(l.name) === key);
    if (!found) throw error;
    return found.id;
  }
}

/** The body POST /tasks gets for a preview: its fields, with the view's defaults and the default list where it names none. */
function bodyOf(preview) {
  const body = withViewDefaults(preview.fields);
  const fallback = defaultList();
  if (!body.list_id && fallback) body.list_id = fallback.id;
  return body;
}

function dueText(due, zone) {
  if (!due) return null;
  const [y, m, d] = due.date.split('-').map(Number);
  const day = new Intl.DateTimeFormat(undefined, {
    timeZone: 'UTC',
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  }).format(new Date(Date.UTC(y, m - 1, d)));
  // The time as the task list will show it (the browser's 12- or 24-hour clock), at the instant to be saved.
  return due.time ? `${day}, ${formatter(zone, 'time').format(new Date(due.at))} (${zone})` : `${day}, all day`;
}

/** The reminder quick add read ("remind me 1 hour before"), as the preview says it; null without one. */
function reminderSaid(r) {
  if (!r) return null;
  if (r.at_time)
    return r.days_before
      ? `${r.days_before} day${r.days_before === 1 ? '' : 's'} before at ${clockTime(r.at_time)}`
      : `On the day at ${clockTime(r.at_time)}`;
  return `${humanDuration(r.before)} before`;
}

function previewView(preview) {
  if (!preview) return html``;
  const zone = preview.timezone ?? userZone();
  const body = bodyOf(preview);
  const list = preview.list ?? (body.list_id ? getState().lists.get(body.list_id) : null);
  const rows = [
    ['Title', preview.fields.title || '—', 'title'],
    ['Due', preview.due ? dueText(preview.due, zone) : body.due_date ? `Today, all day (this view)` : null, 'due'],
    [
      'Repeats',
      preview.repeat
        ? `${describeRule(preview.repeat.rule)}${preview.repeat.mode === 'after_completion' ? ', after completion' : ''}`
        : null,
      'repeat',
    ],
    ['Reminder', reminderSaid(preview.fields.reminders?.[0]), 'reminder'],
    ['Priority', preview.fields.priority ? PRIORITY[preview.fields.priority] : null, 'priority'],
    ['Assigned', body.assignee && body.assignee === getState().me?.id ? 'you (this view)' : null, 'assignee'],
    ['List', list ? `${list.name}${preview.list ? '' : ' (default)'}` : null, 'list'],
    [
      'Labels',
      preview.labels.length || preview.new_labels?.length || body.labels?.length
        ? [
            ...preview.labels.map((l) => l.name),
            ...(body.labels ?? [])
              .filter((id) => !preview.labels.some((l) => l.id === id))
              .map((id) => `${getState().labels.get(id)?.name ?? ''} (this view)`),
            ...(preview.new_labels ?? []).map((n) => `${n} (new)`),
          ].join(', ')
        : null,
      'labels',
    ],
  ].filter(([, value]) => value !== null);
  return html`<dl class="qa-fields">
      ${rows.map(([name, value, key]) => html`<div data-field=${key}><dt>${name}</dt><dd>${value}</dd></div>`)}
    </dl>
    ${
      preview.notes.length
        ? html`<ul class="qa-notes">
          ${preview.notes.map((n) => html`<li>${n}</li>`)}
        </ul>`
        : ''
    }`;
}

/** How long a preview stands for its text (ms): relative words ("in 2 hours", "tonight") move with the clock. */
const PREVIEW_FRESH_MS = 60_000;

/** What a preview was read against besides its text: the zone, the lists and the labels (their names). */
function contextKey() {
  const { lists, labels } = getState();
  const names = (m) => [...m.values()].map((x) => `${x.id}:${x.name}`).join('|');
  return `${userZone()}\n${names(lists)}\n${names(labels)}`;
}

export function setupQuickAdd() {
  const form = $('#quick-add-form');
  const input = $('#quick-add');
  const out = $('#quick-add-preview');
  const error = formError(form);
  /** The preview shown, for the text it was read from. */
  let shown = null;
  let timer = null;
  let asked = 0;
  /** The context a preview is being read again for (one request per change of lists, labels or zone). */
  let rereading = null;

  const show = (preview) => {
    shown = preview;
    out.hidden = !preview;
    render(previewView(preview?.result ?? null), out);
  };

  /** Whether `preview` still stands for its text: read against the zone, lists and labels of now, within a minute. */
  const fresh = (preview) => preview.context === contextKey() && Date.now() - preview.at < PREVIEW_FRESH_MS;

  /** The server's reading of `text` (POST /quick-add/preview), with what it was read against. */
  const fetchPreview = async (text) => {
    const context = contextKey();
    const at = Date.now();
    // The page's language (as its dates are written) says how a date in figures is read ("3/4": 3 April in
    // en-GB, March 4 in en-US).
    const result = await api('POST', '/quick-add/preview', { text, locale: PAGE_LOCALE });
    return { text, result, context, at };
  };

  /** Reads the box's text now; resolves with the preview (shown) or null when the text changed meanwhile. */
  const read = async () => {
    const text = input.value;
    if (!text.trim()) {
      show(null);
      return null;
    }
    // A preview stands for its text only while what it was read against holds (a label made since, a
    // zone changed, a minute passed): otherwise it is read again, so Enter never saves a stale reading.
    if (shown?.text === text && fresh(shown)) return shown;
    const mine = ++asked;
    const preview = await fetchPreview(text);
    if (mine !== asked || input.value !== text) return null;
    show(preview);
    return preview;
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    error.textContent = '';
    if (!input.value.trim()) {
      asked++;
      show(null);
      return;
    }
    timer = setTimeout(() => {
      read().catch((err) => {
        error.textContent = err.message;
      });
    }, DEBOUNCE_MS);
  });

  // The default list shown in the preview follows the view; a list, label or zone changed since it was
  // read has it read again.
  subscribe(() => {
    if (!shown) return;
    render(previewView(shown.result), out);
    const context = contextKey();
    if (shown.context === context || input.value !== shown.text || rereading === context) return;
    rereading = context;
    read()
      .catch((err) => {
        error.textContent = err.message;
      })
      .finally(() => {
        rereading = null;
      });
  });

  // Enter takes the line as it is and frees the box at once, so the next line can be typed while this one is
  // saved: lines are saved one after another, in the order entered, none dropped (a newcomer typing fast lost
  // a whole line to a busy guard, and the first letter of the next to the box being cleared after the save).
  // A line that cannot be saved comes back into the box if it is empty, or is named in the error.
  let saving = Promise.resolve();
  let pending = 0;
  const submit = $('#quick-add-submit');
  /** Lines are being saved: the form says so (aria-busy), and still takes the next one. */
  const busy = (on) => setSaving(form, submit, on);

  /** Says why `text` was not added: back in the box when the user has not typed since, else quoted. */
  const refuse = (text, message, preview = null) => {
    if (!input.value.trim()) {
      input.value = text;
      show(preview);
      error.textContent = message;
      input.focus();
    } else error.textContent = `“${text}” was not added: ${message}`;
  };

  /** Saves the line `text`, as the preview `seen` showed it (null: it was entered before its preview came). */
  const save = async (text, seen, cached) => {
    try {
      // Enter before the preview came, or on a stale one: read it now, and save what it says.
      let preview = cached && fresh(cached) ? cached : await fetchPreview(text);
      // A list, label or zone changed while it was read: read again against what holds now.
      for (let i = 0; i < 3 && !fresh(preview); i++) preview = await fetchPreview(text);
      // Read again since it was shown, and read differently: shown, not saved; Enter again saves it.
      if (seen && JSON.stringify(bodyOf(seen)) !== JSON.stringify(bodyOf(preview.result))) {
        refuse(text, 'The preview changed since it was shown: check it, then press Enter again to add.', preview);
        return;
      }
      if (!preview.result.fields.title) {
        refuse(text, 'A title is needed.', preview);
        return;
      }
      // Labels named with @ that are no label yet are made first, as the preview said ("(new)").
      const body = bodyOf(preview.result);
      const made = [];
      for (const name of preview.result.new_labels ?? []) made.push(await labelIdOf(name));
      if (made.length) body.labels = [...new Set([...(body.labels ?? []), ...made])];
      const task = await api('POST', '/tasks', body);
      taskAdded(task);
    } catch (err) {
      refuse(text, err.message);
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const text = input.value;
    if (!text.trim()) return;
    const cached = shown?.text === text ? shown : null;
    input.value = '';
    asked++; // a reading of this line still under way is not shown over what is typed next
    show(null);
    error.textContent = '';
    input.focus();
    pending++;
    busy(true);
    saving = saving
      .then(() => save(text, cached?.result ?? null, cached))
      .finally(() => {
        if (--pending === 0) busy(false);
      });
  });
}
