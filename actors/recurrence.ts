/**
 * Recurrence rules (a strict subset of RFC 5545 RRULE) expanded in an IANA time zone.
 *
 * Pure module: no I/O, no clock, and no dependence on the host's TZ.
 *
 * Design
 * - Rule semantics are RFC 5545's as python-dateutil and npm `rrule` implement them (the oracle test
 *   checks against dateutil, a property test against rrule.js). The expansion is our own because
 *   rrule.js walks a DAILY rule day by day up to year 9999 with no way to bound it: a sparse rule
 *   (Feb 29 that is a Monday, INTERVAL=2) took 10-30 s of the event loop. Here a rule is expanded
 *   month by month from a table of matching days per month shape, with a step budget
 *   (EXPANSION_BUDGET) that every supported rule provably fits; see `enumerate`.
 * - The first start's wall-clock time is encoded as a "floating" time (`Date.UTC(y, m-1, d, h, mi,
 *   s)`), the rule is expanded in floating time, and every floating result is mapped to a real
 *   instant by exactly one function, `floatingToInstant` (exported as `localToInstant`), using
 *   luxon's zone offsets.
 * - A wall time inside a spring-forward gap is read with the offset in force before the gap, i.e.
 *   it moves forward by the gap length (RFC 5545 errata 4271). An ambiguous fall-back wall time
 *   takes the earlier instant.
 * - Because of the gap rule the floating -> instant mapping is not strictly monotonic (a wall time
 *   in a gap can land after a later wall time just past the gap), so windows are expanded with a
 *   two-day floating margin, filtered by real instants, sorted, and de-duplicated (two wall times
 *   can map to the same instant, e.g. 02:30 and 03:30 on a spring-forward day).
 * - COUNT counts floating rule instances from the start (RFC 5545: DTSTART is the first instance
 *   when it matches the rule); duplicates produced by a gap are emitted once.
 * - UNTIL in UTC form is an inclusive instant. UNTIL as a date (YYYYMMDD) means "up to the end of
 *   that local day", i.e. wall-clock time <= YYYY-MM-DD 23:59:59.
 */
import { IANAZone } from 'luxon';
import { isZone } from './zone.ts';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export type RecurrenceErrorCode = 'invalid_rule' | 'unsupported_rule' | 'invalid_timezone' | 'invalid_start' | 'budget_exceeded';

export class RecurrenceError extends Error {
  readonly code: RecurrenceErrorCode;
  readonly part: string | undefined;

  constructor(code: RecurrenceErrorCode, message: string, part?: string) {
    super(message);
    this.name = 'RecurrenceError';
    this.code = code;
    this.part = part;
  }
}

export type RecurrenceFrequency = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
export type WeekdayCode = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';

export interface RecurrenceByDay {
  readonly weekday: WeekdayCode;
  /** 1..53 or -53..-1; null for a plain weekday. */
  readonly ordinal: number | null;
}

export type RecurrenceUntil =
  | { readonly kind: 'instant'; /** epoch milliseconds (UTC) */ readonly epochMs: number }
  | { readonly kind: 'date'; readonly year: number; readonly month: number; readonly day: number };

