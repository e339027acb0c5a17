/**
 * Quick add's own rule builder: "every …" phrases in English → an RFC 5545 RRULE (§3.3.10, within the
 * subset actors/recurrence/ supports). Pure: no I/O, no clock.
 *
 * Recognised (case-insensitive; `every!` is the same as `every` with `mode: 'after_completion'`):
 * - `daily`, `weekly`, `fortnightly`, `monthly`, `yearly`, `annually` → FREQ=DAILY|WEEKLY|WEEKLY;INTERVAL=2|…;
 *   `weekdays`, `weekends` → FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR | SA,SU. A later `every …` phrase says more, so
 *   there the word is a title word ("Weekly review every Sunday": Sundays, titled "Weekly review").
 * - `every day`, `every N days`, `every other day` → FREQ=DAILY[;INTERVAL=N]
 * - `every weekday` / `every workday` → FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR; `every weekend` → BYDAY=SA,SU
 * - `every week`, `every N weeks` [`on` weekdays] → FREQ=WEEKLY[;INTERVAL=N][;BYDAY=…]
 * - `every Monday`, `every mon, wed and fri`, `every Monday to Friday`, `every other Tuesday`
 *   → FREQ=WEEKLY[;INTERVAL=2];BYDAY=… (days always in MO…SU order)
 * - `every month`, `every N months` [`on the 1st`, `on the 1st and 15th`, `on the last day`,
 *   `on the first Monday`, `on the last Friday`] → FREQ=MONTHLY[;INTERVAL=N][;BYMONTHDAY=1,15 | -1 | ;BYDAY=1MO | -1FR]
 * - `every 1st`, `every 15th of the month`, `every last day of the month`, `every first Monday`,
 *   `every last Friday of the month` → FREQ=MONTHLY;BYMONTHDAY=… or BYDAY=<ordinal><day>
 * - the same days before the phrase: `the last day of every month`, `1st and 15th of every month`,
 *   `first Monday of every 2 months` (`on` before them is part of the phrase)
 * - `every year`, `every N years` → FREQ=YEARLY[;INTERVAL=N] (the day is the start's, e.g. "every year on Dec 24")
 * - `every morning|afternoon|evening|night` → FREQ=DAILY; the time-of-day word is left in the text for
 *   the date parser, which gives it its hour (see CASUAL_HOURS in parse.ts).
 * - a trailing `after completion`, `from completion`, `after done`, `after I finish` → mode
 *   'after_completion' (Todoist's `every!`, Tasks.org's "from completion").
 * - `N times` / `for N times` anywhere → COUNT=N (1–MAX_COUNT), appended by `withEnd`; another N is a
 *   note (parse.ts), never an endless series without a word.
 * Hours and minutes are not in the rule: the series' start (DTSTART) carries the time of day.
 */

/** How the next occurrence is computed: from the rule's calendar, or from the completion time. */
export type RepeatMode = 'calendar' | 'after_completion';

/** One recognised "every …" phrase: where it is in the text and the rule it means. */
export interface RepeatMatch {
  /** Offsets (UTF-16 code units) of the phrase in the text: [start, end). */
  readonly start: number;
  readonly end: number;
  /** FREQ=…;… without COUNT or UNTIL (added by `withEnd`). */
  readonly rule: string;
  readonly mode: RepeatMode;
  /** Why the phrase cannot repeat (a date no year has, such as Feb 30): a note, and no repeat is set. */
  readonly problem?: string;
}

const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
type Day = (typeof DAYS)[number];
const DAY_WORDS: Record<string, Day> = {
  monday: 'MO',
  mon: 'MO',
  tuesday: 'TU',
  tue: 'TU',
  tues: 'TU',
  wednesday: 'WE',
  wed: 'WE',
  thursday: 'TH',
  thu: 'TH',
  thur: 'TH',
  thurs: 'TH',
  friday: 'FR',
  fri: 'FR',
  saturday: 'SA',
  sat: 'SA',
  sunday: 'SU',
  sun: 'SU',
};
// A whole word: "mon" is not the start of "month" ("every 3rd month" is no Monday).
const DAY =
  '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)s?\\b';
