// All-day due dates as the dashboard reads and shows them (issue 16). A task whose due date was given as
// a date alone has `due_day` ('YYYY-MM-DD', floating in its zone) and `all_day: true`; its `due_date` is
// the first instant of that day in the task's zone. Pure: every function is given its zone and clock.
import { clockTime, fmt, formatter } from './time.js';

const dayFormat = new Intl.DateTimeFormat(undefined, {
  timeZone: 'UTC',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
});

/** True for a date alone, 'YYYY-MM-DD' (an all-day due date), false for anything else. */
export const isDay = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value ?? '');

/** A calendar date ('YYYY-MM-DD') in words, e.g. "Thu, 24 Dec" (the browser's language); '' for none. */
export function fmtDay(day) {
  if (!isDay(day)) return '';
  return dayFormat.format(new Date(`${day}T12:00:00Z`));
}

const dayYearFormat = new Intl.DateTimeFormat(undefined, {
  timeZone: 'UTC',
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});
/** A calendar date ('YYYY-MM-DD') in words with its year, e.g. "Thu, 24 Dec 2026"; '' for none. */
export function fmtDayWithYear(day) {
  if (!isDay(day)) return '';
  return dayYearFormat.format(new Date(`${day}T12:00:00Z`));
}

// The words are the page's language (English, like "Due" before them); dates keep the browser's format.
const relativeDay = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short' });

/**
 * A calendar date ('YYYY-MM-DD') as a todo list says it, seen from the date `today`: "today", "tomorrow" or
 * "yesterday" (Intl.RelativeTimeFormat in English, the page's language), the weekday ("Fri") for the five days after
 * tomorrow, otherwise the date ("Thu, 24 Dec"), with its year when that is not this one. A weekday is never
 * used for a past day: "Fri" would read as the coming one. '' for none.
 */
export function dayNear(day, today) {
  if (!isDay(day)) return '';
  const ahead = Math.round((Date.parse(`${day}T12:00:00Z`) - Date.parse(`${today}T12:00:00Z`)) / DAY_MS);
  if (ahead >= -1 && ahead <= 1) return relativeDay.format(ahead, 'day');
  if (ahead > 1 && ahead < 7) return weekdayFormat.format(new Date(`${day}T12:00:00Z`));
  return day.slice(0, 4) === today.slice(0, 4) ? fmtDay(day) : fmtDayWithYear(day);
}

/** An instant as a todo list says it in `zone` at `now` (ms): its day as `dayNear` says it, and its time, e.g. "tomorrow, 09:00"; '—' for none. */
export function fmtNear(iso, zone, now = Date.now()) {
  const at = Date.parse(iso ?? '');
  if (!Number.isFinite(at)) return iso ? String(iso) : '—';
  const day = dayNear(dayIn(iso, zone), dayIn(new Date(now).toISOString(), zone));
  return `${day}, ${formatter(zone, 'time').format(new Date(at))}`;
}

/** A task's due date as its row says it at `now` (ms): "today, 19:00" (fmtNear) or "Fri, all day" (dayNear); '' for none. */
export function dueNear(task, zone, now = Date.now()) {
  if (task.due_day) return `${dayNear(task.due_day, dayIn(new Date(now).toISOString(), zone))}, all day`;
  return task.due_date ? fmtNear(task.due_date, zone, now) : '';
}

/**
 * A task's due date in full, for what may stay up across midnight (a reminder's toast, a desktop
 * notification), where "today" would turn false: "Thu, 24 Dec 2026, all day" or the instant's full date
 * and time in `zone`; '' for none.
 */
export function dueFull(task, zone) {
  if (task.due_day) return `${fmtDayWithYear(task.due_day)}, all day`;
  return task.due_date ? fmt(task.due_date, zone) : '';
}

/** The local calendar date of an instant in `zone`, 'YYYY-MM-DD'. */
export function dayIn(iso, zone) {
  const parts = Object.fromEntries(
    formatter(zone, 'parts')
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * A due value of the form as the API is sent it: a wall-clock time ('YYYY-MM-DDTHH:MM') carries the zone the
 * form showed it in as an RFC 9557 suffix ('2026-12-01T09:00[America/New_York]'), so the server reads it there
 * and not in the zone the task follows, which for another member's task is theirs (actors/task/time.ts
 * readInstant). A date alone (all day, floating) and '' are sent as they are.
 */
export function writtenIn(value, zone) {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value ?? '') && zone ? `${value}[${zone}]` : value;
}

/**
 * The body of POST /recurrence/preview for a series starting at a form's due value `start`, shown and typed
 * in `zone`: expanded in `zone`, or, with `homeOf` (the id of a task that follows its creator's zone), in
 * that task's home zone, as saving it will — the start then goes with its zone named (writtenIn), so the
 * server reads the typed time where it was typed and repeats it in the home zone.
 */
export function previewBody({ rule, start, zone, homeOf = null, after, limit }) {
  return { rule, start: writtenIn(start, zone), ...(homeOf ? { home_of: homeOf } : { timezone: zone }), after, limit };
}

