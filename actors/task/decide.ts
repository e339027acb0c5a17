// decide(command, state, context) → events. Pure: the clock, the user's zone and id generation come
// in through the context, so the same inputs always give the same events.
import { charCount, isBlank } from '../text.ts';
import { DomainError, invalid, fieldIn, notFound, conflict } from '../errors.ts';
import type { PendingEvent, Change } from '../events.ts';
import { parseDuration, minusOffset } from '../durations.ts';
import {
  validateRule,
  checkSeries,
  nextOccurrence,
  occurrences,
  parseStart,
  localToInstant,
  RecurrenceError,
} from '../recurrence/index.ts';
import { startOf, seriesStart, formatWall } from './series.ts';
import type { TaskCommand, ReminderSpec, CreateTask, UpdateTask, MemberGoneReason } from './commands.ts';
import {
  type TaskState,
  type ReminderState,
  type ReminderSnapshot,
  matchesVersion,
  snapshotOf,
  MAX_REMINDERS,
  MAX_TITLE,
  MAX_DESCRIPTION,
  MAX_LISTED_SKIPS,
  MAX_TASK_LABELS,
  MIN_PRIORITY,
  MAX_PRIORITY,
  DEFAULT_PRIORITY,
} from './state.ts';
import { inboxIdOf } from '../list/index.ts';
import { checkInstant, checkZone, inRange, readInstant, iso, ms } from './time.ts';
import { reminderSince, spawnNeededAt, templateAt } from './timers.ts';
import { planSnooze } from './snooze.ts';
import { undo, type UndoEvents } from './undo.ts';
import { readDue, dayStart, dayOf, addDays, dayReminderAt, checkDayReminder, checkAllDayRule } from './all-day.ts';
import { awaitingCompletion, checkAfterCompletionRule, checkMode, nextAfterCompletion } from './after-completion.ts';

export interface DecideContext {
  now: Date;
  /** The task's home user (tasks.user_id: its creator); a task without its own zone follows theirs. */
  userId: string;
  /**
   * Who issued the command (issue 17, shared lists): a member of the task's list, who need not be its home
   * user. Undefined for a system turn (a timer, a fan-out) and where nobody else can act (then the home
   * user is taken). A new reminder is theirs, and reminder commands act only on their own reminders.
   */
  actor?: string;
  /**
   * The users with access to list `listId` (list_access: its owner and its active editors), as the turn
   * read them under the list's version (host/tasks/turn.ts); undefined for a list it did not read, which
   * counts as the home user's private list (only the home user). Who may be assigned, and whether a
   * reminder's owner may still be notified (fire_reminder heals a fan-out that did not run).
   */
  membersOf?: (listId: string) => readonly string[] | undefined;
  /**
   * Whether list `listId` is deleted, as the turn read it (with membersOf): its tasks are on their way to
   * their makers' Inboxes, so a maker outside it has not left it. Undefined: none is.
   */
  listDeleted?: (listId: string) => boolean;
  /**
   * Whether `userId` had access to the deleted list `listId` when it was deleted (its owner, or an editor
   * still active then: a deleted list keeps its members' rows), as the turn read it with membersOf.
   * Undefined: the list was not read, or is not deleted.
   */
  accessWhenDeleted?: (listId: string, userId: string) => boolean | undefined;
  /** The user's IANA zone; a task without its own zone follows it. */
  userTimezone: string;
  newId: () => string;
  /**
   * The user's live list and label ids, when the command names a list or labels (the host reads them):
   * an id not among them is a 400 naming the field. Without them nothing is checked here, and the write's
   * own check (host/tasks/store.ts persist) still refuses a list or label that is gone.
   */
  refs?: { lists: ReadonlySet<string>; labels: ReadonlySet<string> };
  /** For an `undo`: the task's events from the undone event's turn on, as the host read them (./undo.ts UndoEvents). */
  undo?: UndoEvents;
  /**
   * The series of the task, when the command completes or deletes an instance (the host reads it): an
   * after-completion series spawns its next instance in that same turn (./after-completion.ts). Without
   * it nothing is spawned; the write checks the series' version like the task's.
   */
  series?: TaskState;
  /**
   * For an undo of an instance's completion: the live instance its after-completion series spawned last
   * (the host reads it), which the undone completion may have spawned and then takes back (./undo.ts).
   */
  successor?: TaskState;
  /**
   * For a completion of a series: its earliest open occurrence (id and due date, UTC ISO), or null when
   * none is open (the host reads it). Undefined: not read, and the series is not completed.
   */
  openOccurrence?: { id: string; due_date: string | null } | null;
  /**
   * For an edit of a calendar series' due date, rule or zone (the host reads it): its open occurrences
   * spawned ahead of their time, which the old schedule made; whether others it spawned ahead were done or
   * deleted since (`alsoAhead`); and the latest occurrence kept (done, or whose time has come, deleted or not),
   * or null. Undefined: not read (any other command).
   */
  aheadOccurrences?: { open: TaskState[]; alsoAhead: boolean; latestKept: string | null };
  /**
   * For an `uncomplete` or `undo` of an instance: whether its series is deleted (or gone), as the host read
   * it (undefined otherwise). Such an instance stays closed (seriesStaysClosed); the write checks the series
   * is still live.
   */
  seriesDeleted?: boolean;
  /**
   * For an `undo` on a deleted occurrence: the instants (UTC ISO) of its series' live occurrences within a
   * day and a half of its own, as the host read them (its series' schedule may have been edited since and
   * spawned one on its day); undefined otherwise.
   */
  occurrencesNear?: readonly string[];
}

/** A timer may fire this much early (clock skew between hosts) and still count as due. */
export const EARLY_TOLERANCE_MS = 1000;
/** A fire later than this is marked late in its event. */
export const LATE_AFTER_MS = 2000;

export function decide(command: TaskCommand, state: TaskState | null, ctx: DecideContext): PendingEvent[] {
  return seriesStaysClosed(state, decideCommand(command, state, ctx), ctx);
}

/** Whether `pending` leaves an instance of a series open again: uncompleted, or restored open. */
function reopensInstance(state: TaskState | null, pending: readonly PendingEvent[]): boolean {
  if (state === null || state.series_id === null) return false;
  return pending.some(
    (p) =>
      p.aggregate_id === state.id &&
      (p.event_type === 'task.uncompleted' ||
        (p.event_type === 'task.restored' && (p.data.task as { completed?: unknown } | undefined)?.completed !== true)),
  );
}

/**
 * An instance of a deleted series is history: it is not reopened (uncompleted, or restored open by an
 * undo), as the series' delete took its open instances with it and an undo of that delete brings back
 * the series with them; a reopened one would be an orphan, or a second open instance of an
 * after-completion series once the delete is undone. A 409 naming `series_id`.
 */
function seriesStaysClosed(state: TaskState | null, pending: PendingEvent[], ctx: DecideContext): PendingEvent[] {
  if (ctx.seriesDeleted === true && reopensInstance(state, pending))
    throw conflict("this task's series was deleted: undo the series' deletion to reopen it", 'series_id');
  return pending;
}

/**
 * If-Match (RFC 9110 §13.1.1) on a command that carries it (`expected_version`): holds while nothing the
 * issuer can see changed since that version (matchesVersion); else a `version_mismatch` (412).
 */
function checkIfMatch(command: TaskCommand, state: TaskState, ctx: DecideContext): void {
  if (
    'expected_version' in command &&
    command.expected_version !== undefined &&
    !matchesVersion(state, command.expected_version, actorOf(ctx))
  )
    throw new DomainError(
      'version_mismatch',
      `version mismatch: If-Match is ${command.expected_version}, the task is at ${state.version}`,
    );
}

function decideCommand(command: TaskCommand, state: TaskState | null, ctx: DecideContext): PendingEvent[] {
  if (command.type === 'create') return create(command, state, ctx);
  // An undo may bring a deleted task back, so it passes the guard below on its own terms (./undo.ts).
  if (command.type === 'undo') {
    if (state) checkIfMatch(command, state, ctx);
    return undo(command.event_id, state, ctx);
  }
  if (!state || state.deleted_at !== null) {
    // Timers for a task that is gone are no-ops, never errors: they may race with the delete.
    // So are the fan-outs of a deleted list or label: the task is gone either way.
    if (
      command.type === 'fire_reminder' ||
      command.type === 'spawn' ||
      command.type === 'reschedule' ||
      command.type === 'list_deleted' ||
      command.type === 'label_deleted' ||
      command.type === 'member_gone' ||
      command.type === 'series_deleted'
    )
      return [];
    throw notFound('task');
  }
  // If-Match holds while nothing the issuer can see changed since the version it names: another member's
  // private reminder moves the task's version, never their conditional request.
  checkIfMatch(command, state, ctx);
  switch (command.type) {
    case 'update':
      return update(command, state, ctx);
    case 'complete':
      return complete(state, ctx);
    case 'uncomplete':
      return uncomplete(state, ctx);
    case 'delete':
      return remove(state, ctx);
    case 'add_reminder':
      return addReminder(command.data, state, ctx);
    case 'remove_reminder':
      return removeReminder(command.reminder_id, state, ctx);
    case 'snooze_reminder':
      return snooze(command, state, ctx);
    case 'acknowledge_reminder':
      return acknowledge(command.reminder_id, state, ctx);
    case 'fire_reminder':
      return fire(command.reminder_id, state, ctx);
    case 'spawn':
      return spawn(state, ctx);
    case 'reschedule':
      return reschedule(command.from_zone, command.to_zone, state, ctx);
    case 'list_deleted':
      return listDeleted(command.list_id, command.tasks, state, ctx);
    case 'label_deleted':
      return labelDeleted(command.label_id, state);
    case 'member_gone':
      return memberGone(command.user_id, command.reason ?? 'member_removed', state, ctx);
    case 'series_deleted':
      return state.series_id === command.series_id && !state.completed ? remove(state, ctx, 'series_deleted') : [];
  }
}

// ------------------------------------------------------------------ helpers
export function ev(
  state: Pick<TaskState, 'id'>,
  event_type: PendingEvent['event_type'],
  data: Record<string, unknown>,
): PendingEvent {
  // A reminder's version is its event's own (evolve stamps it): the reminder a reminder.scheduled carries
  // is its snapshot without it, whether made new or taken from the state.
  if (event_type === 'reminder.scheduled' && data.reminder !== undefined)
    data = { ...data, reminder: snapshotOf(data.reminder as ReminderState) };
  return { event_type, aggregate_type: 'task', aggregate_id: state.id, data };
}

