/**
 * RRULE parsing and validation: a strict subset of RFC 5545 §3.3.10 (Recurrence Rule).
 *
 * Supported parts: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL (1–1000), BYDAY (with ordinals
 * for MONTHLY and YEARLY only), BYMONTHDAY, BYMONTH, BYHOUR, BYMINUTE, COUNT (1–10,000), UNTIL and
 * WKST. Valid RFC 5545 outside the subset (FREQ=HOURLY/MINUTELY/SECONDLY, BYSETPOS, BYWEEKNO,
 * BYYEARDAY, BYSECOND, EXDATE, RDATE, …) is refused as 'unsupported_rule'; anything else that is not
 * RFC 5545 as 'invalid_rule'. A rule is never silently changed.
 */
import {
  MIN_YEAR,
  WEEKDAY_CODES,
  WEEKDAY_INDEX,
  daysInMonth,
  wallToFloating,
  type RecurrenceByDay,
  type WeekdayCode,
} from './calendar.ts';
import { ALL_MONTHS, dayPatternFeasible } from './day-filter.ts';
import { RecurrenceError } from './errors.ts';

export type { WeekdayCode } from './calendar.ts';

/** FREQ values of the subset (RFC 5545 §3.3.10 "freq"; HOURLY, MINUTELY and SECONDLY are outside it). */
export type RecurrenceFrequency = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

/**
 * UNTIL (RFC 5545 §3.3.10): a UTC DATE-TIME (`YYYYMMDDTHHMMSSZ`, an inclusive instant) or a DATE
 * (`YYYYMMDD`, up to the end of that local day in the series' zone).
 */
export type RecurrenceUntil =
  | { readonly kind: 'instant' /** epoch milliseconds (UTC) */; readonly epochMs: number }
  | { readonly kind: 'date'; readonly year: number; readonly month: number; readonly day: number };

/** A validated rule (frozen). Empty lists mean the part is absent (its default comes from DTSTART). */
export interface ParsedRule {
  /** The rule string exactly as given. */
  readonly source: string;
  readonly freq: RecurrenceFrequency;
  /** INTERVAL, 1..1000 (1 when absent): periods of FREQ between instances. */
  readonly interval: number;
  /** BYDAY, distinct, by weekday (MO first) then ordinal (plain first). */
  readonly byDay: readonly RecurrenceByDay[];
  /** BYMONTHDAY, 1..31 or -31..-1 (from the end of the month); this and every list below: distinct, ascending. */
  readonly byMonthDay: readonly number[];
  /** BYMONTH, 1..12. */
  readonly byMonth: readonly number[];
  /** BYHOUR, 0..23 (wall-clock hours in the series' zone). */
  readonly byHour: readonly number[];
  /** BYMINUTE, 0..59. */
  readonly byMinute: readonly number[];
  /** COUNT, 1..10,000 instances from DTSTART; null when absent. Never together with UNTIL. */
  readonly count: number | null;
  readonly until: RecurrenceUntil | null;
  /** WKST, the day a WEEKLY period begins ('MO' when absent); matters only with INTERVAL > 1. */
  readonly wkst: WeekdayCode;
}

/**
 * Longest rule accepted, in characters (UTF-16 code units, as `String.length` counts). The API's joi
 * schema and the tasks table's CHECK (migration 006) use this same number; a test compares them.
 */
export const MAX_RULE_LENGTH = 500;

const SUPPORTED_FREQS: readonly RecurrenceFrequency[] = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const RFC_FREQS_OUTSIDE_SUBSET = new Set(['HOURLY', 'MINUTELY', 'SECONDLY']);

function ruleError(code: 'invalid_rule' | 'unsupported_rule', part: string, detail: string): RecurrenceError {
  return new RecurrenceError(code, `recurrence_rule: ${detail}`, part);
}

function unsupported(part: string, what: string = part): RecurrenceError {
  return ruleError('unsupported_rule', part, `${what} is not supported`);
}