export interface ParsedRule {
  /** The rule string exactly as given. */
  readonly source: string;
  readonly freq: RecurrenceFrequency;
  readonly interval: number;
  readonly byDay: readonly RecurrenceByDay[];
  readonly byMonthDay: readonly number[];
  readonly byMonth: readonly number[];
  readonly byHour: readonly number[];
  readonly byMinute: readonly number[];
  readonly count: number | null;
  readonly until: RecurrenceUntil | null;
  readonly wkst: WeekdayCode;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface OccurrenceOptions {
  /** Only occurrences strictly after this instant. */
  after?: Date;
  /** Maximum number of occurrences returned (capped at 1000). */
  limit: number;
  /** No occurrence after this instant (inclusive bound). */
  until?: Date;
  /** Work allowed, in steps (see EXPANSION_BUDGET, the default); over it: RecurrenceError 'budget_exceeded'. */
  budget?: number;
  /** Receives the steps this expansion took (reset to 0 first). */
  meter?: ExpansionMeter;
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/**
 * Floating vs. real time: an occurrence's instant is `f - o` for some real UTC offset `o` of the
 * zone (in a gap, the offset before the gap), and |o| < 16 h for every zone, so instants are always
 * within one day of their floating value.
 */
const SLACK_MS = DAY_MS;
/** Wider margin for the floating bounds of a walk and for where a walk after `after` begins. */
const MARGIN_MS = 2 * DAY_MS;

export const MAX_OCCURRENCE_LIMIT = 1000;
const MAX_RULE_LENGTH = 2000;
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

/** Index = Python/dateutil weekday number (Monday = 0). */
const WEEKDAY_CODES: readonly WeekdayCode[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const WEEKDAY_INDEX: Readonly<Record<WeekdayCode, number>> = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 };

const SUPPORTED_FREQS: readonly RecurrenceFrequency[] = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const RFC_FREQS_OUTSIDE_SUBSET = new Set(['HOURLY', 'MINUTELY', 'SECONDLY']);

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function ruleError(code: 'invalid_rule' | 'unsupported_rule', part: string, detail: string): RecurrenceError {
  return new RecurrenceError(code, `recurrence_rule: ${detail}`, part);
}

function unsupported(part: string, what: string = part): RecurrenceError {
  return ruleError('unsupported_rule', part, `${what} is not supported`);
}

function startError(detail: string): RecurrenceError {
  return new RecurrenceError('invalid_start', `start: ${detail}`, 'start');
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  switch (month) {
    case 2:
      return isLeapYear(year) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    default:
      return 31;
  }
}

/** Largest length the month can have in any year. */
function maxDaysInMonth(month: number): number {
  return month === 2 ? 29 : daysInMonth(2001, month);
}

/** Wall-clock fields -> floating epoch ms (the wall clock encoded as if it were UTC). */
function wallToFloating(w: WallClock): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

function floatingToWall(f: number): WallClock {
  const d = new Date(f);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Python-style weekday (Monday = 0) of a floating day number (days since 1970-01-01, a Thursday). */
function weekdayOfDayNumber(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7;
}

function dayNumber(f: number): number {
  return Math.floor(f / DAY_MS);
}

// ---------------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------------

function resolveZone(zone: string): IANAZone {
  if (!isZone(zone)) { // the one zone validator (actors/zone.ts)
    throw new RecurrenceError(
      'invalid_timezone',
      `timezone: ${JSON.stringify(typeof zone === 'string' ? zone : String(zone))} is not a valid IANA time zone`,
      'timezone',
    );
  }
  return IANAZone.create(zone);
}

/** UTC offset of `zone` at the instant `epochMs`, in milliseconds. */
function offsetMs(zone: IANAZone, epochMs: number): number {
  return Math.round(zone.offset(epochMs) * MINUTE_MS);
}

type OffsetFn = (epochMs: number) => number;

/** Offset lookup for one expansion; memoised because neighbouring occurrences share probe instants. */
function memoOffsets(zone: IANAZone): OffsetFn {
  const cache = new Map<number, number>();
  return (epochMs) => {
    let o = cache.get(epochMs);
    if (o === undefined) {
      o = offsetMs(zone, epochMs);
      cache.set(epochMs, o);
    }
    return o;
  };
}

/**
 * THE floating -> instant mapping. `f` is a wall-clock time encoded as UTC epoch ms.
 * - exactly one matching instant: that one;
 * - ambiguous (fall-back overlap): the earliest matching instant;
 * - nonexistent (spring-forward gap): read with the offset in force before the gap, which moves
 *   the time forward by the gap length (RFC 5545 errata 4271).
 */
function floatingToInstant(f: number, offset: OffsetFn): number {
  // Offsets and transition shifts are all < 1 day, so the offsets one day either side of the
  // wall time are the offsets before and after any transition that can affect it.
  const before = offset(f - DAY_MS);
  const after = offset(f + DAY_MS);
  if (before === after && offset(f - before) === before) return f - before; // no transition nearby
  const candidates = [before, after];
  // Extra candidates guard against two transitions close together.
  for (const o of [before, after]) {
    const extra = offset(f - o);
    if (!candidates.includes(extra)) candidates.push(extra);
  }
  let best: number | undefined;
  for (const o of candidates) {
    const t = f - o;
    if (offset(t) === o && (best === undefined || t < best)) best = t;
  }
  if (best !== undefined) return best;
  // Gap: the instant `f - after` lies before the transition, so its offset is the one before the gap.
  return f - offset(f - after);
}

function instantToWall(epochMs: number, zone: IANAZone): WallClock {
  const f = epochMs + offsetMs(zone, epochMs);
  return floatingToWall(Math.floor(f / SECOND_MS) * SECOND_MS);
}

// ---------------------------------------------------------------------------------------------
// Rule parsing
// ---------------------------------------------------------------------------------------------

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
  return out;
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
  return out;
}

function parseUntil(raw: string): RecurrenceUntil {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(raw);
  const invalid = (): RecurrenceError =>
    ruleError(
      'invalid_rule',
      'UNTIL',
      'UNTIL must be a UTC date-time (YYYYMMDDTHHMMSSZ) or a date (YYYYMMDD)',
    );
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

interface DayPattern {
  /** Months that can be visited (1..12), non-empty. */
  months: readonly number[];
  monthDays: readonly number[];
  byDay: readonly RecurrenceByDay[];
  /** BYDAY ordinals count within the year (YEARLY without BYMONTH) instead of within the month. */
  yearScope: boolean;
}

function dayMatches(p: DayPattern, monthDay: number, monthLength: number, weekday: number, ordPos: number, ordNeg: number): boolean {
  if (p.monthDays.length > 0 && !p.monthDays.some((x) => (x > 0 ? x === monthDay : monthLength + 1 + x === monthDay))) {
    return false;
  }
  if (p.byDay.length === 0) return true;
  return p.byDay.some(
    (b) => WEEKDAY_INDEX[b.weekday] === weekday && (b.ordinal === null || b.ordinal === ordPos || b.ordinal === ordNeg),
  );
}

/**
 * Whether some calendar day satisfies BYMONTH / BYMONTHDAY / BYDAY. Every (month, month length,
 * weekday of the 1st) and every (year length, weekday of Jan 1) occurs in the 400-year Gregorian
 * cycle, so checking these shapes is exact (ignoring INTERVAL phase, handled by the caller).
 */
function dayPatternFeasible(p: DayPattern): boolean {
  const hasOrdinal = p.byDay.some((b) => b.ordinal !== null);
  if (p.yearScope && hasOrdinal) {
    for (const leap of [false, true]) {
      const yearLength = leap ? 366 : 365;
      const year = leap ? 2000 : 2001;
      for (let jan1 = 0; jan1 < 7; jan1++) {
        let doy = 0;
        for (let month = 1; month <= 12; month++) {
          const len = daysInMonth(year, month);
          for (let d = 1; d <= len; d++) {
            doy++;
            if (!p.months.includes(month)) continue;
            const ordPos = Math.ceil(doy / 7);
            const ordNeg = -(Math.floor((yearLength - doy) / 7) + 1);
            if (dayMatches(p, d, len, (jan1 + doy - 1) % 7, ordPos, ordNeg)) return true;
          }
        }
      }
    }
    return false;
  }
  for (const month of p.months) {
    const lengths = month === 2 ? [28, 29] : [maxDaysInMonth(month)];
    for (const len of lengths) {
      for (let first = 0; first < 7; first++) {
        for (let d = 1; d <= len; d++) {
          const ordPos = Math.ceil(d / 7);
          const ordNeg = -(Math.floor((len - d) / 7) + 1);
          if (dayMatches(p, d, len, (first + d - 1) % 7, ordPos, ordNeg)) return true;
        }
      }
    }
  }
  return false;
}

const ALL_MONTHS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** Rules produced by parseRule (so a ParsedRule built elsewhere is re-validated from its source). */
const VERIFIED_RULES = new WeakSet<object>();

/**
 * Parses and validates a rule of the supported RRULE subset. Throws RecurrenceError naming the
 * offending part; never silently changes a rule.
 */
export function parseRule(rule: string): ParsedRule {
  if (typeof rule !== 'string') {
    throw ruleError('invalid_rule', 'RRULE', 'the rule must be a string');
  }
  if (rule.length > MAX_RULE_LENGTH) {
    throw ruleError('invalid_rule', 'RRULE', `the rule must be at most ${MAX_RULE_LENGTH} characters`);
  }
  const lines = rule.trim().split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
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
    const value = rawPart.slice(eq + 1).trim().toUpperCase();
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
    const parts = [byMonth.length > 0 ? 'BYMONTH' : '', byMonthDay.length > 0 ? 'BYMONTHDAY' : '', byDay.length > 0 ? 'BYDAY' : '']
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

export function validateRule(rule: string): void {
  parseRule(rule);
}

function resolveRule(rule: string | ParsedRule): ParsedRule {
  if (typeof rule === 'string') return parseRule(rule);
  if (typeof rule === 'object' && rule !== null) {
    if (VERIFIED_RULES.has(rule)) return rule;
    if (typeof rule.source === 'string') return parseRule(rule.source);
  }
  throw ruleError('invalid_rule', 'RRULE', 'the rule must be a string or a result of parseRule');
}

// ---------------------------------------------------------------------------------------------
// Start / wall clock
// ---------------------------------------------------------------------------------------------

const ISO_START =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

function checkWall(w: WallClock, fail: (detail: string) => RecurrenceError): void {
  const fields: Array<[keyof WallClock, number, number]> = [
    ['year', MIN_YEAR, MAX_YEAR],
    ['month', 1, 12],
    ['day', 1, 31],
    ['hour', 0, 23],
    ['minute', 0, 59],
    ['second', 0, 59],
  ];
  for (const [name, min, max] of fields) {
    const v = w[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw fail(`${name} must be an integer from ${min} to ${max}`);
    }
  }
  if (w.day > daysInMonth(w.year, w.month)) throw fail(`${w.year}-${w.month} has no day ${w.day}`);
}

function parseStartInZone(start: string | Date, zone: IANAZone): WallClock {
  if (start instanceof Date) {
    const ms = start.getTime();
    if (Number.isNaN(ms)) throw startError('invalid Date');
    const wall = instantToWall(ms, zone);
    checkWall(wall, startError);
    return wall;
  }
  if (typeof start !== 'string') throw startError('must be an ISO 8601 string or a Date');
  const m = ISO_START.exec(start);
  if (!m) throw startError(`${JSON.stringify(start)} is not an ISO 8601 date-time (e.g. 2026-03-08T09:30)`);
  const wall: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  checkWall(wall, startError);
  const hasOffset = m[8] !== undefined || m[9] !== undefined;
  if (!hasOffset) return wall; // wall-clock time in `zone`, kept as written (even inside a gap)
  let offset = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) throw startError(`${JSON.stringify(start)} has an invalid UTC offset`);
    offset = (m[9] === '-' ? -1 : 1) * (oh * HOUR_MS + om * MINUTE_MS);
  }
  const instant = wallToFloating(wall) - offset;
  const inZone = instantToWall(instant, zone);
  checkWall(inZone, startError);
  return inZone;
}

/** Wall-clock time of the first start in `zone` (seconds are whole seconds; fractions are dropped). */
export function parseStart(start: string | Date, zone: string): WallClock {
  return parseStartInZone(start, resolveZone(zone));
}

/**
 * Wall-clock time in `zone` -> instant. A time in a spring-forward gap moves forward by the gap
 * length; an ambiguous fall-back time takes the earlier instant.
 */
export function localToInstant(
  wall: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  zone: string,
): Date {
  const z = resolveZone(zone);
  const w: WallClock = {
    year: wall.year,
    month: wall.month,
    day: wall.day,
    hour: wall.hour,
    minute: wall.minute,
    second: wall.second ?? 0,
  };
  checkWall(w, (detail) => new RecurrenceError('invalid_start', `wall-clock time: ${detail}`, 'wall'));
  return new Date(floatingToInstant(wallToFloating(w), (ms) => offsetMs(z, ms)));
}

// ---------------------------------------------------------------------------------------------
// Budget
// ---------------------------------------------------------------------------------------------

/**
 * At most this many occurrences on one day: BYHOUR × BYMINUTE (each defaulting to the start's hour
 * or minute), capped at the 24 a day that FREQ=HOURLY would give. A rule with more (BYHOUR=0..23
 * with BYMINUTE=0,30 gives 48; every hour × every minute gives 1,440) is sub-hourly in effect:
 * FREQ=MINUTELY by another name. It is outside the supported subset, like FREQ=HOURLY/MINUTELY
 * themselves, and parseRule refuses it as 'unsupported_rule' naming BYMINUTE.
 */
export const MAX_TIMES_PER_DAY = 24;

/**
 * The work one expansion may do, in steps: one per calendar month the expansion looks at, plus one
 * per candidate wall time it considers. Counted, not timed, so it is deterministic.
 *
 * Months outside BYMONTH, and months or years off the INTERVAL phase of MONTHLY / YEARLY, are
 * jumped over arithmetically; each visited month costs one table look-up of its matching days
 * (`monthMask`), never a day-by-day walk, whatever the INTERVAL. So one call costs at most
 *   months from the start to the end of the series (start years >= 1000, so <= 12 × 9,000 = 108,000)
 * + candidates (COUNT <= 10,000; without COUNT <= 2 × limit + 12 days × MAX_TIMES_PER_DAY = 2,288)
 * = 118,000 at worst, under this budget: every rule of the supported subset fits, from any start.
 * `expansionBound` gives the bound of one series; `checkSeries` refuses a series whose bound is
 * over the budget when it is created or changed. An expansion that still reaches the budget stops
 * with RecurrenceError 'budget_exceeded' (a bug, never a spin).
 */
export const EXPANSION_BUDGET = 150_000;

/** Candidates beyond `limit` an expansion without COUNT may consider: edge days around `after` / `until`. */
const EDGE_DAYS = 12;

/** Steps taken by one expansion; pass one in `OccurrenceOptions.meter` to read it. */
export interface ExpansionMeter {
  steps: number;
}

interface Budget {
  readonly meter: ExpansionMeter;
  readonly limit: number;
}

function spend(budget: Budget, steps: number): void {
  budget.meter.steps += steps;
  if (budget.meter.steps > budget.limit) {
    throw new RecurrenceError(
      'budget_exceeded',
      `recurrence_rule: expanding this rule needs more than ${budget.limit} steps (EXPANSION_BUDGET)`,
      'RRULE',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Expansion
// ---------------------------------------------------------------------------------------------

/**
 * Cheap checks for rules that can never produce an occurrence from this start, so nothing is
 * scanned for them: day patterns made impossible by the defaults taken from the start, by
 * MONTHLY's INTERVAL (months never visited) or by DAILY with an INTERVAL that is a multiple of 7
 * (only the start's weekday is visited).
 */
function canEverOccur(p: ParsedRule, start: WallClock): boolean {
  let months: readonly number[] = p.byMonth.length > 0 ? p.byMonth : ALL_MONTHS;
  let monthDays = p.byMonthDay;
  let byDay = p.byDay;
  const defaults = p.byDay.length === 0 && p.byMonthDay.length === 0;
  if (defaults && (p.freq === 'MONTHLY' || p.freq === 'YEARLY')) monthDays = [start.day];
  if (defaults && p.freq === 'YEARLY' && p.byMonth.length === 0) months = [start.month];
  if (p.freq === 'MONTHLY') {
    const visited = new Set<number>();
    for (let i = 0; i < 12; i++) visited.add(((start.month - 1 + i * p.interval) % 12) + 1);
    months = months.filter((m) => visited.has(m));
  }
  if (p.freq === 'DAILY' && p.interval % 7 === 0) {
    const startWeekday = WEEKDAY_CODES[weekdayOfDayNumber(dayNumber(wallToFloating(start)))];
    if (startWeekday === undefined) return false;
    byDay = byDay.length === 0 ? [{ weekday: startWeekday, ordinal: null }] : byDay.filter((b) => b.weekday === startWeekday);
    if (byDay.length === 0) return false;
  }
  if (months.length === 0) return false;
  return dayPatternFeasible({ months, monthDays, byDay, yearScope: p.freq === 'YEARLY' && p.byMonth.length === 0 });
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Days before the 1st of each month (index 0..11), for common [0] and leap [1] years. */
const DAYS_BEFORE_MONTH: readonly (readonly number[])[] = [2001, 2000].map((year) => {
  const out: number[] = [];
  let sum = 0;
  for (let month = 1; month <= 12; month++) {
    out.push(sum);
    sum += daysInMonth(year, month);
  }
  return out;
});

const ALL_DAYS_MASK = 0x7fffffff; // bits 0..30 = days 1..31

/** Month index (year × 12 + month - 1) of a floating time. */
function monthIndexOf(f: number): number {
  const w = floatingToWall(f);
  return w.year * 12 + (w.month - 1);
}

/**
 * One rule from one start, with every default RFC 5545 takes from DTSTART made explicit (as
 * python-dateutil and rrule.js do): YEARLY without BYDAY/BYMONTHDAY → the start's month and day;
 * MONTHLY → the start's day; WEEKLY → the start's weekday; times → the start's hour, minute, second.
 *
 * With BYSETPOS, BYWEEKNO and BYYEARDAY outside the subset, whether a day is an instance depends
 * only on the day itself (BYMONTH, BYMONTHDAY, BYDAY with ordinals counted in its month, or in its
 * year for YEARLY without BYMONTH) and on its period's INTERVAL phase. The day filter of a month
 * depends only on (leap year, weekday of Jan 1, month): 168 shapes, each a 31-bit mask computed
 * once per plan.
 */
interface Plan {
  readonly freq: RecurrenceFrequency;
  readonly interval: number;
  /** index 1..12 */
  readonly inMonth: readonly boolean[];
  /** Months to add to reach the next month in BYMONTH (index 1..12). */
  readonly toNextMonth: readonly number[];
  readonly pattern: DayPattern;
  /** Wall times of day, milliseconds after midnight, ascending, distinct. */
  readonly times: readonly number[];
  readonly startF: number;
  readonly startDay: number;
  readonly startMonthIndex: number;
  readonly startYear: number;
  /** WEEKLY: the day number of the WKST day beginning the start's week. */
  readonly weekAnchor: number;
  /** Lazily filled day masks, -1 = not yet computed; index (leap × 7 + weekday of Jan 1) × 12 + month - 1. */
  readonly masks: Int32Array;
}

function timesOfDay(p: ParsedRule, start: WallClock): number[] {
  const hours = p.byHour.length > 0 ? p.byHour : [start.hour];
  const minutes = p.byMinute.length > 0 ? p.byMinute : [start.minute];
  const set = new Set<number>();
  for (const h of hours) for (const m of minutes) set.add(((h * 60 + m) * 60 + start.second) * SECOND_MS);
  return [...set].sort((a, b) => a - b);
}

function planOf(p: ParsedRule, start: WallClock): Plan {
  let months: readonly number[] = p.byMonth.length > 0 ? p.byMonth : ALL_MONTHS;
  let monthDays = p.byMonthDay;
  let byDay = p.byDay;
  const startF = wallToFloating(start);
  const startDay = dayNumber(startF);
  const startWeekday = weekdayOfDayNumber(startDay);
  if (p.byDay.length === 0 && p.byMonthDay.length === 0) {
    if (p.freq === 'YEARLY') {
      if (p.byMonth.length === 0) months = [start.month];
      monthDays = [start.day];
    } else if (p.freq === 'MONTHLY') {
      monthDays = [start.day];
    } else if (p.freq === 'WEEKLY') {
      const code = WEEKDAY_CODES[startWeekday];
      if (code === undefined) throw new Error('unreachable: weekday index');
      byDay = [{ weekday: code, ordinal: null }];
    }
  }
  const inMonth = Array.from({ length: 13 }, (_, m) => months.includes(m));
  const toNextMonth = Array.from({ length: 13 }, (_, m) => {
    for (let k = 1; k <= 12; k++) if (inMonth[((m - 1 + k) % 12) + 1]) return k;
    return 12;
  });
  return {
    freq: p.freq,
    interval: p.interval,
    inMonth,
    toNextMonth,
    pattern: { months: ALL_MONTHS, monthDays, byDay, yearScope: p.freq === 'YEARLY' && p.byMonth.length === 0 },
    times: timesOfDay(p, start),
    startF,
    startDay,
    startMonthIndex: start.year * 12 + (start.month - 1),
    startYear: start.year,
    weekAnchor: startDay - mod(startWeekday - WEEKDAY_INDEX[p.wkst], 7),
    masks: new Int32Array(2 * 7 * 12).fill(-1),
  };
}

/** Days of `month` (bit d-1 for day d) that BYMONTHDAY / BYDAY select, in a year of this shape. */
function monthMask(plan: Plan, leap: number, jan1Weekday: number, month: number): number {
  const index = (leap * 7 + jan1Weekday) * 12 + month - 1;
  const cached = plan.masks[index];
  if (cached !== undefined && cached !== -1) return cached;
  const len = daysInMonth(leap ? 2000 : 2001, month);
  const before = DAYS_BEFORE_MONTH[leap]?.[month - 1] ?? 0;
  const yearLength = leap ? 366 : 365;
  let mask = 0;
  for (let d = 1; d <= len; d++) {
    const doy = before + d;
    const weekday = (jan1Weekday + doy - 1) % 7;
    const ordPos = plan.pattern.yearScope ? Math.ceil(doy / 7) : Math.ceil(d / 7);
    const ordNeg = plan.pattern.yearScope ? -(Math.floor((yearLength - doy) / 7) + 1) : -(Math.floor((len - d) / 7) + 1);
    if (dayMatches(plan.pattern, d, len, weekday, ordPos, ordNeg)) mask |= 1 << (d - 1);
  }
  plan.masks[index] = mask;
  return mask;
}

/** DAILY: days of the month starting on day number `firstDay` that lie on the INTERVAL phase. */
function dailyPhaseMask(plan: Plan, firstDay: number): number {
  let mask = 0;
  for (let o = mod(plan.startDay - firstDay, plan.interval); o < 31; o += plan.interval) mask |= 1 << o;
  return mask;
}

/** WEEKLY: days of the month starting on day number `firstDay` whose WKST week lies on the INTERVAL phase. */
function weeklyPhaseMask(plan: Plan, firstDay: number): number {
  let mask = 0;
  for (let week = Math.floor((firstDay - plan.weekAnchor) / 7); ; week++) {
    const weekStart = plan.weekAnchor + week * 7;
    if (weekStart >= firstDay + 31) break;
    if (mod(week, plan.interval) !== 0) continue;
    for (let d = Math.max(weekStart, firstDay); d < weekStart + 7 && d < firstDay + 31; d++) mask |= 1 << (d - firstDay);
  }
  return mask;
}

/**
 * Calls `visit(f)` with the floating instances of the plan, ascending: those on days >= `lowerDay`
 * with startF <= f <= upperF, until `visit` returns false, `count` instances were visited, or year
 * 9999 ends. `lowerDay` must be the start's day when COUNT applies (instances are counted from the
 * start). Costs one step per loop turn (each turn moves at least one month on) and one per instance.
 * Months are skipped without a look at their days when outside BYMONTH, off MONTHLY's or YEARLY's
 * INTERVAL phase, or (DAILY, WEEKLY) holding no day of the INTERVAL phase.
 */
function enumerate(plan: Plan, count: number | null, lowerDay: number, upperF: number, budget: Budget, visit: (f: number) => boolean): void {
  const { freq, interval, times, startF } = plan;
  const lastMonthIndex = Math.min(MAX_YEAR * 12 + 11, Number.isFinite(upperF) ? monthIndexOf(upperF) : Infinity);
  let monthIndex = Math.max(plan.startMonthIndex, monthIndexOf(lowerDay * DAY_MS));
  let produced = 0;
  let cachedYear = Number.NaN;
  let jan1Day = 0;
  let leap = 0;
  let jan1Weekday = 0;
  while (monthIndex <= lastMonthIndex) {
    spend(budget, 1);
    if (freq === 'MONTHLY') {
      const r = mod(monthIndex - plan.startMonthIndex, interval);
      if (r !== 0) {
        monthIndex += interval - r;
        continue;
      }
    }
    const year = Math.floor(monthIndex / 12);
    const month = monthIndex - year * 12 + 1;
    if (freq === 'YEARLY') {
      const r = mod(year - plan.startYear, interval);
      if (r !== 0) {
        monthIndex = (year + interval - r) * 12;
        continue;
      }
    }
    if (!plan.inMonth[month]) {
      monthIndex += plan.toNextMonth[month] ?? 1;
      continue;
    }
    if (year !== cachedYear) {
      cachedYear = year;
      const jan1 = new Date(0);
      jan1.setUTCFullYear(year, 0, 1);
      jan1Day = dayNumber(jan1.getTime());
      leap = isLeapYear(year) ? 1 : 0;
      jan1Weekday = weekdayOfDayNumber(jan1Day);
    }
    const firstDay = jan1Day + (DAYS_BEFORE_MONTH[leap]?.[month - 1] ?? 0);
    if (interval > 1 && (freq === 'DAILY' || freq === 'WEEKLY')) {
      // The first day of this month or later on the INTERVAL phase; past the month's end, jump there.
      let nextDay = firstDay + mod(plan.startDay - firstDay, interval);
      if (freq === 'WEEKLY') {
        const week = Math.floor((firstDay - plan.weekAnchor) / 7);
        const r = mod(week, interval);
        nextDay = r === 0 ? firstDay : plan.weekAnchor + (week + interval - r) * 7;
      }
      if (nextDay >= firstDay + daysInMonth(year, month)) {
        monthIndex = monthIndexOf(nextDay * DAY_MS);
        continue;
      }
    }
    let mask = monthMask(plan, leap, jan1Weekday, month);
    if (mask !== 0 && firstDay < lowerDay) mask &= lowerDay - firstDay >= 31 ? 0 : ALL_DAYS_MASK & ~((1 << (lowerDay - firstDay)) - 1);
    if (mask !== 0 && interval > 1 && freq === 'DAILY') mask &= dailyPhaseMask(plan, firstDay);
    if (mask !== 0 && interval > 1 && freq === 'WEEKLY') mask &= weeklyPhaseMask(plan, firstDay);
    while (mask !== 0) {
      const low = mask & -mask;
      mask ^= low;
      const dayStart = (firstDay + 31 - Math.clz32(low)) * DAY_MS;
      for (const time of times) {
        const f = dayStart + time;
        if (f < startF) continue;
        if (f > upperF) return;
        spend(budget, 1);
        produced++;
        if (!visit(f)) return;
        if (count !== null && produced >= count) return;
      }
    }
    monthIndex += plan.toNextMonth[month] ?? 1;
  }
}

/** Inserts into an ascending, duplicate-free array, keeping at most `limit` smallest values. */
function insertSorted(out: number[], value: number, limit: number): void {
  let lo = 0;
  let hi = out.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = out[mid];
    if (v !== undefined && v < value) lo = mid + 1;
    else hi = mid;
  }
  if (out[lo] === value) return;
  if (lo >= limit) return;
  out.splice(lo, 0, value);
  if (out.length > limit) out.pop();
}

function optionalInstant(value: Date | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`occurrences: opts.${name} must be a valid Date`);
  }
  return value.getTime();
}

/**
 * The floating upper bound of the series itself (UNTIL), or undefined: UTC UNTIL plus the margin
 * (its instant is compared exactly later), a date UNTIL as the end of that local day.
 */
function ruleFloatingUpper(p: ParsedRule): number | undefined {
  if (p.until === null) return undefined;
  if (p.until.kind === 'instant') return p.until.epochMs + MARGIN_MS;
  return wallToFloating({ year: p.until.year, month: p.until.month, day: p.until.day, hour: 23, minute: 59, second: 59 });
}

function expand(
  p: ParsedRule,
  start: WallClock,
  zone: IANAZone,
  afterMs: number | undefined,
  untilMs: number | undefined,
  limit: number,
  budget: Budget,
): number[] {
  if (limit <= 0 || !canEverOccur(p, start)) return [];
  const startF = wallToFloating(start);

  // Upper bounds: a real-instant bound (UTC UNTIL, opts.until) and the floating bound of the walk.
  let instantUpper = untilMs;
  let floatingUpper = untilMs === undefined ? undefined : untilMs + MARGIN_MS;
  const ruleUpper = ruleFloatingUpper(p);
  if (ruleUpper !== undefined) floatingUpper = floatingUpper === undefined ? ruleUpper : Math.min(floatingUpper, ruleUpper);
  if (p.until?.kind === 'instant') {
    instantUpper = instantUpper === undefined ? p.until.epochMs : Math.min(instantUpper, p.until.epochMs);
  }
  if (floatingUpper !== undefined && floatingUpper < startF) return [];

  // A floating time below skipBelowF maps to an instant before afterMs, so it is skipped unmapped.
  const skipBelowF = afterMs === undefined ? undefined : afterMs - SLACK_MS;
  // Without COUNT nothing before `after` needs counting, so the walk starts two days before it (in
  // the INTERVAL phase of the start, which the plan keeps); with COUNT it starts at the start.
  const startDay = dayNumber(startF);
  const lowerDay = p.count === null && afterMs !== undefined ? Math.max(startDay, dayNumber(afterMs - MARGIN_MS)) : startDay;

  const offset = memoOffsets(zone);
  const out: number[] = [];
  enumerate(planOf(p, start), p.count, lowerDay, floatingUpper ?? Number.POSITIVE_INFINITY, budget, (f) => {
    const kth = out.length >= limit ? out[limit - 1] : undefined;
    // No floating time >= f can map below f - SLACK_MS, so the result is complete.
    if (kth !== undefined && f - SLACK_MS > kth) return false;
    if (skipBelowF !== undefined && f < skipBelowF) return true;
    const instant = floatingToInstant(f, offset);
    if (instantUpper !== undefined && instant > instantUpper) return true;
    if (afterMs !== undefined && instant <= afterMs) return true;
    insertSorted(out, instant, limit);
    return true;
  });
  return out;
}

function budgetOf(opts: OccurrenceOptions): Budget {
  const limit = opts.budget ?? EXPANSION_BUDGET;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError('occurrences: opts.budget must be a positive integer');
  }
  const meter = opts.meter ?? { steps: 0 };
  meter.steps = 0;
  return { meter, limit };
}

/**
 * Occurrences (UTC instants, ascending, no duplicates) of `rule` whose first wall-clock start is
 * `start` in `zone`: strictly after `opts.after`, not after `opts.until`, at most `opts.limit`
 * (capped at 1000). Work is bounded by `opts.budget` steps (default EXPANSION_BUDGET), which every
 * supported rule fits; throws RecurrenceError ('invalid_rule' | 'unsupported_rule' |
 * 'invalid_timezone' | 'invalid_start' | 'budget_exceeded') naming the part, RangeError for bad opts.
 */
export function occurrences(
  rule: string | ParsedRule,
  start: string | Date,
  zone: string,
  opts: OccurrenceOptions,
): Date[] {
  const parsed = resolveRule(rule);
  const z = resolveZone(zone);
  const startWall = parseStartInZone(start, z);
  if (typeof opts !== 'object' || opts === null || typeof opts.limit !== 'number' || Number.isNaN(opts.limit) || opts.limit < 0) {
    throw new RangeError('occurrences: opts.limit must be a non-negative number');
  }
  const limit = Math.min(Math.floor(opts.limit), MAX_OCCURRENCE_LIMIT);
  const afterMs = optionalInstant(opts.after, 'after');
  const untilMs = optionalInstant(opts.until, 'until');
  return expand(parsed, startWall, z, afterMs, untilMs, limit, budgetOf(opts)).map((ms) => new Date(ms));
}

/** First occurrence strictly after `after`, or null when the series has ended. Bounded like `occurrences`. */
export function nextOccurrence(
  rule: string | ParsedRule,
  start: string | Date,
  zone: string,
  after: Date,
  opts: Pick<OccurrenceOptions, 'budget' | 'meter'> = {},
): Date | null {
  if (!(after instanceof Date) || Number.isNaN(after.getTime())) {
    throw new RangeError('nextOccurrence: after must be a valid Date');
  }
  return occurrences(rule, start, zone, { ...opts, after, limit: 1 })[0] ?? null;
}

/**
 * Upper bound, in steps, of any expansion of this series (any `after`, `until`, and `limit` up to
 * 1000): the months from the start's month to the series' end (UNTIL, else December 9999), plus
 * COUNT, or without COUNT 2 × 1000 (accepted instants and the gap duplicates of them) + 12 edge
 * days × the times of a day. See EXPANSION_BUDGET.
 */
export function expansionBound(rule: string | ParsedRule, start: string | Date, zone: string): number {
  const p = resolveRule(rule);
  const startWall = parseStartInZone(start, resolveZone(zone));
  const upper = ruleFloatingUpper(p);
  const lastMonthIndex = Math.min(MAX_YEAR * 12 + 11, upper === undefined ? Infinity : monthIndexOf(upper));
  const months = Math.max(0, lastMonthIndex - (startWall.year * 12 + (startWall.month - 1)) + 1);
  const candidates = p.count ?? 2 * MAX_OCCURRENCE_LIMIT + EDGE_DAYS * timesOfDay(p, startWall).length;
  return months + candidates;
}

/**
 * Refuses a series whose expansion could exceed EXPANSION_BUDGET, so a stored series never stalls a
 * timer: call it when a series is created or its rule, start or zone changes. Throws the
 * RecurrenceErrors of `occurrences` ('budget_exceeded' naming RRULE when over the budget).
 */
export function checkSeries(rule: string | ParsedRule, start: string | Date, zone: string): void {
  const bound = expansionBound(rule, start, zone);
  if (bound > EXPANSION_BUDGET) {
    throw new RecurrenceError(
      'budget_exceeded',
      `recurrence_rule: expanding this series could take ${bound} steps, more than the budget of ${EXPANSION_BUDGET}`,
      'RRULE',
    );
  }
}