/**
 * A series' start as an instant of whole seconds: RFC 5545 DATE-TIME has no fraction, so every occurrence
 * (and the series' first instance) falls on the second; the start keeps no milliseconds they lack.
 */
const seriesInstant = (instant: string | null): string | null =>
  instant === null ? null : new Date(Math.floor(ms(instant) / 1000) * 1000).toISOString();

export const zoneOf = (task: Pick<TaskState, 'timezone'>, ctx: DecideContext): string =>
  task.timezone ?? ctx.userTimezone;

function checkTitle(value: unknown): string {
  if (typeof value !== 'string') throw invalid('title', 'must be a string');
  const title = value.trim();
  if (isBlank(title)) throw invalid('title', 'must not be empty (nothing in it shows)');
  if (charCount(title) > MAX_TITLE) throw invalid('title', `must be at most ${MAX_TITLE} characters`);
  return title;
}

function checkDescription(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw invalid('description', 'must be a string or null');
  if (charCount(value) > MAX_DESCRIPTION) throw invalid('description', `must be at most ${MAX_DESCRIPTION} characters`);
  return value;
}

/**
 * A series is refused (400 on recurrence_rule) when expanding it could exceed the recurrence budget
 * (actors/recurrence `checkSeries`), or when it has no occurrence at all from its start (an UNTIL
 * before its first occurrence, RFC 5545 §3.3.10), decided when it is created or edited so no timer
 * meets it later and no series sits waiting for an instance that never comes.
 */
function checkSeriesBudget(rule: string, start: string | Date, zone: string, field = 'recurrence_rule'): void {
  let first: Date | null;
  try {
    checkSeries(rule, start, zone);
    first = nextOccurrence(rule, start, zone, new Date(-8.64e15));
  } catch (error) {
    // Its message begins with the input it is about, `recurrence_rule: …` for the rule: named as `field` here.
    if (error instanceof RecurrenceError)
      throw new DomainError('validation', error.message.replace(/^recurrence_rule:/, `${field}:`), field);
    throw error;
  }
  if (first === null)
    throw invalid(
      field,
      `ends before its first occurrence: UNTIL (or the rule's days) leaves no occurrence from the start ${typeof start === 'string' ? start : start.toISOString()}; move UNTIL after the due date`,
    );
}

/**
 * What a series' rule must meet against its start (`start`, wall-clock, in `zone`) when it is created or
 * edited, for POST /recurrence/preview, which shows what saving makes and so refuses what saving refuses:
 * no times of day on an all-day start (`allDay`; RFC 5545 §3.8.5.3), within the recurrence budget, and
 * an occurrence from the start. Throws a DomainError `validation` naming `field`.
 */
export function checkSeriesRule(
  rule: string,
  start: string | Date,
  zone: string,
  allDay: boolean,
  field: string,
): void {
  if (allDay) checkAllDayRule(rule, field);
  checkSeriesBudget(rule, start, zone, field);
}

/** A list id of the user: the Inbox, or one of `ctx.refs.lists` when given. */
function checkList(value: unknown, ctx: DecideContext): string {
  if (typeof value !== 'string') throw invalid('list_id', 'must be a list id');
  const id = value.toLowerCase();
  if (id !== inboxIdOf(ctx.userId) && ctx.refs && !ctx.refs.lists.has(id)) throw invalid('list_id', 'no such list');
  return id;
}

/** Who issued the command: `ctx.actor`, or the home user when none is given. */
export const actorOf = (ctx: DecideContext): string => ctx.actor ?? ctx.userId;

/**
 * An assigned task's reminders are its assignee's alone (issue 17): a live reminder of anyone else's
 * would notify them of a task that is not theirs to do. Throws a 409 when `user` may not have a live
 * reminder on a task assigned to `assignee` (null: unassigned, anyone may).
 */
export function onlyAssigneeReminds(assignee: string | null, user: string): void {
  if (assignee !== null && assignee !== user)
    throw conflict(`the task is assigned to ${assignee}; only the assignee sets reminders on it`);
}

/** The users with access to list `listId` (DecideContext.membersOf); a list not read counts as the home user's alone. */
export const accessTo = (listId: string, ctx: DecideContext): readonly string[] =>
  ctx.membersOf?.(listId) ?? [ctx.userId];

/**
 * An assignee for a task in list `listId`: null, or a user with access to that list (list_access; on a
 * private list only its owner). Anything else is a 400 naming `assignee`.
 */
function checkAssignee(value: unknown, listId: string, ctx: DecideContext): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value === '') throw invalid('assignee', 'must be a user id or null');
  if (!accessTo(listId, ctx).includes(value))
    throw invalid('assignee', "must be a user with access to the task's list (its owner or an active member), or null");
  return value;
}

function checkPriority(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY)
    throw invalid('priority', `must be ${MIN_PRIORITY} (highest) to ${MAX_PRIORITY} (none)`);
  return value;
}

/** Label ids of the user (each among `ctx.refs.labels` when given), distinct and sorted, at most MAX_TASK_LABELS. */
function checkLabels(value: unknown, ctx: DecideContext): string[] {
  if (!Array.isArray(value)) throw invalid('labels', 'must be an array of label ids');
  const ids = [...new Set(value.map((v) => (typeof v === 'string' ? v.toLowerCase() : '')))].sort();
  if (ids.length > MAX_TASK_LABELS) throw invalid('labels', `at most ${MAX_TASK_LABELS} per task`);
  const unknown = ids.find((id) => id === '' || (ctx.refs !== undefined && !ctx.refs.labels.has(id)));
  if (unknown !== undefined)
    throw invalid('labels', unknown === '' ? 'must be an array of label ids' : `no such label: ${unknown}`);
  return ids;
}

const sameLabels = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function checkRule(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') throw invalid('recurrence_rule', 'must be a string or null');
  try {
    validateRule(value);
  } catch (error) {
    if (error instanceof RecurrenceError) {
      const message = error.message.startsWith('recurrence_rule') ? error.message : `recurrence_rule: ${error.message}`;
      throw new DomainError(
        error.code === 'unsupported_rule' ? 'unsupported' : 'validation',
        message,
        'recurrence_rule',
      );
    }
    throw error;
  }
  return value.trim();
}

/**
 * The first occurrence of a series strictly after `after` (epoch ms). `start` is the series' start as
 * `seriesStart` gives it: its wall-clock start (read in `zone`), or an instant for an older series.
 */
export function firstOccurrence(rule: string, start: string | Date, zone: string, after: number): string | null {
  const next = nextOccurrence(rule, start, zone, new Date(after));
  return next ? iso(next) : null;
}

/**
 * The instant (epoch ms) a series' next occurrence comes strictly after, wherever a series decides its
 * first or next occurrence (creation, edits, zone changes, restores): now, or the occurrence it spawned
 * last when that is later. An all-day occurrence is current until its local day ends in `zone` (the
 * series' zone; RFC 5545 §3.3.4: a DATE names the whole day), so for an all-day series (`due_day` set)
 * "now" is the first instant of today's local date in `zone`: a series starting today gets today's
 * instance, although its midnight has passed.
 * `spawnedIn` is the zone the series spawned in until now, when it follows its user to `zone` keeping its
 * wall-clock times (`reschedule`): the occurrence it spawned last counts as its wall-clock time there (its
 * place in the series): Dec 3 09:00 spawned in Berlin is Dec 3 09:00 in Los Angeles, nine hours later, so
 * the move west does not bring that occurrence back as the next one (and spawn it twice). So does an
 * all-day series given a zone of its own (its occurrences are dates); an edit of a timed series keeps its
 * instants, and compares them.
 */
export function seriesAfter(
  task: Pick<TaskState, 'last_spawned_at' | 'due_day'>,
  zone: string,
  ctx: DecideContext,
  spawnedIn: string = zone,
): number {
  const now =
    task.due_day === null ? ctx.now.getTime() - 1 : ms(dayStart('due_date', dayOf(iso(ctx.now), zone), zone)) - 1;
  if (!task.last_spawned_at) return now;
  return Math.max(now, spawnedIn === zone ? ms(task.last_spawned_at) : sameWall(task.last_spawned_at, spawnedIn, zone));
}

/** The instant (epoch ms) with `instant`'s wall-clock time in `from` as wall-clock time in `to` (the instant itself outside years 1000–9999). */
function sameWall(instant: string, from: string, to: string): number {
  try {
    const wall = parseStart(new Date(instant), from);
    return localToInstant(wall, to, wall.at === undefined ? 0 : 1).getTime();
  } catch (error) {
    if (error instanceof RecurrenceError) return ms(instant);
    throw error;
  }
}

// ------------------------------------------------------------------ reminders
interface ReminderPlan {
  offset: string | null;
  remind_at: string | null;
  at_time?: string | null;
  days_before?: number | null;
}

/** A reminder that moves with the due date: an offset before it, or (all-day) a time on or before its day. */
const isRelative = (r: Pick<ReminderState, 'offset' | 'at_time'>): boolean => r.offset !== null || r.at_time !== null;

/**
 * When a relative reminder fires for a task due `due_date` (all-day: on `due_day`) in `zone` (UTC ISO);
 * null when the task has no due date of the reminder's kind. Absolute reminders keep their instant.
 */
function relativeAt(
  r: Pick<ReminderState, 'offset' | 'at_time' | 'days_before' | 'remind_at'>,
  task: Pick<TaskState, 'due_date' | 'due_day'>,
  zone: string,
): string | null {
  if (r.at_time !== null)
    return task.due_day === null ? null : dayReminderAt('due_date', task.due_day, r.days_before ?? 0, r.at_time, zone);
  if (r.offset !== null)
    return task.due_date === null ? null : minusOffset(task.due_date, parseDuration('offset', r.offset), zone);
  return r.remind_at;
}

/**
 * How many occurrences of its series a template reminder may reach back over. An instance is spawned when
 * its reminders are due, so a reminder `P1Y` before each occurrence of a daily series would keep a year of
 * instances open ahead: refused instead, as it is decided (a new series, a new reminder, a new rule). A
 * template reaching back over exactly 50 is allowed: with its own occurrence's, 51 instances may then be open.
 */
export const MAX_REMINDER_REACH = 50;

/**
 * Whether template `r` of a series (`rule` from `start` in `zone`) fires before more than MAX_REMINDER_REACH
 * occurrences of it, measured from its next occurrence after now.
 */