const DAY_MS = 86_400_000;

/**
 * The date ('YYYY-MM-DD') an all-day series' occurrence `iso` is on: the occurrence is the first instant of
 * that day in the series' zone. With that zone's name (`zone`: the task's own, when this browser knows it) the
 * date is read there. A series that follows its creator's zone carries no zone name, but its start does:
 * `due_day` at `due_date` gives that zone's UTC offset then; read with it, an occurrence lies within a
 * summer-time change (at most two hours) of its day's midnight, so the nearest midnight names the day. (The
 * viewer's zone is no stand-in: it may not be the creator's, and is UTC until the user is read.)
 */
export function occurrenceDay(task, iso, zone) {
  if (zone) return dayIn(iso, zone);
  const offset = Date.parse(`${task.due_day}T00:00:00Z`) - Date.parse(task.due_date);
  const local = Date.parse(iso) + offset;
  if (!Number.isFinite(local)) return '';
  return new Date(Math.round(local / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** What a due value of the form will make, in words: "All day, Thu, 24 Dec" or "Thu, 24 Dec, 09:00 in Zone"; '' for none. */
export function dueSaid(value, zone) {
  if (!value) return '';
  if (isDay(value)) return `All day, ${fmtDay(value)}`;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return m ? `${fmtDay(m[1])}, ${m[2]} in ${zone}` : '';
}

/** What the server made of a task's due date, in words (its answer, not what was typed). */
export function taskDueSaid(task, zone) {
  if (task.due_day) return `All day, ${fmtDay(task.due_day)}`;
  return task.due_date ? fmt(task.due_date, zone) : 'no due date';
}

/** True when an open task is overdue at `now`: an all-day one once its day has ended in `zone`, a timed one once its instant has passed. */
export function isOverdue(task, zone, now = Date.now()) {
  if (task.completed || task.is_recurring || !task.due_date) return false;
  if (task.due_day) return task.due_day < dayIn(new Date(now).toISOString(), zone);
  return Date.parse(task.due_date) < now;
}

/** The reminder presets an all-day task offers: wall-clock times on its day or before it. */
export const DAY_PRESETS = [
  ['day:0@09:00', `On the day at ${clockTime('09:00')}`],
  ['day:1@09:00', `1 day before at ${clockTime('09:00')}`],
  ['day:2@09:00', `2 days before at ${clockTime('09:00')}`],
];

/** A day preset's value → {at_time, days_before}; null for anything else. */
export function readDayPreset(choice) {
  const m = /^day:(\d+)@(\d{2}:\d{2})$/.exec(choice ?? '');
  return m ? { at_time: m[2], days_before: Number(m[1]) } : null;
}

/**
 * Makes a due-date input switchable between a date and time (datetime-local) and a date alone (date) by
 * the checkbox `allDay`, keeping the date when switching. Returns `read()`: the value to send
 * ('2026-12-24' all day, '2026-12-24T09:00' timed, '' none), or {error} when the input holds a date
 * without a time while "All day" is off (the browser then reports no value at all).
 */
export function allDayToggle(input, allDay, onChange = () => {}) {
  allDay.addEventListener('change', () => {
    const date = input.value.slice(0, 10);
    input.type = allDay.checked ? 'date' : 'datetime-local';
    input.value = allDay.checked ? date : date ? `${date}T09:00` : '';
    onChange();
  });
  return () => {
    if (input.validity?.badInput)
      return { error: 'The due date has no time: add one, or tick “All day” for a date alone.' };
    return input.value;
  };
}

/** The calendar date `days` after `day` ('YYYY-MM-DD'). */
const plusDays = (day, days) => {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/**
 * The quick choices beside a due date: [label, (value, zone, now, allDay) → the new value]. A value keeps its
 * time of day ('YYYY-MM-DDTHH:MM'; 09:00 when it had none) or stays a date alone (as it is one, or as "All day"
 * is ticked); '' is no date. "Next week" is its
 * Monday (as Todoist's). Dates are the user's days in `zone`.
 */
export const DUE_SHORTCUTS = [
  ['Today', (value, zone, now, allDay) => onDay(value, dayIn(new Date(now).toISOString(), zone), allDay)],
  [
    'Tomorrow',
    (value, zone, now, allDay) => onDay(value, plusDays(dayIn(new Date(now).toISOString(), zone), 1), allDay),
  ],
  [
    'Next week',
    (value, zone, now, allDay) => {
      const today = dayIn(new Date(now).toISOString(), zone);
      const weekday = new Date(`${today}T12:00:00Z`).getUTCDay(); // 0 Sunday … 6 Saturday
      return onDay(value, plusDays(today, (8 - weekday) % 7 || 7), allDay);
    },
  ],
  ['No date', () => ''],
];

/** `value` moved to `day`, keeping its time of day (09:00 for none), or a date alone (it is one, or `allDay`). */
function onDay(value, day, allDay = false) {
  if (allDay || isDay(value)) return day;
  const time = /T(\d{2}:\d{2})/.exec(value ?? '')?.[1] ?? '09:00';
  return `${day}T${time}`;
}