const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  other: 2,
  second: 2,
  third: 3,
};
const NUMBER = `(?:\\d{1,3}|${Object.keys(NUMBER_WORDS).join('|')})`;
// An ordinal in words or in digits ("third friday", "3rd friday"): before a weekday it names that weekday of
// the month, so it is tried before a month day ("3rd" alone is the 3rd of the month).
const ORDINAL_WORDS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  last: -1,
  '1st': 1,
  '2nd': 2,
  '3rd': 3,
  '4th': 4,
  '5th': 5,
};
// Counted from the month's end (RFC 5545 BYDAY=-2FR, BYMONTHDAY=-2): "second to last", "2nd last", "next to last", "penultimate".
const ORDINAL_WORD =
  '(?:(?:first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)(?:[\\s-]+(?:to[\\s-]+)?last)?|last|next[\\s-]+to[\\s-]+last|penultimate)';

/** The RFC 5545 ordinal of an ORDINAL_WORD match: 1 to 5 from the month's start, -1 to -5 from its end. */
function ordinalOf(word: string): number | undefined {
  const text = word.toLowerCase().replace(/[\s-]+/g, ' ');
  if (text === 'penultimate' || text === 'next to last') return -2;
  const fromEnd = / (?:to )?last$/.exec(text);
  const n = ORDINAL_WORDS[fromEnd ? text.slice(0, fromEnd.index) : text];
  return n === undefined ? undefined : fromEnd ? -n : n;
}
const MONTH_DAY = '(?:\\d{1,2}(?:st|nd|rd|th)|last day)';
// Items of a list: commas, "and", "&", "/", or spaces alone ("every mon wed fri").
const LIST_SEP = '(?:\\s*,\\s*(?:and\\s+)?|\\s+and\\s+|\\s*&\\s*|\\s*/\\s*|\\s+)';
const COMPLETION =
  '(?:\\s+(?:after|from)\\s+(?:completion|completing(?:\\s+it)?|done|finishing(?:\\s+it)?|i\\s+finish(?:\\s+it)?))';

// Compiled once: V8 compiles a regular expression again for each `new RegExp`.
const DAY_RANGE_ONLY = new RegExp(`^(${DAY})\\s*(?:-|to|through|thru)\\s*(${DAY})$`, 'i');
const ANY_DAY = new RegExp(DAY, 'gi');
const COMPLETION_RE = new RegExp(`^${COMPLETION}`, 'i');

const dayOf = (word: string): Day => {
  const d = DAY_WORDS[word.toLowerCase().replace(/s$/, '')] ?? DAY_WORDS[word.toLowerCase()];
  if (!d) throw new Error(`not a weekday: ${word}`); // unreachable: the patterns only match DAY
  return d;
};
const daysIn = (text: string): Day[] => {
  const found = new Set<Day>();
  const range = DAY_RANGE_ONLY.exec(text.trim());
  if (range) {
    const [from, to] = [DAYS.indexOf(dayOf(range[1] ?? '')), DAYS.indexOf(dayOf(range[2] ?? ''))];
    for (let i = from; ; i = (i + 1) % 7) {
      found.add(DAYS[i] as Day);
      if (i === to) break;
    }
  } else for (const m of text.matchAll(ANY_DAY)) found.add(dayOf(m[0]));
  return DAYS.filter((d) => found.has(d));
};
const numberOf = (word: string): number => NUMBER_WORDS[word.toLowerCase()] ?? Number(word);
const monthDaysIn = (text: string): number[] => {
  const days = new Set<number>();
  for (const m of text.matchAll(/(\d{1,2})(?:st|nd|rd|th)|last day/gi)) days.add(m[1] ? Number(m[1]) : -1);
  return [...days].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
};
const interval = (n: number): string => (n > 1 ? `;INTERVAL=${n}` : n === 1 ? '' : ';INTERVAL=0');

const DAY_LIST = `${DAY}(?:${LIST_SEP}${DAY}){0,6}`; // at most the 7 days: a bounded match
const DAY_RANGE = `${DAY}\\s*(?:-|to|through|thru)\\s*${DAY}`;
const MONTH_DAY_LIST = `${MONTH_DAY}(?:${LIST_SEP}(?:the\\s+)?${MONTH_DAY}){0,30}`; // at most 31 days
const OF_MONTH = '(?:\\s+of\\s+(?:the|each|every)\\s+month)?';

