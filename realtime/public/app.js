// tasklane dashboard: plain DOM, no framework, no build step. Every piece of user text goes into the
// page through textContent / Text nodes (the h() helper), never through innerHTML.
import { SyncClient, readStoredSeq, sendAction } from './client.js';

const TOKEN_KEY = 'tasklane.token';
const HIDE_DONE_KEY = 'tasklane.hideDone';
/** A reminder that fired longer ago than this is not announced again when it is replayed. */
const FRESH_REMINDER_MS = 15 * 60_000;
/** A persisted seq further behind than this is not replayed on load (the task list is fetched anyway). */
const MAX_REPLAY = 1000;

const $ = (selector, root = document) => root.querySelector(selector);

const S = {
  token: null,
  me: null,              // {id, timezone}
  tasks: new Map(),      // id → task (as GET /tasks/{id} returns it)
  gone: new Set(),       // ids of tasks known to be deleted
  items: new Map(),      // id → <li>
  editors: new Map(),    // id → editor (inline edit in progress)
  openHistory: new Set(),
  history: new Map(),    // id → events (when open)
  openReminders: new Set(),
  reminderDrafts: new Map(),
  fetching: new Set(),
  sync: null,
  hideDone: localStorage.getItem(HIDE_DONE_KEY) === '1',
  createPicker: null,
  createReminder: null,
};

// ====================================================================== DOM helpers
const PROPS = new Set(['checked', 'value', 'disabled', 'hidden', 'open', 'selected', 'required', 'tabIndex']);

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function option(value, label, selected = false) {
  return h('option', { value, selected }, label);
}

// ====================================================================== time
const formatters = new Map();
function formatter(zone, kind) {
  const key = `${zone}|${kind}`;
  let f = formatters.get(key);
  if (!f) {
    f = kind === 'parts'
      ? new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      : kind === 'time'
        ? new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit' })
        : new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    formatters.set(key, f);
  }
  return f;
}

function validZone(zone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const userZone = () => (S.me && validZone(S.me.timezone) ? S.me.timezone : 'UTC');
const taskZone = (task) => (task.timezone && validZone(task.timezone) ? task.timezone : userZone());

/** An instant shown in the user's zone. */
function fmt(iso, zone = userZone()) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : formatter(zone, 'date').format(date);
}