/**
 * At most this many occurrences on one day: BYHOUR × BYMINUTE (each defaulting to the start's hour
 * or minute), capped at the 24 a day that FREQ=HOURLY would give. A rule with more (BYHOUR=0..23
 * with BYMINUTE=0,30 gives 48; every hour × every minute gives 1,440) is sub-hourly in effect:
 * FREQ=MINUTELY by another name. It is outside the supported subset, like FREQ=HOURLY/MINUTELY
 * themselves, and parseRule refuses it as 'unsupported_rule' naming BYMINUTE.
 */
export const MAX_TIMES_PER_DAY = 24;

const SUPPORTED_KEYS = new Set([
  'FREQ',
  'INTERVAL',
  'BYDAY',
  'BYMONTHDAY',
  'BYMONTH',
  'BYHOUR',
  'BYMINUTE',
  'COUNT',
  'UNTIL',
  'WKST',
]);

const KEY_SYNTAX = /^[A-Z][A-Z0-9-]*$/;
const PROPERTY_PREFIX = /^([A-Za-z][A-Za-z0-9-]*)(?:;[^:]*)?:/;

function parseIntStrict(raw: string, allowSign: boolean): number | undefined {
  const re = allowSign ? /^[+-]?\d{1,6}$/ : /^\d{1,6}$/;
  if (!re.test(raw)) return undefined;
  return Number.parseInt(raw, 10);
}

function parseIntList(key: string, raw: string, min: number, max: number, allowNegative: boolean): number[] {
  const range = allowNegative ? `${min} to ${max} or -${max} to -${min}` : `${min} to ${max}`;
  const items = raw.split(',');
  const out: number[] = [];
  for (const item of items) {
    const n = parseIntStrict(item, allowNegative);
    const abs = n === undefined ? undefined : Math.abs(n);
    if (n === undefined || abs === undefined || abs < min || abs > max || (!allowNegative && n < 0)) {
      throw ruleError('invalid_rule', key, `${key} must be a comma-separated list of integers from ${range}`);
    }
    out.push(n);
  }
  return distinctSorted(out);
}

/**
 * A BY* list's distinct values, ascending. RFC 5545 gives a repeated value no meaning (a set of
 * values), and the expansion's work grows with each list's length: BYMONTHDAY=-1,-1,…(150×),31 cost
 * 10× the rule BYMONTHDAY=-1,31. So every BY* list is reduced here, once, and work follows the
 * distinct values; ParsedRule.source keeps the text as written.
 */
function distinctSorted(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function parseWeekdayCode(raw: string): WeekdayCode | undefined {
  return (WEEKDAY_CODES as readonly string[]).includes(raw) ? (raw as WeekdayCode) : undefined;
}

function parseByDay(raw: string): RecurrenceByDay[] {
  const out: RecurrenceByDay[] = [];
  for (const item of raw.split(',')) {
    const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
    const weekday = m?.[2] === undefined ? undefined : parseWeekdayCode(m[2]);
    if (!m || weekday === undefined) {
      throw ruleError(
        'invalid_rule',
        'BYDAY',
        'BYDAY must be a comma-separated list of weekdays (MO,TU,WE,TH,FR,SA,SU), optionally with an ordinal such as 1MO or -1FR',
      );
    }
    let ordinal: number | null = null;
    if (m[1] !== undefined) {
      ordinal = Number.parseInt(m[1], 10);
      if (ordinal === 0 || Math.abs(ordinal) > 53) {
        throw ruleError('invalid_rule', 'BYDAY', 'BYDAY ordinals must be from 1 to 53 or -53 to -1');
      }
    }
    out.push(Object.freeze({ weekday, ordinal }));
  }
  // Distinct items, by weekday (MO first) then ordinal (plain first), as distinctSorted does for numbers.
  const distinct = new Map<string, RecurrenceByDay>();
  for (const item of out) distinct.set(`${item.ordinal ?? 0}${item.weekday}`, item);
  return [...distinct.values()].sort(
    (a, b) =>
      WEEKDAY_INDEX[a.weekday] - WEEKDAY_INDEX[b.weekday] || (a.ordinal ?? -Infinity) - (b.ordinal ?? -Infinity),
  );
}

function parseUntil(raw: string): RecurrenceUntil {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(raw);
  const invalid = (): RecurrenceError =>
    ruleError('invalid_rule', 'UNTIL', 'UNTIL must be a UTC date-time (YYYYMMDDTHHMMSSZ) or a date (YYYYMMDD)');
  if (!m) throw invalid();
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < MIN_YEAR || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw invalid();
  if (m[4] === undefined) return Object.freeze({ kind: 'date', year, month, day });
  if (m[7] === undefined) {
    throw ruleError(
      'invalid_rule',
      'UNTIL',
      'UNTIL must be in UTC (YYYYMMDDTHHMMSSZ) or a date (YYYYMMDD); a floating date-time is not allowed with a zoned start (RFC 5545)',
    );
  }
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) throw invalid();
  return Object.freeze({ kind: 'instant', epochMs: wallToFloating({ year, month, day, hour, minute, second }) });
}