/**
 * The forms after `every` (or `every!`), longest first; each returns the rule, or null when a number
 * is out of range (the phrase is then not recognised and stays in the title).
 */
const FORMS: readonly { re: RegExp; rule: (m: RegExpExecArray) => string | null }[] = [
  // every month on the 1st and 15th / every 2 months on the last day / every month on the first monday
  {
    re: new RegExp(
      `^(?:(${NUMBER})\\s+)?months?\\s+on\\s+the\\s+(?:(${ORDINAL_WORD})\\s+(${DAY})|(${MONTH_DAY_LIST}))${OF_MONTH}`,
      'i',
    ),
    rule: (m) => monthly(m[1] ? numberOf(m[1]) : 1, m[4], m[2], m[3]),
  },
  // every 1st / every 15th of the month / every last day of the month / every first monday (of the month)
  {
    re: new RegExp(`^(?:the\\s+)?(?:(${ORDINAL_WORD})\\s+(${DAY})|(${MONTH_DAY_LIST}))${OF_MONTH}`, 'i'),
    rule: (m) => monthly(1, m[3], m[1], m[2]),
  },
  // every week on monday and friday / every 2 weeks on tue
  {
    re: new RegExp(`^(?:(${NUMBER})\\s+)?weeks?\\s+on\\s+(${DAY_RANGE}|${DAY_LIST})\\b`, 'i'),
    rule: (m) => `FREQ=WEEKLY${interval(m[1] ? numberOf(m[1]) : 1)};BYDAY=${daysIn(m[2] ?? '').join(',')}`,
  },
  { re: /^(?:week\s*days?|work\s*days?|business\s+days?)\b/i, rule: () => 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR' },
  { re: /^weekends?\b/i, rule: () => 'FREQ=WEEKLY;BYDAY=SA,SU' },
  // every monday / every other tuesday / every mon, wed and fri / every monday to friday
  {
    re: new RegExp(`^(?:(${NUMBER})\\s+)?(${DAY_RANGE}|${DAY_LIST})\\b`, 'i'),
    rule: (m) => `FREQ=WEEKLY${interval(m[1] ? numberOf(m[1]) : 1)};BYDAY=${daysIn(m[2] ?? '').join(',')}`,
  },
  // every day / every 3 days / every other week / every 2 months / every year
  {
    re: new RegExp(`^(?:(${NUMBER})\\s+)?(day|week|month|year)s?\\b`, 'i'),
    rule: (m) => {
      const unit = (m[2] ?? '').toLowerCase();
      const freq = { day: 'DAILY', week: 'WEEKLY', month: 'MONTHLY', year: 'YEARLY' }[unit];
      return `FREQ=${freq}${interval(m[1] ? numberOf(m[1]) : 1)}`;
    },
  },
];

/** A monthly rule by month days ("1st and 15th", "last day") or by an ordinal weekday ("first monday"). */
function monthly(n: number, monthDays?: string, ordinal?: string, day?: string): string | null {
  if (monthDays) {
    const days = monthDaysIn(monthDays);
    if (days.some((d) => d === 0 || d > 31)) return null;
    return `FREQ=MONTHLY${interval(n)};BYMONTHDAY=${days.join(',')}`;
  }
  const nth = ordinalOf(ordinal ?? '');
  return `FREQ=MONTHLY${interval(n)};BYDAY=${nth}${dayOf(day ?? '')}`;
}

/**
 * The note a monthly rule by month days needs when some month lacks one of its days (29th to 31st): RFC 5545
 * §3.3.10 ignores an invalid date, so "every month on the 31st" has no occurrence in April, June, September,
 * November or February, where a user would expect the month's end. Undefined for every other rule.
 */
export function missingMonthDayNote(rule: string): string | undefined {
  if (!/^FREQ=MONTHLY\b/.test(rule)) return undefined;
  const days = /;BYMONTHDAY=([\d,-]+)/.exec(rule)?.[1]?.split(',').map(Number) ?? [];
  const late = days.filter((d) => d >= 29);
  if (late.length === 0) return undefined;
  const named = late.map((d) => `${d}th`.replace(/^31th$/, '31st')).join(' and ');
  return `months without a ${named} are skipped: say "on the last day" to repeat at each month's end`;
}

const ADVERBS: Record<string, string> = {
  daily: 'FREQ=DAILY',
  weekly: 'FREQ=WEEKLY',
  fortnightly: 'FREQ=WEEKLY;INTERVAL=2',
  monthly: 'FREQ=MONTHLY',
  yearly: 'FREQ=YEARLY',
  annually: 'FREQ=YEARLY',
  weekdays: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  weekends: 'FREQ=WEEKLY;BYDAY=SA,SU',
};
const DAYPART = /^(?:morning|afternoon|evening|night)s?\b/i;
/** "every Dec 24", "every 24th of December": yearly; the date itself is left for the date parser. */
const YEARLY_DATE =
  /^(?:(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december)\b/i;
/** A month's number by the first three letters of its English name. */
export const MONTH_NUMBERS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
/** An English month name, full or short, as one capture group. */
export const MONTH_NAME =
  '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)';
/** "[N years on] Feb 29", "[year on] the 29th of February": an interval, then the day and month in either order. */
const YEAR_DAY = new RegExp(
  `^(?:(?:(${NUMBER})\\s+)?years?\\s+on\\s+)?(?:(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_NAME}|${MONTH_NAME}\\s+(\\d{1,2})(?:st|nd|rd|th)?)(?![\\w:])`,
  'i',
);
/** Days in each month of a leap year (index 1–12). */
export const LEAP_MONTH_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * "every [N years on] <month> <day>" for a day that is not in every year: Feb 29 gives
 * FREQ=YEARLY[;INTERVAL=N];BYMONTH=2;BYMONTHDAY=29 (RFC 5545 §3.3.10: a yearly rule names the date, so
 * the series falls in leap years only and its start is the next Feb 29), and a day no month has (Feb
 * 30, Apr 31) a problem. Other dates are left to the date parser (`FREQ=YEARLY` from that date is the
 * same series). Null when `body` starts with no such date.
 */
function yearDay(body: string): { length: number; rule: string | null; problem?: string } | null {
  const m = YEAR_DAY.exec(body);
  if (!m) return null;
  const month = MONTH_NUMBERS[(m[3] ?? m[4] ?? '').slice(0, 3).toLowerCase()] ?? 0;
  const day = Number(m[2] ?? m[5]);
  const n = m[1] ? numberOf(m[1]) : 1;
  if (day >= 1 && day <= (LEAP_MONTH_DAYS[month] ?? 0) && !(month === 2 && day === 29)) return null;
  if (month === 2 && day === 29)
    return { length: m[0].length, rule: `FREQ=YEARLY${interval(n)};BYMONTH=2;BYMONTHDAY=29` };
  return { length: m[0].length, rule: null, problem: `"${m[0].trim()}" is a date no year has` };
}

const ADVERB_UNITS: Record<string, string> = {
  daily: 'day',
  weekly: 'week',
  fortnightly: '2 weeks',
  monthly: 'month',
  yearly: 'year',
  annually: 'year',
};

/** The largest INTERVAL quick add writes (actors/recurrence accepts 1–1000). */
export const MAX_INTERVAL = 1000;

/** "<days> of every|each [N] month[s]": the days come before the phrase (see the module comment). */
const DAYS_OF_EVERY_MONTH = new RegExp(
  `(?<![\\w!#@])(?:on\\s+)?(?:the\\s+)?(?:(?<nth>${ORDINAL_WORD})\\s+(?<day>${DAY})|(?<days>${MONTH_DAY_LIST})|(?<alone>${ORDINAL_WORD}))\\s+of\\s+(?:every|each)(?<bang>!?)\\s+(?:(?<n>${NUMBER})\\s+)?months?\\b`,
  'gi',
);

/**
 * What may follow a list of weekdays written with spaces alone ("every mon wed fri"): the end, punctuation,
 * a time, a tag, or a word of the phrase. Anything else means the last day word was the title's ("every
 * tuesday sun salutations": "sun" is not Sunday).
 */
const AFTER_DAYS =
  /^(?:\s*$|\s*[,.;:!?)]|\s+(?:at|on|from|until|till|through|thru|starting|beginning|ending|every|for|and|in|by|before|after|morning|afternoon|evening|night|noon|midday|tonight|\d|[!#@]))/i;
/** A match ending in a day word joined to the day word before by spaces alone: group 1 is that last one. */
const SPACE_JOINED_LAST_DAY = new RegExp(`\\b${DAY}\\s+(${DAY})$`, 'i');

/**
 * The first "every …" phrase (or `daily`, `weekly`, …) in `text`, with the RRULE it means, or null.
 * Word boundaries are respected (`everyone` and `dailyness` are not phrases). An INTERVAL above
 * MAX_INTERVAL or a month day above 31 makes the phrase unrecognised (it stays in the title).
 */
export function findRepeat(text: string): RepeatMatch | null {
  for (const m of text.matchAll(DAYS_OF_EVERY_MONTH)) {
    const g = m.groups ?? {};
    const n = g.n ? numberOf(g.n) : 1;
    // An ordinal alone before "of every month" is a day of the month: "the first of every month".
    const alone = g.alone ? ordinalOf(g.alone) : undefined;
    const rule =
      alone !== undefined ? `FREQ=MONTHLY${interval(n)};BYMONTHDAY=${alone}` : monthly(n, g.days, g.nth, g.day);
    if (rule === null || n < 1 || n > MAX_INTERVAL) continue;
    let end = m.index + m[0].length;
    const completion = COMPLETION_RE.exec(text.slice(end));
    if (completion) end += completion[0].length;
    return { start: m.index, end, rule, mode: g.bang || completion ? 'after_completion' : 'calendar' };
  }
  for (const m of text.matchAll(
    /(?<![\w!#@])(?:(every)(!?)|(daily|weekly|fortnightly|monthly|yearly|annually)|(?:on\s+)?(weekdays|weekends)(?=\s*$|\s*[,.;!]|\s+(?:at|from|until|starting|\d)))(?=[\s!,.]|$)/gi,
  )) {
    const at = m.index;
    // An adverb ("weekly"), or "weekdays"/"weekends" (only where a time or the end follows: "plan weekends away" is a title).
    const adverb = m[3] ?? m[4];
    const mode: RepeatMode = m[2] ? 'after_completion' : 'calendar';
    // An adverb reads as "every <unit>" ("monthly on the 1st" = "every month on the 1st"): the forms
    // below see the unit followed by the rest of the text; `shift` maps their length back.
    // "every 3rd month" is every 3 months (as "every 2nd week", "every 3rd day"), not the 3rd of each: the
    // ordinal's suffix is read as spaces, so the forms below see "every 3   month" at the same length.
    let rest = text
      .slice(at + m[0].length)
      .replace(
        /^(\s*\d{1,4})(st|nd|rd|th)(?=\s+(?:days?|weeks?|months?|years?)\b)/i,
        (_, n: string, suffix: string) => `${n}${' '.repeat(suffix.length)}`,
      );
    let lead = /^\s+/.exec(rest)?.[0].length ?? 0;
    let shift = 0;
    if (adverb) {
      const unit = ADVERB_UNITS[adverb.toLowerCase()];
      const tail = unit !== undefined && /^\s+on\s/i.test(rest) ? rest : '';
      rest = ` ${unit ?? 'day'}${tail}`;
      lead = 1;
      shift = -(unit ?? 'day').length;
      if (tail === '') {
        // A later "every …" phrase says more ("Weekly review every sunday"): this word is the title's.
        const after = at + m[0].length;
        const later = findRepeat(text.slice(after));
        if (later) return { ...later, start: later.start + after, end: later.end + after };
        const completion = COMPLETION_RE.exec(text.slice(at + m[0].length));
        return {
          start: at,
          end: at + m[0].length + (completion?.[0].length ?? 0),
          rule: ADVERBS[adverb.toLowerCase()] ?? 'FREQ=DAILY',
          mode: completion ? 'after_completion' : 'calendar',
        };
      }
    }
    if (lead === 0) continue;
    const body = rest.slice(lead);
    if (!adverb && DAYPART.exec(body)) return { start: at, end: at + m[0].length, rule: 'FREQ=DAILY', mode };
    const leap = adverb ? null : yearDay(body);
    if (leap) {
      let end = at + m[0].length + lead + leap.length;
      const completion = COMPLETION_RE.exec(text.slice(end));
      if (completion) end += completion[0].length;
      const found = { start: at, end, rule: leap.rule ?? 'FREQ=YEARLY', mode: completion ? 'after_completion' : mode };
      return leap.problem === undefined ? found : { ...found, problem: leap.problem };
    }
    if (!adverb && YEARLY_DATE.exec(body)) return { start: at, end: at + m[0].length, rule: 'FREQ=YEARLY', mode };
    for (const form of FORMS) {
      let f = form.re.exec(body);
      // A weekday list joined by spaces alone ends where a title word begins: its last day word is given
      // back while what follows is not part of a phrase ("every tuesday sun salutations" is Tuesdays).
      for (let last = f && SPACE_JOINED_LAST_DAY.exec(f[0]); f && last && !AFTER_DAYS.test(body.slice(f[0].length)); ) {
        f = form.re.exec(body.slice(0, f[0].length - (last[1]?.length ?? 0)).trimEnd());
        last = f && SPACE_JOINED_LAST_DAY.exec(f[0]);
      }
      if (!f) continue;
      const rule = form.rule(f);
      const n = /INTERVAL=(\d+)/.exec(rule ?? '');
      if (rule === null || (n && (Number(n[1]) > MAX_INTERVAL || Number(n[1]) < 1))) break;
      let end = at + m[0].length + (adverb ? 0 : lead) + f[0].length + shift;
      const completion = COMPLETION_RE.exec(text.slice(end));
      if (completion) end += completion[0].length;
      return { start: at, end, rule, mode: completion ? 'after_completion' : mode };
    }
  }
  return null;
}

/**
 * A day counted among the month's weekdays, workdays or weekend days ("every last weekday of the month",
 * "on the first workday of every month", "the 2nd business day"): its span in `text`, or null. RFC 5545
 * says it with BYSETPOS (BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1), which the API does not take: the caller says
 * so. Read as anything else it meant another day: a monthly rule on today's date, or chrono's "last
 * Wednesday" as the due date.
 */
export function findCountedWeekday(text: string): { start: number; end: number } | null {
  const day = `(?:the\\s+)?${ORDINAL_WORD}\\s+(?:week|work|business|weekend)[\\s-]?days?\\b`;
  const m = new RegExp(
    // every [N|other] [month(s) on] <day> [of the month] | [on] <day> of every month | monthly on <day>
    `(?<![\\w!#@])(?:(?:every|each)\\s+(?:(?:\\d{1,3}|other)\\s+)?(?:months?\\s+on\\s+)?${day}(?:\\s+(?:of|in)\\s+(?:the|every|each|a)\\s+month\\b)?|(?:on\\s+)?${day}\\s+(?:of|in)\\s+(?:every|each)\\s+month\\b|monthly\\s+on\\s+${day})`,
    'i',
  ).exec(text);
  return m ? { start: m.index, end: m.index + m[0].length } : null;
}

/** The most occurrences `N times` asks for (COUNT, as the API takes it). */
export const MAX_COUNT = 10_000;

/**
 * `N times` / `for N times` (COUNT, RFC 5545 §3.3.10) in `text`: its span and N, or null. N may be outside
 * 1–MAX_COUNT: the caller says so rather than leave the phrase in the title.
 */
export function findCount(text: string): { start: number; end: number; count: number } | null {
  const m = /(?<![\w])(?:for\s+)?(\d+)\s+times\b/i.exec(text);
  if (!m) return null;
  return { start: m.index, end: m.index + m[0].length, count: Number(m[1]) };
}

/** The rule with its end: `;COUNT=n`, or `;UNTIL=YYYYMMDD` (a DATE: through the end of that local day). */
export function withEnd(rule: string, end: { count?: number; until?: string }): string {
  if (end.count !== undefined) return `${rule};COUNT=${end.count}`;
  if (end.until !== undefined) return `${rule};UNTIL=${end.until.replaceAll('-', '')}`;
  return rule;
}