/** An instant as the value of <input type="datetime-local"> (wall-clock time in `zone`). */
function toLocalInput(iso, zone) {
  if (!iso) return '';
  const parts = Object.fromEntries(formatter(zone, 'parts').formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** Weekday (0 = Monday) and day of month of a datetime-local value, read as a calendar date. */
function calendarOf(local) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(local ?? '');
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return { weekday: (date.getUTCDay() + 6) % 7, day: Number(m[3]) };
}

function humanDuration(iso) {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(iso ?? '');
  if (!m) return String(iso);
  const units = [['week', m[1]], ['day', m[2]], ['hour', m[3]], ['min', m[4]], ['s', m[5]]];
  const out = units.filter(([, n]) => n && Number(n) !== 0).map(([unit, n]) => `${Number(n)} ${unit}${Number(n) === 1 || unit === 'min' || unit === 's' ? '' : 's'}`);
  return out.length ? out.join(' ') : '0 min';
}

// ====================================================================== API
class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, headers = {}) {
  let response;
  try {
    // One call is one user action: a write gets its own Idempotency-Key, reused on sendAction's retries.
    response = await sendAction(path, {
      method,
      headers: { authorization: `Bearer ${S.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { message: 'The server cannot be reached. Check the connection and try again.' });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { message: text.slice(0, 200) }; }
  }
  if (response.status === 401) {
    signOut('The server rejected the sign-in token (it may have expired). Sign in again.');
    throw new ApiError(401, data);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * Marks a control busy while its request runs. Not `disabled`: a focused control that becomes
 * disabled loses keyboard focus to <body>.
 */
function setBusy(el, on) {
  if (!el) return;
  if (on) { el.dataset.busy = '1'; el.setAttribute('aria-disabled', 'true'); }
  else { delete el.dataset.busy; el.removeAttribute('aria-disabled'); }
}
const isBusy = (el) => el?.dataset.busy === '1';

/** Runs an action for a control: busy meanwhile (a second press is ignored), a failure in a toast. */
async function act(button, fn, failure = 'That did not work') {
  if (isBusy(button)) return undefined;
  setBusy(button, true);
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) toast({ title: failure, body: error.message, kind: 'error' });
    return undefined;
  } finally {
    setBusy(button, false);
  }
}

// ====================================================================== recurrence
const WEEKDAYS = [['MO', 'Mon', 'Monday'], ['TU', 'Tue', 'Tuesday'], ['WE', 'Wed', 'Wednesday'], ['TH', 'Thu', 'Thursday'], ['FR', 'Fri', 'Friday'], ['SA', 'Sat', 'Saturday'], ['SU', 'Sun', 'Sunday']];
const ORDINALS = [['1', 'first'], ['2', 'second'], ['3', 'third'], ['4', 'fourth'], ['-1', 'last']];
const KINDS = [['none', 'Does not repeat'], ['daily', 'Daily'], ['weekly', 'Weekly, on chosen days'], ['monthly-date', 'Monthly, on a date'], ['monthly-ordinal', 'Monthly, on a weekday (e.g. last Friday)'], ['custom', 'Custom rule (RRULE)']];

/** The picker's model of a rule, or {kind: 'custom'} for anything it cannot show. */
function parseRule(rule) {
  if (!rule) return { kind: 'none' };
  const raw = rule.trim().replace(/^RRULE:/i, '');
  const parts = {};
  for (const piece of raw.split(';')) {
    const [k, v] = piece.split('=');
    if (!k || v === undefined) return { kind: 'custom', raw };
    parts[k.toUpperCase()] = v.toUpperCase();
  }
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'COUNT']);
  if (Object.keys(parts).some((k) => !known.has(k))) return { kind: 'custom', raw };
  const interval = parts.INTERVAL ? Number(parts.INTERVAL) : 1;
  const count = parts.COUNT ? Number(parts.COUNT) : null;
  if (!Number.isInteger(interval) || interval < 1 || (count !== null && !(Number.isInteger(count) && count > 0))) return { kind: 'custom', raw };
  const base = { interval, count };
  if (parts.FREQ === 'DAILY' && !parts.BYDAY && !parts.BYMONTHDAY) return { kind: 'daily', ...base };
  if (parts.FREQ === 'WEEKLY' && !parts.BYMONTHDAY) {
    const days = (parts.BYDAY ?? '').split(',').filter(Boolean);
    if (days.every((d) => WEEKDAYS.some(([code]) => code === d))) return { kind: 'weekly', ...base, days };
  }
  if (parts.FREQ === 'MONTHLY' && parts.BYMONTHDAY && !parts.BYDAY && /^(-1|[1-9]|[12]\d|3[01])$/.test(parts.BYMONTHDAY)) {
    return { kind: 'monthly-date', ...base, monthDay: parts.BYMONTHDAY };
  }
  if (parts.FREQ === 'MONTHLY' && parts.BYDAY && !parts.BYMONTHDAY) {
    const m = /^(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)$/.exec(parts.BYDAY);
    if (m) return { kind: 'monthly-ordinal', ...base, ordinal: m[1], weekday: m[2] };
  }
  return { kind: 'custom', raw };
}

function buildRule(model) {
  const tail = `${model.interval > 1 ? `;INTERVAL=${model.interval}` : ''}${model.count ? `;COUNT=${model.count}` : ''}`;
  switch (model.kind) {
    case 'daily': return `FREQ=DAILY${tail}`;
    case 'weekly': return `FREQ=WEEKLY${tail}${model.days.length ? `;BYDAY=${model.days.join(',')}` : ''}`;
    case 'monthly-date': return `FREQ=MONTHLY${tail};BYMONTHDAY=${model.monthDay}`;
    case 'monthly-ordinal': return `FREQ=MONTHLY${tail};BYDAY=${model.ordinal}${model.weekday}`;
    case 'custom': return model.raw?.trim() || null;
    default: return null;
  }
}

function describeRule(rule) {
  const m = parseRule(rule);
  const every = (unit, adverb) => (m.interval > 1 ? `every ${m.interval} ${unit}s` : adverb);
  const dayName = (code) => WEEKDAYS.find(([c]) => c === code)?.[1] ?? code;
  const times = m.count ? `, ${m.count} times` : '';
  switch (m.kind) {
    case 'daily': return `${every('day', 'daily')}${times}`;
    case 'weekly': return `${every('week', 'weekly')}${m.days.length ? ` on ${m.days.map(dayName).join(', ')}` : ''}${times}`;
    case 'monthly-date': return `${every('month', 'monthly')} on ${m.monthDay === '-1' ? 'the last day' : `day ${m.monthDay}`}${times}`;
    case 'monthly-ordinal': return `${every('month', 'monthly')} on the ${ORDINALS.find(([o]) => o === m.ordinal)?.[1] ?? m.ordinal} ${WEEKDAYS.find(([c]) => c === m.weekday)?.[2] ?? m.weekday}${times}`;
    case 'none': return '';
    default: return rule;
  }
}

/**
 * The recurrence picker: builds an RRULE from plain choices and previews the next 5 dates with
 * POST /recurrence/preview. `getStart()` is the due date input's value (the series start, wall-clock),
 * `getZone()` the zone it is read in.
 */
function recurrencePicker({ id, rule = null, getStart, getZone }) {
  const model = { kind: 'none', interval: 1, count: null, days: [], monthDay: '1', ordinal: '1', weekday: 'MO', raw: '', ...parseRule(rule) };
  const ids = (name) => `${id}-${name}`;
  const kind = h('select', { id: ids('kind') }, KINDS.map(([value, label]) => option(value, label, value === model.kind)));
  const interval = h('input', { id: ids('interval'), type: 'number', min: '1', max: '999', value: String(model.interval) });
  const unit = h('span');
  const dayBoxes = WEEKDAYS.map(([code, short, long]) => h('label', { class: 'inline' },
    h('input', { type: 'checkbox', value: code, checked: model.days.includes(code), 'aria-label': long }), short));
  const monthDay = h('select', { id: ids('monthday') },
    Array.from({ length: 31 }, (_, i) => option(String(i + 1), String(i + 1), String(i + 1) === model.monthDay)),
    option('-1', 'Last day', model.monthDay === '-1'));
  const ordinal = h('select', { id: ids('ordinal') }, ORDINALS.map(([value, label]) => option(value, label, value === model.ordinal)));
  const weekday = h('select', { id: ids('weekday'), 'aria-label': 'Weekday' }, WEEKDAYS.map(([code, , long]) => option(code, long, code === model.weekday)));
  const raw = h('input', { id: ids('raw'), type: 'text', value: model.raw, placeholder: 'FREQ=WEEKLY;BYDAY=MO,WE', spellcheck: 'false', autocomplete: 'off' });
  const ends = h('select', { id: ids('ends') }, option('never', 'Never', !model.count), option('count', 'After a number of times', Boolean(model.count)));
  const count = h('input', { id: ids('count'), type: 'number', min: '1', max: '1000', value: String(model.count ?? 10), 'aria-label': 'Number of occurrences' });
  const ruleText = h('p', { class: 'rule', id: ids('rule') });
  const previewHead = h('p', { class: 'preview-head', id: ids('preview-head') }, 'Next 5 dates');
  const preview = h('ol', { class: 'preview', id: ids('preview'), 'aria-labelledby': ids('preview-head'), 'aria-live': 'polite' });
  const note = h('p', { class: 'hint', id: ids('note') });
  const error = h('p', { class: 'error', role: 'alert' });

  const rows = {
    interval: h('div', { class: 'row' }, h('label', { for: ids('interval') }, 'Every'), interval, unit),
    weekdays: h('fieldset', { class: 'weekdays' }, h('legend', {}, 'On'), dayBoxes),
    monthDay: h('div', { class: 'row' }, h('label', { for: ids('monthday') }, 'On day'), monthDay, h('span', { class: 'hint' }, 'months without that day are skipped: pick "Last day" for month ends')),
    ordinal: h('div', { class: 'row' }, h('label', { for: ids('ordinal') }, 'On the'), ordinal, weekday),
    raw: h('div', { class: 'row' }, h('label', { for: ids('raw') }, 'RRULE'), raw),
    ends: h('div', { class: 'row' }, h('label', { for: ids('ends') }, 'Ends'), ends, count),
  };
  const output = h('div', {}, ruleText, previewHead, preview, note);
  const element = h('fieldset', { class: 'recurrence' }, h('legend', {}, 'Repeat'),
    h('div', { class: 'row' }, h('label', { for: ids('kind') }, 'Repeats'), kind),
    Object.values(rows), output, error);

  let touched = rule !== null;
  let timer = null;
  let request = 0;

  function defaultsFromStart() {
    const cal = calendarOf(getStart()) ?? calendarOf(toLocalInput(new Date().toISOString(), getZone()));
    if (!cal) return;
    const code = WEEKDAYS[cal.weekday][0];
    if (!dayBoxes.some((l) => l.firstChild.checked)) for (const l of dayBoxes) l.firstChild.checked = l.firstChild.value === code;
    if (!touched) {
      monthDay.value = String(cal.day);
      ordinal.value = String(Math.min(Math.ceil(cal.day / 7), 4));
      weekday.value = code;
    }
  }

  function read() {
    return {
      kind: kind.value,
      interval: Math.max(1, Math.floor(Number(interval.value) || 1)),
      count: ends.value === 'count' ? Math.max(1, Math.floor(Number(count.value) || 1)) : null,
      days: dayBoxes.map((l) => l.firstChild).filter((b) => b.checked).map((b) => b.value),
      monthDay: monthDay.value,
      ordinal: ordinal.value,
      weekday: weekday.value,
      raw: raw.value,
    };
  }

  function layout() {
    const k = kind.value;
    const repeating = k !== 'none';
    rows.interval.hidden = !repeating || k === 'custom';
    unit.textContent = { daily: 'day(s)', weekly: 'week(s)', 'monthly-date': 'month(s)', 'monthly-ordinal': 'month(s)' }[k] ?? '';
    rows.weekdays.hidden = k !== 'weekly';
    rows.monthDay.hidden = k !== 'monthly-date';
    rows.ordinal.hidden = k !== 'monthly-ordinal';
    rows.raw.hidden = k !== 'custom';
    rows.ends.hidden = !repeating || k === 'custom';
    count.hidden = ends.value !== 'count';
    output.hidden = !repeating;
  }

  function changed() {
    layout();
    const rule = buildRule(read());
    ruleText.textContent = rule ? `Rule: ${rule}` : '';
    error.textContent = '';
    clearTimeout(timer);
    if (!rule) { request++; showPreview(null, []); note.textContent = ''; return; }
    preview.setAttribute('aria-busy', 'true'); // what it lists is for an earlier rule until the answer comes
    timer = setTimeout(() => void refreshPreview(rule), 200);
  }

  function showPreview(rule, items) {
    preview.replaceChildren(...items);
    if (rule) preview.dataset.rule = rule;
    else delete preview.dataset.rule;
    preview.setAttribute('aria-busy', 'false');
  }

  async function refreshPreview(rule) {
    const mine = ++request;
    const start = getStart();
    if (!start) {
      showPreview(null, []);
      note.textContent = 'Set a due date: it is the first occurrence of the series.';
      return;
    }
    note.textContent = 'Loading preview…';
    try {
      const zone = getZone();
      const body = await api('POST', '/recurrence/preview', { rule, start, timezone: zone, after: new Date().toISOString(), limit: 5 });
      if (mine !== request) return;
      showPreview(rule, body.occurrences.map((iso) => h('li', {}, h('time', { datetime: iso }, fmt(iso, zone)))));
      note.textContent = body.occurrences.length ? `Times in ${zone}.` : 'No upcoming dates: the rule has ended.';
    } catch (e) {
      if (mine !== request) return;
      showPreview(null, []);
      note.textContent = '';
      error.textContent = e.message;
    }
  }

  kind.addEventListener('change', () => { defaultsFromStart(); changed(); });
  for (const el of [interval, monthDay, ordinal, weekday, raw, ends, count, ...dayBoxes.map((l) => l.firstChild)]) {
    el.addEventListener('input', () => { touched = true; changed(); });
    el.addEventListener('change', () => { touched = true; changed(); });
  }
  layout();
  changed();

  return {
    element,
    /** The RRULE, or null for "does not repeat". */
    getRule: () => buildRule(read()),
    /** Call when the start or zone changed. */
    refresh: () => { if (kind.value === 'weekly' && !touched) defaultsFromStart(); changed(); },
    reset: () => { kind.value = 'none'; touched = false; for (const l of dayBoxes) l.firstChild.checked = false; ends.value = 'never'; interval.value = '1'; changed(); },
  };
}

// ====================================================================== reminder choice
const PRESETS = [['PT10M', '10 min before'], ['PT1H', '1 hour before'], ['P1D', '1 day before']];

/** A select of "before" presets or an absolute time. Returns {element, read(), reset()}. */
function reminderChooser({ id, label = 'Reminder', allowNone = true, allowBefore = true, allowAt = true, draft }) {
  const select = h('select', { id: `${id}-choice` },
    allowNone ? option('', 'None') : null,
    allowBefore ? PRESETS.map(([value, text]) => option(value, text)) : null,
    allowAt ? option('at', 'At a time…') : null);
  const at = h('input', { id: `${id}-at`, type: 'datetime-local' });
  const atLabel = h('label', { for: `${id}-at` }, 'Remind at');
  const atRow = h('span', { class: 'row' }, atLabel, at);
  if (draft) {
    if ([...select.options].some((o) => o.value === draft.choice)) select.value = draft.choice;
    at.value = draft.at ?? '';
  }
  const sync = () => {
    atRow.hidden = select.value !== 'at';
    if (draft) { draft.choice = select.value; draft.at = at.value; }
  };
  select.addEventListener('change', sync);
  at.addEventListener('input', sync);
  sync();
  const element = h('span', { class: 'row' }, h('label', { for: `${id}-choice` }, label), select, atRow);
  return {
    element,
    select,
    /** {before} | {at} | null | {error} */
    read() {
      if (select.value === '') return null;
      if (select.value === 'at') return at.value ? { at: at.value } : { error: 'Choose when to be reminded.' };
      return { before: select.value };
    },
    reset() { select.selectedIndex = 0; at.value = ''; sync(); },
  };
}

// ====================================================================== toasts and notifications
function toast({ title, body, kind = 'info', actions = [], timeoutMs = kind === 'reminder' ? 0 : 6000 }) {
  const region = $('#toasts');
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : undefined },
    h('p', { class: 'toast-title' }, title),
    body ? h('p', {}, body) : null);
  const close = () => el.remove();
  const buttons = actions.map(({ label, run }) => h('button', { type: 'button', onclick: async (e) => { await run(e.currentTarget); close(); } }, label));
  buttons.push(h('button', { type: 'button', onclick: close }, 'Dismiss'));
  el.append(h('div', { class: 'actions' }, buttons));
  region.append(el);
  while (region.children.length > 5) region.firstElementChild.remove();
  if (timeoutMs > 0) setTimeout(close, timeoutMs);
  return el;
}

function notifyReminder(event) {
  const d = event.data;
  const task = S.tasks.get(d.task_id ?? event.aggregate_id);
  const title = task?.title ?? d.title ?? 'a task';
  const body = d.due_date ? `Due ${fmt(d.due_date)}` : `Reminder set for ${fmt(d.remind_at)}`;
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(`Reminder: ${title}`, { body, tag: `tasklane-${d.reminder_id}` });
      n.onclick = () => { window.focus(); n.close(); };
      return;
    } catch { /* fall back to the toast (e.g. Notification needs a service worker here) */ }
  }
  toast({
    title: `Reminder: ${title}`, body, kind: 'reminder',
    actions: [{ label: 'Snooze 10 min', run: (button) => snooze(d.task_id ?? event.aggregate_id, d.reminder_id, button) }],
  });
}

async function snooze(taskId, reminderId, button) {
  await act(button, async () => {
    await api('POST', `/tasks/${taskId}/reminders/${reminderId}/snooze`, { for: 'PT10M' });
    toast({ title: 'Snoozed for 10 minutes' });
  }, 'Could not snooze');
}

// ====================================================================== connection indicator
function showConnection(state, detail) {
  const el = $('#conn');
  el.dataset.state = state;
  const text = {
    connecting: detail.reconnecting ? 'Reconnecting…' : 'Connecting…',
    live: 'Live',
    offline: 'Offline: changes will appear when the connection is back',
    polling: 'Polling every 30 s (live connection unavailable)',
    unauthorized: 'Signed out',
    stopped: 'Not connected',
  }[state] ?? state;
  el.textContent = text;
  el.title = detail.reason || detail.error || '';
}

// ====================================================================== applying events
function reminderStatus(r) {
  if (r.cancelled) return 'cancelled';
  if (r.remind_at === null) return 'template';
  return r.notified ? 'notified' : 'pending';
}

const withStatus = (r) => ({ ...r, status: reminderStatus(r) });

function byCreated(a, b) {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The browser's copy of the server's evolve(): a task and one event of it → the task after it. */
function evolve(task, event) {
  const d = event.data ?? {};
  const next = { ...task, version: event.version, updated_at: event.timestamp };
  const setChanges = (t, changes) => { for (const [field, change] of Object.entries(changes ?? {})) t[field] = change.to; return t; };
  const withReminder = (id, f) => ({ ...next, reminders: next.reminders.map((r) => (r.id === id ? withStatus(f(r)) : r)) });
  switch (event.event_type) {
    case 'task.updated':
    case 'task.due_date_changed':
    case 'recurring.rescheduled':
      return setChanges(next, d.changes);
    case 'task.completed': return { ...next, completed: true };
    case 'task.uncompleted': return { ...next, completed: false };
    case 'task.deleted': return null;
    case 'recurring.spawned': return { ...next, next_occurrence: d.next_occurrence?.to ?? null };
    case 'reminder.scheduled': {
      const reminder = withStatus(d.reminder);
      return { ...next, reminders: [...next.reminders.filter((r) => r.id !== reminder.id), reminder].sort(byCreated) };
    }
    case 'reminder.cancelled': return withReminder(d.reminder_id, (r) => ({ ...r, cancelled: true }));
    case 'reminder.triggered': return withReminder(d.reminder_id, (r) => ({ ...r, notified: true }));
    case 'reminder.snoozed': return withReminder(d.reminder_id, (r) => ({ ...r, notified: false, remind_at: d.remind_at?.to ?? r.remind_at }));
    default: return next;
  }
}

function applyEvent(event) {
  if (event.aggregate_type === 'user') {
    if (event.event_type === 'user.timezone_changed' && S.me) {
      S.me.timezone = event.data?.changes?.timezone?.to ?? S.me.timezone;
      renderEverything();
    }
    return;
  }
  if (event.event_type === 'reminder.triggered') {
    const firedAt = Date.parse(event.data?.fired_at ?? event.timestamp);
    if (Date.now() - firedAt < FRESH_REMINDER_MS) notifyReminder(event);
  }
  const id = event.aggregate_id;
  const task = S.tasks.get(id);
  if (event.event_type === 'task.created') {
    if (!task && !S.gone.has(id)) {
      const created = { ...event.data.task, version: event.version, updated_at: event.timestamp, reminders: [] };
      delete created.last_spawned_at;
      setTask(created, { flash: true });
    }
    return;
  }
  if (!task) {
    // An event of a task this page does not hold (e.g. beyond the first pages): fetch it.
    if (event.event_type !== 'task.deleted' && !S.gone.has(id)) void fetchTask(id);
    return;
  }
  if (event.version <= task.version) return; // already in the fetched state
  if (event.version > task.version + 1) { void fetchTask(id); return; } // something is missing: reload it
  const next = evolve(task, event);
  if (next === null) removeTask(id, 'deleted elsewhere');
  else setTask(next);
  if (S.openHistory.has(id)) scheduleHistory(id);
}

async function fetchTask(id) {
  if (S.fetching.has(id)) return;
  S.fetching.add(id);
  try {
    upsertTask(await api('GET', `/tasks/${id}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) removeTask(id);
  } finally {
    S.fetching.delete(id);
  }
}

/** A task from a REST response: taken when it is newer than what the page holds. */
function upsertTask(task) {
  if (!task || !task.id) return;
  if (task.deleted_at) { removeTask(task.id); return; }
  const known = S.tasks.get(task.id);
  if (known && known.version >= task.version) return;
  if (S.gone.has(task.id)) return;
  setTask(task, { flash: !known });
}

function setTask(task, { flash = false } = {}) {
  const isNew = !S.tasks.has(task.id);
  S.tasks.set(task.id, task);
  const editor = S.editors.get(task.id);
  if (editor) editor.changedElsewhere(task);
  else renderItem(task, { flash: flash && isNew });
  updateCount();
}

function removeTask(id, why) {
  S.gone.add(id);
  S.tasks.delete(id);
  const li = S.items.get(id);
  const hadFocus = li?.contains(document.activeElement);
  const editor = S.editors.get(id);
  if (editor) {
    S.editors.delete(id);
    if (why) toast({ title: 'A task you were editing was deleted elsewhere', body: editor.title });
  }
  if (li) {
    const next = li.nextElementSibling ?? li.previousElementSibling;
    li.remove();
    S.items.delete(id);
    if (hadFocus) ((next && $('[data-k="done"], button', next)) ?? $('#tasks-heading')).focus();
  }
  S.history.delete(id);
  S.openHistory.delete(id);
  updateCount();
}

// ====================================================================== rendering the list
function updateCount() {
  const total = S.tasks.size;
  const open = [...S.tasks.values()].filter((t) => !t.completed).length;
  $('#task-count').textContent = total ? `(${open} open, ${total} in all)` : '';
  const status = $('#list-status');
  status.textContent = total === 0 ? 'No tasks yet: add one above.' : '';
  status.hidden = total !== 0;
}

function renderEverything() {
  $('#user-zone').textContent = userZone();
  $('.new-zone').textContent = `(in ${userZone()})`;
  for (const task of S.tasks.values()) if (!S.editors.has(task.id)) renderItem(task);
  S.createPicker?.refresh();
}

function placeItem(li, task) {
  const list = $('#tasks');
  if (li.parentNode === list) return;
  let before = null;
  for (const other of list.children) {
    const t = S.tasks.get(other.dataset.id);
    if (t && byCreated(t, task) < 0) { before = other; break; }
  }
  list.insertBefore(li, before);
}

/** (Re)renders a task's item, keeping focus on the same control. */
function renderItem(task, { flash = false } = {}) {
  const old = S.items.get(task.id);
  const focusKey = old && old.contains(document.activeElement) ? document.activeElement.dataset.k : null;
  const li = h('li', { class: `task${task.completed ? ' done' : ''}${flash ? ' flash' : ''}`, 'data-id': task.id, hidden: S.hideDone && task.completed });
  li.append(...taskView(task));
  if (old) old.replaceWith(li);
  else placeItem(li, task);
  S.items.set(task.id, li);
  if (focusKey) (li.querySelector(`[data-k="${focusKey}"]`) ?? li.querySelector('[data-k="done"]'))?.focus();
}

function taskView(task) {
  const id = task.id;
  const zone = userZone();
  const done = h('input', {
    type: 'checkbox', id: `done-${id}`, 'data-k': 'done', checked: task.completed, disabled: task.is_recurring,
    'aria-label': `Completed: ${task.title}`,
    title: task.is_recurring ? 'A series is not completed itself: complete its occurrences, or delete the series' : undefined,
  });
  done.addEventListener('change', () => {
    const wanted = done.checked;
    if (isBusy(done)) { done.checked = !wanted; return; }
    void act(done, async () => upsertTask(await api('POST', `/tasks/${id}/${wanted ? 'complete' : 'uncomplete'}`)), wanted ? 'Could not complete the task' : 'Could not reopen the task')
      .then(() => { const t = S.tasks.get(id); if (t && done.isConnected) done.checked = t.completed; });
  });

  const head = h('div', { class: 'task-head' }, done,
    h('span', { class: 'title' }, task.title),
    task.is_recurring ? h('span', { class: 'badge' }, 'repeats') : null,
    task.series_id ? h('span', { class: 'badge' }, 'occurrence') : null,
    task.completed ? h('span', { class: 'badge' }, 'done') : null);

  const meta = [];
  if (task.due_date) {
    const own = task.timezone && task.timezone !== zone ? ` (${formatter(taskZone(task), 'time').format(new Date(task.due_date))} ${task.timezone})` : '';
    const overdue = !task.completed && !task.is_recurring && Date.parse(task.due_date) < Date.now() ? ' — overdue' : '';
    meta.push(h('span', {}, `${task.is_recurring ? 'Starts' : 'Due'} ${fmt(task.due_date)}${own}${overdue}`));
  }
  if (task.recurrence_rule) meta.push(h('span', {}, `Repeats ${describeRule(task.recurrence_rule)}`));
  if (task.is_recurring) meta.push(h('span', {}, task.next_occurrence ? `Next ${fmt(task.next_occurrence)}` : 'No further occurrences'));

  const deleteButton = h('button', { type: 'button', class: 'danger', 'data-k': 'delete', 'aria-label': `Delete: ${task.title}` }, 'Delete');
  let armed = null;
  deleteButton.addEventListener('click', () => {
    if (!armed) {
      deleteButton.textContent = 'Confirm delete';
      deleteButton.setAttribute('aria-label', `Confirm delete: ${task.title}`);
      deleteButton.classList.add('confirm');
      armed = setTimeout(() => { armed = null; deleteButton.textContent = 'Delete'; deleteButton.setAttribute('aria-label', `Delete: ${task.title}`); deleteButton.classList.remove('confirm'); }, 4000);
      return;
    }
    clearTimeout(armed);
    void act(deleteButton, async () => { await api('DELETE', `/tasks/${id}`); removeTask(id); }, 'Could not delete the task');
  });

  const historyOpen = S.openHistory.has(id);
  const actions = h('div', { class: 'actions' },
    h('button', { type: 'button', 'data-k': 'edit', 'aria-label': `Edit: ${task.title}`, onclick: () => openEditor(id) }, 'Edit'),
    h('button', { type: 'button', 'data-k': 'history', 'aria-label': `${historyOpen ? 'Hide history' : 'History'}: ${task.title}`, 'aria-expanded': String(historyOpen), 'aria-controls': `history-${id}`, onclick: () => toggleHistory(id) }, historyOpen ? 'Hide history' : 'History'),
    deleteButton);

  return [
    head,
    task.description ? h('p', { class: 'desc' }, task.description) : null,
    meta.length ? h('p', { class: 'meta' }, meta) : null,
    remindersView(task),
    actions,
    historyOpen ? historyView(id) : null,
  ].filter(Boolean);
}

function reminderText(r, task) {
  const zone = taskZone(task);
  if (r.offset) return `${humanDuration(r.offset)} before${r.remind_at ? ` — ${fmt(r.remind_at, zone)}` : ' each occurrence'}`;
  return `At ${fmt(r.remind_at, zone)}`;
}

function remindersView(task) {
  const id = task.id;
  const visible = task.reminders.filter((r) => !r.cancelled);
  const list = h('ul', { class: 'reminders' }, visible.map((r) => h('li', {},
    h('span', {}, reminderText(r, task)),
    h('span', { class: `status ${r.status ?? reminderStatus(r)}` }, { pending: 'pending', notified: 'fired', template: 'per occurrence' }[r.status ?? reminderStatus(r)] ?? ''),
    (r.status ?? reminderStatus(r)) === 'notified' && !task.is_recurring && !task.completed
      ? h('button', { type: 'button', 'data-k': `snooze-${r.id}`, onclick: (e) => snooze(id, r.id, e.currentTarget) }, 'Snooze 10 min') : null,
    h('button', {
      type: 'button', 'data-k': `remove-${r.id}`, 'aria-label': `Remove reminder: ${reminderText(r, task)}`,
      onclick: (e) => act(e.currentTarget, async () => { await api('DELETE', `/tasks/${id}/reminders/${r.id}`); void fetchTask(id); }, 'Could not remove the reminder'),
    }, 'Remove'))));
  if (!visible.length) list.append(h('li', { class: 'hint' }, 'No reminders.'));

  let adder = null;
  if (!task.completed && !task.deleted_at) {
    const draft = S.reminderDrafts.get(id) ?? { choice: task.due_date ? 'PT1H' : 'at', at: '' };
    S.reminderDrafts.set(id, draft);
    const chooser = reminderChooser({ id: `rem-${id}`, label: 'Add', allowNone: false, allowBefore: Boolean(task.due_date), allowAt: !task.is_recurring, draft });
    chooser.select.dataset.k = 'rem-choice';
    const error = h('p', { class: 'error', role: 'alert' });
    const add = h('button', { type: 'button', 'data-k': 'rem-add' }, 'Add reminder');
    add.addEventListener('click', () => {
      const spec = chooser.read();
      if (!spec || spec.error) { error.textContent = spec?.error ?? 'Choose a reminder.'; return; }
      error.textContent = '';
      if (isBusy(add)) return;
      void (async () => {
        setBusy(add, true);
        try {
          await api('POST', `/tasks/${id}/reminders`, spec);
          S.reminderDrafts.delete(id);
          void fetchTask(id);
        } catch (e) {
          if (error.isConnected) error.textContent = e.message;
          else toast({ title: 'Could not add the reminder', body: e.message, kind: 'error' });
        } finally {
          setBusy(add, false);
        }
      })();
    });
    adder = h('div', { class: 'row' }, chooser.element, add, error);
  }
  const details = h('details', { open: S.openReminders.has(id) },
    h('summary', { 'data-k': 'reminders' }, `Reminders (${visible.length})`), list, adder);
  details.addEventListener('toggle', () => { if (details.open) S.openReminders.add(id); else S.openReminders.delete(id); });
  return details;
}

// ====================================================================== history
function toggleHistory(id) {
  if (S.openHistory.has(id)) {
    S.openHistory.delete(id);
    S.history.delete(id);
  } else {
    S.openHistory.add(id);
    void loadHistory(id);
  }
  const task = S.tasks.get(id);
  if (task && !S.editors.has(id)) renderItem(task);
}

const historyTimers = new Map();
function scheduleHistory(id) {
  clearTimeout(historyTimers.get(id));
  historyTimers.set(id, setTimeout(() => void loadHistory(id), 150));
}

async function loadHistory(id) {
  try {
    const body = await api('GET', `/tasks/${id}/history`);
    if (!S.openHistory.has(id)) return;
    S.history.set(id, body.events);
  } catch (error) {
    S.history.set(id, { error: error.message });
  }
  const task = S.tasks.get(id);
  if (task && !S.editors.has(id)) renderItem(task);
}

const DATE_FIELDS = new Set(['due_date', 'next_occurrence', 'remind_at', 'occurrence_at', 'deleted_at', 'fired_at']);
const FIELD_NAMES = { title: 'Title', description: 'Description', due_date: 'Due', recurrence_rule: 'Repeats', timezone: 'Time zone', is_recurring: 'Recurring', next_occurrence: 'Next occurrence', completed: 'Completed', remind_at: 'Reminder time' };

function showValue(field, value) {
  if (value === null || value === undefined || value === '') return '(none)';
  if (DATE_FIELDS.has(field)) return fmt(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (field === 'recurrence_rule') return `${describeRule(value)} (${value})`;
  return `“${value}”`;
}

function changeLines(changes) {
  return Object.entries(changes ?? {}).map(([field, c]) => `${FIELD_NAMES[field] ?? field}: ${showValue(field, c.from)} → ${showValue(field, c.to)}`);
}

function describeEvent(e) {
  const d = e.data ?? {};
  switch (e.event_type) {
    case 'task.created': return [`Created “${d.task?.title ?? ''}”${d.task?.due_date ? `, due ${fmt(d.task.due_date)}` : ''}${d.task?.recurrence_rule ? `, repeats ${describeRule(d.task.recurrence_rule)}` : ''}${d.task?.series_id ? ' (an occurrence of a series)' : ''}`];
    case 'task.updated': return ['Edited', ...changeLines(d.changes)];
    case 'task.due_date_changed': return changeLines(d.changes);
    case 'task.completed': return ['Completed'];
    case 'task.uncompleted': return ['Marked not done'];
    case 'task.deleted': return ['Deleted', ...changeLines(d.changes)];
    case 'recurring.spawned': return [`Occurrence for ${fmt(d.occurrence_at)} created${d.late ? ' (late)' : ''}`, ...changeLines({ next_occurrence: d.next_occurrence }), d.skipped_count ? `${d.skipped_count} missed occurrence(s) skipped` : null].filter(Boolean);
    case 'recurring.rescheduled': return [`Rescheduled${d.reason === 'timezone_changed' ? ' (time zone changed)' : ''}`, ...changeLines(d.changes)];
    case 'reminder.scheduled': return [`Reminder scheduled: ${d.reminder?.offset ? `${humanDuration(d.reminder.offset)} before` : 'absolute'}${d.reminder?.remind_at ? `, at ${fmt(d.reminder.remind_at)}` : ' (each occurrence)'}`];
    case 'reminder.cancelled': return [`Reminder cancelled (${String(d.reason ?? '').replaceAll('_', ' ') || 'removed'})`];
    case 'reminder.triggered': return [`Reminder fired at ${fmt(d.fired_at)}${d.late ? ` (late by ${Math.round((d.late_ms ?? 0) / 1000)} s)` : ''}`];
    case 'reminder.snoozed': return [`Reminder snoozed${d.for ? ` for ${humanDuration(d.for)}` : ''}`, ...changeLines({ remind_at: d.remind_at })];
    default: return [e.event_type];
  }
}

function historyView(id) {
  const events = S.history.get(id);
  const list = h('ol', { class: 'history', id: `history-${id}`, 'aria-label': 'History' });
  if (!events) list.append(h('li', { class: 'hint' }, 'Loading history…'));
  else if (events.error) list.append(h('li', { class: 'error' }, events.error));
  else {
    for (const e of events) {
      const [first, ...rest] = describeEvent(e);
      list.append(h('li', {}, h('time', { datetime: e.timestamp }, fmt(e.timestamp)), `v${e.version} · ${first}`,
        rest.length ? h('ul', {}, rest.map((line) => h('li', {}, line))) : null));
    }
  }
  return list;
}

// ====================================================================== inline editor
const zoneNames = (() => {
  try { return Intl.supportedValuesOf('timeZone'); } catch { return ['UTC']; }
})();

function zoneSelect(id, value, { followLabel } = {}) {
  const names = new Set(zoneNames);
  if (value) names.add(value);
  names.add('UTC');
  return h('select', { id },
    followLabel ? option('', followLabel, !value) : null,
    [...names].sort().map((z) => option(z, z, z === value)));
}

function openEditor(id) {
  const task = S.tasks.get(id);
  const li = S.items.get(id);
  if (!task || !li || S.editors.has(id)) return;
  const p = `edit-${id}`;
  const original = {
    title: task.title, description: task.description ?? '', due: toLocalInput(task.due_date, taskZone(task)),
    timezone: task.timezone ?? '', rule: task.recurrence_rule ?? null,
  };
  let baseVersion = task.version;
  const title = h('input', { id: `${p}-title`, value: task.title, required: true, maxlength: '500', autocomplete: 'off' });
  const description = h('textarea', { id: `${p}-description`, rows: '2', maxlength: '10000' });
  description.value = original.description;
  const due = h('input', { id: `${p}-due`, type: 'datetime-local', value: original.due });
  const dueZone = h('span', { class: 'hint' });
  const tz = zoneSelect(`${p}-tz`, task.timezone, { followLabel: `Follow my zone (${userZone()})` });
  const zoneNow = () => tz.value || userZone();
  const picker = task.series_id ? null : recurrencePicker({ id: `${p}-rec`, rule: task.recurrence_rule, getStart: () => due.value, getZone: zoneNow });
  const note = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const updateZone = () => { dueZone.textContent = `(in ${zoneNow()})`; picker?.refresh(); };
  tz.addEventListener('change', updateZone);
  due.addEventListener('change', () => picker?.refresh());
  updateZone();

  const form = h('form', { class: 'edit', 'aria-label': `Edit task: ${task.title}` },
    h('div', { class: 'field' }, h('label', { for: `${p}-title` }, 'Title'), title),
    h('div', { class: 'field' }, h('label', { for: `${p}-description` }, 'Description'), description),
    h('div', { class: 'field' }, h('label', { for: `${p}-due` }, 'Due ', dueZone), due),
    h('div', { class: 'field' }, h('label', { for: `${p}-tz` }, 'Time zone of this task'), tz),
    picker ? picker.element : h('p', { class: 'hint' }, 'This is one occurrence of a repeating task: edit the series to change the schedule.'),
    h('div', { class: 'actions' }, save, cancel), note, error);

  const close = (focus = true) => {
    S.editors.delete(id);
    const current = S.tasks.get(id);
    if (current) renderItem(current);
    if (focus) S.items.get(id)?.querySelector('[data-k="edit"]')?.focus();
  };
  cancel.addEventListener('click', () => close());
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); close(); } });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch = {};
    const t = title.value.trim();
    if (!t) { error.textContent = 'The title must not be empty.'; title.focus(); return; }
    if (t !== original.title) patch.title = t;
    if (description.value !== original.description) patch.description = description.value === '' ? null : description.value;
    if (tz.value !== original.timezone) patch.timezone = tz.value || null;
    if (due.value !== original.due) patch.due_date = due.value || null;
    if (picker) {
      const rule = picker.getRule();
      if (rule !== original.rule) patch.recurrence_rule = rule;
    }
    if (Object.keys(patch).length === 0) { close(); return; }
    error.textContent = '';
    if (isBusy(save)) return;
    void (async () => {
      setBusy(save, true);
      try {
        const updated = await api('PATCH', `/tasks/${id}`, patch, { 'if-match': String(baseVersion) });
        S.editors.delete(id);
        upsertTask(updated);
        close();
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          baseVersion = S.tasks.get(id)?.version ?? baseVersion;
          error.textContent = 'This task was changed elsewhere since you started editing. Check it, then Save again to overwrite, or Cancel.';
          void fetchTask(id);
        } else {
          error.textContent = err.message;
        }
      } finally {
        setBusy(save, false);
      }
    })();
  });

  S.editors.set(id, {
    title: task.title,
    changedElsewhere(now) {
      if (now.version !== baseVersion) note.textContent = `Changed elsewhere while you edit (now version ${now.version}).`;
    },
  });
  li.replaceChildren(form);
  title.focus();
}