export function reachesTooFar(
  rule: string,
  start: string | Date,
  zone: string,
  r: Pick<ReminderState, 'offset' | 'at_time' | 'days_before'>,
  ctx: DecideContext,
): boolean {
  const next = nextOccurrence(rule, start, zone, ctx.now);
  if (next === null) return false;
  const own = templateAt(r, iso(next), zone);
  if (own === null || own >= next.getTime()) return false;
  const until = new Date(Math.min(next.getTime() + (next.getTime() - own), 253402300799999));
  return (
    occurrences(rule, start, zone, { after: next, until, limit: MAX_REMINDER_REACH + 1 }).length > MAX_REMINDER_REACH
  );
}

/** Throws a DomainError on `field(i)` when template `i` reaches too far (reachesTooFar). */
export function checkReach(
  rule: string,
  start: string | Date,
  zone: string,
  templates: readonly Pick<ReminderState, 'offset' | 'at_time' | 'days_before'>[],
  field: (i: number) => string,
  ctx: DecideContext,
): void {
  templates.forEach((r, i) => {
    if (reachesTooFar(rule, start, zone, r, ctx))
      throw invalid(
        field(i),
        `reaches back over more than ${MAX_REMINDER_REACH} occurrences of the series (each occurrence is there from its reminder on): choose a shorter time before, or a sparser rule`,
      );
  });
}

/**
 * Other members' templates that reach too far on the series as an edit leaves it (a denser rule, a new
 * start): cancelled (`reaches_too_far`), each told to its owner alone, as an edit never waits on them.
 */
function tooFarForOthers(state: TaskState, next: TaskState, ctx: DecideContext): PendingEvent[] {
  if (!next.is_recurring || !next.recurrence_rule || !next.due_date) return [];
  const zone = zoneOf(next, ctx);
  const start = seriesStart(next, zone);
  return state.reminders
    .filter((r) => !r.cancelled && isRelative(r) && fitsDue(r, next) && r.user_id !== actorOf(ctx))
    .filter((r) => reachesTooFar(next.recurrence_rule as string, start, zone, r, ctx))
    .map((r) => ev(next, 'reminder.cancelled', { reminder_id: r.id, reason: 'reaches_too_far' }));
}

/** The field of reminder spec `i` that says how far before (`before` or `days_before`), under `prefix`. */
const reminderField = (specs: readonly ReminderSpec[], i: number, prefix = `reminders[${i}]`): string =>
  fieldIn(prefix, specs[i] !== undefined && 'at_time' in specs[i] ? 'days_before' : 'before');

/** True when relative reminder `r` is of the kind the task's due date takes: `at_time` for all-day, `offset` for timed. */
const fitsDue = (r: Pick<ReminderState, 'at_time'>, task: Pick<TaskState, 'due_day'>): boolean =>
  (r.at_time !== null) === (task.due_day !== null);

function planReminder(
  spec: ReminderSpec,
  field: string,
  task: Pick<TaskState, 'due_date' | 'due_day' | 'is_recurring' | 'timezone'>,
  ctx: DecideContext,
): ReminderPlan {
  if ('at_time' in spec && spec.at_time !== undefined) {
    const { at_time, days_before } = checkDayReminder(field, spec.at_time, spec.days_before);
    if (task.due_day === null)
      throw invalid(
        fieldIn(field, 'at_time'),
        task.due_date === null
          ? 'needs the task to have an all-day due_date (a date alone, e.g. 2026-12-24)'
          : 'is for all-day tasks (due_date a date alone); a timed task takes {"before": "PT1H"} or {"at": ISO-8601}',
      );
    if (task.is_recurring) return { offset: null, remind_at: null, at_time, days_before }; // a template for each instance
    const at = dayReminderAt(fieldIn(field, 'at_time'), task.due_day, days_before, at_time, zoneOf(task, ctx));
    if (ms(at) <= ctx.now.getTime())
      throw invalid(fieldIn(field, 'at_time'), `the reminder time ${at} is already in the past`);
    return { offset: null, remind_at: at, at_time, days_before };
  }
  if ('before' in spec && spec.before !== undefined) {
    const offset = parseDuration(fieldIn(field, 'before'), spec.before);
    if (task.due_day !== null)
      throw invalid(
        fieldIn(field, 'before'),
        'an all-day task has no time to be before: use {"at_time": "09:00", "days_before": N} (wall clock on its day, or N days before)',
      );
    if (task.is_recurring) return { offset: offset.canonical, remind_at: null }; // a template for each instance
    if (!task.due_date) throw invalid(fieldIn(field, 'before'), 'needs the task to have a due_date');
    const at = checkInstant(
      fieldIn(field, 'before'),
      ms(minusOffset(task.due_date, offset, zoneOf(task, ctx))),
      'the reminder time',
    );
    if (ms(at) <= ctx.now.getTime())
      throw invalid(fieldIn(field, 'before'), `the reminder time ${at} is already in the past`);
    return { offset: offset.canonical, remind_at: at };
  }
  if ('at' in spec && typeof spec.at === 'string') {
    if (task.is_recurring)
      throw invalid(
        fieldIn(field, 'at'),
        'a recurring task takes relative reminders ({before: "PT1H"}), which move with each occurrence',
      );
    const at = readInstant(fieldIn(field, 'at'), spec.at, zoneOf(task, ctx));
    if (ms(at) <= ctx.now.getTime()) throw invalid(fieldIn(field, 'at'), `${at} is already in the past`);
    return { offset: null, remind_at: at };
  }
  throw invalid(
    field || 'payload',
    'must be {"before": ISO-8601 duration}, {"at": ISO-8601 date-time} or, for an all-day task, {"at_time": "HH:MM", "days_before": N}',
  );
}

/** A new reminder of `owner` (default: who issued the command): reminders are per member (issue 17). */
function newReminder(
  task: Pick<TaskState, 'id'>,
  plan: ReminderPlan,
  ctx: DecideContext,
  owner: string = actorOf(ctx),
): ReminderSnapshot {
  return {
    id: ctx.newId(),
    task_id: task.id,
    user_id: owner,
    offset: plan.offset,
    remind_at: plan.remind_at,
    at_time: plan.at_time ?? null,
    days_before: plan.days_before ?? null,
    notified: false,
    cancelled: false,
    cancel_reason: null,
    created_at: iso(ctx.now),
    unacknowledged: false,
  };
}

const pending = (r: ReminderState): boolean => !r.cancelled && !r.notified;

function cancelPending(state: TaskState, reason: string): PendingEvent[] {
  return state.reminders
    .filter((r) => pending(r) && r.remind_at !== null)
    .map((r) => ev(state, 'reminder.cancelled', { reminder_id: r.id, reason }));
}

/**
 * Why a relative reminder is cancelled when its task's due date leaves it no time ahead: its time passed
 * (an edit, a zone change, or spawned so), or the due date went. Not the user's choice: a later due date
 * that gives it a time ahead brings it back (followDueDate), as undoing the change does (undo.ts).
 */
export const LEFT_NO_TIME: ReadonlySet<string> = new Set(['passed', 'no_due_date']);

/**
 * Whether reminder `r`, cancelled because its due date left it no time (LEFT_NO_TIME), may come back on
 * `task`: not one that has fired, and only its owner's while they have access to the task's list and the
 * task is not assigned to someone else (onlyAssigneeReminds), within MAX_REMINDERS live ones (`live`).
 */
export function mayComeBack(r: ReminderState, task: TaskState, live: number, ctx: DecideContext): boolean {
  return (
    r.cancelled &&
    !r.notified &&
    LEFT_NO_TIME.has(r.cancel_reason ?? '') &&
    !task.completed &&
    (task.assignee === null || task.assignee === r.user_id) &&
    accessTo(task.list_id, ctx).includes(r.user_id) &&
    live < MAX_REMINDERS
  );
}

/**
 * After the due date or the recurrence of a task changed: each relative reminder follows the due date
 * (re-armed when its new time is still ahead, cancelled when it has passed or the due date is gone; one
 * cancelled so before comes back when its new time is ahead: a due date moved to yesterday and back
 * keeps its reminder), and a series keeps its live reminders as templates without instants.
 */
function followDueDate(before: TaskState, after: TaskState, ctx: DecideContext): PendingEvent[] {
  const out: PendingEvent[] = [];
  let live = before.reminders.filter((r) => !r.cancelled).length;
  for (const r of before.reminders) {
    if (r.cancelled) {
      if (after.is_recurring || !isRelative(r) || !mayComeBack(r, after, live, ctx)) continue;
      // Its time on the new due date, while still ahead (as an uncomplete re-arms one: rearmAt).
      const at = rearmAt(r, after, ctx);
      if (!at) continue;
      live++;
      out.push(
        ev(after, 'reminder.scheduled', {
          reminder: { ...r, remind_at: at, notified: false, cancelled: false, cancel_reason: null },
        }),
      );
      continue;
    }
    if (after.is_recurring) {
      if (r.remind_at !== null && !r.notified)
        out.push(ev(after, 'reminder.scheduled', { reminder: { ...r, remind_at: null } }));
      continue;
    }
    if (!isRelative(r)) continue; // absolute: stays where it is
    if (after.due_date === null) {
      if (!r.notified || r.remind_at === null)
        out.push(ev(after, 'reminder.cancelled', { reminder_id: r.id, reason: 'no_due_date' }));
      continue;
    }
    // One of the other kind (all-day vs timed) has fired: it stays as it fired (`update` refuses pending ones).
    if (!fitsDue(r, after)) continue;
    const at = relativeAt(r, after, zoneOf(after, ctx)) as string;
    if (at === r.remind_at) continue;
    // Out of years 0001–9999 it can only lie before year 1 (due − offset), so it has passed.
    if (inRange(ms(at)) && ms(at) > ctx.now.getTime())
      out.push(ev(after, 'reminder.scheduled', { reminder: { ...r, remind_at: at, notified: false } }));
    // A snoozed one keeps the time the user chose: the new schedule gives it none ahead.
    else if (!r.notified && !r.snoozed)
      out.push(ev(after, 'reminder.cancelled', { reminder_id: r.id, reason: 'passed' }));
  }
  return out;
}

