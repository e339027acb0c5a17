// Repeat after completion against an independent oracle. A series in mode after_completion is created,
// spawns its first instance on its calendar, and then each instance is completed at a generated instant
// (late, on time, or early); every instance the decider spawns must be due where the oracle says:
//
//   D      = the completion instant's local date in the zone (Intl) at the series' time of day
//   next   = the first occurrence of rrule.js's expansion with DTSTART = D (COUNT left out, UNTIL kept)
//            whose instant is after D and after the instance spawned last
//   instant: the wall time read in the zone by Intl offsets (a time in a DST gap moves forward by the
//            gap, an ambiguous one takes the earlier instant: RFC 5545 §3.3.5 and errata 4271)
//   none   once COUNT instances were spawned, or no occurrence is left before UNTIL.
//
// Neither rrule.js nor Intl is used by actors/recurrence (its own expansion, luxon's offsets), so the two
// agree only when the semantics do. Zones and times of day are chosen around DST changes.
import test from 'ava';
import fc from 'fast-check';
import rrulePkg from 'rrule';
import type { Options as RRuleOptions } from 'rrule';
import { decide, evolve, type TaskState, type DecideContext } from '../../actors/task/index.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';

const { RRule } = rrulePkg;
const DAY_MS = 86_400_000;
const WEEKDAYS = [RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA, RRule.SU];
const WD = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'Australia/Lord_Howe',
  'Australia/Sydney',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'America/Santiago',
  'Pacific/Chatham',
  'America/St_Johns',
  'Pacific/Apia',
  'UTC',
];

// ------------------------------------------------------------------ the oracle's wall clock (Intl)
const formats = new Map<string, Intl.DateTimeFormat>();
function wallOf(epochMs: number, zone: string): number {
  let f = formats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value]));
  return Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
}
const offsetAt = (epochMs: number, zone: string): number => wallOf(epochMs, zone) - epochMs;

/** A floating wall time (`Date.UTC` of the wall fields) → its instant in `zone`. */
function instantOf(floating: number, zone: string): number {
  const before = floating - offsetAt(floating - DAY_MS, zone);
  const after = floating - offsetAt(floating + DAY_MS, zone);
  const valid = [before, after].filter((i) => wallOf(i, zone) === floating);
  if (valid.length > 0) return Math.min(...valid);
  return before; // in a gap: read with the offset before it, i.e. moved forward by the gap
}

interface Rule {
  text: string;
  options: Partial<RRuleOptions>;
  count: number | null;
  untilInstant: number | null;
  untilFloating: number | null;
}

function oracleNext(rule: Rule, timeOfDay: string, doneAt: number, floor: number, spawned: number, zone: string) {
  if (rule.count !== null && spawned >= rule.count) return null;
  const day = new Date(wallOf(doneAt, zone));
  const [h, m] = timeOfDay.split(':').map(Number) as [number, number];
  const d = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), h, m, 0);
  const from = Math.max(instantOf(d, zone), floor);
  let best: number | null = null;
  new RRule({ ...rule.options, dtstart: new Date(d) }, true).all((f, i) => {
    const floating = f.getTime();
    if (rule.untilFloating !== null && floating > rule.untilFloating) return false;
    if (best !== null && floating > best + 2 * DAY_MS + 14 * 3_600_000) return false; // settled
    if (i > 20_000) return false;
    const instant = instantOf(floating, zone);
    if (rule.untilInstant !== null && instant > rule.untilInstant) return true;
    if (instant > from && (best === null || instant < best)) best = instant;
    return true;
  });
  return best === null ? null : new Date(best).toISOString();
}

