// The calendar feed's body: a user's open tasks as one iCalendar object (RFC 5545), one VTODO per task. Pure:
// no I/O, no clock; the same tasks give the same bytes (so the route's ETag is the body's hash).
//
// Serialisation is ical.js' (ICAL.Component → text): it escapes TEXT values (§3.3.11), joins multi-valued
// properties, writes CRLF and folds long lines by UTF-8 octets (§3.1). Its fold length counts the first line
// only, so a continuation line (a space plus the octets) would be one octet over 75: it is set to 74 below.
// VTIMEZONE blocks come from timezones-ical-library (IANA tzdata compiled to VTIMEZONE with the zone's current
// rules as yearly RRULEs). Its tzdata is not the engine's (Intl's, which every instant of the API comes from:
// host/tzdata/) and its blocks hold one set of rules for all time, so a block is used only for times from
// ZONE_CHECK_YEARS on and where it reads times as the engine does there (`agrees`, `readsBack`). Where it does
// not (Africa/Casablanca's and America/Vancouver's, Edmonton's and Winnipeg's hold their rules from 2026 on for
// all those years, where the engine has the old ones before; Asia/Jerusalem's, America/Santiago's,
// Africa/Cairo's rules), the
// zone gets a VTIMEZONE built from the engine's own offsets (`engineBlock`), checked the same way; only where
// that fails too, or for times before those years, is a time written in UTC (a series without its RRULE: see
// `todoOf`).
//
// Mapping (RFC 5545 names):
// - UID `<task id>@tasklane`; DTSTAMP, LAST-MODIFIED = updated_at (§3.8.7.2: without METHOD, DTSTAMP is the
//   last revision); CREATED; SUMMARY = title; DESCRIPTION; STATUS:NEEDS-ACTION (only open tasks are listed).
// - DUE;TZID=<zone>:<wall-clock> in the task's zone (its own, else the user's); the VTIMEZONE of every TZID used
//   is in the calendar. All-day tasks (`due_day`, actors/task/all-day.ts): DUE;VALUE=DATE:<due_day>, a floating
//   date (§3.3.4) with no TZID, as the task's date is one in its zone.
// - PRIORITY (§3.8.1.9: 1 highest … 9 lowest, 0 undefined): ours 1 → 1, 2 → 5, 3 → 9; 4 ("none") is left out.
// - CATEGORIES: the names of the task's labels.
// - A series (a task with a recurrence_rule) is one VTODO whose RRULE describes the occurrences not spawned yet:
//   DTSTART and DUE are its next occurrence's wall-clock time (so the spawned instances, which are open tasks
//   of their own in the feed, are not listed twice; DTSTART is what RRULE expands from, §3.8.5.3, and DUE is
//   equal to it, where §3.8.2.3 would have it later: an occurrence has no duration), COUNT is reduced by the
//   occurrences before it (within a FeedBudget; past it the series keeps only DUE, no RRULE), and an
//   UNTIL given as a date becomes the UTC instant that ends that local day (§3.3.10: with a zoned DTSTART,
//   UNTIL MUST be UTC). A series that has ended (no next occurrence) has no VTODO; its instances still do.
// - An all-day series: DTSTART;VALUE=DATE and DUE;VALUE=DATE on its next occurrence's local date, and UNTIL as
//   a DATE (§3.3.10: UNTIL has DTSTART's value type; an instant UNTIL becomes its local date in the zone, the
//   last day whose start it does not precede).
// - A repeat-after-completion series (`recurrence_mode: after_completion`) has no calendar to publish: no RRULE,
//   its next occurrence as DUE only. While it waits for a completion (`next_occurrence` null) it has no VTODO;
//   its open instance is a task of its own in the feed.
// - VALARM (ACTION:DISPLAY, DESCRIPTION = title) per pending reminder (not fired, not cancelled): a series'
//   template reminder as TRIGGER;RELATED=END:-<offset> (before each occurrence's DUE), every other one as
//   TRIGGER;VALUE=DATE-TIME:<remind_at UTC> (the instant it fires, snoozes included). A series' template day
//   reminder ("N days before at HH:MM") is relative to the DUE date's start (§3.8.6.3, RELATED=END): the
//   duration from 00:00 of the day to HH:MM N days earlier, e.g. -PT15H for 09:00 the day before, PT9H for
//   09:00 on the day. DUE is a floating date, so the trigger is floating too: read as floating (zone-less)
//   time it lands on that wall-clock time in whatever zone the calendar app shows. RFC 5545 has no trigger at
//   a time of day, and its hours are exact (§3.3.6): a client that adds them to midnight in its own zone is an
//   hour off on the day the clocks change (an outside pass found it; the README says so).
import ICAL from 'ical.js';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import { DateTime } from 'luxon';
import type { TaskState } from '../../actors/task/index.ts';
import { seriesStart } from '../../actors/task/index.ts';
import { ianaZone } from '../../actors/zone.ts';
import {
  formatRule,
  localToInstant,
  occurrences,
  parseRule,
  parseStart,
  RecurrenceError,
  type RecurrenceUntil,
  type WallClock,
} from '../../actors/recurrence/index.ts';

