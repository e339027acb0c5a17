/**
 * Quick add: one line of plain English → the fields of a new task (the body of POST /tasks), plus
 * notes on what was not understood. English only. Pure: no I/O, no clock (`now` is an input), no
 * dependence on the host's TZ.
 *
 * "Pay rent every month on the 1st at 9am !1 #Home" →
 *   { title: "Pay rent", due_date: "2026-12-01T09:00:00", recurrence_rule: "FREQ=MONTHLY;BYMONTHDAY=1",
 *     priority: 1, list_id: <Home's id> }
 *
 * Rules, applied in this order to the text (each recognised part is cut out of the title):
 * 0. Words in double quotes ("…" or “…”) are the title's as typed: nothing in them is read by the rules below.
 * 1. `!1`…`!4`, or Todoist's `p1`…`p4` (a word of its own): priority, the scale of tasks.priority (1
 *    highest … 4 none, the default). `!0`, `!5`… are a note, not a priority.
 * 2. `#List`: the user's list whose name matches case-insensitively (names with spaces too: the
 *    longest name that matches wins). An unknown name is a note ("no such list") and the task goes to
 *    the default list; `#123` (digits only, an issue number) stays in the title.
 * 3. `@label` (a word start, so e-mail addresses are left alone): the user's labels, matched like
 *    lists; an unknown name is a label to make (`new_labels`), or a note when it cannot be a name.
 * 4. "every …" (repeat.ts: our own rule builder, RFC 5545 RRULE), `N times` (COUNT), `until <date>`
 *    (UNTIL as a DATE; a month or a year alone: its last day), `starting|beginning|from <date>` (the series'
 *    first day; a past one is said, and the series starts today). `every!` / "after
 *    completion" ask for mode 'after_completion': see
 *    AFTER_COMPLETION_FIELDS.
 * 5. Dates and times: chrono-node (English casual parser; a date in figures, "3/4", in the order of the
 *    user's locale: `DateOrder`; day first, "24.12." too: DOTTED_DAY_MONTH; an @ alone before a number is
 *    "at": AT_SIGN_BEFORE_NUMBER), read with `now` as the reference instant
 *    and `zone`'s UTC offset at `now`, only for the wall-clock fields it names; the instant is then
 *    computed by actors/recurrence's `localToInstant` in `zone` (so DST is the zone's, not a fixed
 *    offset's). A time in a DST gap moves forward by the gap, as everywhere else. Dates are read
 *    forward (a weekday or a day without a year is the next one). Parts of the day without a clock
 *    time take CASUAL_HOURS. "in 2 hours" is that instant (`now` + 2 h), not a wall-clock time.
 *    A date without a time is a date alone (see `dateOnlyDue`). A part of the day named alone ("Night",
 *    "in the morning") counts only when nothing else names a date or time, and never as the first word
 *    ("Night shift tomorrow" is a title and a date: chooseDateTime). A length of time after "for"
 *    ("for 30 mins", "for 2 hours") is how long, not when: it stays in the title (hideDurations). An hour
 *    from 1 to 5 without am/pm or a leading zero ("at 5") is in the afternoon, and a note says so.
 * 6. The rest is the title, with spaces collapsed and a dangling connector ("by", "on", "at", …) at
 *    either end dropped.
 *
 * A series starts on the soonest day its pattern (the rule without INTERVAL) allows, on or after
 * today (a date alone) or now (a time): DTSTART then matches the rule, and INTERVAL counts from it. A
 * date given in the phrase ("every year on Dec 24") is where the search starts.
 */
import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import {
  MAX_TITLE,
  MAX_TASK_LABELS,
  MIN_PRIORITY,
  MAX_PRIORITY,
  afterCompletionProblem,
  reachesTooFar,
  type DecideContext,
} from '../../actors/task/index.ts';
import { inRange } from '../../actors/task/time.ts';
import { parseDuration, minusOffset } from '../../actors/durations.ts';
import { dayReminderAt, MAX_DAYS_BEFORE } from '../../actors/task/all-day.ts';
import { localToInstant, occurrences, RecurrenceError } from '../../actors/recurrence/index.ts';
import { ianaZone } from '../../actors/zone.ts';
import { checkName } from '../../actors/list/index.ts';
import { MAX_LABEL_NAME } from '../../actors/label/index.ts';
import { DomainError } from '../../actors/errors.ts';
import { nameKey } from '../../actors/name-key.ts';
import {
  findCount,
  findRepeat,
  findCountedWeekday,
  withEnd,
  missingMonthDayNote,
  MAX_COUNT,
  MAX_INTERVAL,
  MONTH_NAME,
  MONTH_NUMBERS,
  LEAP_MONTH_DAYS,
  type RepeatMode,
} from './repeat.ts';

export type { RepeatMode } from './repeat.ts';

/** A list or label the user has: its id and its name as shown. */
export interface Named {
  readonly id: string;
  readonly name: string;
}

/** What the parser reads: the text, the instant it is typed at, the user's zone, lists and labels. */
export interface QuickAddInput {
  readonly text: string;
  /** The reference instant ("tomorrow" is the day after this one, in `zone`). */
  readonly now: Date;
  /** IANA zone the words are read in (the user's zone). Must be valid (checked by the caller). */
  readonly zone: string;
  readonly lists: readonly Named[];
  readonly labels: readonly Named[];
  /** How a date in figures is read ("3/4"): the order of the user's locale (`dateOrderOf`); 'month_first' when absent. */
  readonly dateOrder?: DateOrder;
}

/**
 * How a date written in figures is read: "3/4" is March 4 with 'month_first' (as in the US) and 3 April with
 * 'day_first' (as in the UK, most of Europe, Latin America, India). A first number above 12 is a day either way
 * ("24/12").
 */
export const DATE_ORDERS = ['month_first', 'day_first'] as const;
export type DateOrder = (typeof DATE_ORDERS)[number];

/**
 * The order of day and month in `locale`'s numeric dates, as CLDR (through Intl) writes them: 'day_first' for
 * en-GB, en-AU, de, fr, es, pt-BR, hi; 'month_first' for en-US, and for the locales that write the year first
 * (ja, zh, ko, sv, en-CA: 2026-04-03, month before day). A well-formed tag Intl has no data for reads as its
 * language, or as Intl's default. Throws RangeError for a tag that is not BCP 47 (RFC 5646): the caller checks.
 */
export function dateOrderOf(locale: string): DateOrder {
  const parts = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    timeZone: 'UTC',
  }).formatToParts(0);
  const at = (type: Intl.DateTimeFormatPartTypes) => parts.findIndex((p) => p.type === type);
  return at('day') < at('month') ? 'day_first' : 'month_first';
}

/** What quick add needs of chrono: `parse`. */
type Reader = Pick<chrono.Chrono, 'parse'>;

/**
 * A date in figures as chrono's slash parser finds one: two numbers of one or two digits, and a year after the
 * same separator (without one, "9.30" is a time, not a date; "10.15-11.00" is a range of times, not 15 October
 * '11): "3/4", "03/04/26", "31.12.2026", "3-4-2026".
 */
const FIGURES_DATE = /(?<![\d/])([0-3]?\d)([/.-])([0-3]?\d)(\2(?:\d{4}|\d{2}))?(?![\d/.:])/g;

/**
 * Words after which figures with dots are a number, not a date ("Version 2.5.", "Kapitel 3.2.", "§ 3.2.").
 * Lower case; matched whole, case-insensitively.
 */
const NUMBERED =
  'version|ver|v|release|kapitel|abschnitt|section|sect|chapter|ch|§|nr|no|nummer|number|seite|page|p|schritt|step|punkt|point|item|teil|part|lektion|lesson|absatz|art|artikel|article';

/**
 * A day and month written day first with a dot after each and no year, as German and much of Europe write
 * them ("24.12.", "1.1."): a date only where dates are written day first, only with a day 1–31 and a month
 * 1–12, and not right after "at" or "@" ("at 10.11." is a clock time) or a word that numbers things
 * (NUMBERED: "Version 2.5."). Without the last dot the figures are a time ("9.30"), as FIGURES_DATE has it.
 */
const DOTTED_DAY_MONTH = new RegExp(
  `(?<![\\p{L}\\p{N}.:/])(?<!(?:^|\\s)(?:at|@|${NUMBERED})\\.?\\s*)(0?[1-9]|[12]\\d|3[01])\\.(0?[1-9]|1[0-2])\\.(?![\\p{L}\\p{N}.:/])`,
  'giu',
);

/**
 * `text` with each date in figures written month first, as chrono reads them: each FIGURES_DATE ("3/4" →
 * "4/3") and each DOTTED_DAY_MONTH ("24.12." → "12/24,"). The same length, so indices still point into `text`; `dotAt` holds where each such last dot was.
 */
