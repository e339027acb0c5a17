// The reminder choice: "before" presets or an absolute time, as a lit-html template over a draft
// ({choice, at}) its owner keeps, so a re-render shows what the user had chosen.
import { html, nothing } from '/vendor/lit-html/lit-html.js';
import { live } from '/vendor/lit-html/directives/live.js';
import { DAY_PRESETS, readDayPreset, writtenIn } from './due.js';

const PRESETS = [
  ['PT10M', '10 min before'],
  ['PT1H', '1 hour before'],
  ['P1D', '1 day before'],
];

/**
 * `id` prefixes the ids of its controls, `dataK` marks the select (focus keys); `onChange()` runs
 * after the draft changed. A draft whose choice is not offered takes the first choice.
 */
export function reminderChooser({
  id,
  label = 'Reminder',
  allowNone = true,
  allowBefore = true,
  allowAt = true,
  allDay = false,
  draft,
  dataK,
  onChange = () => {},
}) {
  const choices = [
    ...(allowNone ? [['', 'None']] : []),
    // An all-day task has no time to be before: wall-clock times on its day, or days before it.
    ...(allowBefore ? (allDay ? DAY_PRESETS : PRESETS) : []),
    ...(allowAt ? [['at', 'At a time…']] : []),
  ];
  if (!choices.some(([value]) => value === draft.choice)) draft.choice = choices[0]?.[0] ?? '';
  const choose = (e) => {
    draft.choice = e.target.value;
    onChange();
  };
  const type = (e) => {
    draft.at = e.target.value;
    onChange();
  };
  return html`<span class="row"><label for="${id}-choice">${label}</label><select id="${id}-choice" data-k=${dataK ?? nothing} @change=${choose}>${choices.map(
    ([value, text]) => html`<option value=${value} .selected=${live(value === draft.choice)}>${text}</option>`,
  )}</select><span class="row" ?hidden=${draft.choice !== 'at'}><label for="${id}-at">Remind at</label><input id="${id}-at" type="datetime-local" .value=${live(draft.at ?? '')} @input=${type}></span></span>`;
}

/**
 * What the draft asks for: {before} | {at} | {at_time, days_before} | null (none) | {error}. The time typed for
 * {at} is sent with `zone`, the zone the page shows times in (due.js writtenIn): on another member's task the
 * server would otherwise read it in theirs.
 */
export function readReminder(draft, zone) {
  if (draft.choice === '') return null;
  if (draft.choice === 'at')
    return draft.at ? { at: writtenIn(draft.at, zone) } : { error: 'Choose when to be reminded.' };
  return readDayPreset(draft.choice) ?? { before: draft.choice };
}