// ====================================================================== create form
function setupCreateForm() {
  const form = $('#create-form');
  const due = $('#new-due');
  S.createPicker = recurrencePicker({ id: 'new-rec', getStart: () => due.value, getZone: userZone });
  $('#new-recurrence').replaceChildren(S.createPicker.element);
  S.createReminder = reminderChooser({ id: 'new-rem', label: 'Reminder' });
  $('#new-reminder').replaceChildren(S.createReminder.element);
  due.addEventListener('change', () => S.createPicker.refresh());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const error = $('.error', form);
    const title = $('#new-title').value.trim();
    if (!title) { error.textContent = 'A title is needed.'; $('#new-title').focus(); return; }
    const body = { title };
    const description = $('#new-description').value;
    if (description.trim()) body.description = description;
    if (due.value) body.due_date = due.value;
    const rule = S.createPicker.getRule();
    if (rule) body.recurrence_rule = rule;
    const reminder = S.createReminder.read();
    if (reminder?.error) { error.textContent = reminder.error; return; }
    if (reminder) body.reminders = [reminder];
    error.textContent = '';
    const submit = $('#create-submit');
    if (isBusy(submit)) return;
    void (async () => {
      setBusy(submit, true);
      try {
        const task = await api('POST', '/tasks', body);
        upsertTask(task);
        form.reset();
        S.createPicker.reset();
        S.createReminder.reset();
        $('#new-title').focus();
      } catch (err) {
        error.textContent = err.message;
      } finally {
        setBusy(submit, false);
      }
    })();
  });
  const hide = $('#hide-done');
  hide.checked = S.hideDone;
  hide.addEventListener('change', () => {
    S.hideDone = hide.checked;
    localStorage.setItem(HIDE_DONE_KEY, S.hideDone ? '1' : '0');
    for (const [id, li] of S.items) li.hidden = S.hideDone && Boolean(S.tasks.get(id)?.completed);
  });
}

