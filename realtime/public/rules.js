// Recurrence rules as the picker shows them: an RRULE ⇄ a small model of plain choices, and in words. Pure.
import { clockTime } from './time.js';

export const WEEKDAYS = [
  ['MO', 'Mon', 'Monday'],
  ['TU', 'Tue', 'Tuesday'],
  ['WE', 'Wed', 'Wednesday'],
  ['TH', 'Thu', 'Thursday'],
  ['FR', 'Fri', 'Friday'],
  ['SA', 'Sat', 'Saturday'],
  ['SU', 'Sun', 'Sunday'],
];
export const ORDINALS = [
  ['1', 'first'],
  ['2', 'second'],
  ['3', 'third'],
  ['4', 'fourth'],
  ['-1', 'last'],
];
export const KINDS = [
  ['none', 'Does not repeat'],
  ['daily', 'Daily'],
  ['weekly', 'Weekly, on chosen days'],
  ['monthly-date', 'Monthly, on a date'],
  ['monthly-ordinal', 'Monthly, on a weekday (e.g. last Friday)'],
  ['yearly', 'Yearly'],
  ['custom', 'Custom rule (RRULE)'],
];
/** Kinds whose rule can also repeat after completion (no calendar day pinned: actors/task/after-completion.ts). */
export const AFTER_COMPLETION_KINDS = new Set(['daily', 'weekly', 'yearly', 'custom']);

/** `YYYY-MM-DD` (a date input's value) → UNTIL's date form `YYYYMMDD`, and back; null when not a date. */
export const untilOf = (date) => (/^\d{4}-\d{2}-\d{2}$/.test(date ?? '') ? date.replaceAll('-', '') : null);
const dateOfUntil = (until) =>
  /^\d{8}$/.test(until) ? `${until.slice(0, 4)}-${until.slice(4, 6)}-${until.slice(6, 8)}` : null;

/** The picker's model of a rule, or {kind: 'custom'} for anything it cannot show. */
export function parseRule(rule) {
  if (!rule) return { kind: 'none' };
  const raw = rule.trim().replace(/^RRULE:/i, '');
  const parts = {};
  for (const piece of raw.split(';')) {
    const [k, v] = piece.split('=');
    if (!k || v === undefined) return { kind: 'custom', raw };
    parts[k.toUpperCase()] = v.toUpperCase();
  }
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'COUNT', 'UNTIL']);
  if (Object.keys(parts).some((k) => !known.has(k))) return { kind: 'custom', raw };
  const interval = parts.INTERVAL ? Number(parts.INTERVAL) : 1;
  const count = parts.COUNT ? Number(parts.COUNT) : null;
  // The picker offers UNTIL as a date (the end of that local day); an UNTIL instant is a custom rule.
  const until = parts.UNTIL === undefined ? null : dateOfUntil(parts.UNTIL);
  if (parts.UNTIL !== undefined && until === null) return { kind: 'custom', raw };
  if (!Number.isInteger(interval) || interval < 1 || (count !== null && !(Number.isInteger(count) && count > 0)))
    return { kind: 'custom', raw };
  const base = { interval, count, until };
  if (parts.FREQ === 'DAILY' && !parts.BYDAY && !parts.BYMONTHDAY) return { kind: 'daily', ...base };
  if (parts.FREQ === 'YEARLY' && !parts.BYDAY && !parts.BYMONTHDAY) return { kind: 'yearly', ...base };
  if (parts.FREQ === 'WEEKLY' && !parts.BYMONTHDAY) {
    const days = (parts.BYDAY ?? '').split(',').filter(Boolean);
    if (days.every((d) => WEEKDAYS.some(([code]) => code === d))) return { kind: 'weekly', ...base, days };
  }
  if (
    parts.FREQ === 'MONTHLY' &&
    parts.BYMONTHDAY &&
    !parts.BYDAY &&
    /^(-1|[1-9]|[12]\d|3[01])$/.test(parts.BYMONTHDAY)
  ) {
    return { kind: 'monthly-date', ...base, monthDay: parts.BYMONTHDAY };
  }
  if (parts.FREQ === 'MONTHLY' && parts.BYDAY && !parts.BYMONTHDAY) {
    const m = /^(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)$/.exec(parts.BYDAY);
    if (m) return { kind: 'monthly-ordinal', ...base, ordinal: m[1], weekday: m[2] };
  }
  return { kind: 'custom', raw };
}