function turnedMonthFirst(text: string): { text: string; dotAt: Set<number> } {
  const dotAt = new Set<number>();
  const turned = text
    .replace(FIGURES_DATE, (typed, first: string, sep: string, second: string, year: string | undefined) =>
      sep === '/' || year !== undefined ? `${second}${sep}${first}${year ?? ''}` : typed,
    )
    .replace(DOTTED_DAY_MONTH, (typed, day: string, month: string, at: number) => {
      dotAt.add(at + typed.length - 1);
      // A comma for the last dot: chrono joins a time after it ("12/24, 20:00") but reads no "-12" of a
      // range ("24.12.-26.12.") as a UTC offset, as it would after a space.
      return `${month}/${day},`;
    });
  return { text: turned, dotAt };
}

/**
 * chrono's English casual reader, which reads figures month first. Day first, each date in figures is turned
 * round before it reads (not chrono's en.GB: its little-endian reading also takes "Dec 24" as December 2024),
 * and each result's text is given back as typed (with the last dot of "24.12." when the date ends there).
 */
function readerFor(order: DateOrder): Reader {
  if (order === 'month_first') return typedYears(squeezedSpaces(chrono.en.casual));
  return typedYears(
    squeezedSpaces({
      parse: (text, reference, options) => {
        const turned = turnedMonthFirst(text);
        return chrono.en.casual.parse(turned.text, reference, options).map((r) => {
          const end = r.index + r.text.length;
          return Object.assign(r, { text: text.slice(r.index, turned.dotAt.has(end) ? end + 1 : end) });
        });
      },
    }),
  );
}

/**
 * `reader` reading `text` with each run of blanks as one space, its results placed back in `text`. The
 * parts quick add has understood are blanked out of the text (same length, so indices hold), and chrono
 * counts blanks into a match and prefers the longer one: in "birthday on 12 march" + the blanks of a
 * repeat phrase read before, "march" and the blanks (10 characters and more) outweighed "on 12 march",
 * and the date became March 1st with "on 12" left in the title.
 */
function squeezedSpaces(reader: Reader): Reader {
  return {
    parse: (text, reference, options) => {
      /** For each character of the squeezed text, its index in `text`. */
      const at: number[] = [];
      let squeezed = '';
      for (let i = 0; i < text.length; i++) {
        if (text[i] === ' ' && text[i - 1] === ' ') continue;
        at.push(i);
        squeezed += text[i];
      }
      at.push(text.length);
      return reader.parse(squeezed, reference, options).map((r) => {
        const start = at[r.index] ?? r.index;
        const end = r.text.length === 0 ? start : (at[r.index + r.text.length - 1] ?? start) + 1;
        return Object.assign(r, { index: start, text: text.slice(start, end) });
      });
    },
  };
}

/** A year written with four figures and a leading zero ("0001", "0099"), alone in a date's text. */
const ZERO_LED_YEAR = /(?<![\d:])0\d{3}(?![\d:])/g;

/**
 * `reader` with each year written in four figures kept as written: chrono reads "0001" and "0099" as the
 * two-digit years 01 and 99 (2001, 1999), a year the user did not type. Years 0001–0999 are what they say
 * (the API takes years 0001–9999; a date outside them once in UTC is refused with a note).
 */
function typedYears(reader: Reader): Reader {
  return {
    parse: (text, reference, options) =>
      reader.parse(text, reference, options).map((r) => {
        const years = [...r.text.matchAll(ZERO_LED_YEAR)].map((m) => Number(m[0]));
        const [year] = years;
        // chrono's results are ParsingComponents (its ParsedComponents type leaves out `assign`).
        if (years.length === 1 && year !== undefined && year > 0 && r.start instanceof chrono.ParsingComponents) {
          if (r.start.isCertain('year')) r.start.assign('year', year);
          if (r.end instanceof chrono.ParsingComponents && r.end.isCertain('year')) r.end.assign('year', year);
        }
        return r;
      }),
  };
}

/** The body of POST /tasks the phrase asks for: only the fields the phrase names. */
export interface QuickAddFields {
  title: string;
  /** `YYYY-MM-DDTHH:MM:SS` (wall clock in the user's zone), `…Z` (an exact instant), or a date alone. */
  due_date?: string;
  /** RFC 5545 RRULE (without DTSTART: the due date is the series' first start). */
  recurrence_rule?: string;
  /** 1 (highest) … 4 (none). */
  priority?: number;
  list_id?: string;
  /** Label ids. */
  labels?: string[];
  /** One reminder from "remind me 1 hour before": `{before}` on a timed task, `{at_time, days_before}` all day. */
  reminders?: ({ before: string } | { at_time: string; days_before: number })[];
}

/** What quick add understood: the fields, and readable parts for a preview. */
export interface QuickAddResult {
  fields: QuickAddFields;
  /** The due date: local date, local time (null for a date alone) and the instant (UTC ISO; a date alone: its 00:00). */
  due: { date: string; time: string | null; at: string } | null;
  repeat: { rule: string; mode: RepeatMode } | null;
  list: Named | null;
  labels: Named[];
  /**
   * Names after `@` that are no label of the user's yet (first spelling of each, case-insensitively): not in
   * `fields.labels`; the dashboard makes them (POST /labels) when it saves the task, and adds their ids.
   */
  new_labels: string[];
  /** Sentences about what was not understood or not used (shown beside the preview). */
  notes: string[];
}

/** A word after @ that is a time of day or a day ("@5pm", "@9:30", "@noon", "@tomorrow"): "at", not a label. */
// A bare number ("@12") is not: a number alone is read as no time, so it stays a label's name.
const AT_TIME =
  /^(?:\d{1,2}:\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)?|\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)|noon|midday|midnight|tonight|today|tomorrow)$/i;

/** `word` as a label's name, by the rule for names (actors/list/index.ts checkName), or null when it cannot be one. */
function labelName(word: string): string | null {
  try {
    return checkName('name', word, MAX_LABEL_NAME);
  } catch (error) {
    if (error instanceof DomainError) return null;
    throw error;
  }
}

/**
 * The hour given to a part of the day named without a clock time: "tomorrow morning" → 09:00,
 * "afternoon" → 15:00, "evening" → 19:00, "tonight" and "night" → 20:00 (noon and midnight are 12:00
 * and 00:00, as chrono reads them).
 */
export const CASUAL_HOURS: Readonly<Record<'morning' | 'afternoon' | 'evening' | 'tonight', number>> = {
  morning: 9,
  afternoon: 15,
  evening: 19,
  tonight: 20,
};

/**
 * The `due_date` sent for a date alone ("Call mum on Friday"): `YYYY-MM-DD`, which POST /tasks makes an
 * all-day task (a floating date in the task's zone; issue 16, deliverable 1). For a start-of-day
 * instant instead, return `${date}T00:00:00`.
 */
export const dateOnlyDue = (date: string): string => date;

/**
 * Extra fields for a series that repeats after completion (`every!`, "after completion"): POST /tasks'
 * `recurrence_mode` (actors/task/after-completion.ts; issue 16, deliverable 3).
 */
export const AFTER_COMPLETION_FIELDS: Readonly<Record<string, unknown>> | null = {
  recurrence_mode: 'after_completion',
};

/** At most this many characters of quick-add text (the title's limit plus room for dates, tags and a rule). */
export const MAX_QUICK_ADD = MAX_TITLE + 300;

interface Span {
  start: number;
  end: number;
}

const CONNECTOR = /^(?:on|at|by|due|from|starting|until|till|,|-|–|:)$/i;
const wordEnd = (text: string, i: number): boolean => i >= text.length || /[\s,.;:!?)]/.test(text.charAt(i));

/**
 * A name as typed after # or @: its words, without the emoji and symbols around or between them ("Groceries 🛒"
 * is typed "Groceries"; "🏠 Home" is "Home"), so a name is found by what can be typed of it.
 */
