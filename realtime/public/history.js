// A task's history: GET /tasks/{id}/history while it is open, reloaded shortly after each new event
// of the task, shown as readable lines with from → to values.
import { html } from '/vendor/lit-html/lit-html.js';
import { getState, update, userZone } from './store.js';
import { api } from './api.js';
import { fmt, humanDuration } from './time.js';
import { describeRule } from './rules.js';
import { fmtDayWithYear } from './due.js';

export function toggleHistory(id) {
  const open = getState().openHistory.has(id);
  update((s) => {
    if (open) {
      s.openHistory.delete(id);
      s.history.delete(id);
    } else s.openHistory.add(id);
  });
  if (!open) void loadHistory(id);
}

const timers = new Map();
/** A new event of task `id` arrived: an open history reloads (once for a burst of events). */
export function historyChanged(id) {
  if (!getState().openHistory.has(id)) return;
  clearTimeout(timers.get(id));
  timers.set(
    id,
    setTimeout(() => void loadHistory(id), 150),
  );
}

async function loadHistory(id) {
  let events;
  try {
    // The history comes a page at a time (a count and a byte budget end a page): follow `next` while
    // `has_more`, as long as the history stays open.
    events = [];
    for (let after = 0, more = true; more; ) {
      const page = await api('GET', `/tasks/${id}/history?after=${after}`);
      if (!getState().openHistory.has(id)) return;
      events.push(...page.events);
      more = page.has_more === true && page.next > after;
      after = page.next;
    }
  } catch (error) {
    events = { error: error.message };
  }
  update((s) => {
    s.history.set(id, events);
  });
}

const DATE_FIELDS = new Set(['due_date', 'next_occurrence', 'remind_at', 'occurrence_at', 'deleted_at', 'fired_at']);
const FIELD_NAMES = {
  title: 'Title',
  description: 'Description',
  due_date: 'Due',
  recurrence_rule: 'Repeats',
  recurrence_mode: 'Repeats from',
  timezone: 'Time zone',
  is_recurring: 'Recurring',
  next_occurrence: 'Next occurrence',
  completed: 'Completed',
  remind_at: 'Reminder time',
  list_id: 'List',
  labels: 'Labels',
  priority: 'Priority',
  assignee: 'Assigned to',
};
/** Changes that follow another in the same event and say nothing more to a reader. */
const FOLLOWERS = { is_recurring: 'recurrence_rule' };
const MODES = { calendar: 'the calendar', after_completion: 'the last completion' };

/** A user as the reader sees them: "you", or their id (tasklane knows no display names). */
const who = (userId) => (userId === getState().me?.id ? 'you' : userId);

function showValue(field, value, zone) {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
    return '(none)';
  const s = getState();
  if (DATE_FIELDS.has(field)) return fmt(value, zone);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (field === 'recurrence_rule') return `${describeRule(value)} (${value})`;
  if (field === 'recurrence_mode') return MODES[value] ?? value;
  if (field === 'priority') return value === 4 ? 'none' : `P${value}`;
  if (field === 'assignee') return who(value);
  if (field === 'list_id') return `“${s.lists.get(value)?.name ?? 'a list no longer shown'}”`;
  if (field === 'labels') return value.map((id) => `@${s.labels.get(id)?.name ?? 'deleted label'}`).join(', ');
  return `“${value}”`;
}

/** A due date as a reader knows it: its day when all-day (`due_day`), else its instant; '(none)' without one. */
const dueOf = (day, instant, zone) =>
  day ? `${fmtDayWithYear(day)}, all day` : instant ? fmt(instant, zone) : '(none)';

function changeLines(changes, zone) {
  const fields = changes ?? {};
  // An all-day date and its first instant change together: one line, each side as the reader knows it.
  const due = fields.due_day
    ? [
        `Due: ${dueOf(fields.due_day.from, fields.due_date?.from, zone)} → ${dueOf(fields.due_day.to, fields.due_date?.to, zone)}`,
      ]
    : [];
  return [
    ...due,
    ...Object.entries(fields)
      // Only what a reader knows by a name: a series' written start (dtstart_local) and other bookkeeping
      // follow the fields they keep, and their names are the store's, not the reader's (a user's pass).
      .filter(
        ([field]) =>
          field in FIELD_NAMES &&
          !(FOLLOWERS[field] in fields) &&
          !(fields.due_day && (field === 'due_day' || field === 'due_date')),
      )
      .map(
        ([field, c]) =>
          `${FIELD_NAMES[field] ?? field}: ${showValue(field, c.from, zone)} → ${showValue(field, c.to, zone)}`,
      ),
  ];
}