// ------------------------------------------------------------------ generators
const ruleArb: fc.Arbitrary<Rule> = fc
  .record({
    freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'),
    interval: fc.constantFrom(1, 1, 2, 3, 5, 14),
    days: fc.subarray([...WD], { minLength: 0, maxLength: 3 }),
    wkst: fc.constantFrom(...WD),
    end: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.integer({ min: 1, max: 4 }).map((n) => ({ kind: 'count' as const, n })),
      fc.integer({ min: 0, max: 400 }).map((days) => ({ kind: 'date' as const, days })),
      fc.integer({ min: 0, max: 400 * 24 }).map((hours) => ({ kind: 'instant' as const, hours })),
    ),
  })
  .map((r) => {
    const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`, `WKST=${r.wkst}`];
    const options: Partial<RRuleOptions> = {
      freq: { DAILY: RRule.DAILY, WEEKLY: RRule.WEEKLY, MONTHLY: RRule.MONTHLY, YEARLY: RRule.YEARLY }[r.freq],
      interval: r.interval,
      wkst: WD.indexOf(r.wkst),
    };
    if (r.freq === 'WEEKLY' && r.days.length > 0) {
      parts.push(`BYDAY=${r.days.join(',')}`);
      options.byweekday = r.days.map((d) => WEEKDAYS[WD.indexOf(d)] as (typeof WEEKDAYS)[number]);
    }
    const base = Date.UTC(2026, 0, 1);
    let count: number | null = null;
    let untilInstant: number | null = null;
    let untilFloating: number | null = null;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    if (r.end.kind === 'count') {
      count = r.end.n;
      parts.push(`COUNT=${count}`);
    } else if (r.end.kind === 'date') {
      const u = new Date(base + r.end.days * DAY_MS);
      parts.push(`UNTIL=${u.getUTCFullYear()}${pad(u.getUTCMonth() + 1)}${pad(u.getUTCDate())}`);
      untilFloating = u.getTime() + DAY_MS - 1000; // up to the end of that local day
    } else if (r.end.kind === 'instant') {
      const u = new Date(base + r.end.hours * 3_600_000);
      parts.push(`UNTIL=${u.toISOString().replace(/[-:]/g, '').replace('.000', '')}`);
      untilInstant = u.getTime();
    }
    return { text: parts.join(';'), options, count, untilInstant, untilFloating };
  });

// A start in 2026 at a time of day that sits in or next to DST changes in some zone.
const startArb = fc
  .record({
    day: fc.integer({ min: 0, max: 364 }),
    time: fc.constantFrom('00:00', '00:30', '01:30', '02:00', '02:30', '03:00', '09:00', '23:30'),
  })
  .map(({ day, time }) => `${new Date(Date.UTC(2026, 0, 1) + day * DAY_MS).toISOString().slice(0, 10)}T${time}`);

// Completion times relative to the open instance's due time: early (negative), on time, late; to the minute.
// Or at an instant within three days of a 2026 DST change of one of the zones, so that the next due
// time often lands on the day of a change.
const CHANGES = [
  '2026-03-08',
  '2026-03-29',
  '2026-04-05',
  '2026-09-06',
  '2026-09-27',
  '2026-10-04',
  '2026-10-25',
  '2026-11-01',
];
type Completion = { relative: number } | { near: string; minutes: number };
const completionArb = fc.array(
  fc.oneof(
    fc.integer({ min: -5 * 24 * 60, max: 120 * 24 * 60 }).map((relative): Completion => ({ relative })),
    fc.record({ near: fc.constantFrom(...CHANGES), minutes: fc.integer({ min: -72 * 60, max: 72 * 60 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

interface Scenario {
  rule: Rule;
  start: string;
  zone: string;
  completions: Completion[];
}
const anyScenario: fc.Arbitrary<Scenario> = fc.record({
  rule: ruleArb,
  start: startArb,
  zone: fc.constantFrom(...ZONES),
  completions: completionArb,
});
// A zone, a time of day in its spring-forward gap (or its fall-back overlap) and the day of that change:
// completed within three days before it, a daily or weekly series' next due time often falls on it.
const CHANGE_DAYS: readonly [string, string, string][] = [
  ['America/New_York', '02:30', '2026-03-08'],
  ['America/New_York', '01:30', '2026-11-01'],
  ['Europe/Berlin', '02:30', '2026-03-29'],
  ['Europe/Berlin', '02:30', '2026-10-25'],
  ['Europe/London', '01:30', '2026-03-29'],
  ['Australia/Lord_Howe', '02:00', '2026-10-04'],
  ['Australia/Sydney', '02:30', '2026-10-04'],
  ['Pacific/Chatham', '03:00', '2026-09-27'],
  ['America/Santiago', '00:00', '2026-09-06'],
  ['America/St_Johns', '02:30', '2026-03-08'],
];
const dstScenario: fc.Arbitrary<Scenario> = fc
  .record({
    change: fc.constantFrom(...CHANGE_DAYS),
    rule: ruleArb.filter((r) => /FREQ=(DAILY|WEEKLY);INTERVAL=[123];/.test(r.text)),
    minutes: fc.array(fc.integer({ min: -72 * 60, max: 0 }), { minLength: 1, maxLength: 3 }),
  })
  .map(({ change: [zone, time, day], rule, minutes }) => ({
    rule,
    zone,
    start: `2026-01-05T${time}`,
    completions: minutes.map((m): Completion => ({ near: day, minutes: m })),
  }));

// ------------------------------------------------------------------ running the decider
function runner(zone: string) {
  let seq = 0;
  let n = 0;
  const versions = new Map<string, number>();
  const states = new Map<string, TaskState | null>();
  const ctx = (now: number, series?: TaskState): DecideContext => ({
    now: new Date(now),
    userId: 'u1',
    userTimezone: zone,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...(series ? { series } : {}),
  });
  const apply = (pending: PendingEvent[], now: number): EventEnvelope[] =>
    pending.map((p) => {
      const version = (versions.get(p.aggregate_id) ?? 0) + 1;
      versions.set(p.aggregate_id, version);
      const e: EventEnvelope = {
        ...p,
        event_id: `e${++seq}`,
        user_id: 'u1',
        version,
        seq,
        timestamp: new Date(now).toISOString(),
        correlation_id: 'c',
        causation_id: null,
      };
      states.set(e.aggregate_id, evolve(states.get(e.aggregate_id) ?? null, e));
      return e;
    });
  return { ctx, apply, states };
}

const SERIES = '22222222-2222-4222-8222-222222222222';

test('property: each instance an after-completion series spawns is due where the rrule.js + Intl oracle says', (t) => {
  let compared = 0;
  let ended = 0;
  let shifted = 0;
  const result = fc.check(
    fc.property(fc.oneof(anyScenario, dstScenario), ({ rule, start, zone, completions }) => {
      const { ctx, apply, states } = runner(zone);
      const created = Date.parse('2025-12-01T00:00:00Z');
      apply(
        decide(
          {
            type: 'create',
            id: SERIES,
            data: {
              title: 'water the plants',
              due_date: start,
              recurrence_rule: rule.text,
              recurrence_mode: 'after_completion',
              timezone: zone,
            },
          },
          null,
          ctx(created),
        ),
        created,
      );
      const first = states.get(SERIES)?.next_occurrence;
      if (first === null || first === undefined) return true; // UNTIL before the start: nothing ever spawns
      // The first instance spawns on the calendar (at the latest at its due time).
      const spawnedFirst = apply(
        decide({ type: 'spawn' }, states.get(SERIES) ?? null, ctx(Date.parse(first))),
        Date.parse(first),
      );
      let open = spawnedFirst.find((e) => e.event_type === 'recurring.spawned')?.data.instance_id as string | undefined;
      if (open === undefined) return false;
      const timeOfDay = start.slice(11, 16);
      for (const completion of completions) {
        const instance = states.get(open) as TaskState;
        const series = states.get(SERIES) as TaskState;
        const doneAt = Math.max(
          created,
          'relative' in completion
            ? Date.parse(instance.due_date as string) + completion.relative * 60_000
            : Date.parse(`${completion.near}T12:00:00Z`) + completion.minutes * 60_000,
        );
        const expected = oracleNext(
          rule,
          timeOfDay,
          doneAt,
          Date.parse(instance.due_date as string),
          series.spawn_count,
          zone,
        );
        const events = apply(decide({ type: 'complete' }, instance, ctx(doneAt, series)), doneAt);
        const spawned = events.find((e) => e.event_type === 'recurring.spawned');
        const got = (spawned?.data.occurrence_at as string | undefined) ?? null;
        if (got !== expected) {
          t.log({ rule: rule.text, start, zone, doneAt: new Date(doneAt).toISOString(), got, expected });
          return false;
        }
        compared++;
        if (got !== null && new Date(wallOf(Date.parse(got), zone)).toISOString().slice(11, 16) !== timeOfDay)
          shifted++;
        if (got === null) {
          ended++;
          return true;
        }
        // The new instance is due where it says, open, and the series waits for it.
        const next = states.get(spawned?.data.instance_id as string) as TaskState;
        if (next.due_date !== got || next.completed || states.get(SERIES)?.next_occurrence !== null) return false;
        open = next.id;
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? 'property failed');
  t.true(compared > 200, `compared ${compared} spawns`);
  t.true(shifted > 0, `some next instances fell in a DST gap, moved forward by it (${shifted})`);
  t.true(ended > 0, 'some series ended by COUNT or UNTIL');
});