// ------------------------------------------------------------------ commands
function create(command: CreateTask, state: TaskState | null, ctx: DecideContext): PendingEvent[] {
  if (state) throw conflict('a task with this id already exists');
  const d = command.data;
  const title = checkTitle(d.title);
  const description = checkDescription(d.description);
  const timezone = d.timezone ? checkZone('timezone', d.timezone) : null;
  const zone = timezone ?? ctx.userTimezone;
  const due = d.due_date ? readDue('due_date', d.due_date, zone) : null;
  const recurrence_rule = checkRule(d.recurrence_rule);
  const due_date = recurrence_rule ? seriesInstant(due?.due_date ?? null) : (due?.due_date ?? null);
  const due_day = due?.due_day ?? null;
  if (recurrence_rule && due_day) checkAllDayRule(recurrence_rule);
  if (recurrence_rule && !due_date)
    throw invalid('due_date', 'is required for a recurring task: it is the first occurrence (the series start)');
  const is_recurring = recurrence_rule !== null;
  const recurrence_mode = d.recurrence_mode === undefined ? 'calendar' : checkMode(d.recurrence_mode);
  if (recurrence_mode === 'after_completion') {
    if (recurrence_rule === null) throw invalid('recurrence_mode', 'after_completion needs a recurrence_rule');
    checkAfterCompletionRule(recurrence_rule, 'recurrence_rule');
  }
  // A series keeps the wall-clock start as written, even when it falls in a DST gap on its first day.
  const dtstart_local = is_recurring && due_date ? startOf('due_date', d.due_date ?? null, due_date, zone) : null;
  const start = dtstart_local ? seriesStart({ dtstart_local, due_date }, zone) : null;
  if (recurrence_rule && start) checkSeriesBudget(recurrence_rule, start, zone);
  const specs = d.reminders ?? [];
  if (specs.length > MAX_REMINDERS) throw invalid('reminders', `at most ${MAX_REMINDERS} per task`);
  const id = command.id;
  const list_id = d.list_id === undefined ? inboxIdOf(ctx.userId) : checkList(d.list_id, ctx);
  const assignee = d.assignee === undefined ? null : checkAssignee(d.assignee, list_id, ctx);
  if (specs.length > 0) onlyAssigneeReminds(assignee, actorOf(ctx));
  const next_occurrence =
    is_recurring && start && recurrence_rule
      ? firstOccurrence(recurrence_rule, start, zone, seriesAfter({ last_spawned_at: null, due_day }, zone, ctx))
      : null;
  const task = {
    id,
    user_id: ctx.userId,
    title,
    description,
    completed: false,
    due_date,
    due_day,
    recurrence_rule,
    timezone,
    is_recurring,
    next_occurrence,
    dtstart_local,
    last_spawned_at: null,
    series_id: null,
    occurrence_at: null,
    list_id,
    priority: d.priority === undefined ? DEFAULT_PRIORITY : checkPriority(d.priority),
    labels: d.labels === undefined ? [] : checkLabels(d.labels, ctx),
    completed_at: null,
    recurrence_mode,
    spawn_count: 0,
    assignee,
    created_at: iso(ctx.now),
    deleted_at: null,
  };
  const reminders = specs.map((spec, i) => newReminder(task, planReminder(spec, `reminders[${i}]`, task, ctx), ctx));
  for (const [i, r] of reminders.entries())
    if (reminders.slice(0, i).some((o) => sameReminder(o, r)))
      throw invalid(`reminders[${i}]`, 'is the same reminder as one before it: it would remind twice');
  if (recurrence_rule && start)
    checkReach(recurrence_rule, start, zone, reminders, (i) => reminderField(specs, i), ctx);
  return [
    ev(task, 'task.created', { task }),
    ...reminders.map((reminder) => ev(task, 'reminder.scheduled', { reminder })),
  ];
}

export function update(command: UpdateTask, state: TaskState, ctx: DecideContext): PendingEvent[] {
  const d = command.data;
  const next: TaskState = { ...state };
  if ('title' in d) next.title = checkTitle(d.title);
  if ('description' in d) next.description = checkDescription(d.description);
  if ('timezone' in d) next.timezone = d.timezone ? checkZone('timezone', d.timezone) : null;
  if ('due_date' in d) {
    const due = d.due_date ? readDue('due_date', d.due_date, zoneOf(next, ctx)) : null;
    next.due_date = due?.due_date ?? null;
    next.due_day = due?.due_day ?? null;
  } else if (next.due_day !== null && zoneOf(next, ctx) !== zoneOf(state, ctx)) {
    // A zone edit keeps an all-day task on its calendar date: its first instant moves.
    next.due_date = dayStart('timezone', next.due_day, zoneOf(next, ctx));
  }
  if ('recurrence_rule' in d) next.recurrence_rule = checkRule(d.recurrence_rule);
  if (next.recurrence_rule !== null && ('due_date' in d || 'recurrence_rule' in d))
    next.due_date = seriesInstant(next.due_date);
  if ('list_id' in d) next.list_id = checkList(d.list_id, ctx);
  if ('priority' in d) next.priority = checkPriority(d.priority);
  if ('labels' in d) {
    // Labels are personal (each user's own, named by id): another member of a shared list cannot resolve
    // them, so only the task's creator labels it.
    if (ctx.actor !== undefined && ctx.actor !== state.user_id)
      throw invalid('labels', "labels are personal: only the task's creator sets them");
    next.labels = checkLabels(d.labels, ctx);
  }
  if ('recurrence_mode' in d) next.recurrence_mode = checkMode(d.recurrence_mode);
  if ('assignee' in d) next.assignee = checkAssignee(d.assignee, next.list_id, ctx);
  else if (
    next.assignee !== null &&
    next.list_id !== state.list_id &&
    !accessTo(next.list_id, ctx).includes(next.assignee)
  )
    throw invalid(
      'assignee',
      `the task is assigned to ${next.assignee}, who has no access to the list it moves to; assign it to a member of that list, or null, in the same edit`,
    );
  next.is_recurring = next.recurrence_rule !== null;
  if (!next.is_recurring && next.recurrence_mode !== 'calendar') {
    // A task that stops being a series drops its mode; asking for after_completion without a rule is refused.
    if ('recurrence_mode' in d) throw invalid('recurrence_mode', 'after_completion needs a recurrence_rule');
    next.recurrence_mode = 'calendar';
  }
  if (next.recurrence_mode === 'after_completion' && next.recurrence_rule !== null)
    checkAfterCompletionRule(next.recurrence_rule, 'recurrence_rule' in d ? 'recurrence_rule' : 'recurrence_mode');
  if (next.is_recurring && state.series_id)
    throw invalid('recurrence_rule', 'an occurrence of a series cannot itself recur; edit the series instead');
  if (next.is_recurring && !next.due_date)
    throw invalid('due_date', 'is required for a recurring task: it is the first occurrence (the series start)');
  if (next.recurrence_rule && next.due_day) checkAllDayRule(next.recurrence_rule);
  // Switching between all-day and timed: pending relative reminders of the other kind have no meaning.
  if (
    next.due_date !== null &&
    state.reminders.some((r) => !r.cancelled && !r.notified && isRelative(r) && !fitsDue(r, next))
  )
    throw invalid(
      'due_date',
      next.due_day === null
        ? 'the task has all-day reminders ({at_time, days_before}); a timed due date takes {before} or {at}: remove them first'
        : 'the task has reminders relative to its time ({before}); an all-day due date takes {at_time, days_before}: remove them first',
    );
  if (next.is_recurring && state.reminders.some((r) => !r.cancelled && !isRelative(r) && !r.notified)) {
    throw invalid(
      'recurrence_rule',
      'the task has absolute reminders; a series takes only relative ones ({before: ...}): remove them first',
    );
  }
  next.dtstart_local = seriesWallStart(d, state, next, ctx);
  if (next.recurrence_rule && next.due_date) {
    const zone = zoneOf(next, ctx);
    const start = seriesStart(next, zone);
    checkSeriesBudget(next.recurrence_rule, start, zone);
    // A new rule, start or zone may bring the occurrences closer together: checked then, not on other edits.
    const moved =
      next.recurrence_rule !== state.recurrence_rule || next.due_date !== state.due_date || zone !== zoneOf(state, ctx);
    // Only the issuer's own templates refuse the edit: another member's reminders are theirs and unseen
    // (their reaching too far is no reason to refuse, nor a thing to learn); those are cancelled below.
    if (next.is_recurring && moved) {
      const own = state.reminders.filter(
        (r) => !r.cancelled && isRelative(r) && fitsDue(r, next) && r.user_id === actorOf(ctx),
      );
      checkReach(next.recurrence_rule, start, zone, own, () => 'recurrence_rule', ctx);
    }
  }
  if (next.is_recurring && state.completed)
    throw conflict('a completed task cannot become a series; uncomplete it first');

  const scheduleChanged =
    next.is_recurring !== state.is_recurring ||
    next.recurrence_rule !== state.recurrence_rule ||
    next.due_date !== state.due_date ||
    next.due_day !== state.due_day ||
    next.timezone !== state.timezone ||
    next.dtstart_local !== state.dtstart_local ||
    next.recurrence_mode !== state.recurrence_mode;
  // A calendar series whose schedule changed: its occurrences spawned ahead of their time were the old
  // schedule's, and are deleted (reason series_rescheduled, below) for the new schedule's (a newcomer's pass
  // found the old next occurrence kept beside the new one on the same day, or in place of the new one).
  const calendarEdit =
    scheduleChanged && next.is_recurring && next.recurrence_mode === 'calendar' && state.recurrence_mode === 'calendar';
  const replaced = calendarEdit
    ? (ctx.aheadOccurrences?.open ?? []).filter(
        (t) => t.series_id === state.id && !t.completed && t.deleted_at === null,
      )
    : [];
  // Ones spawned ahead and done or deleted since were the old schedule's too: the new schedule starts after
  // the latest kept as well. A done one is kept (its day is done: a new time that day must not bring the day
  // back); a deleted one is not (after it, the new schedule skipped the days before it) and the new schedule
  // may name its instant again (a deleted occurrence holds none: tasks_series_occurrence counts live rows).
  const restart = replaced.length > 0 || (calendarEdit && ctx.aheadOccurrences?.alsoAhead === true);
  if (scheduleChanged) {
    // An after-completion series waiting for its open instance keeps waiting: the edit applies from the
    // next completion on. Any other series (re)starts on its calendar after what it spawned last.
    const waiting = awaitingCompletion(state) && next.recurrence_mode === 'after_completion' && next.is_recurring;
    // The occurrences spawned ahead of their time were the old schedule's: they go (restart), and the
    // series goes on after the day of the latest occurrence kept, so the new schedule's next one
    // comes instead (every 3 days → every 2: Thursday's stays, Saturday comes, not the old Sunday).
    const lastSpawned = restart ? keptDayEnd(ctx, next) : state.last_spawned_at;
    if (restart) next.last_spawned_at = ctx.aheadOccurrences?.latestKept ?? null;
    next.next_occurrence =
      next.is_recurring && next.recurrence_rule && next.due_date && !waiting
        ? firstOccurrence(
            next.recurrence_rule,
            seriesStart(next, zoneOf(next, ctx)),
            zoneOf(next, ctx),
            seriesAfter(
              { last_spawned_at: lastSpawned, due_day: next.due_day },
              zoneOf(next, ctx),
              ctx,
              // An all-day series' occurrences are dates (floating, RFC 5545 §3.3.4): the date it spawned
              // last stays spawned in its new zone. A timed one keeps its instants. (The day kept after a
              // replacement is already in the new zone.)
              next.due_day !== null && state.due_day !== null && !restart ? zoneOf(state, ctx) : undefined,
            ),
          )
        : null;
  }

  const changes: Record<string, Change<unknown>> = {};
  for (const field of [
    'title',
    'description',
    'recurrence_rule',
    'timezone',
    'is_recurring',
    'list_id',
    'priority',
    'recurrence_mode',
    'assignee',
  ] as const) {
    if (next[field] !== state[field]) changes[field] = { from: state[field], to: next[field] };
  }
  if (!sameLabels(next.labels, state.labels)) changes.labels = { from: state.labels, to: next.labels };
  // The wall-clock start travels with the due date when that changed, else with the other edits.
  const dueMoved = next.due_date !== state.due_date || next.due_day !== state.due_day;
  const dueChanges: Record<string, Change<unknown>> = dueMoved
    ? { due_date: { from: state.due_date, to: next.due_date } }
    : {};
  if (next.due_day !== state.due_day) dueChanges.due_day = { from: state.due_day, to: next.due_day };
  if (next.dtstart_local !== state.dtstart_local) {
    (dueMoved ? dueChanges : changes).dtstart_local = {
      from: state.dtstart_local,
      to: next.dtstart_local,
    };
  }
  const events: PendingEvent[] = [];
  // A move with other edits is two events, the move first: the members of a shared list the task leaves
  // receive the move (they see it go) and none of the edits made with it, which reach only the members of
  // the list it goes to (each event's audience is the task's list before and after it: actors/list/audience.ts).
  const { list_id: moved, ...edited } = changes;
  if (moved !== undefined && Object.keys(edited).length > 0) {
    events.push(ev(state, 'task.updated', { changes: { list_id: moved } }));
    events.push(ev(state, 'task.updated', { changes: edited }));
  } else if (Object.keys(changes).length > 0) events.push(ev(state, 'task.updated', { changes }));
  if (dueMoved) events.push(ev(state, 'task.due_date_changed', { changes: dueChanges }));
  const rescheduled: Record<string, Change<unknown>> = {};
  if (next.next_occurrence !== state.next_occurrence)
    rescheduled.next_occurrence = { from: state.next_occurrence, to: next.next_occurrence };
  if (next.last_spawned_at !== state.last_spawned_at)
    rescheduled.last_spawned_at = { from: state.last_spawned_at, to: next.last_spawned_at };
  if (Object.keys(rescheduled).length > 0)
    events.push(ev(state, 'recurring.rescheduled', { changes: rescheduled, reason: 'edited' }));
  if (scheduleChanged) events.push(...followDueDate(state, next, ctx), ...tooFarForOthers(state, next, ctx));
  if (next.assignee !== state.assignee) events.push(...reassigned(state, next, events, ctx));
  // Each replaced occurrence's instant is free again (it holds none once deleted, and says so: occurrence_at
  // → null, as an undone completion frees the one it took back): a later edit back to the old schedule spawns it anew.
  for (const t of replaced)
    events.push(
      ev(t, 'task.deleted', {
        deleted_at: iso(ctx.now),
        changes: { occurrence_at: { from: t.occurrence_at, to: null } },
        reason: 'series_rescheduled',
      }),
      ...cancelPending(t, 'task_deleted'),
    );
  return events;
}