/** One event in words: the first line, then one line per change. */
export function describeEvent(e, zone) {
  const lines = describeOne(e, zone);
  // A compensating event of an undo names the event it corrects (actors/task/undo.ts).
  return typeof e.data?.corrects === 'string' && e.event_type !== 'task.restored'
    ? [`${lines[0]} (undo)`, ...lines.slice(1)]
    : lines;
}

function describeOne(e, zone) {
  const d = e.data ?? {};
  const at = (iso) => fmt(iso, zone);
  switch (e.event_type) {
    case 'task.created':
      return [
        `Created “${d.task?.title ?? ''}”${d.task?.due_day ? `, due all day ${fmtDayWithYear(d.task.due_day)}` : d.task?.due_date ? `, due ${at(d.task.due_date)}` : ''}${d.task?.recurrence_rule ? `, repeats ${describeRule(d.task.recurrence_rule)}` : ''}${d.task?.series_id ? ' (an occurrence of a series)' : ''}`,
      ];
    case 'task.updated':
      return ['Edited', ...changeLines(d.changes, zone)];
    case 'task.due_date_changed':
      return changeLines(d.changes, zone);
    case 'task.completed':
      return ['Completed'];
    case 'task.uncompleted':
      return ['Marked not done'];
    case 'task.deleted':
      return [d.reason === 'series_deleted' ? 'Deleted with its series' : 'Deleted', ...changeLines(d.changes, zone)];
    case 'task.restored':
      return ['Restored (undo of the delete)', ...changeLines(d.changes, zone)];
    case 'recurring.spawned':
      return [
        `Occurrence for ${at(d.occurrence_at)} created${d.late ? ' (late)' : ''}`,
        ...changeLines({ next_occurrence: d.next_occurrence }, zone),
        d.skipped_count ? `${d.skipped_count} missed occurrence(s) skipped` : null,
      ].filter(Boolean);
    case 'recurring.rescheduled':
      return [
        `Rescheduled${d.reason === 'timezone_changed' ? ' (time zone changed)' : ''}`,
        ...changeLines(d.changes, zone),
      ];
    case 'reminder.scheduled':
      return [
        `Reminder scheduled: ${d.reminder?.offset ? `${humanDuration(d.reminder.offset)} before` : 'absolute'}${d.reminder?.remind_at ? `, at ${at(d.reminder.remind_at)}` : ' (each occurrence)'}`,
      ];
    case 'reminder.cancelled':
      return [`Reminder cancelled (${String(d.reason ?? '').replaceAll('_', ' ') || 'removed'})`];
    case 'reminder.triggered':
      return [
        `Reminder fired at ${at(d.fired_at)}${d.late ? ` (late by ${Math.round((d.late_ms ?? 0) / 1000)} s)` : ''}`,
      ];
    case 'reminder.snoozed':
      return [
        `Reminder snoozed${d.for ? ` for ${humanDuration(d.for)}` : d.tomorrow_at ? ` to tomorrow ${d.tomorrow_at}` : d.until ? ' to a time picked' : ''}`,
        ...changeLines({ remind_at: d.remind_at }, zone),
      ];
    case 'reminder.acknowledged':
      return ['Reminder seen'];
    default:
      return [e.event_type];
  }
}

/** The open history of task `id`. */
export function historyView(id) {
  const events = getState().history.get(id);
  const me = getState().me?.id;
  const zone = userZone();
  let items;
  if (!events) items = html`<li class="hint">Loading history…</li>`;
  else if (events.error) items = html`<li class="error">${events.error}</li>`;
  else {
    items = events.map((e) => {
      const [first, ...rest] = describeEvent(e, zone);
      // Who made it, when someone else did (a member of a shared list); a timer's or the system's names nobody.
      const by = e.actor_id && e.actor_id !== me ? html` <span class="by">by ${e.actor_id}</span>` : '';
      return html`<li><time datetime=${e.timestamp}>${fmt(e.timestamp, zone)}</time>v${e.version} · ${first}${by}${rest.length ? html`<ul>${rest.map((line) => html`<li>${line}</li>`)}</ul>` : ''}</li>`;
    });
  }
  return html`<ol class="history" id="history-${id}" aria-label="History">${items}</ol>`;
}