/** The RRULE of a model, or null for "does not repeat". */
export function buildRule(model) {
  const until = model.count ? null : untilOf(model.until);
  const tail = `${model.interval > 1 ? `;INTERVAL=${model.interval}` : ''}${model.count ? `;COUNT=${model.count}` : ''}${until ? `;UNTIL=${until}` : ''}`;
  switch (model.kind) {
    case 'daily':
      return `FREQ=DAILY${tail}`;
    case 'yearly':
      return `FREQ=YEARLY${tail}`;
    case 'weekly':
      return `FREQ=WEEKLY${tail}${model.days.length ? `;BYDAY=${model.days.join(',')}` : ''}`;
    case 'monthly-date':
      return `FREQ=MONTHLY${tail};BYMONTHDAY=${model.monthDay}`;
    case 'monthly-ordinal':
      return `FREQ=MONTHLY${tail};BYDAY=${model.ordinal}${model.weekday}`;
    case 'custom':
      return model.raw?.trim() || null;
    default:
      return null;
  }
}

/** A rule in words ("weekly on Mon, Wed"); a rule the picker cannot show is returned as written. */
export function describeRule(rule) {
  const m = parseRule(rule);
  const every = (unit, adverb) => (m.interval > 1 ? `every ${m.interval} ${unit}s` : adverb);
  const dayName = (code) => WEEKDAYS.find(([c]) => c === code)?.[1] ?? code;
  const times = m.count ? `, ${m.count} times` : m.until ? `, until ${m.until}` : '';
  switch (m.kind) {
    case 'daily':
      return `${every('day', 'daily')}${times}`;
    case 'yearly':
      return `${every('year', 'yearly')}${times}`;
    case 'weekly':
      return `${every('week', 'weekly')}${m.days.length ? ` on ${m.days.map(dayName).join(', ')}` : ''}${times}`;
    case 'monthly-date':
      return `${every('month', 'monthly')} on ${m.monthDay === '-1' ? 'the last day' : `day ${m.monthDay}`}${times}`;
    case 'monthly-ordinal':
      return `${every('month', 'monthly')} on the ${ORDINALS.find(([o]) => o === m.ordinal)?.[1] ?? m.ordinal} ${WEEKDAYS.find(([c]) => c === m.weekday)?.[2] ?? m.weekday}${times}`;
    case 'none':
      return '';
    default:
      return describeAny(rule) ?? rule;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const UNITS = {
  DAILY: ['day', 'daily'],
  WEEKLY: ['week', 'weekly'],
  MONTHLY: ['month', 'monthly'],
  YEARLY: ['year', 'yearly'],
};

/** An RFC 5545 ordinal counted from the end (1 to 5) in words: 'last', 'second to last', … */
const fromEnd = (n) => (n === 1 ? 'last' : `${['second', 'third', 'fourth', 'fifth'][n - 2]} to last`);

/**
 * Words for a rule the picker cannot show, from its parts (the subset the server takes: FREQ, INTERVAL,
 * BYMONTH, BYMONTHDAY, BYDAY with ordinals, BYHOUR, BYMINUTE, COUNT, UNTIL, WKST): "yearly on Feb 29",
 * "yearly on the last Sunday of Mar", "daily at 09:00 and 21:00". Null when a part is not one of those,
 * so the rule is shown as written rather than half described.
 */
function describeAny(rule) {
  const parts = {};
  for (const piece of String(rule)
    .trim()
    .replace(/^RRULE:/i, '')
    .split(';')) {
    if (!piece.trim()) continue;
    const [k, v] = piece.split('=').map((x) => x?.trim().toUpperCase());
    if (!k || !v) return null;
    parts[k] = v;
  }
  const unit = UNITS[parts.FREQ];
  if (!unit) return null;
  const known = new Set([
    'FREQ',
    'INTERVAL',
    'BYMONTH',
    'BYMONTHDAY',
    'BYDAY',
    'BYHOUR',
    'BYMINUTE',
    'COUNT',
    'UNTIL',
    'WKST',
  ]);
  if (Object.keys(parts).some((k) => !known.has(k))) return null;
  const list = (v) => (v ? v.split(',') : []);
  const and = (items) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
  // Only what can be said exactly: anything else (BYHOUR without BYMINUTE takes the start's minute; ordinals
  // beyond the picker's, or beyond the fifth from the end; an UNTIL instant) is shown as written.
  if (Boolean(parts.BYHOUR) !== Boolean(parts.BYMINUTE)) return null;
  if (parts.UNTIL && !/^\d{8}$/.test(parts.UNTIL)) return null;
  const months = list(parts.BYMONTH).map((m) => MONTHS[Number(m) - 1]);
  const monthDays = list(parts.BYMONTHDAY).map((d) =>
    /^-[1-5]$/.test(d) ? `the ${fromEnd(-Number(d))} day` : /^([1-9]|[12]\d|3[01])$/.test(d) ? d : null,
  );
  let ordinal = false;
  const days = list(parts.BYDAY).map((d) => {
    const m = /^([+-]?\d+)?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
    if (!m) return null;
    const name = WEEKDAYS.find(([c]) => c === m[2])?.[m[1] ? 2 : 1];
    if (!m[1]) return name;
    const n = Number(m[1]);
    const word = n <= -1 && n >= -5 ? fromEnd(-n) : ORDINALS.find(([o]) => o === String(n))?.[1];
    ordinal = true;
    return word ? `the ${word} ${name}` : null;
  });
  if (months.includes(undefined) || days.includes(null) || monthDays.includes(null)) return null;
  if (ordinal && monthDays.length) return null;
  const interval = Number(parts.INTERVAL ?? 1);
  let out = interval > 1 ? `every ${interval} ${unit[0]}s` : unit[1];
  if (monthDays.length && months.length === 1 && !days.length && monthDays.every((d) => /^\d+$/.test(d)))
    out += ` on ${months[0]} ${and(monthDays)}`;
  else {
    if (days.length && monthDays.length) {
      // Both: the days of the month that fall on those weekdays (RFC 5545: each narrows the other).
      out += ` on ${and(monthDays.map((d) => (/^\d+$/.test(d) ? `day ${d}` : d)))} when it is a ${days.join(' or ')}`;
      days.length = 0;
      monthDays.length = 0;
    }
    if (days.length) out += ` on ${and(days)}`;
    if (monthDays.length)
      out += ` on ${monthDays.every((d) => /^\d+$/.test(d)) ? `day ${and(monthDays)}` : and(monthDays)}`;
    if (months.length) out += `${ordinal ? ' of' : ' in'} ${and(months)}`;
  }
  const hours = list(parts.BYHOUR);
  const minutes = list(parts.BYMINUTE);
  if (hours.length) {
    const pad = (n) => String(n).padStart(2, '0');
    out += ` at ${and(hours.flatMap((h) => (minutes.length ? minutes : ['0']).map((m) => clockTime(`${pad(h)}:${pad(m)}`))))}`;
  }
  if (parts.COUNT) out += `, ${Number(parts.COUNT)} times`;
  else if (parts.UNTIL) {
    const u = /^(\d{4})(\d{2})(\d{2})/.exec(parts.UNTIL);
    if (u) out += `, until ${u[1]}-${u[2]}-${u[3]}`;
  }
  return out;
}