const typedForm = (name: string): string =>
  name
    .replace(/[^\p{L}\p{M}\p{N}\s'’&+._-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * The user's item named at `text[from…]` and how many characters name it (case-insensitively, the longest
 * match first: the name as stored, or its typed form without emoji and symbols), or null.
 */
function named(text: string, from: number, items: readonly Named[]): { item: Named; length: number } | null {
  let best: { item: Named; length: number } | null = null;
  for (const item of items) {
    // The text is NFC (api/schemas.ts); a name stored before text was kept so is compared in NFC too.
    const stored = nameKey(item.name.normalize('NFC'));
    for (const name of new Set([stored, typedForm(stored)])) {
      if (name.length === 0) continue;
      const length = typedLength(text, from, name);
      if (length === null || (best && best.length >= length) || !wordEnd(text, from + length)) continue;
      best = { item, length };
    }
  }
  return best;
}

/**
 * How many characters of `text` from `from` read as `name` (as nameKey gives it) when lowered, or null.
 * Compared on the text's own slices: lowering may change a character's length, so positions in a lowered
 * copy of the whole text could drift.
 */
function typedLength(text: string, from: number, name: string): number | null {
  for (let length = Math.min(name.length, text.length - from); length > 0; length--) {
    const lowered = nameKey(text.slice(from, from + length));
    if (lowered === name) return length;
    if (lowered.length < name.length) return null;
  }
  return null;
}

/**
 * Tags `#…` or `@…` at word starts: what they name (or the unknown word) and their spans. `#List` and
 * `@label` are read this way wherever they are typed: quick add, and a search (api/search.ts).
 */
export function tags(text: string, sigil: '#' | '@', items: readonly Named[]) {
  const found: { item: Named | null; word: string; span: Span }[] = [];
  const re = sigil === '#' ? /(?<!\S)#(?=\S)/g : /(?<!\S)@(?=\S)/g;
  for (const m of text.matchAll(re)) {
    const from = m.index + 1;
    const hit = named(text, from, items);
    const item = hit?.item ?? null;
    const word = hit ? text.slice(from, from + hit.length) : (/^\S+/.exec(text.slice(from))?.[0] ?? '');
    const clean = item ? word : word.replace(/[,.;:!?)]+$/, '');
    if (!item && sigil === '#' && /^\d+$/.test(clean)) continue; // "#123": an issue number, part of the title
    found.push({ item, word: clean, span: { start: m.index, end: from + clean.length } });
  }
  return found;
}

/** How many: a figure (1 to 999) or a small number in words. */
const REMIND_COUNT: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  half: 0.5,
};
/** "remind me 1 hour before", "remind me 2 days early", "remind 15 mins ahead", "remind me half an hour before". */
const REMIND_BEFORE =
  /(?<![\w!#@])remind(?:\s+me)?\s+(\d{1,3}|an?|one|two|three|four|five|ten|fifteen|twenty|thirty|half)(?:\s+an?)?\s*(minutes?|mins?|hours?|hrs?|days?|weeks?)\s+(?:before|early|earlier|ahead|in\s+advance)\b/i;

/**
 * The reminder a "remind me N <unit> before" phrase asks for on `due` (QuickAddResult['due']): `{before}` (an
 * ISO-8601 duration) on a timed task, `{at_time: "09:00", days_before}` on an all-day one (days or weeks
 * only: an all-day task is reminded on a day at a time, actors/task/all-day.ts); else the note saying why
 * none is set (no due date, hours before an all-day task, a time already passed: POST /tasks would refuse it;
 * for a series of `rule`, whose reminder is each occurrence's, only one reaching back too far).
 */
function planRemindBefore(
  m: RegExpExecArray,
  due: { date: string; time: string | null; at: string } | null,
  zone: string,
  now: Date,
  rule?: string,
): { before: string } | { at_time: string; days_before: number } | string {
  const said = `"${m[0]}"`;
  // A series' reminder is a template for each occurrence: the first one's time having passed is no matter,
  // but it may not reach back over more of its occurrences than POST /tasks takes (decide.ts reachesTooFar).
  const passed = (at: string) => rule === undefined && Date.parse(at) <= now.getTime();
  const tooFar = (r: { offset: string | null; at_time: string | null; days_before: number | null }) =>
    rule !== undefined && due !== null && reachesTooFar(rule, due.at, zone, r, { now } as DecideContext);
  const reachNote = `${said} is not used: it reaches back over too many occurrences of the repeat`;
  const word = (m[1] ?? '').toLowerCase();
  const count = REMIND_COUNT[word] ?? Number(word);
  const unit = (m[2] ?? '').toLowerCase();
  const kind = unit.startsWith('w') ? 'W' : unit.startsWith('d') ? 'D' : unit.startsWith('h') ? 'H' : 'M';
  if (!due) return `${said} is not used: a reminder needs a due date`;
  if (count === 0.5 && kind !== 'H') return `${said} is not used: say it in whole ${unit}`;
  if (due.time === null) {
    if (kind !== 'D' && kind !== 'W')
      return `${said} is not used: an all-day task is reminded on a day at a time ("remind me 1 day before", at 09:00)`;
    const days = count * (kind === 'W' ? 7 : 1);
    if (days > MAX_DAYS_BEFORE) return `${said} is not used: at most ${MAX_DAYS_BEFORE} days before`;
    const at = dayReminderAt('reminders', due.date, days, '09:00', zone);
    if (passed(at)) return `${said} is not used: that time (09:00) has passed`;
    if (tooFar({ offset: null, at_time: '09:00', days_before: days })) return reachNote;
    return { at_time: '09:00', days_before: days };
  }
  const before = count === 0.5 ? 'PT30M' : kind === 'W' || kind === 'D' ? `P${count}${kind}` : `PT${count}${kind}`;
  let offset: ReturnType<typeof parseDuration>;
  try {
    offset = parseDuration('before', before);
  } catch {
    return `${said} is not used: a reminder is at most a year before`;
  }
  if (passed(minusOffset(due.at, offset, zone))) return `${said} is not used: that time has passed`;
  if (tooFar({ offset: offset.canonical, at_time: null, days_before: null })) return reachNote;
  return { before: offset.canonical };
}

const mask = (text: string, spans: readonly Span[]): string => {
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + ' '.repeat(s.end - s.start) + out.slice(s.end);
  return out;
};

const pad = (n: number): string => String(n).padStart(2, '0');
const dateText = (y: number, m: number, d: number): string => `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;

/**
 * Whether chrono's result names a date or time (not a bare number such as a year in a title) in years
 * 1000–9999 (what a series start and the API's instants hold).
 */
function meaningful(r: chrono.ParsedResult): boolean {
  const s = r.start;
  const year = s.get('year');
  if (year === null || year < 1000 || year > 9999) return false;
  if (['day', 'weekday', 'hour', 'month'].some((c) => s.isCertain(c as chrono.Component))) return true;
  return [...r.tags()].some((t) => t.startsWith('casualReference/') || t.startsWith('result/relativeDate'));
}

/**
 * Whether `r` is a weekday's short form ("Sun", "Sat", "Wed") inside the title's words: with no word before it
 * that makes it a date ("on", "next", "by", …) and a word after it that is not a time. A word of the title
 * then ("wish Sun Li happy birthday", "fix sat nav tomorrow"), not a day; "buy milk wed", "on sat" and
 * "saturday" are days.
 */
function bareDayWord(r: chrono.ParsedResult, text: string): boolean {
  if (!/^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)$/i.test(r.text.trim())) return false;
  if (/(?:^|\s)(?:on|next|this|last|by|due|until|till|from|starting|every)\s+$/i.test(text.slice(0, r.index)))
    return false;
  const after = text.slice(r.index + r.text.length);
  return /^\s+\p{L}/u.test(after) && !/^\s+(?:at|morning|afternoon|evening|night|noon|midday)\b/i.test(after);
}

/** The hour and minute chrono's result names, with CASUAL_HOURS for parts of the day; null for a date alone. */
function timeOf(r: chrono.ParsedResult): { hour: number; minute: number } | null {
  const s = r.start;
  if (s.isCertain('hour'))
    return { hour: (s.get('hour') ?? 0) + (inTheAfternoon(r) ? 12 : 0), minute: s.get('minute') ?? 0 };
  const tagged = r.tags();
  // chrono reads "night" as evening; it is the later hour here, as "tonight" is.
  if (tagged.has('casualReference/evening') && /\bnight\b/i.test(r.text))
    return { hour: CASUAL_HOURS.tonight, minute: 0 };
  for (const part of ['morning', 'afternoon', 'evening', 'tonight'] as const)
    if (tagged.has(`casualReference/${part}`)) return { hour: CASUAL_HOURS[part], minute: 0 };
  return null;
}

/**
 * Whether chrono's clock time is an hour from 1 to 5 written without am/pm, a leading zero or a 24-hour
 * form ("at 5", "2:30"): people mean the afternoon (a call "at 2:30", a meeting "at 5"), so it is read as
 * 14:30 or 17:00. From 6 on an hour is read as written ("gym at 6:30", "at 9").
 */
function inTheAfternoon(r: chrono.ParsedResult): boolean {
  const s = r.start;
  const hour = s.get('hour') ?? 0;
  return (
    s.isCertain('hour') &&
    !s.isCertain('meridiem') &&
    hour >= 1 &&
    hour <= 5 &&
    // A clock written the 24-hour way ("05:00", "at 05") is as written; a zero-padded date ("Dec 05") is no clock.
    !/(?<![\d:])0\d:\d{2}|(?<!\S)at\s+0\d(?!\d)/i.test(r.text) &&
    !/\b(?:am|a\.m\.|pm|p\.m\.|morning|tonight|evening|afternoon|night)\b/i.test(r.text)
  );
}

/** A month's English name, by its number (1–12), for a note. */
const monthName = (month: number): string =>
  new Intl.DateTimeFormat('en', { month: 'long', timeZone: 'UTC' }).format(Date.UTC(2000, month - 1, 1));
/** A year after a month and day: 1900–2199 ("feb 29 1530 meet" is a time, not a year). */
const YEAR_AFTER = '(?:\\s*,?\\s*((?:19|20|21)\\d{2})\\b)?';
const MONTH_THEN_DAY = new RegExp(
  `(?<!\\S)${MONTH_NAME}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?![\\d:]|\\s*[ap]\\.?m\\b)${YEAR_AFTER}`,
  'i',
);
const DAY_THEN_MONTH = new RegExp(
  `(?<!\\S)(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_NAME}\\b${YEAR_AFTER}`,
  'i',
);
/** A month and day in figures ("2/29", "29/2/2027"): which number is the month is the user's DateOrder. */
const SLASH_DATE = /(?<![\S])(\d{1,2})\/(\d{1,2})(?:\/(\d{4}))?(?![\d/])(?!\s+of\b)/;
/**
 * A day and month with dots, read day first only: "31.4.", "29.2.2027" ("9.30", without the last dot, is a
 * time; so is one after "at" or "@": "at 2.30."; one after a word that numbers things is a number: NUMBERED).
 */
const DOTTED_DATE = new RegExp(
  `(?<!\\S)(?<!(?:^|\\s)(?:at|@|${NUMBERED})\\.?\\s*)(\\d{1,2})\\.(\\d{1,2})(?:\\.(\\d{4})|\\.)(?![\\p{L}\\p{N}.:/])`,
  'iu',
);

/** Whether `year` has a Feb 29 (the Gregorian rule). */
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The next Feb 29 on or after the local day `local` ('YYYY-MM-DD'). */
function nextLeapDay(local: { year: number; month: number; day: number }): string {
  let year = local.year;
  while (!isLeap(year) || (year === local.year && (local.month > 2 || (local.month === 2 && local.day > 29)))) year++;
  return dateText(year, 2, 29);
}

/**
 * A month and day that no year has ("feb 30", "31 april", "4/31": `leap` false, with the month's most days),
 * that the year named does not have ("February 29, 2027": `leap` false, `last` 28), or that only a leap year
 * has, with no year named ("feb 29", "2/29": `leap` true); null for any other text.
 */
function impossibleDay(
  text: string,
  order: DateOrder,
): { span: Span; text: string; leap: boolean; month: string; last: number } | null {
  const slashed = SLASH_DATE.exec(text);
  const dotted = slashed === null && order === 'day_first' ? DOTTED_DATE.exec(text) : null;
  const slash = slashed ?? dotted;
  // In figures, the user's order; when the month it gives is none and the other number can be one, the other
  // way round ("31/4" in the US, "4/31" in the UK), as chrono reads "24/12" in the US and "12/25" in the UK.
  const [first, second] = [Number(slash?.[1]), Number(slash?.[2])];
  const monthTyped = order === 'month_first' ? first <= 12 || second > 12 : second > 12 && first <= 12;
  /** A match, and the groups of its month, day and year. */
  const candidates: [RegExpExecArray | null, number, number, number][] = [
    [MONTH_THEN_DAY.exec(text), 1, 2, 3],
    [DAY_THEN_MONTH.exec(text), 2, 1, 3],
    // With dots, always the day first: nobody writes "4.31." for April 31 ("2.30." is a time, not Feb 30).
    monthTyped && !dotted ? [slash, 1, 2, 3] : [slash, 2, 1, 3],
  ];
  for (const [m, monthAt, dayAt, yearAt] of candidates) {
    if (!m) continue;
    const typed = m[monthAt] ?? '';
    const month = /^\d+$/.test(typed) ? Number(typed) : MONTH_NUMBERS[typed.slice(0, 3).toLowerCase()];
    const day = Number(m[dayAt]);
    if (month === undefined || month < 1 || month > 12 || day < 1 || day > 31) continue;
    const year = m[yearAt] === undefined ? undefined : Number(m[yearAt]);
    const last = month === 2 && year !== undefined && !isLeap(year) ? 28 : (LEAP_MONTH_DAYS[month] ?? 31);
    const span = { start: m.index, end: m.index + m[0].length };
    if (month === 2 && day === 29 && year === undefined)
      return { span, text: m[0], leap: true, month: monthName(2), last };
    if (day > last)
      return {
        span,
        text: m[0],
        leap: false,
        month: year === undefined ? monthName(month) : `${monthName(month)} ${year}`,
        last,
      };
  }
  return null;
}

/** An ordinal day after "on", "by" or "due (on)" ("on the 15th", "by 15th", "due on the 1st"). */
const NTH_CONNECTED = /(?<!\S)(?:on|by|due(?:\s+on)?)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?=[\s,.;!?]|$)/i;
/**
 * An ordinal day ending the phrase, or before its time ("Pay rent 1st", "Pay rent the 15th at 9am"), as
 * Todoist reads it; one inside the title ("Finish 1st draft") is not a date.
 */
const NTH_TRAILING = /(?<!\S)(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?=\s*(?:[,.;!?]\s*)?(?:$|at\s|@))/i;

/** A length of time after "for" ("for 30 mins", "for an hour", "for 2 days"): how long, not when. */
const FOR_DURATION =
  /(?<!\S)for\s+(?:an?|\d+(?:\.\d+)?|one|two|three|four|five|ten|fifteen|twenty|thirty|forty-five|a\s+few|a\s+couple\s+of)\s*(?:minutes?|mins?|m|hours?|hrs?|h|days?|weeks?|months?)\b/gi;

/** `text` with every FOR_DURATION blanked (same length, so chrono's indices still point into `text`). */
const hideDurations = (text: string): string => text.replace(FOR_DURATION, (m) => ' '.repeat(m.length));

/**
 * "4 p.m" (no final dot) as "4  pm" for chrono, which reads "p.m." and "pm" but takes "4 p.m" as "4 p" and
 * leaves ".m" in the title. Same length and the same last letter, so chrono's indices still point into `text`.
 */
const MERIDIEM_WITHOUT_DOT = /(?<=\d\s*)([ap])\.m(?![.\p{L}\p{N}])/giu;
const spellMeridiem = (text: string): string => text.replace(MERIDIEM_WITHOUT_DOT, (_, half: string) => ` ${half}m`);

/**
 * An @ standing alone before a clock time ("Email @ 9 tomorrow", "Call @ 10:30", "@ 7 pm", "Gym @ 6") as "at",
 * which chrono reads: "@ 9" becomes "at9" (one space fewer, so the length and chrono's indices hold). A number
 * is a clock time here only with minutes, am/pm, or a day or part of the day after it, or ending the text:
 * "Dinner @ 5 people", "Buy 3 @ 2 each" and "Lunch @ 12 Main St" are counts, prices and addresses. "@9" with
 * no space is a tag (step 3).
 */
const AT_SIGN_BEFORE_NUMBER =
  /(?<!\S)@(\s+)(?=\d{1,2}(?::\d{2}|\.\d{2}(?!\.\d))?(?:\s*(?:[ap]\.?m\.?|o'?clock|h)\b|\s*$|\s*[,;!?]|\s+(?:today|tomorrow|tonight|morning|afternoon|evening|night|noon|midnight|on|next|this|every|mon|tue|wed|thu|fri|sat|sun)\b|(?<=:\d{2})))/gi;
const spellAt = (text: string): string =>
  text.replace(AT_SIGN_BEFORE_NUMBER, (_, spaces: string) => `at${spaces.slice(1)}`);

/** `text` as chrono is given it, the same length: durations blanked, "p.m" and a lone "@" spelled as chrono reads them. */
const forChrono = (text: string): string => spellAt(spellMeridiem(hideDurations(text)));

/** A part of the day opening chrono's text ("evening tomorrow"). */
const PART_OF_DAY = /^(?:(?:this|in\s+the|at)\s+)?(?:morning|afternoon|evening|night|noon|midday|midnight)\b/i;
/** A part of the day named alone ("Night", "in the morning", "noon"), with no date or clock time beside it. */
const PART_OF_DAY_ALONE = /^(?:(?:this|in\s+the|at)\s+)?(?:morning|afternoon|evening|night|noon|midday|midnight)$/i;

/**
 * Which of chrono's results in the text is the task's date and time: the first that names a date or a
 * clock time; a part of the day named alone only when nothing else does, and never as the text's first
 * word — "Night shift tomorrow", "Evening class on Friday", "Morning run every day" are titles that
 * start with a part of the day, not times (chrono reads "Night" as this evening). Right after the repeat
 * phrase, which ends at `repeatEnd` (masked out of `text`), it is the repeat's time of day: "every morning
 * meditate" is daily at 09:00, titled "meditate".
 */
function chooseDateTime(
  results: readonly chrono.ParsedResult[],
  text: string,
  repeatEnd?: number,
): chrono.ParsedResult | undefined {
  const alone = (r: chrono.ParsedResult) => PART_OF_DAY_ALONE.test(r.text.trim());
  const afterRepeat = (r: chrono.ParsedResult) => {
    const start = r.index + r.text.length - r.text.trimStart().length; // chrono's text may open with spaces
    return repeatEnd !== undefined && repeatEnd <= start && text.slice(repeatEnd, start).trim() === '';
  };
  return (
    results.find((r) => !alone(r)) ??
    results.find((r) => alone(r) && (text.slice(0, r.index).trim().length > 0 || afterRepeat(r)))
  );
}

/**
 * The wall-clock date and time chrono's result names, moved forward as chrono's forwardDate means to
 * (a time alone that has passed today → tomorrow; a weekday alone before today, or today's at a time
 * that has passed → a week later; a day and month without a year before today → the next year), compared in
 * the user's zone (`local` is now there).
 */
function forwardDate(
  r: chrono.ParsedResult,
  local: DateTime,
): { date: string; time: { hour: number; minute: number } | null } {
  const s = r.start;
  const certain = (c: chrono.Component) => s.isCertain(c);
  let day = DateTime.fromObject(
    { year: s.get('year') ?? local.year, month: s.get('month') ?? local.month, day: s.get('day') ?? local.day },
    { zone: 'UTC' },
  );
  const today = DateTime.fromObject({ year: local.year, month: local.month, day: local.day }, { zone: 'UTC' });
  const time = timeOf(r);
  const onlyTime = !certain('weekday') && !certain('day') && !certain('month') && !certain('year');
  const relative = [...r.tags()].some(
    (t) => t.startsWith('result/relative') || /\/(today|tonight|tomorrow|now)$/.test(t),
  );
  const passed = time !== null && time.hour * 60 + time.minute < local.hour * 60 + local.minute;
  const weekdayAlone = certain('weekday') && !certain('day') && !certain('month');
  if (onlyTime && !relative && passed && day.equals(today)) day = day.plus({ days: 1 });
  // A weekday is the next one, unless it says it is gone: "last monday", "this past friday" (chrono's day).
  else if (weekdayAlone && day < today && !/^(?:last|this\s+past|past)\s/i.test(r.text.trim()))
    day = day.plus({ days: 7 });
  // Today's weekday at a time already gone ("plan sprint monday 9am" on a Monday evening) is next week's,
  // unless it says "this" (this monday 9am: today, as said; the preview says it is past).
  else if (weekdayAlone && day.equals(today) && passed && !/\bthis\b/i.test(r.text)) day = day.plus({ days: 7 });
  else if (certain('month') && !certain('year'))
    for (let i = 0; i < 4 && day < today; i++) day = day.plus({ years: 1 });
  // "next week" is the start of next week (Monday, ISO 8601), as Todoist and Things read it; chrono reads a
  // week from today (a Thursday's "next week" was the next Thursday). "in a week" stays a week from today.
  if (/^next\s+week\b/i.test(r.text.trim()) && !certain('weekday')) day = today.plus({ days: 8 - today.weekday });
  return { date: dateText(day.year, day.month, day.day), time };
}

/**
 * `r` (read at the start of `text`) without the clock time it names: the longest run of its words that
 * chrono reads as the same date and no time, or null when it names no time (or no such run exists).
 */
function dateAlone(
  r: chrono.ParsedResult,
  text: string,
  reference: chrono.ParsingReference,
  reader: Reader,
): chrono.ParsedResult | null {
  if (!r.start.isCertain('hour')) return null;
  const words = r.text.split(/(?<=\S)(?=\s)/);
  for (let n = words.length - 1; n > 0; n--) {
    const prefix = words.slice(0, n).join('');
    const shorter = reader.parse(text.slice(0, prefix.length), reference, { forwardDate: false })[0];
    if (
      shorter?.index === 0 &&
      meaningful(shorter) &&
      !shorter.start.isCertain('hour') &&
      shorter.start.get('day') === r.start.get('day') &&
      shorter.start.get('month') === r.start.get('month')
    )
      return shorter;
  }
  return null;
}

const BRACKETS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/**
 * Where chrono's result `r` stands in the text, without an opening bracket at its start or a closing one at
 * its end whose partner is not in it (chrono's weekday and time patterns take in "(" before and ")" after).
 */
function unbracketed(r: chrono.ParsedResult): Span {
  let start = r.index;
  let end = r.index + r.text.length;
  const text = r.text;
  const first = text[0] ?? '';
  if (BRACKETS[first] !== undefined && !text.includes(BRACKETS[first])) start++;
  const last = text.at(-1) ?? '';
  const opener = Object.keys(BRACKETS).find((o) => BRACKETS[o] === last);
  if (opener !== undefined && !text.includes(opener)) end--;
  return { start, end };
}

/**
 * Title: the text without the recognised spans, spaces collapsed. A connector word right before a
 * removed span ("by" in "Submit report by Friday", "due on" in "Taxes due on the 15th") goes with it;
 * the same word elsewhere stays ("Log in", "Sign up by email").
 */
function titleOf(text: string, spans: readonly Span[]): string {
  const CUT = '\u0001'; // stands for a removed span (the rule for strings keeps control characters out of input)
  let marked = '';
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) {
      at = Math.max(at, s.end);
      continue;
    }
    marked += `${text.slice(at, s.start)} ${CUT} `;
    at = s.end;
  }
  marked += text.slice(at);
  const words = marked.split(/\s+/).filter(Boolean);
  const kept: string[] = [];
  for (const w of words) {
    if (w !== CUT) kept.push(w);
    else while (kept.length > 0 && CONNECTOR.test(kept.at(-1) ?? '')) kept.pop();
  }
  return kept
    .join(' ')
    .replaceAll(CUT, '')
    .replace(/\(\s*\)|\[\s*\]|"\s*"|„\s*“|“\s*”/g, '')
    .replace(/\s+([,.;:!?)\]])/g, '$1')
    .replace(/^[,;:–-]+\s*|\s*[,;:–-]+$/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/**
 * Reads one line of quick-add text (see the module comment for the rules). Never throws for any
 * string: what it cannot use becomes a note. Throws only for a bad `zone` (a programming error: the
 * route passes the user's validated zone).
 */
/**
 * A four-digit year standing alone at the start: followed by nothing, punctuation, or a word that goes on
 * with the task's phrases ("until 2030 5 times", "until 2030 at 9am"), not by a word of the title
 * ("until 2000 words") nor by more of a date ("2027.06.30", "2027/06", "2027-06").
 */
const YEAR_ALONE =
  /^(\d{4})(?=$|[,;!?)](?!\d)|\.(?=\s|$)|\s+(?:$|\d+\s+times?\b|\d{1,2}(?::\d{2})?\s*[ap]\.?m\b|[!#@]|(?:at|on|from|starting|beginning|every|for|in|by|before|after|and|remind|today|tonight|tomorrow|next|this)\b))/i;

export function parseQuickAdd(input: QuickAddInput): QuickAddResult {
  const { text, now, zone } = input;
  const order = input.dateOrder ?? 'month_first';
  const reader = readerFor(order);
  const z = ianaZone(zone);
  if (z === null) throw new RangeError(`parseQuickAdd: ${JSON.stringify(zone)} is not an IANA zone`);
  const notes: string[] = [];
  const spans: Span[] = [];
  const fields: QuickAddFields = { title: '' };
  // 0. Words in quotes are the title's as typed, read as nothing else: "Watch "Friday Night Lights"" is no
  // Friday at 20:00, ""March" for science" no 1 March (a newcomer's pass: nothing escaped a misreading).
  const quoted: Span[] = [...text.matchAll(/"[^"\n]+"|\u201c[^\u201d\n]+\u201d/g)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
  }));
  const inQuotes = (at: number) => quoted.some((q) => at >= q.start && at < q.end);

  // 1. Priority: `!1` or Todoist's `p1`.
  for (const m of text.matchAll(/(?<!\S)(?:!(\d+)|p([1-4]))(?=[\s,.;]|$)/g)) {
    if (inQuotes(m.index)) continue;
    const p = Number(m[1] ?? m[2]);
    spans.push({ start: m.index, end: m.index + m[0].length });
    if (p < MIN_PRIORITY || p > MAX_PRIORITY)
      notes.push(`"${m[0]}" is not a priority: use !${MIN_PRIORITY} (highest) to !${MAX_PRIORITY} (none)`);
    else if (fields.priority === undefined) fields.priority = p;
    else if (fields.priority !== p) notes.push(`only one priority: "${m[0]}" is left out`);
  }

  // 2. List.
  let list: Named | null = null;
  for (const tag of tags(text, '#', input.lists)) {
    if (inQuotes(tag.span.start)) continue;
    spans.push(tag.span);
    if (!tag.item) notes.push(`no such list "${tag.word}": the task goes to the default list`);
    else if (!list) list = tag.item;
    else if (tag.item.id !== list.id) notes.push(`only one list: #${tag.word} is left out`);
  }
  if (list) fields.list_id = list.id;

  // 3. Labels: the user's, and names that are no label yet, made when the task is saved (as Todoist does).
  const labels: Named[] = [];
  const newLabels: string[] = [];
  for (const tag of tags(text, '@', input.labels)) {
    if (inQuotes(tag.span.start)) continue;
    spans.push(tag.span);
    if (tag.item) {
      if (!labels.some((l) => l.id === tag.item?.id)) labels.push(tag.item);
      continue;
    }
    // "@5pm", "@noon": the @ says "at", not a label; the time is read as any other (its @ left out of the title).
    if (AT_TIME.test(tag.word)) {
      spans[spans.length - 1] = { start: tag.span.start, end: tag.span.start + 1 };
      continue;
    }
    const name = labelName(tag.word);
    if (name === null) notes.push(`"@${tag.word}" cannot be a label: a name is 1 to ${MAX_LABEL_NAME} characters`);
    else if (!newLabels.some((n) => nameKey(n) === nameKey(name))) newLabels.push(name);
  }
  // A task carries at most MAX_TASK_LABELS (POST /tasks refuses more): the first ones typed are kept,
  // the user's own before the names still to make, and the rest said.
  const over = labels.length + newLabels.length - MAX_TASK_LABELS;
  if (over > 0) {
    const dropped = [
      ...labels.splice(Math.min(labels.length, MAX_TASK_LABELS)).map((l) => l.name),
      ...newLabels.splice(Math.max(0, MAX_TASK_LABELS - labels.length)),
    ];
    notes.push(`a task has at most ${MAX_TASK_LABELS} labels: ${dropped.map((n) => `@${n}`).join(', ')} left out`);
  }
  if (labels.length > 0) fields.labels = labels.map((l) => l.id);

  // 3b. "remind me 1 hour before" (before, early, ahead): one reminder, planned once the due date is known.
  // Left to chrono, "1 hour before" was read as a date and said to stay in the title (a newcomer's pass).
  const remindPhrase = REMIND_BEFORE.exec(text);
  if (remindPhrase && !inQuotes(remindPhrase.index))
    spans.push({ start: remindPhrase.index, end: remindPhrase.index + remindPhrase[0].length });

  // 4. Repeat: "every …", "N times", "until <date>".
  const reference = { instant: now, timezone: Math.round(z.offset(now.getTime())) };
  // chrono's own forwardDate compares a zone-shifted reference with real instants (wrong far from
  // UTC: "June 16 at noon" typed on June 16 in Pacific/Kiritimati became next year), so dates are
  // moved forward here, on wall-clock fields (forwardDate below).
  const options = { forwardDate: false };
  const local = DateTime.fromJSDate(now, { zone: z });
  /** Phrases left in the title and read as nothing else (a repeat the API does not make, said in a note). */
  const unread: Span[] = [...quoted];
  const unparsed = (): string => mask(text, [...spans, ...unread]);
  let masked = unparsed();
  // A figure joined by a hyphen to a word ("at 7-Eleven", "9-ish", "3-day trip") is a name or a size, not a
  // time: kept in the title and read as nothing (a newcomer's "Buy snacks at 7-Eleven" was due at 07:00,
  // titled "Buy snacks -Eleven"); the rest of the line is read as usual ("tomorrow at 7-Eleven": tomorrow).
  // (A month or weekday after the hyphen makes a range of dates: "Jan 5-Feb 3".)
  for (const f of masked.matchAll(
    /(?<![\w:.])(?:at\s+|@\s*)?\d{1,4}(?=-(?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun))\p{L})/giu,
  ))
    unread.push({ start: f.index, end: f.index + f[0].length });
  masked = unparsed();
  // "at 25:00", "24:30": no time of day (00:00 to 23:59). Left to chrono it undid the whole line ("x tomorrow
  // at 24:00" kept "tomorrow" in the title too); kept in the title, said, and the rest read as usual.
  for (const t of masked.matchAll(/(?<![\w:.])(?:at\s+|@\s*)?(\d{1,2}):(\d{2})(?![\w:.])/gi))
    if (Number(t[1]) > 23 || Number(t[2]) > 59) {
      notes.push(`"${t[0]}" is not a time of day (00:00 to 23:59): it stays in the title`);
      unread.push({ start: t.index, end: t.index + t[0].length });
    }
  masked = unparsed();
  // "every last weekday of the month" is no rule the API takes (BYSETPOS): said, kept in the title as
  // "every hour" is, and read as nothing else (not a monthly rule on today's date, not chrono's "last Wednesday").
  const counted = findCountedWeekday(masked);
  if (counted) {
    notes.push(
      `"${text.slice(counted.start, counted.end).trim()}" is not a repeat tasklane makes (a weekday counted in the month): say "the last day" or "the last Friday" of every month`,
    );
    unread.push(counted);
    masked = unparsed();
  }
  const repeat = counted ? null : findRepeat(masked);
  // A repeat by the hour or minute is none the API makes (RRULE FREQ=HOURLY/MINUTELY are refused): said,
  // not left silently in the title.
  const sub = repeat
    ? null
    : /(?<![\w!#@])every\s+(?:\d+\s+|other\s+|few\s+)?(?:hours?|hrs?|minutes?|mins?)\b/i.exec(masked);
  if (sub) notes.push(`"${sub[0]}" is not a repeat tasklane makes: a task repeats once a day at most`);
  // "every 0 days", "every 5000 weeks": an interval the API does not take (RFC 5545 INTERVAL, 1 to
  // MAX_INTERVAL here) stays in the title, said rather than silently.
  const outOfRange =
    repeat || sub || counted ? null : /(?<![\w!#@])every\s+(\d+)\s+(?:days?|weeks?|months?|years?)\b/i.exec(masked);
  if (outOfRange && (Number(outOfRange[1]) < 1 || Number(outOfRange[1]) > MAX_INTERVAL))
    notes.push(`"${outOfRange[0]}" is not used: a repeat is every 1 to ${MAX_INTERVAL} days, weeks, months or years`);
  let until: string | undefined;
  let count: number | undefined;
  /** A series' first day from "starting|beginning|from <date>" (with its time, if the phrase names one). */
  let startsOn: ReturnType<typeof forwardDate> | undefined;
  if (repeat) {
    spans.push({ start: repeat.start, end: repeat.end });
    const missing = repeat.problem === undefined ? missingMonthDayNote(repeat.rule) : undefined;
    if (missing) notes.push(missing);
    masked = unparsed();
    const c = findCount(masked);
    if (c) {
      spans.push({ start: c.start, end: c.end });
      if (c.count >= 1 && c.count <= MAX_COUNT) count = c.count;
      else
        notes.push(`"${text.slice(c.start, c.end).trim()}" is not used: a repeat ends after 1 to ${MAX_COUNT} times`);
      masked = unparsed();
    }
    // "until the end of March" is "until March": a month alone ends on its last day (below).
    for (const m of masked.matchAll(/(?<!\S)(?:until|till|through|ending(?:\s+on)?)\s+((?:the\s+)?end\s+of\s+)?/gi)) {
      const after = m.index + m[0].length;
      /** "the end of": only a month or a year may follow ("the end of next week" is left as it stands). */
      const endOf = m[1] !== undefined;
      // "until feb 29" (chrono reads no date: this year has none): the series ends on the next one.
      const leap = impossibleDay(masked.slice(after), order);
      if (leap?.leap && leap.span.start === 0) {
        const next = nextLeapDay(local);
        until = next;
        notes.push(`Feb 29 is next in ${next.slice(0, 4)}`);
        spans.push({ start: m.index, end: after + leap.span.end });
        masked = unparsed();
        break;
      }
      const found = reader.parse(masked.slice(after), reference, options)[0];
      if (found?.index !== 0 || !meaningful(found)) {
        // "until 2030": a year alone (chrono reads none) is through its last day, as a month alone is below:
        // a year from this one to 50 years ahead, standing alone ("until 2000 words", "until 1730", "until
        // 2030 12 reps" and "until 2027.06.30" are no years alone; "until 2100" is more likely 21:00).
        const year = YEAR_ALONE.exec(masked.slice(after))?.[1];
        if (!year || Number(year) < local.year || Number(year) > local.year + 50) continue;
        until = `${year}-12-31`;
        spans.push({ start: m.index, end: after + year.length });
        masked = unparsed();
        if (count !== undefined) {
          notes.push('a repeat ends either after a number of times or on a date: the date is used');
          count = undefined;
        }
        break;
      }
      // The end is a date: a time read with it ("until Dec 24 at 9am") is the series' time, left for step 5.
      const hit = dateAlone(found, masked.slice(after), reference, reader) ?? found;
      const monthAlone = hit.start.isCertain('month') && !hit.start.isCertain('day') && !hit.start.isCertain('weekday');
      until = forwardDate(hit, local).date;
      // "until the end of next week / next month / next year": that week's (ISO: Sunday), month's or year's
      // last day; of a day ("the end of Friday"), that day.
      if (endOf && !monthAlone) {
        const day = DateTime.fromISO(until, { zone: 'UTC' });
        const unit = /\b(week|month|year)\b/i.exec(hit.text)?.[1]?.toLowerCase() as
          | 'week'
          | 'month'
          | 'year'
          | undefined;
        if (unit) until = day.endOf(unit).toISODate() ?? until;
      }
      // "until December", "until Dec 2027": a month without a day is through its last day, as people mean
      // it ("pay rent every month until December" pays December's too), not through its 1st; this month's,
      // when no year is said and it is this month.
      const h = hit.start;
      if (monthAlone) {
        const month = DateTime.fromObject(
          { year: h.get('year') ?? local.year, month: h.get('month') ?? local.month, day: 1 },
          { zone: 'UTC' },
        );
        const behind =
          !h.isCertain('year') &&
          (month.endOf('month').toISODate() ?? '') < dateText(local.year, local.month, local.day);
        until = (behind ? month.plus({ years: 1 }) : month).endOf('month').toISODate() ?? until;
      }
      spans.push({ start: m.index, end: after + hit.text.length });
      masked = unparsed();
      if (count !== undefined) {
        notes.push('a repeat ends either after a number of times or on a date: the date is used');
        count = undefined;
      }
      break;
    }
    // "starting|beginning|from <date>": the series' first day (its end, if any, was taken just above).
    for (const m of masked.matchAll(/(?<!\S)(?:starting|beginning|from)(?:\s+on)?\s+/gi)) {
      const after = m.index + m[0].length;
      const found = reader.parse(masked.slice(after), reference, options)[0];
      if (found?.index !== 0 || !meaningful(found)) continue;
      startsOn = forwardDate(found, local);
      // After "until" is taken: a range left here ("from 9am to 10am", "from Mar 10 to Jun 1") starts the series.
      if (found.end) notes.push(`only the start of "${found.text}" is used`);
      // A day of the last month without a year ("starting Dec 1" on Dec 3) is the one just gone, not next
      // year's (forwardDate's reading for a due date).
      const today = DateTime.fromObject({ year: local.year, month: local.month, day: local.day }, { zone: 'UTC' });
      const said = found.start;
      if (said.isCertain('month') && said.isCertain('day') && !said.isCertain('year'))
        for (const year of [local.year, local.year - 1]) {
          // This year's, or last year's in the first days of January ("starting Dec 28" on Jan 2).
          const gone = DateTime.fromObject(
            { year, month: said.get('month') ?? 1, day: said.get('day') ?? 1 },
            { zone: 'UTC' },
          );
          if (gone.isValid && gone < today && gone >= today.minus({ days: 31 })) {
            startsOn = { ...startsOn, date: dateText(gone.year, gone.month, gone.day) };
            break;
          }
        }
      // A series cannot start in the past (it starts today at the earliest, below): said, not dropped silently.
      if (startsOn.date < dateText(local.year, local.month, local.day))
        notes.push(`"${found.text.trim()}" has passed: the repeat starts from today`);
      spans.push({ start: m.index, end: after + found.text.length });
      masked = unparsed();
      break;
    }
  }

  // 5. Date and time.
  const today = dateText(local.year, local.month, local.day);
  const dated = forChrono(masked);
  const read = reader.parse(dated, reference, options);
  const found = read.filter((r) => meaningful(r) && !bareDayWord(r, dated));
  // A date with a year typed before 1000 ("1/1/0001") is no due date here, and says so (it stays in the title).
  for (const r of read) {
    const year = r.start.get('year');
    if (r.start.isCertain('year') && year !== null && year < 1000)
      notes.push(`"${r.text.trim()}" is not read as a date: quick add reads years 1000 to 9999`);
  }
  // A month and day that is no date ("31 april", "February 29, 2027") is said below; chrono may have read a
  // part of it ("april" alone, as 1 April), which is then no date either.
  const impossible = impossibleDay(dated, order);
  const chosen = chooseDateTime(found, dated, repeat?.problem === undefined ? repeat?.end : undefined);
  const within = (r: chrono.ParsedResult, span: Span) => r.index < span.end && r.index + r.text.length > span.start;
  const hit = impossible && chosen && within(chosen, impossible.span) ? undefined : chosen;
  let date: string | null = null;
  let time: { hour: number; minute: number } | null = null;
  let exact: Date | null = null;
  /**
   * The span of `r`, with "in" before a month alone and "in the" before a part of the day ("in the evening"),
   * and an `@` standing alone before it ("Call mum @ 5pm": the @ says "at", as in "@5pm"); without a bracket
   * chrono took in whose partner it left out ("(Friday 7pm" of "Dinner (Friday 7pm)"), so the pair stays
   * whole for the title to drop as empty.
   */
  const spanOf = (r: chrono.ParsedResult): Span => {
    const { start: from, end } = unbracketed(r);
    const before = masked.slice(0, r.index);
    const lead =
      r.start.isCertain('month') && !r.start.isCertain('day')
        ? /(?<!\S)in\s+$/i.exec(before)
        : PART_OF_DAY.test(r.text)
          ? /(?<!\S)in\s+the\s+$/i.exec(before)
          : null;
    const start = lead && from === r.index ? lead.index : from;
    // (An @ followed by a word is a tag, masked by step 3: an @ left in `masked` stands alone.)
    const at = /(?<!\S)@\s*$/.exec(before.slice(0, start));
    return { start: at ? at.index : start, end };
  };
  if (hit) {
    spans.push(spanOf(hit));
    ({ date, time } = forwardDate(hit, local));
    // A clock time without am/pm and a part of the day named apart ("at 3 tomorrow morning"): that part
    // says which half of the day (chrono reads them as two results).
    const half =
      hit.start.isCertain('hour') && !hit.start.isCertain('meridiem')
        ? found.find((r) => r !== hit && PART_OF_DAY_ALONE.test(r.text.trim()))
        : undefined;
    if (half && time) {
      const hour = hit.start.get('hour') ?? 0;
      const morning = /morning/i.test(half.text);
      time = { hour: morning ? (hour === 12 ? 0 : hour) : hour < 12 ? hour + 12 : hour, minute: time.minute };
      spans.push(spanOf(half));
    } else if (inTheAfternoon(hit) && time) {
      const typed = `${time.hour - 12}${time.minute ? `:${pad(time.minute)}` : ''}`;
      notes.push(
        `${typed} without am or pm is read as ${pad(time.hour)}:${pad(time.minute)}, in the afternoon: write ${typed}am for the morning`,
      );
    }
    const part = PART_OF_DAY.exec(hit.text);
    if (part && hit.text.length > part[0].length) {
      // chrono joins "evening tomorrow" and "afternoon on Friday" but keeps only the part of the day: the
      // date is read again from the words after it.
      const rest = hit.text.slice(part[0].length).replace(/^\s*(?:on\s+)?/i, '');
      const again = reader.parse(rest, reference, options).find((r) => r.index === 0 && meaningful(r));
      if (again && !PART_OF_DAY_ALONE.test(again.text.trim())) date = forwardDate(again, local).date;
    } else if (!PART_OF_DAY_ALONE.test(hit.text.trim()) && timeOf(hit) === null) {
      // A date here, and a part of the day named alone elsewhere ("tomorrow … in the evening"): its time.
      const later = found.find((r) => r !== hit && PART_OF_DAY_ALONE.test(r.text.trim()) && r.index > 0);
      if (later) {
        time = timeOf(later);
        spans.push(spanOf(later));
      }
    }
  }
  if (startsOn) {
    // "starting Mar 12": the series starts that day, at the time the phrase names (if any).
    date = startsOn.date;
    time = startsOn.time ?? time;
  }
  // A month and day chrono reads as no date because the year it would take has none: Feb 29 is the next
  // one (a leap year's); a day past the month's last ("feb 30", "31 april") is said, not dropped silently.
  if (impossible?.leap && !hit) {
    date = nextLeapDay(local);
    spans.push(impossible.span);
    notes.push(`Feb 29 is next in ${date.slice(0, 4)}`);
    // A time beside it ("feb 29 at 8pm"), which chrono dropped with the date it could not make.
    const clock = reader
      .parse(mask(dated, [impossible.span]), reference, options)
      .find((r) => timeOf(r) !== null && !r.start.isCertain('day') && !r.start.isCertain('weekday'));
    if (clock) {
      time = timeOf(clock);
      spans.push(spanOf(clock));
    }
  } else if (impossible && !impossible.leap) {
    notes.push(
      `"${impossible.text}" is not a date: ${impossible.month} has ${impossible.last} days; it stays in the title`,
    );
  }
  // "on the 15th" (no month: chrono reads none): the next such day, today included; a time beside it
  // ("on the 1st at 9am") is chrono's time-only result.
  const nth = NTH_CONNECTED.exec(masked) ?? NTH_TRAILING.exec(masked);
  const onlyTime = (r: chrono.ParsedResult) =>
    !['weekday', 'day', 'month', 'year'].some((c) => r.start.isCertain(c as chrono.Component));
  if (nth && Number(nth[1]) >= 1 && Number(nth[1]) <= 31) {
    const end = nth.index + nth[0].length;
    if (!hit || ((hit.index >= end || hit.index + hit.text.length <= nth.index) && onlyTime(hit))) {
      if (!hit) time = null;
      spans.push({ start: nth.index, end });
      let month = DateTime.fromObject({ year: local.year, month: local.month, day: 1 }, { zone: 'UTC' });
      const n = Number(nth[1]);
      while (
        month.daysInMonth !== undefined &&
        (month.daysInMonth < n || (month.month === local.month && month.year === local.year && n < local.day))
      )
        month = month.plus({ months: 1 });
      date = dateText(month.year, month.month, n);
    }
  }
  if (hit && date) {
    if (hit.tags().has('result/relativeDateAndTime')) exact = hit.start.date();
    if (hit.end) notes.push(`only the start of "${text.slice(hit.index, hit.index + hit.text.length)}" is used`);
  }

  const clock = (t: { hour: number; minute: number }) => `${pad(t.hour)}:${pad(t.minute)}`;
  const wallOf = (d: string, t: { hour: number; minute: number } | null) =>
    t ? `${d}T${clock(t)}:00` : dateOnlyDue(d);
  const instantOf = (d: string, t: { hour: number; minute: number } | null): Date => {
    const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
    return localToInstant({ year: y, month: m, day: dd, hour: t?.hour ?? 0, minute: t?.minute ?? 0 }, zone);
  };

  /**
   * A wall-clock time the clocks skip that day (a DST gap) is the instant after the gap, as everywhere:
   * the preview says so and shows the time it will be, rather than a time the task will not have.
   */
  const gapNote = (d: NonNullable<QuickAddResult['due']>, t: { hour: number; minute: number } | null) => {
    if (!t) return;
    const shown = DateTime.fromISO(d.at, { zone: z });
    const actual = clock({ hour: shown.hour, minute: shown.minute });
    if (actual === clock(t)) return;
    notes.push(`${clock(t)} does not exist on ${d.date} in ${zone} (the clocks go forward): it is ${actual}`);
    d.time = actual;
  };
  let due: QuickAddResult['due'] = null;
  let repeatOut: QuickAddResult['repeat'] = null;
  if (repeat?.problem !== undefined) {
    notes.push(`the repeat could not be used: ${repeat.problem}; no repeat is set`);
  } else if (repeat) {
    const rule = withEnd(repeat.rule, { ...(count !== undefined ? { count } : {}), ...(until ? { until } : {}) });
    // The series' first start: its first occurrence on or after the phrase's date (today when none),
    // not before now (a time) or today (a date alone).
    const anchor = date && date > today ? date : today;
    const start = `${anchor}T${clock(time ?? { hour: 0, minute: 0 })}:00`;
    const floor = time ? Math.max(now.getTime(), instantOf(anchor, time).getTime()) : instantOf(anchor, null).getTime();
    let first: Date | undefined;
    try {
      // The soonest day the pattern allows, INTERVAL aside ("every 3 months on the 1st" typed on
      // Nov 30 starts on Dec 1, not Feb 1): from there the full rule's first instance is that day.
      const pattern = rule.replace(/;INTERVAL=\d+/, '');
      first = occurrences(pattern, start, zone, { after: new Date(floor - 1), limit: 1 })[0];
    } catch (error) {
      if (!(error instanceof RecurrenceError)) throw error;
      notes.push(`the repeat could not be used: ${error.message}`);
    }
    if (first) {
      const at = DateTime.fromJSDate(first, { zone: z });
      const d = dateText(at.year, at.month, at.day);
      fields.due_date = wallOf(d, time);
      fields.recurrence_rule = rule;
      due = { date: d, time: time ? clock(time) : null, at: first.toISOString() };
      gapNote(due, time);
      repeatOut = { rule, mode: repeat.mode };
      if (repeat.mode === 'after_completion') {
        // Counted from a completion, a rule keeps only its frequency, interval, weekdays and end.
        const problem = afterCompletionProblem(rule);
        if (AFTER_COMPLETION_FIELDS && problem === null) Object.assign(fields, AFTER_COMPLETION_FIELDS);
        else if (problem !== null) notes.push(`it repeats on the calendar: after completion, ${problem}`);
        else notes.push('repeating after completion is not available yet: it repeats on the calendar');
      }
    } else if (first === undefined && !notes.some((n) => n.startsWith('the repeat'))) {
      notes.push('the repeat ends before its first occurrence: no repeat is set');
    }
  } else if (date) {
    if (exact) {
      const at = DateTime.fromJSDate(exact, { zone: z });
      fields.due_date = exact.toISOString();
      due = {
        date: dateText(at.year, at.month, at.day),
        time: `${pad(at.hour)}:${pad(at.minute)}`,
        at: exact.toISOString(),
      };
    } else {
      fields.due_date = wallOf(date, time);
      due = { date, time: time ? clock(time) : null, at: instantOf(date, time).toISOString() };
      gapNote(due, time);
    }
    if (time ? Date.parse(due.at) < now.getTime() : date < today) notes.push('the due date is in the past');
  }

  // The API keeps instants in years 0001–9999 once in UTC: a date at the edge of that range in a zone far
  // from UTC ("31/12/9999 23:59" in Pacific/Pago_Pago) would preview a body POST /tasks refuses.
  if (due && !inRange(Date.parse(due.at))) {
    notes.push('the date lies outside years 0001–9999 once in UTC: no due date is set');
    due = null;
    repeatOut = null;
    delete fields.due_date;
    delete fields.recurrence_rule;
    if (AFTER_COMPLETION_FIELDS)
      for (const key of Object.keys(AFTER_COMPLETION_FIELDS))
        delete (fields as unknown as Record<string, unknown>)[key];
  }

  if (remindPhrase && !inQuotes(remindPhrase.index)) {
    const planned = planRemindBefore(remindPhrase, due, zone, now, fields.recurrence_rule);
    if (typeof planned === 'string') notes.push(planned);
    else fields.reminders = [planned];
  }

  // 6. Title. A date or time still in it was read and not used (a task has one due date and time, a series
  // one time of day): said, so nothing typed is dropped or misread without a word.
  fields.title = titleOf(text, spans);
  const rest = forChrono(fields.title);
  // A phrase left unread on purpose (said in its own note) is not a date left over.
  const inUnread = (r: { text: string }) =>
    unread.some((u) => text.slice(u.start, u.end).toLowerCase().includes(r.text.trim().toLowerCase()));
  for (const left of reader
    .parse(rest, reference, options)
    .filter((r) => meaningful(r) && !bareDayWord(r, rest) && !inUnread(r)))
    if (chooseDateTime([left], rest) === left && !/^\d{1,2}$/.test(left.text.trim()))
      // Quoted as typed (chrono read the text with "p.m" spelled "pm").
      notes.push(
        `"${fields.title.slice(left.index, left.index + left.text.length).trim()}" stays in the title: a task has one due date and time`,
      );
  if (fields.title === '') notes.push('a title is needed: only a date, tags or a repeat were found');
  else if ([...fields.title].length > MAX_TITLE) notes.push(`the title is longer than ${MAX_TITLE} characters`);

  return { fields, due, repeat: repeatOut, list, labels, new_labels: newLabels, notes };
}