/** Rules produced by parseRule (so a ParsedRule built elsewhere is re-validated from its source). */
const VERIFIED_RULES = new WeakSet<object>();

/**
 * Parses and validates a rule of the supported RRULE subset (RFC 5545 §3.3.10): one line of
 * `KEY=VALUE` parts joined by `;`, optionally prefixed `RRULE:`, keys and values case-insensitive,
 * at most 2,000 characters. Besides the value ranges of ParsedRule it refuses what RFC 5545 forbids
 * (COUNT with UNTIL, BYMONTHDAY with WEEKLY, BYDAY ordinals with DAILY/WEEKLY, a floating UNTIL with
 * a zoned start), day patterns that never match a date, and BYHOUR × BYMINUTE above
 * MAX_TIMES_PER_DAY. Throws RecurrenceError 'invalid_rule' or 'unsupported_rule' naming the
 * offending part; never silently changes a rule.
 */
export function parseRule(rule: string): ParsedRule {
  if (typeof rule !== 'string') {
    throw ruleError('invalid_rule', 'RRULE', 'the rule must be a string');
  }
  if (rule.length > MAX_RULE_LENGTH) {
    throw ruleError('invalid_rule', 'RRULE', `the rule must be at most ${MAX_RULE_LENGTH} characters`);
  }
  const lines = rule
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const first = lines[0];
  if (first === undefined) throw ruleError('invalid_rule', 'FREQ', 'the rule is empty; FREQ is required');
  for (const [index, line] of lines.entries()) {
    const prop = PROPERTY_PREFIX.exec(line)?.[1]?.toUpperCase();
    if (prop !== undefined && prop !== 'RRULE') throw unsupported(prop);
    if (index > 0) {
      if (prop === 'RRULE') throw unsupported('RRULE', 'more than one RRULE');
      throw ruleError('invalid_rule', 'RRULE', 'the rule must be a single line');
    }
  }

  let body = first;
  if (/^RRULE:/i.test(body)) body = body.slice('RRULE:'.length);
  if (body.endsWith(';')) body = body.slice(0, -1);

  const values = new Map<string, string>();
  for (const rawPart of body.split(';')) {
    const eq = rawPart.indexOf('=');
    const key = (eq < 0 ? rawPart : rawPart.slice(0, eq)).trim().toUpperCase();
    if (eq < 0 || !KEY_SYNTAX.test(key)) {
      throw ruleError(
        'invalid_rule',
        key.length > 0 && KEY_SYNTAX.test(key) ? key : 'RRULE',
        `malformed part ${JSON.stringify(rawPart)} in RRULE (expected KEY=VALUE)`,
      );
    }
    if (!SUPPORTED_KEYS.has(key)) throw unsupported(key);
    if (values.has(key)) throw ruleError('invalid_rule', key, `${key} must not appear more than once`);
    const value = rawPart
      .slice(eq + 1)
      .trim()
      .toUpperCase();
    if (value.length === 0) throw ruleError('invalid_rule', key, `${key} must have a value`);
    values.set(key, value);
  }

  const freqRaw = values.get('FREQ');
  if (freqRaw === undefined) throw ruleError('invalid_rule', 'FREQ', 'FREQ is required');
  if (RFC_FREQS_OUTSIDE_SUBSET.has(freqRaw)) throw unsupported('FREQ', `FREQ=${freqRaw}`);
  const freq = SUPPORTED_FREQS.find((f) => f === freqRaw);
  if (freq === undefined) throw ruleError('invalid_rule', 'FREQ', 'FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY');

  let interval = 1;
  const intervalRaw = values.get('INTERVAL');
  if (intervalRaw !== undefined) {
    const n = parseIntStrict(intervalRaw, false);
    if (n === undefined || n < 1 || n > 1000) {
      throw ruleError('invalid_rule', 'INTERVAL', 'INTERVAL must be an integer from 1 to 1000');
    }
    interval = n;
  }

  let count: number | null = null;
  const countRaw = values.get('COUNT');
  if (countRaw !== undefined) {
    const n = parseIntStrict(countRaw, false);
    if (n === undefined || n < 1 || n > 10000) {
      throw ruleError('invalid_rule', 'COUNT', 'COUNT must be an integer from 1 to 10000');
    }
    count = n;
  }

  const untilRaw = values.get('UNTIL');
  const until = untilRaw === undefined ? null : parseUntil(untilRaw);
  if (count !== null && until !== null) {
    throw ruleError('invalid_rule', 'UNTIL', 'COUNT and UNTIL must not be used together');
  }

  let wkst: WeekdayCode = 'MO';
  const wkstRaw = values.get('WKST');
  if (wkstRaw !== undefined) {
    const w = parseWeekdayCode(wkstRaw);
    if (w === undefined) throw ruleError('invalid_rule', 'WKST', 'WKST must be one of MO,TU,WE,TH,FR,SA,SU');
    wkst = w;
  }

  const byMonthRaw = values.get('BYMONTH');
  const byMonth = byMonthRaw === undefined ? [] : parseIntList('BYMONTH', byMonthRaw, 1, 12, false);
  const byMonthDayRaw = values.get('BYMONTHDAY');
  const byMonthDay = byMonthDayRaw === undefined ? [] : parseIntList('BYMONTHDAY', byMonthDayRaw, 1, 31, true);
  const byHourRaw = values.get('BYHOUR');
  const byHour = byHourRaw === undefined ? [] : parseIntList('BYHOUR', byHourRaw, 0, 23, false);
  const byMinuteRaw = values.get('BYMINUTE');
  const byMinute = byMinuteRaw === undefined ? [] : parseIntList('BYMINUTE', byMinuteRaw, 0, 59, false);
  const byDayRaw = values.get('BYDAY');
  const byDay = byDayRaw === undefined ? [] : parseByDay(byDayRaw);

  const timesPerDay = Math.max(1, byHour.length) * Math.max(1, byMinute.length);
  if (timesPerDay > MAX_TIMES_PER_DAY) {
    throw ruleError(
      'unsupported_rule',
      'BYMINUTE',
      `BYHOUR × BYMINUTE gives ${timesPerDay} times a day, more than the ${MAX_TIMES_PER_DAY} of FREQ=HOURLY: a rule that dense is FREQ=MINUTELY in effect, which is not supported`,
    );
  }
  if (freq === 'WEEKLY' && byMonthDay.length > 0) {
    throw ruleError('invalid_rule', 'BYMONTHDAY', 'BYMONTHDAY must not be used with FREQ=WEEKLY (RFC 5545)');
  }
  const hasOrdinal = byDay.some((b) => b.ordinal !== null);
  if (hasOrdinal && (freq === 'DAILY' || freq === 'WEEKLY')) {
    throw ruleError(
      'invalid_rule',
      'BYDAY',
      'BYDAY ordinals (e.g. 1MO, -1FR) are only allowed with FREQ=MONTHLY or FREQ=YEARLY',
    );
  }
  const yearScope = freq === 'YEARLY' && byMonth.length === 0;
  if (!yearScope && byDay.some((b) => b.ordinal !== null && Math.abs(b.ordinal) > 5)) {
    throw ruleError(
      'invalid_rule',
      'BYDAY',
      'BYDAY ordinals must be from 1 to 5 or -5 to -1 within a month (FREQ=MONTHLY, or FREQ=YEARLY with BYMONTH)',
    );
  }
  if (
    (byDay.length > 0 || byMonthDay.length > 0) &&
    !dayPatternFeasible({ months: byMonth.length > 0 ? byMonth : ALL_MONTHS, monthDays: byMonthDay, byDay, yearScope })
  ) {
    const parts = [
      byMonth.length > 0 ? 'BYMONTH' : '',
      byMonthDay.length > 0 ? 'BYMONTHDAY' : '',
      byDay.length > 0 ? 'BYDAY' : '',
    ]
      .filter((s) => s.length > 0)
      .join('/');
    throw ruleError('invalid_rule', byMonthDay.length > 0 ? 'BYMONTHDAY' : 'BYDAY', `${parts} never match any date`);
  }

  const parsed: ParsedRule = Object.freeze({
    source: rule,
    freq,
    interval,
    byDay: Object.freeze(byDay),
    byMonthDay: Object.freeze(byMonthDay),
    byMonth: Object.freeze(byMonth),
    byHour: Object.freeze(byHour),
    byMinute: Object.freeze(byMinute),
    count,
    until,
    wkst,
  });
  VERIFIED_RULES.add(parsed);
  return parsed;
}