ICAL.foldLength = 74;

/** The domain of every UID (RFC 5545 §3.8.4.7 recommends `<unique>@<domain>`). */
export const UID_DOMAIN = 'tasklane';
/** PRODID of the calendar (§3.7.3). */
export const PRODID = '-//tasklane//calendar feed//EN';

/** Our priority (1 highest … 4 none) → RFC 5545 PRIORITY; none is left out. */
const PRIORITY: Record<number, number> = { 1: 1, 2: 5, 3: 9 };

/** A task as the feed reads it: its state (an all-day one has `due_day`; a series has `recurrence_mode`). */
export type FeedTask = TaskState;

export interface FeedInput {
  /** X-WR-CALNAME. */
  name: string;
  /** The user's zone: tasks without their own zone are in it; also X-WR-TIMEZONE. */
  userZone: string;
  /** Open tasks (not completed, not deleted), in the order they are to appear. */
  tasks: readonly FeedTask[];
  /** Label id → name, for CATEGORIES; ids not in it are left out. */
  labelNames: ReadonlyMap<string, string>;
}

/** What the feed says about one zone: the TZID to write and its VTIMEZONE, or null for "write in UTC". */
interface ZoneBlock {
  tzid: string;
  vtimezone: string;
}

const blocks = new Map<string, ZoneBlock | null>();
/**
 * TZID → VTIMEZONE of every block zoneBlock gave out. A zone's TZID need not be its name (a link such as
 * Etc/GMT+0 has TZID Etc/GMT, which zoneBlock itself writes in UTC), so the calendar's VTIMEZONEs are looked
 * up here, by the TZIDs its properties carry, never by asking zoneBlock again.
 */
const vtimezones = new Map<string, string>();
/** Block → its VTIMEZONE as ical.js reads it, to check it against the engine (a TZID may have two: the library's, the engine's). */
const icalZones = new WeakMap<ZoneBlock, ICAL.Timezone>();

function icalZone(block: ZoneBlock): ICAL.Timezone {
  let tz = icalZones.get(block);
  if (!tz) {
    tz = new ICAL.Timezone(ICAL.Component.fromString(block.vtimezone));
    icalZones.set(block, tz);
  }
  return tz;
}

/**
 * Whether the block reads the engine's wall-clock time at epoch ms `at` back as `at`, the way a client reads a
 * time with this TZID; true (nothing to check) when that wall time is ambiguous (a repeated hour: RFC 5545
 * §3.3.5 reads the first pass, ical.js the second; `dueOf` writes a second pass in UTC). Offsets computed
 * from UTC by ical.js (`convertToZone`) shift its transitions by an hour, so they are not compared.
 */
function readsAt(block: ZoneBlock, zone: string, at: number): boolean {
  const wall = wallOf(at, zone);
  if (localToInstant(wall, zone, 0).getTime() !== localToInstant(wall, zone, 1).getTime()) return true;
  const read = new ICAL.Time({ ...wall, isDate: false }, icalZone(block)).toUnixTime();
  return read === Math.floor(at / 1000);
}

/**
 * The years over which a zone's VTIMEZONE is compared with the engine, [from, to): where both describe the
 * zone's present rules (the library's blocks were built in 2026 from them). A time before them is written in
 * UTC (the blocks hold today's rules, not a zone's history); after them both extend today's rules, so a zone
 * that agrees here agrees there. A fixed window, so the same tasks give the same feed whenever it is read.
 */