/**
 * The last instant (UTC ISO) of the local day, in `series`' zone, of the latest occurrence kept when a
 * schedule edit replaces those spawned ahead (DecideContext.aheadOccurrences), or null when none is
 * kept: the new schedule starts after that day (a series repeats once a day at most), or after now.
 */
function keptDayEnd(ctx: DecideContext, series: TaskState): string | null {
  const kept = ctx.aheadOccurrences?.latestKept;
  if (!kept) return null;
  const zone = zoneOf(series, ctx);
  return new Date(ms(dayStart('due_date', addDays(dayOf(kept, zone), 1), zone)) - 1).toISOString();
}

/**
 * The reminders an assignment change re-plans (issue 17): while a task is assigned, only the assignee's
 * reminders are live. Assigning it to Y cancels every other member's pending reminder (and series
 * template) with reason `assigned`; unassigning it, or assigning it to one of them, re-arms theirs as an
 * uncomplete re-arms those a completion cancelled: when their time (a relative one follows `next`'s due
 * date) is still ahead, and only for members who still have access to the task's list. `earlier` are
 * the events the same decision already has (a due date edit re-plans reminders first).
 */
function reassigned(
  state: TaskState,
  next: TaskState,
  earlier: readonly PendingEvent[],
  ctx: DecideContext,
): PendingEvent[] {
  const to = next.assignee;
  const access = accessTo(next.list_id, ctx);
  // A reminder a due date edit of this decision cancelled stays as that edit left it.
  const gone = new Set(
    earlier.filter((e) => e.event_type === 'reminder.cancelled').map((e) => e.data.reminder_id as string),
  );
  const out: PendingEvent[] = [];
  for (const r of state.reminders) {
    if (r.notified || gone.has(r.id)) continue;
    if (!r.cancelled) {
      if (to !== null && r.user_id !== to)
        out.push(ev(next, 'reminder.cancelled', { reminder_id: r.id, reason: 'assigned' }));
      continue;
    }
    if (r.cancel_reason !== 'assigned' || (to !== null && r.user_id !== to) || !access.includes(r.user_id)) continue;
    const at = rearmAt(r, next, ctx);
    if (at === undefined) continue;
    out.push(
      ev(next, 'reminder.scheduled', {
        reminder: { ...r, remind_at: at, cancelled: false, cancel_reason: null },
        reason: 'unassigned',
      }),
    );
  }
  return out;
}

/**
 * When a cancelled reminder `r` fires if re-armed on `task` now: null for a series' template (relative,
 * of the due date's kind), its instant when still ahead (a relative one follows the task's due date);
 * undefined when it cannot come back (its time has passed, or it no longer fits the due date).
 */
function rearmAt(r: ReminderState, task: TaskState, ctx: DecideContext): string | null | undefined {
  if (task.is_recurring) return isRelative(r) && fitsDue(r, task) ? null : undefined;
  if (task.completed) return undefined;
  const at = isRelative(r) && !fitsDue(r, task) ? null : relativeAt(r, task, zoneOf(task, ctx));
  if (at === null || ms(at) <= ctx.now.getTime()) return undefined;
  return at;
}

/**
 * The wall-clock start a series keeps after an edit: the due date as written when the edit sets one;
 * the kept start when neither the due date nor the zone changed; else the due date's wall-clock time
 * in the series' zone (a zone edit keeps the start's instant, as it always has). Null when the task is
 * not a series.
 */
function seriesWallStart(d: UpdateTask['data'], state: TaskState, next: TaskState, ctx: DecideContext): string | null {
  if (!next.is_recurring || next.due_date === null) return null;
  const zone = zoneOf(next, ctx);
  if ('due_date' in d && typeof d.due_date === 'string') return startOf('due_date', d.due_date, next.due_date, zone);
  // A start the edit's new zone cannot give (beyond year 9999 there) is that zone's fault, not the due date's.
  const field = !('due_date' in d) && zone !== zoneOf(state, ctx) ? 'timezone' : 'due_date';
  // An all-day series starts at the beginning of its date, whatever the zone (RFC 5545 DTSTART;VALUE=DATE).
  if (next.due_day !== null) return startOf(field, next.due_day, next.due_date, zone);
  const kept =
    state.is_recurring &&
    state.dtstart_local !== null &&
    next.due_date === state.due_date &&
    zone === zoneOf(state, ctx);
  return kept ? state.dtstart_local : startOf(field, null, next.due_date, zone);
}

/**
 * Undoing a completion brings back what the completion cancelled: each reminder it cancelled is re-armed
 * when its time (a relative one follows the current due date) is still ahead. Reminders removed by the
 * user, or whose time passed meanwhile, stay cancelled.
 */
export function uncomplete(state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (!state.completed) return [];
  const after: TaskState = { ...state, completed: false };
  const out: PendingEvent[] = [
    ev(state, 'task.uncompleted', {
      changes: { completed: { from: true, to: false }, completed_at: { from: state.completed_at, to: null } },
    }),
  ];
  // A completed all-day task is not moved by a zone change (host/users/turn.ts); reopened, it starts its
  // date in the zone it follows now.
  if (state.due_day !== null) {
    after.due_date = dayStart('due_date', state.due_day, zoneOf(state, ctx));
    if (after.due_date !== state.due_date)
      out.push(
        ev(state, 'task.due_date_changed', {
          changes: { due_date: { from: state.due_date, to: after.due_date } },
          reason: 'timezone_changed',
        }),
      );
  }
  for (const r of state.reminders) {
    if (!r.cancelled || r.notified || r.cancel_reason !== 'task_completed') continue;
    // A member who has no access to the task's list any more gets nothing back (issue 17).
    if (!accessTo(state.list_id, ctx).includes(r.user_id)) continue;
    // While the task is assigned, another member's reminder waits for the unassignment instead.
    if (state.assignee !== null && r.user_id !== state.assignee) {
      out.push(ev(after, 'reminder.cancelled', { reminder_id: r.id, reason: 'assigned' }));
      continue;
    }
    const at = isRelative(r) && !fitsDue(r, after) ? null : relativeAt(r, after, zoneOf(after, ctx));
    if (at === null || ms(at) <= ctx.now.getTime()) continue;
    out.push(
      ev(after, 'reminder.scheduled', {
        reminder: { ...r, remind_at: at, cancelled: false, cancel_reason: null },
        reason: 'task_uncompleted',
      }),
    );
  }
  return out;
}