/**
 * A rule in canonical RFC 5545 text (§3.3.10): upper case, no spaces, parts in one order (FREQ, INTERVAL,
 * BYMONTH, BYMONTHDAY, BYDAY, BYHOUR, BYMINUTE, COUNT, UNTIL, WKST), each BY* list as ParsedRule holds it
 * (distinct, ascending), ordinals without leading zeros, defaults left out (INTERVAL=1, WKST=MO). It means
 * what `rule` means (RFC 5545 gives a BY* list's order and repeats no meaning), for readers stricter than
 * parseRule, which takes any case, spaces around keys and values, and `01MO`. `count` and `until` replace
 * the rule's own when given (null: left out). The stored rule is never rewritten: this is for output.
 */
export function formatRule(
  rule: ParsedRule,
  replace: { count?: number | null; until?: RecurrenceUntil | null } = {},
): string {
  const count = replace.count === undefined ? rule.count : replace.count;
  const until = replace.until === undefined ? rule.until : replace.until;
  const p2 = (n: number) => String(n).padStart(2, '0');
  const parts = [`FREQ=${rule.freq}`];
  if (rule.interval !== 1) parts.push(`INTERVAL=${rule.interval}`);
  if (rule.byMonth.length > 0) parts.push(`BYMONTH=${rule.byMonth.join(',')}`);
  if (rule.byMonthDay.length > 0) parts.push(`BYMONTHDAY=${rule.byMonthDay.join(',')}`);
  if (rule.byDay.length > 0)
    parts.push(`BYDAY=${rule.byDay.map((d) => `${d.ordinal === null ? '' : d.ordinal}${d.weekday}`).join(',')}`);
  if (rule.byHour.length > 0) parts.push(`BYHOUR=${rule.byHour.join(',')}`);
  if (rule.byMinute.length > 0) parts.push(`BYMINUTE=${rule.byMinute.join(',')}`);
  if (count !== null) parts.push(`COUNT=${count}`);
  if (until !== null) {
    if (until.kind === 'date')
      parts.push(`UNTIL=${String(until.year).padStart(4, '0')}${p2(until.month)}${p2(until.day)}`);
    else {
      const d = new Date(until.epochMs);
      parts.push(
        `UNTIL=${String(d.getUTCFullYear()).padStart(4, '0')}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}T${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`,
      );
    }
  }
  if (rule.wkst !== 'MO') parts.push(`WKST=${rule.wkst}`);
  return parts.join(';');
}

/** Throws what parseRule throws; returns nothing for a valid rule. */
export function validateRule(rule: string): void {
  parseRule(rule);
}

/**
 * The validated rule for a rule string or a ParsedRule: a result of parseRule as it is, anything else
 * re-parsed from its `source` (so a hand-built object cannot bypass validation). Throws as parseRule.
 */
export function resolveRule(rule: string | ParsedRule): ParsedRule {
  if (typeof rule === 'string') return parseRule(rule);
  if (typeof rule === 'object' && rule !== null) {
    if (VERIFIED_RULES.has(rule)) return rule;
    if (typeof rule.source === 'string') return parseRule(rule.source);
  }
  throw ruleError('invalid_rule', 'RRULE', 'the rule must be a string or a result of parseRule');
}