export const ZONE_CHECK_YEARS = { from: 2025, to: 2031 } as const;
const CHECK_FROM = Date.UTC(ZONE_CHECK_YEARS.from, 0, 1);
const CHECK_TO = Date.UTC(ZONE_CHECK_YEARS.to, 0, 1);
/**
 * Zones one feed may compare for the first time (about 15 ms of one core each; the answer is kept for the
 * process). Past that, a zone not compared yet has its times written in UTC (exact, only plainer) and the
 * feed says it was simplified: a user with tasks in hundreds of zones cannot make one fetch cost seconds.
 */
export const MAX_ZONE_CHECKS = 20;
/** Block → whether it reads times as the engine does (see `agrees`); a block per zone and source, kept for the process. */
const agreement = new WeakMap<ZoneBlock, boolean>();

/**
 * The instants (epoch ms, found to the minute) in [from, to) at which `zone`'s UTC offset changes, by the engine
 * (Node's Intl via luxon), each with the offsets (minutes) before and after: the offset sampled weekly, and each
 * change found by halving.
 */
function transitionsOf(zone: string, from: number, to: number): { at: number; from: number; to: number }[] {
  const engine = (at: number) => DateTime.fromMillis(at, { zone }).offset;
  const MINUTE = 60_000;
  const WEEK = 7 * 24 * 60 * MINUTE;
  const found: { at: number; from: number; to: number }[] = [];
  for (let week = from; week < to; week += WEEK) {
    const next = Math.min(week + WEEK, to);
    if (engine(week) === engine(next)) continue;
    let [lo, hi] = [week, next];
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (engine(mid) === engine(week)) lo = mid;
      else hi = mid;
    }
    found.push({ at: hi, from: engine(lo), to: engine(hi) });
  }
  return found;
}

/**
 * Whether the block reads wall-clock times in ZONE_CHECK_YEARS as the engine does (`readsAt`): the engine's
 * offset sampled weekly, and, around each change of it (found to the minute), the block read a minute and an
 * hour on either side; the block read monthly besides. Kept per zone; computed only within `budget`.
 */
function agrees(block: ZoneBlock, zone: string, budget: FeedBudget): boolean {
  const known = agreement.get(block);
  if (known !== undefined) return known;
  if (budget.zoneChecks <= 0) return false;
  budget.zoneChecks -= 1;
  const name = ianaZone(zone)?.name ?? zone;
  const same = (at: number) => readsAt(block, name, at);
  const MINUTE = 60_000;
  let ok = transitionsOf(name, CHECK_FROM, CHECK_TO).every(({ at }) =>
    [at - 61 * MINUTE, at - MINUTE, at, at + 60 * MINUTE].every(same),
  );
  for (let month = 0; ok && Date.UTC(ZONE_CHECK_YEARS.from, month, 15) < CHECK_TO; month++)
    ok = same(Date.UTC(ZONE_CHECK_YEARS.from, month, 15));
  agreement.set(block, ok);
  return ok;
}

/**
 * True when a client reading `instant` (ISO)'s wall-clock time in the zone's block (`zoneBlock`, which agrees
 * with the engine over ZONE_CHECK_YEARS) meets `instant`: the instant is not before those years.
 */
function readsBack(instant: string): boolean {
  return Date.parse(instant) >= CHECK_FROM;
}
/** The names the library has a VTIMEZONE for (zones and links); asked first, since it logs about any other. */
const KNOWN = new Set(tzlib_get_timezones() as string[]);

/** UTC and the IANA names that are UTC at every instant (Etc/UTC, GMT0, Zulu, …): written as UTC times (§3.3.5 form #2). */
const UTC_NAMES = /^(?:Etc\/)?(?:UTC|UCT|Zulu|Universal|Greenwich|GMT(?:[+-]?0)?)$/;

/** Whether `zone` is UTC under one of its names: its wall clock is the UTC one, so a rule expands in UTC exactly. */
const isUtc = (zone: string): boolean => UTC_NAMES.test(ianaZone(zone)?.name ?? zone);

/** The library's VTIMEZONE for an IANA name (a backward link gives its target's TZID, e.g. Asia/Calcutta → Asia/Kolkata). */
function libraryBlock(name: string): ZoneBlock | null {
  if (!KNOWN.has(name)) return null;
  const found = tzlib_get_ical_block(name);
  const text = Array.isArray(found) ? found[0] : undefined;
  const tzid = text ? /^TZID:(.+)$/m.exec(text)?.[1]?.trim() : undefined;
  return text && tzid ? { tzid, vtimezone: text } : null;
}