// ====================================================================== header: zone, notifications, sign-out
function setupHeader() {
  $('#sign-out').addEventListener('click', () => signOut());
  const zoneForm = $('#zone-form');
  $('#zone-edit').addEventListener('click', () => {
    const select = zoneSelect('zone-select', userZone());
    const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
    $('#zone-select').replaceWith(select);
    if (device && device !== userZone()) select.value = device;
    zoneForm.hidden = false;
    select.focus();
  });
  $('#zone-cancel').addEventListener('click', () => { zoneForm.hidden = true; $('#zone-edit').focus(); });
  zoneForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const error = $('.error', zoneForm);
    void (async () => {
      try {
        const me = await api('PATCH', '/me', { timezone: $('#zone-select').value });
        S.me.timezone = me.timezone;
        renderEverything();
        zoneForm.hidden = true;
        error.textContent = '';
        $('#zone-edit').focus();
      } catch (err) {
        error.textContent = err.message;
      }
    })();
  });
  const notify = $('#notify-enable');
  const refreshNotify = () => { notify.hidden = !('Notification' in window) || Notification.permission !== 'default'; };
  notify.addEventListener('click', async () => {
    try { await Notification.requestPermission(); } catch { /* ignored */ }
    refreshNotify();
  });
  refreshNotify();
}