function complete(state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (state.is_recurring) return completeNext(state, ctx);
  if (state.completed) return [];
  return [
    ev(state, 'task.completed', {
      changes: { completed: { from: false, to: true }, completed_at: { from: state.completed_at, to: iso(ctx.now) } },
    }),
    ...cancelPending(state, 'task_completed'),
    ...spawnAfter(state, 'completed', ctx),
  ];
}

/**
 * Completing a series completes its next occurrence ahead of its time (Todoist's and Things' ticking of a
 * repeating task: "Pay rent" ticked on the 28th for the 1st), when none of its occurrences is open: the
 * series spawns that occurrence now (`recurring.spawned`, `ahead` and `completed_early`) and the instance is
 * made (with its reminders, cancelled by its completion) and completed, in one turn; its next occurrence moves on, and the
 * one after spawns ahead when the completed one's time comes, as always. A series is not completed itself:
 * with an occurrence open, a 409 naming it (complete that one); an after-completion series (its next
 * follows a completion), an ended one, or one whose occurrences were not read: a 409 as before.
 */
function completeNext(state: TaskState, ctx: DecideContext): PendingEvent[] {
  const open = ctx.openOccurrence;
  if (open)
    throw conflict(
      `its occurrence ${open.id}${open.due_date ? ` due ${open.due_date}` : ''} is open: complete that one`,
    );
  if (
    open === undefined ||
    state.recurrence_mode !== 'calendar' ||
    !state.recurrence_rule ||
    !state.due_date ||
    !state.next_occurrence
  )
    throw conflict(
      'a recurring series is not completed itself: complete its occurrences, or delete the series to stop it',
    );
  const zone = zoneOf(state, ctx);
  const occurrence_at = state.next_occurrence;
  const following = firstOccurrence(state.recurrence_rule, seriesStart(state, zone), zone, ms(occurrence_at));
  const spawned = spawnEvents(state, occurrence_at, following, [], zone, ctx, {
    late_ms: 0,
    late: false,
    ahead: true,
    completed_early: true,
  });
  const instance = spawned.find((e) => e.event_type === 'task.created');
  if (!instance) return spawned;
  // It is made with its reminders, as any occurrence, and its completion cancels those pending, as any
  // completion does: so undoing the completion re-arms those still ahead (made without them, it came back
  // with none, while the row still said it had them).
  const passed = new Set(
    spawned.filter((e) => e.event_type === 'reminder.cancelled').map((e) => e.data.reminder_id as string),
  );
  const armed = spawned
    .filter((e) => e.event_type === 'reminder.scheduled' && e.aggregate_id === instance.aggregate_id)
    .map((e) => (e.data.reminder as ReminderState).id)
    .filter((id) => !passed.has(id));
  return [
    ...spawned,
    ev({ id: instance.aggregate_id }, 'task.completed', {
      changes: { completed: { from: false, to: true }, completed_at: { from: null, to: iso(ctx.now) } },
    }),
    ...armed.map((id) =>
      ev({ id: instance.aggregate_id }, 'reminder.cancelled', { reminder_id: id, reason: 'task_completed' }),
    ),
  ];
}

/**
 * The next instance of an after-completion series, spawned because its latest instance `instance` was
 * completed or deleted now (./after-completion.ts): nothing unless `ctx.series` is that instance's live
 * after-completion series, waiting for exactly this instance (so completing again after an uncomplete,
 * or completing an older instance, never spawns twice), and the series has not ended.
 */
function spawnAfter(instance: TaskState, how: 'completed' | 'deleted', ctx: DecideContext): PendingEvent[] {
  const series = ctx.series;
  if (series === undefined || instance.series_id === null || series.id !== instance.series_id) return [];
  if (series.deleted_at !== null || !series.is_recurring || !awaitingCompletion(series)) return [];
  if (series.last_spawned_at !== instance.occurrence_at) return [];
  const zone = zoneOf(series, ctx);
  const occurrence_at = nextAfterCompletion(series, ctx.now.getTime(), zone);
  if (occurrence_at === null) return [];
  return spawnEvents(series, occurrence_at, null, [], zone, ctx, {
    after: { instance_id: instance.id, [how]: iso(ctx.now) },
  });
}

/** The task deleted; `reason` 'series_deleted' when its series went (then nothing spawns after it). */
function remove(state: TaskState, ctx: DecideContext, reason?: 'series_deleted'): PendingEvent[] {
  const changes = state.next_occurrence !== null ? { next_occurrence: { from: state.next_occurrence, to: null } } : {};
  return [
    ev(state, 'task.deleted', { deleted_at: iso(ctx.now), changes, ...(reason ? { reason } : {}) }),
    ...cancelPending(state, 'task_deleted'),
    // Deleting the open instance of an after-completion series skips it: the series goes on from now.
    ...(state.completed || reason ? [] : spawnAfter(state, 'deleted', ctx)),
  ];
}

function addReminder(spec: ReminderSpec, state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (state.completed) throw conflict('the task is completed; uncomplete it to add reminders');
  onlyAssigneeReminds(state.assignee, actorOf(ctx));
  if (state.reminders.filter((r) => !r.cancelled).length >= MAX_REMINDERS)
    throw invalid('reminders', `at most ${MAX_REMINDERS} per task`);
  const reminder = newReminder(state, planReminder(spec, '', state, ctx), ctx);
  // A second click on "Add reminder" (a newcomer's pass) must not remind twice.
  const twin = state.reminders.find((r) => !r.cancelled && !r.notified && sameReminder(r, reminder));
  if (twin) throw conflict(`the task has this reminder already (${twin.id}): it would remind twice`);
  if (state.is_recurring && state.recurrence_rule && state.due_date) {
    const zone = zoneOf(state, ctx);
    checkReach(
      state.recurrence_rule,
      seriesStart(state, zone),
      zone,
      [reminder],
      () => reminderField([spec], 0, ''),
      ctx,
    );
  }
  return [ev(state, 'reminder.scheduled', { reminder })];
}

/**
 * Whether reminders `a` and `b` remind the same person at the same time: the same owner and the same
 * offset before the due date, or the same time of day and days before (all-day), or the same instant.
 */
export function sameReminder(
  a: Pick<ReminderState, 'user_id' | 'offset' | 'at_time' | 'days_before' | 'remind_at'>,
  b: Pick<ReminderState, 'user_id' | 'offset' | 'at_time' | 'days_before' | 'remind_at'>,
): boolean {
  if (a.user_id !== b.user_id) return false;
  if (a.offset !== null || b.offset !== null) return a.offset === b.offset;
  if (a.at_time !== null || b.at_time !== null) return a.at_time === b.at_time && a.days_before === b.days_before;
  return a.remind_at === b.remind_at;
}

/**
 * The reminder `id` of the member who issued the command (reminders are per member: another member's is
 * a 404, as one that does not exist); with `live`, only while it is not cancelled.
 */
function ownReminder(state: TaskState, id: string, ctx: DecideContext, live = false): ReminderState {
  const reminder = state.reminders.find((r) => r.id === id && r.user_id === actorOf(ctx) && !(live && r.cancelled));
  if (!reminder) throw notFound('reminder');
  return reminder;
}

function removeReminder(id: string, state: TaskState, ctx: DecideContext): PendingEvent[] {
  const reminder = ownReminder(state, id, ctx);
  // One resting because its due date left it no time (it would come back with a later one) is removed for good.
  if (reminder.cancelled && (reminder.notified || !LEFT_NO_TIME.has(reminder.cancel_reason ?? '')))
    throw notFound('reminder');
  return [ev(state, 'reminder.cancelled', { reminder_id: reminder.id, reason: 'removed' })];
}

/**
 * Snooze postpones a reminder that has fired: it fires again at the time the choice names (actors/task/
 * snooze.ts: a duration from now, an instant, or tomorrow at HH:MM in the user's zone), and no longer
 * waits to be acknowledged. Any other reminder is a 409 naming its state, because moving it to "now +
 * duration" could move it earlier (a reminder due in 18 months would fire in 10 minutes): `pending` (not
 * fired yet, or snoozed and not fired again), `cancelled`, `template` (a series' per-occurrence reminder),
 * or the task's state when it is completed. A bad choice is a 400 naming its field.
 */
function snooze(
  command: Extract<TaskCommand, { type: 'snooze_reminder' }>,
  state: TaskState,
  ctx: DecideContext,
): PendingEvent[] {
  const { type: _type, reminder_id: id, ...choice } = command;
  // A duration's days are the task's (its zone, as its reminders' offsets are), whoever snoozes.
  const plan = planSnooze(choice, ctx.now, ctx.userTimezone, zoneOf(state, ctx));
  const reminder = ownReminder(state, id, ctx);
  if (reminder.cancelled)
    throw conflict(
      `the reminder is cancelled${reminder.cancel_reason ? ` (${reminder.cancel_reason})` : ''}; only a fired reminder can be snoozed`,
    );
  if (state.is_recurring || reminder.remind_at === null)
    throw conflict('the reminder is a template of a series; snooze the reminder of an occurrence once it has fired');
  if (state.completed) throw conflict('the task is completed; only a fired reminder of an open task can be snoozed');
  if (!reminder.notified)
    throw conflict(
      `the reminder is pending (due ${reminder.remind_at}) and has not fired yet; only a fired reminder can be snoozed`,
    );
  return [
    ev(state, 'reminder.snoozed', {
      reminder_id: reminder.id,
      ...plan.choice,
      remind_at: { from: reminder.remind_at, to: plan.remind_at },
      notified: { from: reminder.notified, to: false },
    }),
  ];
}

/**
 * The user saw a fired reminder: `reminder.acknowledged`, which every device of the user receives and
 * clears. Idempotent: a fired reminder already acknowledged (or snoozed and fired again, then
 * acknowledged) decides nothing. 404 for a reminder the task does not have; 409 for one that cannot
 * have been seen: cancelled, a series' template, or pending (not fired yet, or snoozed and not fired again).
 */
function acknowledge(id: string, state: TaskState, ctx: DecideContext): PendingEvent[] {
  const reminder = ownReminder(state, id, ctx);
  if (reminder.unacknowledged)
    return [ev(state, 'reminder.acknowledged', { reminder_id: reminder.id, acknowledged_at: iso(ctx.now) })];
  if (reminder.notified) return [];
  if (reminder.cancelled)
    throw conflict(
      `the reminder is cancelled${reminder.cancel_reason ? ` (${reminder.cancel_reason})` : ''}; only a fired reminder can be acknowledged`,
    );
  if (reminder.remind_at === null)
    throw conflict(
      'the reminder is a template of a series; acknowledge the reminder of an occurrence once it has fired',
    );
  throw conflict(
    `the reminder is pending (due ${reminder.remind_at}) and has not fired yet; only a fired reminder can be acknowledged`,
  );
}