/** Up to when (exclusive, epoch ms) an engine-built VTIMEZONE lists the zone's changes: past it, its last offset stays. */
export const ENGINE_ZONE_TO = Date.UTC(2061, 0, 1);
/**
 * From when an engine-built VTIMEZONE lists them: two years before ZONE_CHECK_YEARS, since ical.js misreads
 * times around the first onsets of a VTIMEZONE (in March of its first year it read a whole month an hour or two
 * off); from the second year on it reads them as written. Times before ZONE_CHECK_YEARS are written in UTC anyway.
 */
const ENGINE_ZONE_FROM = Date.UTC(ZONE_CHECK_YEARS.from - 2, 0, 1);

/**
 * A VTIMEZONE built from the engine's own offsets (Intl's: every instant of the API comes from it), for a
 * zone whose library block reads times otherwise: each change of offset from ENGINE_ZONE_FROM to
 * ENGINE_ZONE_TO an onset of its own (§3.6.5: DTSTART and RDATEs in the local time before the change, the
 * offsets before and after), grouped by offsets, after a STANDARD that holds from the start. Zones whose rules
 * the library's blocks cannot say (America/Vancouver's summer time until 2026, Asia/Jerusalem's Friday before
 * the last Sunday, Africa/Casablanca's Ramadan, America/Santiago, Africa/Cairo) thus keep their TZID and
 * their series their RRULE, where the feed used to fall back to UTC and a single occurrence.
 */
function engineBlock(name: string): ZoneBlock | null {
  if (ianaZone(name) === null) return null;
  const offset = (minutes: number) => {
    const sign = minutes < 0 ? '-' : '+';
    const m = Math.abs(minutes);
    return `${sign}${pad(Math.floor(m / 60))}${pad(m % 60)}`;
  };
  const local = (at: number, minutes: number) => {
    const d = new Date(at + minutes * 60_000);
    return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  };
  const first = DateTime.fromMillis(ENGINE_ZONE_FROM, { zone: name }).offset;
  const lines = [
    'BEGIN:VTIMEZONE',
    `TZID:${name}`,
    'BEGIN:STANDARD',
    `DTSTART:${local(ENGINE_ZONE_FROM, first)}`,
    `TZOFFSETFROM:${offset(first)}`,
    `TZOFFSETTO:${offset(first)}`,
    'END:STANDARD',
  ];
  const groups = new Map<string, { from: number; to: number; onsets: number[] }>();
  for (const t of transitionsOf(name, ENGINE_ZONE_FROM, ENGINE_ZONE_TO)) {
    const key = `${t.from}/${t.to}`;
    const group = groups.get(key) ?? { from: t.from, to: t.to, onsets: [] };
    group.onsets.push(t.at);
    groups.set(key, group);
  }
  for (const g of groups.values()) {
    const kind = g.to > g.from ? 'DAYLIGHT' : 'STANDARD';
    const [start, ...more] = g.onsets.map((at) => local(at, g.from));
    lines.push(
      `BEGIN:${kind}`,
      `DTSTART:${start}`,
      // One RDATE a line: ical.js reads only the first value of a list (RFC 5545 allows either).
      ...more.map((at) => `RDATE:${at}`),
      `TZOFFSETFROM:${offset(g.from)}`,
      `TZOFFSETTO:${offset(g.to)}`,
      `END:${kind}`,
    );
  }
  lines.push('END:VTIMEZONE');
  return { tzid: name, vtimezone: ICAL.Component.fromString(lines.join(CRLF)).toString() };
}

/**
 * The VTIMEZONE the feed writes times of `zone` with: the library's where it reads them as the engine does
 * (`agrees`), else one built from the engine's offsets (`engineBlock`), checked the same way; null (times in UTC)
 * for UTC (`isUtc`), an unknown zone, or a zone not checked yet once `budget` has no checks left. A choice is
 * kept for the process; the calendar's VTIMEZONE for a TZID is the block chosen for it (`vtimezones`).
 */