// ====================================================================== sign-in and boot
function setupSignIn() {
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const message = $('#signin-message');
    const userId = $('#signin-user').value.trim();
    if (!userId) { message.textContent = 'Enter a user id.'; return; }
    void (async () => {
      try {
        const response = await fetch('/auth/dev-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: userId }) });
        if (response.status === 404) {
          message.textContent = 'Development sign-in is off on this server. Open the dashboard with a link ending in #token=… (npm run token -- <user id> prints one).';
          return;
        }
        const body = await response.json().catch(() => ({}));
        if (!response.ok || !body.token) { message.textContent = body.message ?? `Sign-in failed (HTTP ${response.status}).`; return; }
        message.textContent = '';
        localStorage.setItem(TOKEN_KEY, body.token);
        void boot(body.token);
      } catch {
        message.textContent = 'The server cannot be reached.';
      }
    })();
  });
}

function showSignIn(message = '') {
  $('#app').hidden = true;
  $('#who').hidden = true;
  $('#signin').hidden = false;
  $('#signin-message').textContent = message;
  showConnection('stopped', {});
  $('#signin-user').focus();
}

function resetState() {
  S.sync?.stop();
  S.sync = null;
  S.me = null;
  S.tasks.clear();
  S.gone.clear();
  S.items.clear();
  S.editors.clear();
  S.openHistory.clear();
  S.history.clear();
  S.openReminders.clear();
  S.reminderDrafts.clear();
  $('#tasks').replaceChildren();
}

