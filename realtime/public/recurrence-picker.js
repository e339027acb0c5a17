// The recurrence picker: builds an RRULE from plain choices and previews the next 5 dates with
// POST /recurrence/preview. A self-contained form widget: its choices live in its own controls.
import { h, option } from './dom.js';
import { fmt, formatter, toLocalInput, calendarOf } from './time.js';
import { WEEKDAYS, ORDINALS, KINDS, AFTER_COMPLETION_KINDS, parseRule, buildRule } from './rules.js';
import { api } from './api.js';
import { previewBody, isDay, fmtDayWithYear, dayIn } from './due.js';

/**
 * `id` prefixes the ids of its controls; `rule` is the rule to start from (null: does not repeat);
 * `getStart()` is the due date input's value (the series start, wall-clock), `getZone()` the zone
 * it is shown and read in; `getHomeOf()` (optional) the id of a task whose series follows its creator's
 * zone, null otherwise: the preview is then expanded in that zone, as the saved series will be; `mode`
 * the series' recurrence_mode to start from. Returns {element, getRule(), getMode(), refresh(), reset()}.
 */
export function recurrencePicker({ id, rule = null, mode = 'calendar', getStart, getZone, getHomeOf = () => null }) {
  const model = {
    kind: 'none',
    interval: 1,
    count: null,
    until: null,
    days: [],
    monthDay: '1',
    ordinal: '1',
    weekday: 'MO',
    raw: '',
    ...parseRule(rule),
  };
  const ids = (name) => `${id}-${name}`;
  const kind = h(
    'select',
    { id: ids('kind') },
    KINDS.map(([value, label]) => option(value, label, value === model.kind)),
  );
  const interval = h('input', {
    id: ids('interval'),
    type: 'number',
    min: '1',
    max: '999',
    value: String(model.interval),
  });
  const unit = h('span');
  const dayBoxes = WEEKDAYS.map(([code, short, long]) =>
    h(
      'label',
      { class: 'inline' },
      h('input', { type: 'checkbox', value: code, checked: model.days.includes(code), 'aria-label': long }),
      short,
    ),
  );
  const monthDay = h(
    'select',
    { id: ids('monthday') },
    Array.from({ length: 31 }, (_, i) => option(String(i + 1), String(i + 1), String(i + 1) === model.monthDay)),
    option('-1', 'Last day', model.monthDay === '-1'),
  );
  const ordinal = h(
    'select',
    { id: ids('ordinal') },
    ORDINALS.map(([value, label]) => option(value, label, value === model.ordinal)),
  );
  const weekday = h(
    'select',
    { id: ids('weekday'), 'aria-label': 'Weekday' },
    WEEKDAYS.map(([code, , long]) => option(code, long, code === model.weekday)),
  );
  const raw = h('input', {
    id: ids('raw'),
    type: 'text',
    value: model.raw,
    placeholder: 'FREQ=WEEKLY;BYDAY=MO,WE',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const ends = h(
    'select',
    { id: ids('ends') },
    option('never', 'Never', !model.count),
    option('count', 'After a number of times', Boolean(model.count)),
    option('until', 'On a date', Boolean(model.until)),
  );
  const untilDate = h('input', {
    id: ids('until'),
    type: 'date',
    value: model.until ?? '',
    'aria-label': 'Last date',
  });
  // Repeat after completion (Todoist's every!, Tasks.org's "from completion date"): the next due date is
  // counted from the day an instance is completed, at the series' time of day.
  const repeatFrom = h(
    'select',
    { id: ids('mode') },
    option('calendar', 'the due dates (calendar)', mode !== 'after_completion'),
    option('after_completion', 'the day I complete one', mode === 'after_completion'),
  );
  const count = h('input', {
    id: ids('count'),
    type: 'number',
    min: '1',
    max: '1000',
    value: String(model.count ?? 10),
    'aria-label': 'Number of occurrences',
  });
  const ruleText = h('p', { class: 'rule', id: ids('rule') });
  const previewHead = h('p', { class: 'preview-head', id: ids('preview-head') }, 'Next 5 dates');
  const preview = h('ol', {
    class: 'preview',
    id: ids('preview'),
    'aria-labelledby': ids('preview-head'),
    'aria-live': 'polite',
  });
  const note = h('p', { class: 'hint', id: ids('note') });
  const error = h('p', { class: 'error', role: 'alert' });

  const rows = {
    interval: h('div', { class: 'row' }, h('label', { for: ids('interval') }, 'Every'), interval, unit),
    weekdays: h('fieldset', { class: 'weekdays' }, h('legend', {}, 'On'), dayBoxes),
    monthDay: h(
      'div',
      { class: 'row' },
      h('label', { for: ids('monthday') }, 'On day'),
      monthDay,
      h('span', { class: 'hint' }, 'months without that day are skipped: pick "Last day" for month ends'),
    ),
    ordinal: h('div', { class: 'row' }, h('label', { for: ids('ordinal') }, 'On the'), ordinal, weekday),
    raw: h('div', { class: 'row' }, h('label', { for: ids('raw') }, 'RRULE'), raw),
    ends: h('div', { class: 'row' }, h('label', { for: ids('ends') }, 'Ends'), ends, count, untilDate),
    mode: h('div', { class: 'row' }, h('label', { for: ids('mode') }, 'Repeat from'), repeatFrom),
  };
  const output = h('div', {}, ruleText, previewHead, preview, note);
  const element = h(
    'fieldset',
    { class: 'recurrence' },
    h('legend', {}, 'Repeat'),
    h('div', { class: 'row' }, h('label', { for: ids('kind') }, 'Repeats'), kind),
    Object.values(rows),
    output,
    error,
  );

  let touched = rule !== null;
  // Whether the weekdays are the user's choice; until then they follow the start's weekday.
  let daysChosen = rule !== null;
  let timer = null;
  let request = 0;

  function defaultsFromStart() {
    // The chosen date's weekday; today's only while no date is set (replaced once one is).
    const cal = calendarOf(getStart()) ?? calendarOf(toLocalInput(new Date().toISOString(), getZone()));
    if (!cal) return;
    const code = WEEKDAYS[cal.weekday][0];
    if (!daysChosen || !dayBoxes.some((l) => l.firstChild.checked))
      for (const l of dayBoxes) l.firstChild.checked = l.firstChild.value === code;
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
      until: ends.value === 'until' ? untilDate.value || null : null,
      days: dayBoxes
        .map((l) => l.firstChild)
        .filter((b) => b.checked)
        .map((b) => b.value),
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
    unit.textContent =
      { daily: 'day(s)', weekly: 'week(s)', 'monthly-date': 'month(s)', 'monthly-ordinal': 'month(s)' }[k] ?? '';
    rows.weekdays.hidden = k !== 'weekly';
    rows.monthDay.hidden = k !== 'monthly-date';
    rows.ordinal.hidden = k !== 'monthly-ordinal';
    rows.raw.hidden = k !== 'custom';
    rows.ends.hidden = !repeating || k === 'custom';
    count.hidden = ends.value !== 'count';
    untilDate.hidden = ends.value !== 'until';
    rows.mode.hidden = !AFTER_COMPLETION_KINDS.has(k);
    output.hidden = !repeating;
  }

  function changed() {
    layout();
    const rule = buildRule(read());
    ruleText.textContent = rule ? `Rule: ${rule}` : '';
    error.textContent = '';
    clearTimeout(timer);
    if (!rule) {
      request++;
      showPreview(null, []);
      note.textContent = '';
      return;
    }
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
      const body = await api(
        'POST',
        '/recurrence/preview',
        previewBody({ rule, start, zone, homeOf: getHomeOf(), after: new Date().toISOString(), limit: 5 }),
      );
      if (mine !== request) return;
      // An all-day series' occurrences are dates (their day in the series' zone), not midnights.
      const allDay = isDay(start);
      const said = (iso) => (allDay ? `${fmtDayWithYear(dayIn(iso, body.timezone ?? zone))}, all day` : fmt(iso, zone));
      showPreview(
        rule,
        body.occurrences.map((iso) => h('li', {}, h('time', { datetime: iso }, said(iso)))),
      );
      // Shown in the viewer's zone; a series that follows another member's zone repeats on their clock,
      // at the time of day there that the first occurrence shows (a typed time moved across a summer-time
      // change only one of the zones has changes it: this says so before saving).
      const home = body.timezone && body.timezone !== zone ? body.timezone : null;
      const first = body.occurrences[0];
      const at = home && first && !isDay(start) ? ` at ${formatter(home, 'time').format(new Date(first))}` : '';
      const times = allDay
        ? 'All-day dates.'
        : home
          ? `Times in ${zone}; it repeats${at} on ${home} time.`
          : `Times in ${zone}.`;
      note.textContent = body.occurrences.length
        ? readMode() === 'after_completion'
          ? `${times} After the first, each date is counted from the day you complete the one before.`
          : times
        : 'No upcoming dates: the rule has ended.';
    } catch (e) {
      if (mine !== request) return;
      showPreview(null, []);
      note.textContent = '';
      error.textContent = e.message;
    }
  }

  /** The mode to send: after_completion only where the chosen kind allows it. */
  function readMode() {
    return AFTER_COMPLETION_KINDS.has(kind.value) ? repeatFrom.value : 'calendar';
  }

  kind.addEventListener('change', () => {
    defaultsFromStart();
    changed();
  });
  for (const l of dayBoxes) l.firstChild.addEventListener('change', () => (daysChosen = true));
  for (const el of [
    interval,
    monthDay,
    ordinal,
    weekday,
    raw,
    ends,
    count,
    untilDate,
    repeatFrom,
    ...dayBoxes.map((l) => l.firstChild),
  ]) {
    el.addEventListener('input', () => {
      touched = true;
      changed();
    });
    el.addEventListener('change', () => {
      touched = true;
      changed();
    });
  }
  layout();
  changed();

  return {
    element,
    /** The RRULE, or null for "does not repeat". */
    getRule: () => buildRule(read()),
    /** The recurrence_mode: `calendar` or `after_completion`. */
    getMode: readMode,
    /** Call when the start or zone changed. */
    refresh: () => {
      if (kind.value === 'weekly' && !daysChosen) defaultsFromStart();
      changed();
    },
    reset: () => {
      kind.value = 'none';
      touched = false;
      daysChosen = false;
      for (const l of dayBoxes) l.firstChild.checked = false;
      ends.value = 'never';
      untilDate.value = '';
      repeatFrom.value = 'calendar';
      interval.value = '1';
      changed();
    },
  };
}