function zoneBlock(zone: string, budget: FeedBudget): ZoneBlock | null {
  const name = ianaZone(zone)?.name ?? zone;
  if (blocks.has(name)) return blocks.get(name) ?? null;
  if (isUtc(name)) return null;
  if (budget.zoneChecks <= 0) return null;
  let block: ZoneBlock | null = null;
  const library = libraryBlock(name);
  if (library && agrees(library, name, budget)) block = library;
  else {
    const own = engineBlock(name);
    // Its own check is one more (a second zone's worth of work): a fresh budget allows it.
    if (own && agrees(own, name, { ...budget, zoneChecks: 1 })) block = own;
  }
  if (block) vtimezones.set(block.tzid, block.vtimezone);
  if (blocks.size < 1000) blocks.set(name, block);
  return block;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `time` written with a four-digit year. ical.js 2.2 serialises a Time through its ISO text, whose year it does
 * not pad, so a year before 1000 came out as `DUE:999-06-01T09:18:59` (RFC 5545 §3.3.4/§3.3.5 want
 * `09990601T091859`), which no parser reads, ical.js included: one such task (the API takes years 0001–9999)
 * made a whole feed unreadable. This Time's own text is padded; nothing else changes.
 */
function fourDigitYear(time: ICAL.Time): ICAL.Time {
  if (time.year >= 1000) return time;
  const iso = time.toString();
  time.toString = () => `${pad(time.year, 4)}${iso.slice(iso.indexOf('-'))}`;
  return time;
}

/** A wall-clock time as an ical.js floating DATE-TIME (its TZID parameter says where). */
function floating(w: WallClock): ICAL.Time {
  return fourDigitYear(
    ICAL.Time.fromData({
      year: w.year,
      month: w.month,
      day: w.day,
      hour: w.hour,
      minute: w.minute,
      second: w.second,
      isDate: false,
    }),
  );
}

const utcTime = (iso: string): ICAL.Time => fourDigitYear(ICAL.Time.fromJSDate(new Date(iso), true));

/** `instant` (ISO) as wall-clock time in `zone`. */
function wallOf(instant: string | number, zone: string): WallClock {
  const d = (typeof instant === 'number' ? DateTime.fromMillis(instant) : DateTime.fromISO(instant)).setZone(
    ianaZone(zone) ?? 'UTC',
  );
  return { year: d.year, month: d.month, day: d.day, hour: d.hour, minute: d.minute, second: d.second };
}

/** The local date (`YYYY-MM-DD`) of `instant` (ISO, or epoch ms) in `zone`. */
function dateOf(instant: string | number, zone: string): string {
  const w = wallOf(instant, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/**
 * Adds a DATE-TIME property at wall-clock `wall` in `zone` (TZID + VTIMEZONE), or as the UTC instant it is
 * (§3.3.5 form #2) when no TZID form says it: the zone has no VTIMEZONE, or its VTIMEZONE would not read
 * `wall` as `instant` (`readsBack`), or `instant` is the second pass of a repeated (fall-back) hour, which a
 * wall time with a TZID reads as the first pass, an hour early. Returns the TZID used, if any.
 */
function addZoned(
  c: ICAL.Component,
  name: string,
  instant: string,
  wall: WallClock,
  zone: string,
  budget: FeedBudget,
): string | null {
  const block = zoneBlock(zone, budget);
  // A wall time past year 9999 (an instant at the very end of the range, east of UTC) has no DATE-TIME form.
  if (!block || wall.year > 9999 || onSecondPass(instant, zone) || !readsBack(instant)) {
    c.addPropertyWithValue(name, utcTime(instant));
    return null;
  }
  c.addPropertyWithValue(name, floating(wall)).setParameter('tzid', block.tzid);
  return block.tzid;
}

/** A `YYYY-MM-DD` date as an ical.js DATE value (§3.3.4). */
function dateValue(day: string): ICAL.Time {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return fourDigitYear(ICAL.Time.fromData({ year, month, day: date, isDate: true }));
}

/**
 * True when `instant` is the later of two instants with the same wall-clock time in `zone` (a repeated hour): the
 * recurrence module's one test of that (parseStart's `at`, actors/recurrence/start.ts StartWall).
 */
function onSecondPass(instant: string, zone: string): boolean {
  try {
    return parseStart(new Date(instant), zone).at !== undefined;
  } catch (error) {
    // A zone the recurrence module does not know has no VTIMEZONE either: addZoned writes UTC.
    if (error instanceof RecurrenceError) return false;
    throw error;
  }
}

/**
 * DUE (§3.8.2.3) of a task that is not a series: `DUE;VALUE=DATE:<due_day>` for an all-day task (a floating
 * date, §3.3.4), a zoned DATE-TIME for every other one, except a due date on the second pass of a repeated
 * hour, or one the zone's VTIMEZONE would not read as its instant (`addZoned`), which is written in UTC.
 * Returns the TZID used, if any.
 */
function dueOf(c: ICAL.Component, task: FeedTask, zone: string, budget: FeedBudget): string | null {
  if (task.due_date === null) return null;
  if (task.due_day !== null) {
    c.addPropertyWithValue('due', dateValue(task.due_day));
    return null;
  }
  return addZoned(c, 'due', task.due_date, wallOf(task.due_date, zone), zone, budget);
}

/**
 * The wall-clock time of a series' next occurrence: the rule's own time of day (BYHOUR/BYMINUTE, else the
 * start's) on the occurrence's local date, so an occurrence moved forward by a DST gap keeps the wall-clock
 * time the rule gives it (and so every later one). Falls back to the instant's wall-clock time.
 */
function occurrenceWall(task: FeedTask, next: string, zone: string): WallClock {
  const at = Date.parse(next);
  const seen = wallOf(at, zone);
  const rule = parseRule(task.recurrence_rule ?? '');
  const start = parseStart(seriesStart(task, zone), zone);
  const hours = rule.byHour.length > 0 ? rule.byHour : [start.hour];
  const minutes = rule.byMinute.length > 0 ? rule.byMinute : [start.minute];
  for (const hour of hours)
    for (const minute of minutes) {
      const wall = { ...seen, hour, minute, second: start.second };
      if (localToInstant(wall, zone).getTime() === at) return wall;
    }
  return seen;
}

/**
 * Occurrences one feed may expand to reduce COUNTs (the only expansion the feed does): about 1 s of one core at
 * worst. A series met after the budget is spent is written without its RRULE (see `todoOf`).
 */
export const FEED_COUNT_BUDGET = 20_000;

/**
 * What one feed may still spend: occurrences to expand (`left`) and zones to compare for the first time
 * (`zoneChecks`, MAX_ZONE_CHECKS); and how many series it wrote without their RRULE (`simplified`: for want of
 * budget, or as their zone's VTIMEZONE could not carry it).
 */
export interface FeedBudget {
  left: number;
  zoneChecks: number;
  simplified: number;
}

/** A fresh FeedBudget for one feed. */
export const feedBudget = (): FeedBudget => ({ left: FEED_COUNT_BUDGET, zoneChecks: MAX_ZONE_CHECKS, simplified: 0 });

/**
 * How many occurrences of the series lie strictly before `next` (ISO), counted in pages of at most 1,000 taken
 * from `budget`; null when the budget ran out first.
 */
function occurrencesBefore(task: FeedTask, next: string, zone: string, budget: FeedBudget): number | null {
  const rule = task.recurrence_rule ?? '';
  const until = new Date(Date.parse(next) - 1);
  let seen = 0;
  let after: Date | undefined;
  for (;;) {
    if (budget.left <= 0) return null;
    const limit = Math.min(1000, budget.left);
    const page = occurrences(rule, seriesStart(task, zone), zone, { until, limit, ...(after ? { after } : {}) });
    budget.left -= page.length;
    seen += page.length;
    const last = page.at(-1);
    if (page.length < limit || !last) return seen;
    after = last;
  }
}

/**
 * The RRULE (§3.3.10) of a series from its next occurrence on, in canonical text (formatRule: the stored
 * rule may be written in any case, with spaces or `01MO`, as parseRule takes it): COUNT reduced by the
 * occurrences before `next`, and a DATE-form UNTIL made the UTC instant ending that local day (a DATE for
 * an all-day series). 'ended' when no occurrence remains (COUNT used up), 'over-budget' when counting them
 * would go over `budget`.
 */
function feedRule(task: FeedTask, next: string, zone: string, budget: FeedBudget): string | 'ended' | 'over-budget' {
  const allDay = task.due_day !== null;
  const rule = parseRule(task.recurrence_rule ?? '');
  let count: number | null = null;
  if (rule.count !== null) {
    const before = occurrencesBefore(task, next, zone, budget);
    if (before === null) return 'over-budget';
    count = rule.count - before;
    if (count <= 0) return 'ended';
  }
  let until: RecurrenceUntil | null = rule.until;
  if (until && allDay) {
    // A DATE DTSTART takes a DATE UNTIL: the written date, or the local date of an instant.
    if (until.kind === 'instant') {
      const [year, month, day] = dateOf(until.epochMs, zone).split('-').map(Number) as [number, number, number];
      until = { kind: 'date', year, month, day };
    }
  } else if (until?.kind === 'date') {
    const end = localToInstant(
      { year: until.year, month: until.month, day: until.day, hour: 23, minute: 59, second: 59 },
      zone,
    );
    until = { kind: 'instant', epochMs: end.getTime() };
  }
  return formatRule(rule, { count, until });
}

/**
 * The relative TRIGGER of a day reminder from the start of its DUE date: `at_time` (`HH:MM`) `days_before` days
 * earlier, as a signed duration (ical.js writes it in days, hours and minutes, §3.3.6).
 */
function dayTrigger(at_time: string, days_before: number): ICAL.Duration {
  const [hours, minutes] = at_time.split(':').map(Number) as [number, number];
  return ICAL.Duration.fromSeconds((hours * 60 + minutes - days_before * 24 * 60) * 60);
}

/** The VALARMs of the task's pending reminders (see the header). */
function alarmsOf(task: FeedTask, series: boolean): ICAL.Component[] {
  const out: ICAL.Component[] = [];
  for (const r of task.reminders) {
    if (r.notified || r.cancelled) continue;
    const alarm = new ICAL.Component('valarm');
    alarm.addPropertyWithValue('action', 'DISPLAY');
    alarm.addPropertyWithValue('description', task.title);
    if (r.remind_at !== null && !series) {
      alarm.addPropertyWithValue('trigger', utcTime(r.remind_at)); // ical.js writes VALUE=DATE-TIME itself
    } else if (r.offset !== null) {
      const before = ICAL.Duration.fromString(r.offset);
      before.isNegative = true;
      alarm.addPropertyWithValue('trigger', before).setParameter('related', 'END');
    } else if (r.at_time !== null && task.due_day !== null) {
      alarm.addPropertyWithValue('trigger', dayTrigger(r.at_time, r.days_before ?? 0)).setParameter('related', 'END');
    } else continue;
    out.push(alarm);
  }
  return out;
}

/**
 * One task's VTODO as text, and the TZIDs it uses; null for a series that has no occurrence left. A series whose
 * COUNT cannot be reduced within `budget` is written with its next occurrence as DUE and no RRULE, and counted in
 * `budget.simplified`.
 */
export function todoOf(
  task: FeedTask,
  userZone: string,
  labelNames: ReadonlyMap<string, string>,
  budget: FeedBudget = feedBudget(),
): { text: string; tzids: string[] } | null {
  const zone = task.timezone ?? userZone;
  const tzids: string[] = [];
  const used = (tzid: string | null) => {
    if (tzid !== null && !tzids.includes(tzid)) tzids.push(tzid);
  };
  const c = new ICAL.Component('vtodo');
  c.addPropertyWithValue('uid', `${task.id}@${UID_DOMAIN}`);
  c.addPropertyWithValue('dtstamp', utcTime(task.updated_at));
  c.addPropertyWithValue('created', utcTime(task.created_at));
  c.addPropertyWithValue('last-modified', utcTime(task.updated_at));
  c.addPropertyWithValue('summary', task.title);
  if (task.description) c.addPropertyWithValue('description', task.description);
  c.addPropertyWithValue('status', 'NEEDS-ACTION');
  const priority = PRIORITY[task.priority];
  if (priority !== undefined) c.addPropertyWithValue('priority', priority);
  const categories = task.labels.map((id) => labelNames.get(id)).filter((n): n is string => n !== undefined);
  if (categories.length > 0) {
    const p = new ICAL.Property('categories');
    p.setValues(categories);
    c.addProperty(p);
  }
  const series = task.is_recurring && task.recurrence_rule !== null;
  if (series) {
    const next = task.next_occurrence;
    if (next === null) return null;
    // After completion there is no calendar to publish: the next occurrence alone, as DUE.
    const rrule = task.recurrence_mode === 'after_completion' ? null : feedRule(task, next, zone, budget);
    if (rrule === 'ended') return null;
    if (rrule === 'over-budget') budget.simplified += 1;
    const ruleText = rrule === 'over-budget' ? null : rrule;
    let withRule = ruleText !== null;
    if (task.due_day !== null) {
      const day = dateValue(dateOf(next, zone));
      if (withRule) c.addPropertyWithValue('dtstart', day);
      c.addPropertyWithValue('due', day);
    } else {
      // A timed series' occurrences are the RRULE expanded in its zone's VTIMEZONE: one that does not give
      // the engine's offsets would move them, so such a series keeps its next occurrence only (in UTC). In
      // UTC (every user's zone until they choose one) the rule expands in UTC, as the engine expands it.
      const block = zoneBlock(zone, budget);
      // Its next occurrence on the second pass of a repeated hour has no TZID form (it reads as the first
      // pass, §3.3.5): the next occurrence alone, in UTC, until it has spawned.
      const second = onSecondPass(next, zone);
      if (withRule && (second || (!isUtc(zone) && !(block !== null && readsBack(next))))) {
        withRule = false;
        budget.simplified += 1;
      }
      const wall = occurrenceWall(task, next, zone);
      if (withRule) used(addZoned(c, 'dtstart', next, wall, zone, budget));
      used(addZoned(c, 'due', next, wall, zone, budget));
    }
    if (withRule && ruleText !== null) c.addPropertyWithValue('rrule', ICAL.Recur.fromString(ruleText));
  } else {
    used(dueOf(c, task, zone, budget));
  }
  for (const alarm of alarmsOf(task, series)) c.addSubcomponent(alarm);
  return { text: c.toString(), tzids };
}

const CRLF = '\r\n';

/** A TEXT property line of the calendar itself: escaped (§3.3.11) and folded by ical.js. */
function line(name: string, value: string): string {
  const escaped = value.replace(/[\\;,]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, '\\n');
  return ICAL.helpers.foldline(`${name}:${escaped}`);
}

/**
 * The most VTODO text one feed carries (UTF-8 bytes, 4 MiB): a task's text is under 1 KB as usual, but up to
 * about 60 KB with a 10,000-character description, so a count of tasks alone left a feed at 56 MB, seconds of
 * CPU a fetch, and a few fetches at once slowed every user (an outside attack pass). Calendar apps refuse far
 * smaller feeds anyway.
 */
export const MAX_FEED_BYTES = 4 * 1024 * 1024;

/**
 * Builds the whole feed one task at a time (so a caller can yield between tasks), within one FeedBudget:
 * VCALENDAR with PRODID, VERSION:2.0, CALSCALE, X-WR-CALNAME, X-WR-TIMEZONE, REFRESH-INTERVAL (RFC 7986), the
 * VTIMEZONE of every TZID used, then one VTODO per task that has one (see `todoOf`), in the order added; CRLF
 * line ends, folded.
 */
export class FeedWriter {
  readonly budget: FeedBudget = feedBudget();
  /** UTF-8 bytes of VTODO text written so far. */
  bytes = 0;
  private readonly todos: string[] = [];
  private readonly tzids = new Set<string>();

  constructor(
    private readonly input: Omit<FeedInput, 'tasks'>,
    private readonly maxBytes = MAX_FEED_BYTES,
  ) {}

  /** Writes the task's VTODO (none for a series with nothing left); false, writing nothing, when it would not fit in the feed's bytes. */
  add(task: FeedTask): boolean {
    const todo = todoOf(task, this.input.userZone, this.input.labelNames, this.budget);
    if (!todo) return true;
    const size = Buffer.byteLength(todo.text) + CRLF.length;
    if (this.bytes + size > this.maxBytes) return false;
    this.bytes += size;
    this.todos.push(todo.text);
    for (const id of todo.tzids) this.tzids.add(id);
    return true;
  }

  finish(): string {
    const zones = [...this.tzids].sort().map((tzid) => vtimezones.get(tzid) as string);
    const head = [
      'BEGIN:VCALENDAR',
      `PRODID:${PRODID}`,
      'VERSION:2.0',
      'CALSCALE:GREGORIAN',
      line('X-WR-CALNAME', this.input.name),
      line('X-WR-TIMEZONE', ianaZone(this.input.userZone)?.name ?? this.input.userZone),
      'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
      'X-PUBLISHED-TTL:PT1H',
    ];
    return [...head, ...zones, ...this.todos, 'END:VCALENDAR'].join(CRLF) + CRLF;
  }
}

/** The whole feed of `input.tasks` at once (FeedWriter without pauses). */
export function renderFeed(input: FeedInput): string {
  const writer = new FeedWriter(input);
  for (const task of input.tasks) writer.add(task);
  return writer.finish();
}