function fire(id: string, state: TaskState, ctx: DecideContext): PendingEvent[] {
  const reminder = state.reminders.find((r) => r.id === id);
  if (!reminder || !pending(reminder) || reminder.remind_at === null || state.completed) return [];
  const due = ms(reminder.remind_at);
  if (due > ctx.now.getTime() + EARLY_TOLERANCE_MS) return [];
  // Fire heals itself (issue 17): an owner who no longer has access to the task's list is never notified,
  // even when the member_gone fan-out of their removal has not reached this task (yet, or at all).
  if (!accessTo(state.list_id, ctx).includes(reminder.user_id))
    return [ev(state, 'reminder.cancelled', { reminder_id: reminder.id, reason: 'member_removed' })];
  const late_ms = Math.max(0, ctx.now.getTime() - due);
  return [
    ev(state, 'reminder.triggered', {
      reminder_id: reminder.id,
      task_id: state.id,
      title: state.title,
      due_date: state.due_date,
      // An all-day task's date, so a notification says the day without a time (issue 16).
      ...(state.due_day !== null ? { due_day: state.due_day } : {}),
      offset: reminder.offset,
      remind_at: reminder.remind_at,
      fired_at: iso(ctx.now),
      late_ms,
      late: late_ms > LATE_AFTER_MS,
      unacknowledged: true,
    }),
  ];
}

function spawn(state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (!state.is_recurring || !state.recurrence_rule || !state.due_date || !state.next_occurrence) return [];
  const zone = zoneOf(state, ctx);
  const now = ctx.now.getTime();
  const dueAt = (occ: string) => spawnNeededAt(state, occ, zone);
  // The next instance shows ahead (timers.ts spawnDueAt): once the occurrence spawned last has come.
  const ahead = state.last_spawned_at === null ? Number.POSITIVE_INFINITY : ms(state.last_spawned_at);
  if (Math.min(dueAt(state.next_occurrence), ahead) > now + EARLY_TOLERANCE_MS) return [];
  // Every occurrence whose instance must exist by now. Occurrences that came while nothing ran (downtime):
  // the latest is spawned and the older ones are recorded as skipped. An occurrence still ahead is never
  // skipped: without one that came, the earliest ahead is spawned, and the next turn spawns the one after.
  // None: this is the next one, spawned ahead.
  const maxLead = 400 * 86_400_000;
  const start = seriesStart(state, zone);
  const window = occurrences(state.recurrence_rule, start, zone, {
    after: new Date(ms(state.next_occurrence) - 1),
    until: new Date(now + maxLead),
    limit: 1000,
  }).map(iso);
  const due = window.filter((occ) => dueAt(occ) <= now + EARLY_TOLERANCE_MS);
  const came = due.filter((occ) => ms(occ) <= now + EARLY_TOLERANCE_MS);
  // None due: the next one, spawned ahead. That is the first of the window, which is the stored next
  // occurrence unless an older expansion stored one the series no longer has (a start on the second pass
  // of a repeated hour, kept as the first pass before that was told apart): never both.
  const first = window[0];
  const occurrence_at = (came.at(-1) ??
    due[0] ??
    (first !== undefined && ms(first) !== ms(state.next_occurrence) ? first : state.next_occurrence)) as string;
  const skipped = came.slice(0, -1);
  // An after-completion series spawns by its calendar only this once: the next waits for a completion.
  const following =
    state.recurrence_mode === 'after_completion'
      ? null
      : firstOccurrence(state.recurrence_rule, start, zone, ms(occurrence_at));
  const late_ms = Math.max(
    0,
    now - Math.min(dueAt(occurrence_at), occurrence_at === state.next_occurrence ? ahead : Number.POSITIVE_INFINITY),
  );
  const events = spawnEvents(state, occurrence_at, following, skipped, zone, ctx, {
    late_ms,
    late: late_ms > LATE_AFTER_MS,
    ...(dueAt(occurrence_at) > now + EARLY_TOLERANCE_MS ? { ahead: true } : {}),
  });
  // That occurrence has come (it was due, or missed): the one after it shows at once, ahead of its time.
  if (following === null || ms(occurrence_at) > now + EARLY_TOLERANCE_MS) return events;
  const after = { ...state, next_occurrence: following };
  const then = firstOccurrence(state.recurrence_rule, start, zone, ms(following));
  return [...events, ...spawnEvents(after, following, then, [], zone, ctx, { late_ms: 0, late: false, ahead: true })];
}

/**
 * The events of `series` spawning the instance due `occurrence_at`: `recurring.spawned` (with `following`
 * as the series' next occurrence, the skipped occurrences, and `extra` fields), the instance's
 * `task.created`, and one reminder per template reminder of the series.
 */
function spawnEvents(
  state: TaskState,
  occurrence_at: string,
  following: string | null,
  skipped: readonly string[],
  zone: string,
  ctx: DecideContext,
  extra: Record<string, unknown>,
): PendingEvent[] {
  const instance = {
    id: ctx.newId(),
    user_id: state.user_id,
    title: state.title,
    description: state.description,
    completed: false,
    due_date: occurrence_at,
    // An all-day series spawns all-day instances, each on its occurrence's local date.
    due_day: state.due_day === null ? null : dayOf(occurrence_at, zone),
    recurrence_rule: null,
    timezone: state.timezone,
    is_recurring: false,
    next_occurrence: null,
    dtstart_local: null,
    last_spawned_at: null,
    series_id: state.id,
    occurrence_at,
    list_id: state.list_id,
    priority: state.priority,
    labels: state.labels,
    completed_at: null,
    recurrence_mode: 'calendar' as const,
    spawn_count: 0,
    assignee: state.assignee,
    created_at: iso(ctx.now),
    deleted_at: null,
  };
  // Each instance reminder belongs to the member whose template it copies. One whose time came before its
  // template was set was never due: it is there, cancelled as passed (a later due date may bring it back),
  // and never fires late.
  const templates = state.reminders.filter((r) => !r.cancelled && isRelative(r) && fitsDue(r, instance));
  const reminders = templates.map((template) =>
    newReminder(
      instance,
      {
        offset: template.offset,
        remind_at: relativeAt(template, instance, zone),
        at_time: template.at_time,
        days_before: template.days_before,
      },
      ctx,
      template.user_id,
    ),
  );
  const neverDue = reminders.filter(
    (r, i) => ms(r.remind_at as string) < reminderSince(state, templates[i] as ReminderState),
  );
  return [
    ev(state, 'recurring.spawned', {
      occurrence_at,
      instance_id: instance.id,
      next_occurrence: { from: state.next_occurrence, to: following },
      skipped: skipped.slice(-MAX_LISTED_SKIPS),
      skipped_count: skipped.length,
      ...extra,
    }),
    ev(instance, 'task.created', { task: instance }),
    ...reminders.map((reminder) => ev(instance, 'reminder.scheduled', { reminder })),
    ...neverDue.map((r) => ev(instance, 'reminder.cancelled', { reminder_id: r.id, reason: 'passed' })),
  ];
}

type Rescheduled = Pick<TaskState, 'due_date' | 'dtstart_local'>;

/**
 * Where a series that follows the user's zone starts once the zone changes from `fromZone` to `toZone`:
 * it keeps its wall-clock start (`dtstart_local`, ISO local date-time; for an older series read from
 * `due_date` in `fromZone`), 09:00 in the old zone becomes 09:00 in the new one, even when 09:00 on the
 * first day does not exist in the new zone (only that day's instant moves). `due_date` is that start's
 * instant in `toZone` (UTC ISO text); a start on the second pass of a repeated hour keeps to the second
 * pass where `toZone` repeats that hour too (New York → Toronto), and is the one instant elsewhere.
 *
 * Throws a DomainError `validation` naming `timezone` when that instant lies outside years 0001–9999
 * (9999-12-31T13:00 is 10000-01-01T01:00Z in Etc/GMT+12). The user turn runs this for every following
 * series BEFORE it commits a zone change, so such a change is refused whole (400 on `timezone`) rather
 * than committed with some series left unrescheduled; `reschedule` checks again for a series created
 * meanwhile (that one keeps its old instant: its turn is refused, the others go on).
 */
export function rescheduledStart(
  state: Rescheduled & { due_date: string },
  fromZone: string,
  toZone: string,
): { dtstart_local: string; due_date: string } {
  const dtstart_local = state.dtstart_local ?? formatWall(parseStart(new Date(state.due_date), fromZone));
  // A start on the second pass of a repeated hour stays on the second pass where the new zone repeats it too.
  const fold = parseStart(seriesStart(state, fromZone), fromZone).at === undefined ? 0 : 1;
  const due_date = checkInstant(
    'timezone',
    localToInstant(parseStart(dtstart_local, toZone), toZone, fold).getTime(),
    `a series starting ${dtstart_local} (wall clock) in ${toZone}`,
  );
  return { dtstart_local, due_date };
}

/** Whether the task's maker has left its (not deleted) list: their zone changes no longer move its times. */
const makerLeft = (state: TaskState, ctx: DecideContext): boolean =>
  !ctx.listDeleted?.(state.list_id) && !accessTo(state.list_id, ctx).includes(state.user_id);