function signOut(message = '') {
  localStorage.removeItem(TOKEN_KEY);
  S.token = null;
  resetState();
  showSignIn(message);
}

async function boot(token) {
  resetState();
  S.token = token;
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#list-status').hidden = false;
  $('#list-status').textContent = 'Loading…';
  showConnection('connecting', {});
  let me;
  try {
    me = await api('GET', '/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    $('#list-status').textContent = `Could not load: ${error.message} Retrying…`;
    setTimeout(() => { if (S.token === token) void boot(token); }, 3000);
    return;
  }
  S.me = { id: me.id, timezone: me.timezone };
  $('#user-id').textContent = me.id;
  $('#who').hidden = false;
  renderEverything();

  // The snapshot comes after /me: whatever it already contains is skipped by version when replayed.
  const stored = readStoredSeq(me.id);
  const startSeq = stored !== null && stored <= me.last_seq && me.last_seq - stored <= MAX_REPLAY ? stored : me.last_seq;
  try {
    let cursor = null;
    for (let page = 0; page < 20; page++) {
      const body = await api('GET', `/tasks?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const task of body.tasks) if (!S.tasks.has(task.id)) S.tasks.set(task.id, task);
      cursor = body.next_cursor;
      if (!cursor) break;
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    $('#list-status').textContent = `Could not load the tasks: ${error.message} Retrying…`;
    setTimeout(() => { if (S.token === token) void boot(token); }, 3000);
    return;
  }
  for (const task of S.tasks.values()) renderItem(task);
  updateCount();

  S.sync = new SyncClient({
    baseUrl: location.origin, token, userId: me.id, initialSeq: startSeq,
    onEvent: applyEvent,
    onState: (state, detail) => {
      showConnection(state, detail);
      if (state === 'unauthorized') signOut('The live connection was refused: the sign-in token is not valid any more.');
    },
  });
  S.sync.start();
}

/** Hooks for tests and diagnostics (they change nothing unless called). */
window.__tasklane = {
  get state() { return S.sync?.state ?? 'stopped'; },
  get lastSeq() { return S.sync?.lastSeq ?? 0; },
  get applied() { return S.sync ? [...S.sync.applied] : []; },
  get duplicates() { return S.sync?.duplicates ?? 0; },
  get taskCount() { return S.tasks.size; },
  /** Drops the WebSocket as a network failure would; the client recovers by itself. */
  disconnect: () => S.sync?.dropSocket() ?? false,
  reconnect: () => S.sync?.reconnectNow(),
  /** Feeds an event to the client as if the socket had delivered it (duplicates, out of order…). */
  inject: (event) => S.sync?.ingest(event),
};

/** A token in the URL (#token=<jwt>) is kept in localStorage and taken out of the address bar. */
function tokenFromHash() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return null;
  localStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', location.pathname + location.search);
  return token;
}

function init() {
  setupHeader();
  setupSignIn();
  setupCreateForm();
  tokenFromHash();
  // A #token= link opened in a tab that already shows the dashboard changes only the hash.
  window.addEventListener('hashchange', () => { const token = tokenFromHash(); if (token) void boot(token); });
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) void boot(token);
  else showSignIn();
}

init();