function reschedule(fromZone: string, toZone: string, state: TaskState, ctx: DecideContext): PendingEvent[] {
  // A reschedule to a zone the user has left again since (a late one: a fan-out finished after a crash,
  // another replica's) moves nothing: the newer change's own reschedule is the one that counts.
  if (ctx.userTimezone !== toZone) return [];
  // Its maker has left its list, and their zone change reached it before member_gone could give it their
  // zone (their times there were not yet this task's): it keeps the zone its times are in, and moves not.
  if (zoneBound(state) && fromZone !== toZone && makerLeft(state, ctx))
    return [
      ev(state, 'task.updated', { changes: { timezone: { from: null, to: fromZone } }, reason: 'member_removed' }),
    ];
  if (!state.is_recurring && state.due_day !== null) return rescheduleDay(fromZone, toZone, state, ctx);
  if (!state.is_recurring && state.series_id !== null) return rescheduleInstance(fromZone, toZone, state, ctx);
  if (
    !state.is_recurring ||
    state.timezone !== null ||
    fromZone === toZone ||
    !state.recurrence_rule ||
    !state.due_date
  )
    return [];
  const { dtstart_local, due_date } = rescheduledStart(
    { due_date: state.due_date, dtstart_local: state.dtstart_local },
    fromZone,
    toZone,
  );
  // An after-completion series waiting for its open instance keeps waiting (its next due follows the completion).
  // Any other goes on from where it stands (standingAfterZoneChange).
  const next_occurrence = awaitingCompletion(state)
    ? null
    : firstOccurrence(
        state.recurrence_rule,
        seriesStart({ dtstart_local, due_date }, toZone),
        toZone,
        standingAfterZoneChange(state, fromZone, toZone, ctx),
      );
  const changes: Record<string, Change<unknown>> = {};
  if (due_date !== state.due_date) changes.due_date = { from: state.due_date, to: due_date };
  if (dtstart_local !== state.dtstart_local) changes.dtstart_local = { from: state.dtstart_local, to: dtstart_local };
  if (next_occurrence !== state.next_occurrence)
    changes.next_occurrence = { from: state.next_occurrence, to: next_occurrence };
  if (Object.keys(changes).length === 0) return [];
  return [
    ev(state, 'recurring.rescheduled', { changes, reason: 'timezone_changed', zone: { from: fromZone, to: toZone } }),
  ];
}

/** How far back a zone change looks for the series' last occurrence before its next one (ms), past the last spawn. */
const STANDING_LOOKBACK_MS = 3 * 86_400_000;

/**
 * Where a series stands when its user's zone changes, as the instant in the new zone that its next occurrence
 * comes strictly after: its last occurrence before `next_occurrence` in the old zone's calendar, at the same
 * wall-clock time in the new zone. Not the instant it last spawned at read in the old zone (that instant is in
 * the zone it spawned in: a move there and back brought that occurrence back), nor next_occurrence's own
 * wall-clock time (on a day the clocks skip it is shifted past that day's occurrence, which was then lost).
 * A series that never spawned starts after now.
 */
function standingAfterZoneChange(state: TaskState, fromZone: string, toZone: string, ctx: DecideContext): number {
  if (state.last_spawned_at === null || state.next_occurrence === null || !state.recurrence_rule)
    return seriesAfter(state, toZone, ctx, fromZone);
  const now = seriesAfter({ last_spawned_at: null, due_day: state.due_day }, toZone, ctx);
  const next = ms(state.next_occurrence);
  const before = occurrences(state.recurrence_rule, seriesStart(state, fromZone), fromZone, {
    after: new Date(Math.min(ms(state.last_spawned_at), next) - STANDING_LOOKBACK_MS),
    until: new Date(next),
    limit: 1000,
  }).filter((d) => d.getTime() < next);
  const last = before.at(-1);
  return Math.max(
    now,
    last === undefined ? sameWall(state.next_occurrence, fromZone, toZone) - 1 : sameWall(iso(last), fromZone, toZone),
  );
}

/**
 * Whether the task's times depend on its home user's zone (no zone of its own: a series with a rule, or an
 * all-day task, whose first instant is its date's start there): what a zone change of theirs moves
 * (`reschedule`, `rescheduleDay`; host/users/turn.ts), and what keeps their zone when they leave its list.
 */
export function zoneBound(state: TaskState): boolean {
  if (state.timezone !== null || state.deleted_at !== null) return false;
  return (state.is_recurring && state.recurrence_rule !== null) || state.due_day !== null;
}

/**
 * Whether the task's stored times are those of `zone`: an all-day task's first instant is its date's start
 * there, a series' start instant has its written wall-clock start there (dtstart_local). False while a zone
 * change of its user has committed and not reached the task yet (or for a series started in a DST gap, whose
 * written time is kept apart from its instant: then its zone is taken when its user's zone next changes).
 * True when nothing tells (no due date, a completed all-day task, a timed task without dtstart_local).
 * Used by memberGone and by host/users/turn.ts finishZoneChanges.
 */
export function timesIn(state: TaskState, zone: string): boolean {
  // A completed all-day task's first instant is taken again in its zone when it is reopened (a zone change
  // passes it by meanwhile): its date is what it holds.
  if (state.due_date === null || (state.due_day !== null && state.completed)) return true;
  try {
    if (state.due_day !== null) return dayStart('due_date', state.due_day, zone) === state.due_date;
    if (state.dtstart_local === null) return true;
    return formatWall(parseStart(new Date(state.due_date), zone)) === state.dtstart_local;
  } catch (error) {
    if (error instanceof RecurrenceError || error instanceof DomainError) return false;
    throw error;
  }
}

/**
 * An all-day task that follows the user's zone keeps its calendar date when the zone changes: its first
 * instant moves to the start of that date in `toZone`, and its reminders keep their wall-clock times.
 */
function rescheduleDay(fromZone: string, toZone: string, state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (state.timezone !== null || fromZone === toZone || state.due_day === null) return [];
  return movedByZone(state, dayStart('timezone', state.due_day, toZone), fromZone, toZone, ctx);
}

/** A zone change moving the task's due date to `due_date`: the event, and its reminders following while it is open. */
function movedByZone(
  state: TaskState,
  due_date: string,
  fromZone: string,
  toZone: string,
  ctx: DecideContext,
): PendingEvent[] {
  if (due_date === state.due_date) return [];
  const after: TaskState = { ...state, due_date };
  return [
    ev(state, 'task.due_date_changed', {
      changes: { due_date: { from: state.due_date, to: due_date } },
      reason: 'timezone_changed',
      zone: { from: fromZone, to: toZone },
    }),
    ...(state.completed ? [] : followDueDate(state, after, { ...ctx, userTimezone: toZone })),
  ];
}

/**
 * An open timed instance of a series that follows its user's zone (no zone of its own) keeps its wall-clock
 * time in the new zone, as its series does (`reschedule`): after a zone change the occurrences are the
 * series' own, each day's once (a user's pass saw a daily 07:28 at 23:28 and again at 07:28 after moving
 * to Los Angeles: the instance spawned ahead had kept its instant). Its relative reminders follow it; its
 * `occurrence_at` stays (which occurrence it is). A done instance is history and stays where it was.
 */
function rescheduleInstance(fromZone: string, toZone: string, state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (state.timezone !== null || fromZone === toZone || state.completed || state.due_date === null) return [];
  // Its maker left its list: their times there are not this task's any more (as `reschedule` keeps a series).
  if (makerLeft(state, ctx)) return [];
  const moved = sameWall(state.due_date, fromZone, toZone);
  // The same wall-clock time outside years 0001–9999 once in UTC: it keeps its instant (a review's catch:
  // written, that instant failed the zone change half-way, after the zone had committed).
  if (!inRange(moved)) return [];
  return movedByZone(state, new Date(moved).toISOString(), fromZone, toZone, ctx);
}

/**
 * The task's list was deleted: still in it, the task moves to its home user's Inbox or is deleted;
 * moved away meanwhile, nothing. Moved from a shared list (issue 17), it is the home user's alone: the
 * other members' reminders are cancelled (`member_removed`) and an assignment to another member is
 * cleared, which re-arms the home user's reminders that assignment had cancelled.
 */
function listDeleted(listId: string, mode: 'move' | 'delete', state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (state.list_id !== listId) return [];
  if (mode === 'delete') return remove(state, ctx);
  const home = ctx.userId;
  const others = state.reminders
    .filter((r) => r.user_id !== home && (!r.cancelled || r.cancel_reason === 'assigned'))
    .map((r) => ev(state, 'reminder.cancelled', { reminder_id: r.id, reason: 'member_removed' }));
  const unassign = state.assignee !== null && state.assignee !== home;
  const next: TaskState = { ...state, list_id: inboxIdOf(home), ...(unassign ? { assignee: null } : {}) };
  return [
    ...others,
    ev(state, 'task.updated', {
      changes: {
        list_id: { from: state.list_id, to: next.list_id },
        ...(unassign ? { assignee: { from: state.assignee, to: null } } : {}),
      },
      reason: 'list_deleted',
    }),
    ...(unassign ? reassigned(state, next, others, { ...ctx, membersOf: () => [home] }) : []),
  ];
}

/** One of the user's labels was deleted: the task drops it when it carries it. */
function labelDeleted(labelId: string, state: TaskState): PendingEvent[] {
  if (!state.labels.includes(labelId)) return [];
  return [
    ev(state, 'task.updated', {
      changes: { labels: { from: state.labels, to: state.labels.filter((l) => l !== labelId) } },
      reason: 'label_deleted',
    }),
  ];
}

/**
 * `userId` left the task's list or was removed from it (host/lists/turn.ts fans this out once the removal
 * committed), `reason` saying which (`member_left`, `member_removed`: the reason of each event below): their
 * reminders on the task are cancelled (also those an assignment had
 * cancelled, so unassigning never re-arms them), and an assignment to them is cleared, which re-arms the
 * other members' reminders (`reassigned`). On a task they made, one that followed their zone gets that zone
 * as its own and their labels are dropped (`task.updated`). Nothing when they have access to the task's list again (a
 * new invitation accepted since, or the task moved to a list of theirs).
 */
function memberGone(userId: string, reason: MemberGoneReason, state: TaskState, ctx: DecideContext): PendingEvent[] {
  if (accessTo(state.list_id, ctx).includes(userId)) return [];
  const out: PendingEvent[] = state.reminders
    .filter((r) => r.user_id === userId && (!r.cancelled || r.cancel_reason === 'assigned'))
    .map((r) => ev(state, 'reminder.cancelled', { reminder_id: r.id, reason }));
  // Their own task (they made it) stays in the list, but nothing of theirs reaches into the list any more:
  // one that followed their zone keeps the zone it has now (ctx.userTimezone: the home user's), so a later
  // zone change of theirs moves nothing here and tells the members nothing; their personal labels go.
  if (state.user_id === userId) {
    const changes: Record<string, Change<unknown>> = {};
    if (zoneBound(state) && timesIn(state, ctx.userTimezone)) changes.timezone = { from: null, to: ctx.userTimezone };
    if (state.labels.length > 0) changes.labels = { from: state.labels, to: [] };
    if (Object.keys(changes).length > 0) out.push(ev(state, 'task.updated', { changes, reason }));
  }
  if (state.assignee !== userId) return out;
  const next: TaskState = { ...state, assignee: null };
  out.push(
    ev(state, 'task.updated', { changes: { assignee: { from: userId, to: null } }, reason }),
    ...reassigned(state, next, out, ctx),
  );
  return out;
}
