// joi schemas for every route's params, query, payload and headers. Compiled once at start-up; the
// same objects generate the OpenAPI document. Every string here is a `Joi.string()` of the extended
// Joi below, so the one rule for strings (DESIGN: "Inputs at the edge") holds for every field.
import BaseJoi from 'joi';
import type { CustomHelpers, ErrorReport, Root, StringSchema } from 'joi';
import {
  MAX_TITLE,
  MAX_DESCRIPTION,
  MAX_REMINDERS,
  MAX_TASK_LABELS,
  MIN_PRIORITY,
  MAX_PRIORITY,
} from '../actors/task/index.ts';
import { RECURRENCE_MODES } from '../actors/task/index.ts';
import { MAX_LIST_NAME, MAX_POSITION, COLOR } from '../actors/list/index.ts';
import { MAX_ZONE_LENGTH } from '../actors/zone.ts';
import { MAX_LABEL_NAME } from '../actors/label/index.ts';
import { TASK_SORTS } from './ports.ts';
import { IDEMPOTENCY_KEY } from './context.ts';
import { INSTANT } from '../actors/task/time.ts';
import { TIME_OF_DAY, MAX_DAYS_BEFORE } from '../actors/task/all-day.ts';
import { WALL_TIME } from '../actors/task/snooze.ts';
import { ISO_DURATION } from '../actors/durations.ts';
import { MAX_RULE_LENGTH } from '../actors/recurrence/index.ts';
import { MAX_SUBJECT, subjectProblem, textProblem, bmpClass, FORMAT_CHARACTER } from './text.ts';
import { MAX_QUICK_ADD } from './quick-add/parse.ts';

/** What String#trim takes as white space (JavaScript's `\s`), spelled out: Python's `\s`, which a fuzzer reads the document with, differs (U+0085). */
const TRIMMED = `[${bmpClass(/\s/)}]`;
/** `subjectProblem` as a pattern, for the document: not "." or "..", no white space at either end, no control or BMP format character. */
const SUBJECT_PATTERN = new RegExp(
  `^(?!\\.{1,2}$)(?!${TRIMMED})(?![\\s\\S]*${TRIMMED}$)[^\\u0000-\\u001f\\u007f${bmpClass(FORMAT_CHARACTER)}]*$`,
);

// The rules for strings and user ids live in api/text.ts (no imports but a leaf, so auth.ts can use them without a cycle).
export { MAX_SUBJECT, subjectProblem, textProblem } from './text.ts';

/** A joi string that also has `.multiline()`: tab, LF and CR allowed (descriptions). */
export interface TextSchema<TSchema = string> extends StringSchema<TSchema> {
  multiline(): this;
  /** At most `limit` characters (Unicode code points, as PostgreSQL's length() and JSON Schema's maxLength count). */
  chars(limit: number): this;
}
interface TextRoot extends Root {
  string<TSchema = string>(): TextSchema<TSchema>;
}

/** joi whose every `string()` keeps the rule for strings (a 400 naming the field otherwise), in NFC. */
export const Joi = BaseJoi.extend((joi: Root) => ({
  type: 'string',
  base: joi.string(),
  messages: { 'string.text': '{{#label}} {{#problem}}' },
  rules: {
    // joi's max() counts UTF-16 code units: an emoji is 2, so 50 emoji would pass the document's maxLength
    // of 50 (JSON Schema counts code points) and fail here. chars() counts what the document and the
    // database count; its error is joi's own string.max, so messages stay the same.
    chars: {
      method(this: StringSchema, limit: number) {
        return this.$_addRule({ name: 'chars', args: { limit } });
      },
      args: [
        {
          name: 'limit',
          assert: (v: unknown) => Number.isInteger(v) && (v as number) >= 0,
          message: 'must be a non-negative integer',
        },
      ],
      validate(value: string, helpers: CustomHelpers, args: Record<string, unknown>) {
        let n = 0;
        for (const _ of value)
          if (++n > (args.limit as number)) return helpers.error('string.max', { limit: args.limit, value });
        return value;
      },
    },
    multiline: {
      method(this: StringSchema) {
        return this.$_setFlag('multiline', true);
      },
    },
  },
  validate(value: unknown, helpers: CustomHelpers): { value: unknown; errors?: ErrorReport } | undefined {
    if (typeof value !== 'string') return undefined;
    const problem = textProblem(value, { multiline: helpers.schema.$_getFlag('multiline') === true });
    if (problem) return { value, errors: helpers.error('string.text', { problem }) };
    // Text is kept in Unicode Normalization Form C (UAX #15; the W3C's form for the web): "René" typed
    // precomposed and pasted decomposed (macOS file names, some input methods) is one text, so a search
    // finds either, and a name compares equal to itself.
    const nfc = value.normalize('NFC');
    return nfc === value ? undefined : { value: nfc };
  },
})) as TextRoot;

export const MAX_PAYLOAD_BYTES = 64 * 1024;
// The patterns are the parsers' own (actors/task/time.ts, actors/durations.ts), so the document and the
// first check agree with the one parser; the parser still decides calendar dates, ranges and offsets.
const dateTime = Joi.string()
  .chars(112)
  .pattern(INSTANT, { name: 'ISO-8601 date-time or date (offset optional)' })
  .messages({ 'string.pattern.name': '{{#label}}: "{{#value}}" is not an ISO-8601 date-time' })
  .description(
    "ISO-8601 date-time; without an offset it is wall-clock time in the task's zone, or in the zone an RFC 9557 suffix names (2026-12-24T09:00[America/New_York]). As a due_date, a date alone (2026-12-24) makes an all-day task",
  );
const duration = Joi.string()
  .chars(32)
  .pattern(new RegExp(ISO_DURATION.source, 'i'), { name: 'ISO-8601 duration (e.g. PT10M, PT1H, P1D)' })
  .messages({
    'string.pattern.name':
      '{{#label}}: "{{#value}}" is not a supported ISO-8601 duration (weeks, days, hours, minutes, seconds: PT10M, PT1H, P1D, P1W)',
  });
const zone = Joi.string().chars(MAX_ZONE_LENGTH).description('IANA time zone, e.g. Europe/Berlin');
const rule = Joi.string().chars(MAX_RULE_LENGTH).description('RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR');
/**
 * The longest GET /tasks cursor (characters): base64url of its JSON, whose key for sort=title is the title
 * lower-cased. MAX_TITLE code points at most 8 bytes each there (4 in UTF-8, 3 when lower-casing makes
 * two, 6 as a JSON escape), plus 200 for the rest. A cap of 1,000 refused the server's own cursor after a
 * title of 250 accented letters (an attacker's pass).
 */
const TASK_CURSOR_CHARS = Math.ceil(((MAX_TITLE * 8 + 200) * 4) / 3);

/**
 * An id: a UUID as 8-4-4-4-12 hex digits, in either case, read as its lower-case form (the one the database
 * and every event hold: RFC 9562 §4 says UUIDs compare case-insensitively and are written lower-case).
 * Braces are refused. A route never sees another spelling: an upper-case id reached the actor turn as is,
 * met the lower-case row and failed the write (500), and queued apart from its other spelling.
 */
export const uuid = Joi.string()
  .guid({ separator: '-' })
  .pattern(/^[0-9a-f-]{36}$/i)
  .lowercase()
  .messages({ 'string.pattern.base': '{{#label}} must be a UUID without braces (8-4-4-4-12 hex digits)' });

export const reminderSpec = Joi.object({
  before: duration.description('relative to the due date (timed tasks)'),
  at: dateTime.description('absolute instant'),
  at_time: Joi.string()
    .chars(5)
    .pattern(TIME_OF_DAY, { name: 'HH:MM' })
    .messages({ 'string.pattern.name': '{{#label}}: "{{#value}}" is not a time of day HH:MM (00:00 to 23:59)' })
    .description("all-day tasks: wall-clock time HH:MM in the task's zone, on its day or days_before it"),
  days_before: Joi.number()
    .integer()
    .min(0)
    .max(MAX_DAYS_BEFORE)
    .description('with at_time: how many days before the all-day date (default 0, on the day)'),
})
  .xor('before', 'at', 'at_time')
  .with('days_before', 'at_time');
export const reminderPayload = reminderSpec.label('reminder');

export const taskId = Joi.object({ id: uuid.required() });
const color = Joi.string().pattern(COLOR, { name: '#rrggbb' }).description('#rrggbb (stored lower case)');
const priority = Joi.number()
  .integer()
  .min(MIN_PRIORITY)
  .max(MAX_PRIORITY)
  .description(`${MIN_PRIORITY} (highest) to ${MAX_PRIORITY} (none, the default)`);
const labelIds = Joi.array()
  .items(uuid)
  .max(MAX_TASK_LABELS)
  .description("label ids (the set replaces the task's labels)");
const recurrenceMode = Joi.string()
  .valid(...RECURRENCE_MODES)
  .description(
    "how a series finds its next occurrence: calendar (the rule's calendar from due_date, the default) or after_completion (the next instance spawns when the previous one is completed, due on the completion day at the series' time of day advanced by the rule; FREQ with INTERVAL, COUNT or UNTIL, WKST, and plain weekdays in BYDAY for WEEKLY)",
  );
export const reminderParams = Joi.object({ id: uuid.required(), rid: uuid.required() });
/**
 * Whom a task is assigned to: a user with access to its list (on a private list only its owner), or null.
 * Not such a user: 400 naming `assignee` (actors/task/decide.ts checkAssignee).
 */
const assignee = () =>
  subjectSchema()
    .allow(null)
    .description(
      "the user the task is assigned to: its list's owner or an active member (on a private list only you), or null; while assigned, only the assignee's reminders are live (the others' are cancelled, reason assigned, and come back when it is unassigned) and only the assignee may add reminders (409)",
    );

export const createTask = Joi.object({
  title: Joi.string().trim().min(1).chars(MAX_TITLE).required(),
  description: Joi.string().multiline().chars(MAX_DESCRIPTION).allow(null, ''),
  due_date: dateTime.allow(null),
  recurrence_rule: rule.allow(null),
  timezone: zone.allow(null),
  reminders: Joi.array().items(reminderSpec).max(MAX_REMINDERS),
  list_id: uuid.description('default: the Inbox'),
  priority,
  labels: labelIds,
  recurrence_mode: recurrenceMode,
  assignee: assignee(),
}).label('CreateTask');

/**
 * A language tag as quick add takes it: language, then optionally script and region (BCP 47 / UTS #35:
 * "en", "en-GB", "zh-Hans-CN", "es-419"), what the dashboard sends (`Intl.Locale#baseName` without
 * variants). Every tag of this form is one Intl accepts, so the document's pattern and the check agree.
 */
export const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?$/;

/** `value` in Intl's canonical form ("en-gb" → "en-GB"); any.invalid should Intl refuse it all the same. */
function canonicalLocale(value: string, helpers: CustomHelpers): string | ErrorReport {
  try {
    return Intl.getCanonicalLocales(value)[0] ?? value;
  } catch {
    return helpers.error('any.invalid');
  }
}

/** POST /quick-add/preview: one line of quick-add text (api/quick-add/parse.ts). */
export const parseTask = Joi.object({
  text: Joi.string()
    .min(1)
    .chars(MAX_QUICK_ADD)
    .required()
    .description(
      'one line of plain English, e.g. "Pay rent every month on the 1st at 9am !1 #Home" (!1-!4 priority, #List, @label, every … repeats)',
    ),
  locale: Joi.string()
    .pattern(LOCALE, { name: 'language[-Script][-REGION] tag (BCP 47)' })
    .custom(canonicalLocale)
    .messages({
      'string.pattern.name': '{{#label}} must be a BCP 47 language tag: language[-Script][-REGION], e.g. en-GB',
      'any.invalid': '{{#label}} must be a BCP 47 language tag: language[-Script][-REGION], e.g. en-GB',
    })
    .description(
      'the user\'s language tag (BCP 47, e.g. en-GB, as the browser\'s navigator.language): a date in figures is read in its order ("3/4" is 3 April in en-GB, March 4 in en-US); default en-US',
    ),
}).label('ParseTask');

export const patchTask = Joi.object({
  title: Joi.string().trim().min(1).chars(MAX_TITLE),
  description: Joi.string().multiline().chars(MAX_DESCRIPTION).allow(null, ''),
  due_date: dateTime.allow(null),
  recurrence_rule: rule.allow(null),
  timezone: zone.allow(null),
  list_id: uuid.description('moves the task to this list'),
  priority,
  labels: labelIds,
  recurrence_mode: recurrenceMode,
  assignee: assignee(),
})
  .min(1)
  .label('PatchTask');

export const listTasksQuery = Joi.object({
  completed: Joi.boolean(),
  due_before: dateTime,
  due_after: dateTime,
  series_id: uuid,
  list_id: uuid,
  label: uuid.description('a label id the task carries'),
  priority,
  assignee: subjectSchema().description('the user id the task is assigned to; `me` for yourself'),
  q: Joi.string()
    .chars(200)
    .description(
      'words in the title or description (each a prefix, all must match; accents fold both ways: cafe finds Café); #List and @label (names of yours, as quick add reads them) narrow to that list and label',
    ),
  view: Joi.string()
    .valid('today', 'upcoming', 'overdue', 'completed', 'assigned')
    .description(
      'today: open, due before the end of today in your zone (overdue included); upcoming: open, due from now through the end of day +7; overdue: open, due before now; completed: most recently completed first; assigned: open, assigned to you (in shared lists; a repeating task as its series and its occurrences), soonest due first. An all-day task counts by its date in your zone: due today until the day ends, overdue from the next day',
    ),
  sort: Joi.string()
    .valid(...TASK_SORTS)
    .description(
      'default: created (a view: due; completed: completion time). priority: 1 (highest) first, and within one priority soonest due first, tasks without a due date last (order=desc is the exact reverse)',
    ),
  order: Joi.string().valid('asc', 'desc').description('default: desc for created and completed, asc otherwise'),
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().chars(TASK_CURSOR_CHARS).description('`next_cursor` of the previous page'),
});

export const listId = Joi.object({ id: uuid.required() });
export const createList = Joi.object({
  name: Joi.string().trim().min(1).chars(MAX_LIST_NAME).required(),
  color: color.allow(null),
  position: Joi.number().integer().min(0).max(MAX_POSITION),
}).label('CreateList');
export const patchList = Joi.object({
  name: Joi.string().trim().min(1).chars(MAX_LIST_NAME),
  color: color.allow(null),
  position: Joi.number().integer().min(0).max(MAX_POSITION),
})
  .min(1)
  .label('PatchList');
export const deleteListQuery = Joi.object({
  tasks: Joi.string()
    .valid('move', 'delete')
    .default('move')
    .description("move (default): the list's tasks go to the Inbox; delete: they are deleted"),
});
export const createLabel = Joi.object({
  name: Joi.string().trim().min(1).chars(MAX_LABEL_NAME).required(),
  color: color.allow(null),
}).label('CreateLabel');
export const patchLabel = Joi.object({
  name: Joi.string().trim().min(1).chars(MAX_LABEL_NAME),
  color: color.allow(null),
})
  .min(1)
  .label('PatchLabel');
export const upcomingQuery = Joi.object({
  days: Joi.number().integer().min(1).max(31).default(7).description('local days after today'),
});

export const snooze = Joi.object({
  for: duration.description(
    'a duration from now (e.g. PT10M, PT1H); its days nominal in the task’s zone (P1D: the same wall-clock time tomorrow there, across DST); at most 30 days',
  ),
  until: dateTime.description(
    "an instant; without an offset, wall-clock time in the zone of the task's creator (yours for your own tasks), or in the zone an RFC 9557 suffix names (2026-12-01T09:00[America/New_York]); at most 30 days ahead",
  ),
  tomorrow_at: Joi.string()
    .pattern(WALL_TIME, { name: 'HH:MM' })
    .description(
      "wall-clock time on the next day, both in `timezone`, else in the zone of the task's creator (yours for your own tasks; e.g. 09:00); correct across DST",
    ),
  timezone: Joi.string()
    .max(64)
    .description("with tomorrow_at: the IANA zone whose tomorrow and wall clock are meant (the snoozer's, say)"),
})
  .xor('for', 'until', 'tomorrow_at')
  .with('timezone', 'tomorrow_at')
  .label('Snooze');

/** GET /reminders: the user's fired, unacknowledged reminders, newest first. */
export const remindersQuery = Joi.object({
  state: Joi.string().valid('unacknowledged').required().description('only `unacknowledged` for now'),
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().chars(400).description('`next_cursor` of the previous page'),
});
export const undo = Joi.object({
  event_id: uuid.required().description("the event to undo, from the task's history or the event stream"),
}).label('Undo');

export const occurrencesQuery = Joi.object({ limit: Joi.number().integer().min(1).max(100).default(10) });

export const preview = Joi.object({
  rule: rule.required(),
  start: dateTime
    .required()
    .description(
      'first wall-clock start (ISO, offset optional), read in the series zone (or in the zone an RFC 9557 suffix names), as a series due date is',
    ),
  timezone: zone.description('the series zone: a zone of its own'),
  home_of: uuid.description(
    "instead of timezone: a task the caller can read; the series zone is the task's own, else its home user's (its creator's), the zone a task without one of its own follows — what a member previews for another member's task",
  ),
  after: dateTime,
  limit: Joi.number().integer().min(1).max(100).default(10),
})
  .xor('timezone', 'home_of')
  .messages({
    'object.missing': 'timezone is required (or home_of: a task whose home zone the series follows)',
    'object.xor': 'timezone or home_of, not both',
  })
  .label('RecurrencePreview');

export const historyQuery = Joi.object({
  after: Joi.number()
    .integer()
    .min(0)
    .max(2147483647)
    .default(0)
    .description('version: events after it (`next` of the previous page)'),
  limit: Joi.number().integer().min(1).max(1000).default(200),
});

export const eventsQuery = Joi.object({
  after: Joi.number().integer().min(0).default(0),
  limit: Joi.number().integer().min(1).max(1000).default(200),
});

export const adminEventsQuery = Joi.object({
  user: Joi.string().chars(128),
  type: Joi.string().chars(64),
  aggregate_id: Joi.string().chars(64),
  actor: Joi.string().chars(128).description('only events this user issued'),
  list: uuid.description("only events whose audience was made up of this list's members"),
  from: dateTime,
  to: dateTime,
  after: Joi.string().chars(200).description('cursor from the previous page'),
  limit: Joi.number().integer().min(1).max(1000).default(200),
});

export const patchMe = Joi.object({ timezone: zone.required() }).label('PatchMe');

/** A user id by the one rule for subjects (`subjectProblem`): a 400 naming the field otherwise. */
export const subject = subjectSchema();

/** `subject`, as a function so schemas defined above it (a task's assignee) can use it. */
function subjectSchema() {
  return (
    Joi.string()
      .min(1)
      .chars(MAX_SUBJECT)
      .custom((value: string, helpers) => {
        const problem = subjectProblem(value);
        return problem === null ? value : helpers.error('string.text', { problem });
      }, 'user id (1-128 characters; no control or format characters, no leading or trailing whitespace, not "." or "..")')
      // The same rule for the OpenAPI document (never the one that refuses: `subjectProblem` above runs first
      // and names the problem), so a client or a fuzzer makes only ids the server takes; the few format
      // characters beyond the Basic Multilingual Plane are left to the description
      // (test/unit/document-patterns.test.ts holds the two to each other).
      .pattern(SUBJECT_PATTERN)
      .description(
        'user id: 1-128 characters, no control or Unicode format characters, no leading or trailing whitespace, not "." or ".." (e-mail addresses, auth0|123, UUIDs are fine)',
      )
  );
}

export const devToken = Joi.object({ user_id: subject.required(), admin: Joi.boolean() }).label('DevToken');

/** Shared lists (api/routes/sharing.ts): whom to invite, as what (only editors are invited; the owner hands over with /owner). */
export const shareList = Joi.object({
  user_id: subject.required(),
  role: Joi.string().valid('editor').default('editor'),
}).label('ShareList');
export const memberParams = Joi.object({ id: uuid.required(), user_id: subject.required() });
export const transferList = Joi.object({ user_id: subject.required() }).label('TransferList');
export const invitationParams = Joi.object({ list_id: uuid.required() });

/**
 * Idempotency-Key, accepted by every write (DESIGN: "Retries are safe"): a retry with the same key gets
 * the first answer for 24 h. Checked for every request in api/context.ts (400 naming idempotency-key);
 * declared here so the OpenAPI document shows it.
 */
export const writeHeaders = Joi.object({
  'idempotency-key': Joi.string()
    .pattern(IDEMPOTENCY_KEY, { name: '1 to 255 printable ASCII characters' })
    .description(
      'Makes the write safe to retry: a retry with the same key (same user, same request) within 24 h answers as the first call did and applies nothing',
    ),
  // A write whose target has no version (a create, PATCH /me, a membership change) cannot hold an If-Match
  // (RFC 9110 §13.1.1: it would be evaluated, not ignored): refused rather than silently dropped.
  'if-match': Joi.any().forbidden().messages({
    'any.unknown':
      "{{#label}} has no version to compare on this write (RFC 9110 §13.1.1): send it where the ETag came from (PATCH or DELETE of the task, list or label, or a task's own routes)",
  }),
}).unknown(true);

export const ifMatchHeaders = writeHeaders.keys({
  // A version (at most 15 digits: every one is exact as a number) or `*` (RFC 9110 §13.1.1).
  'if-match': Joi.string()
    .chars(40)
    .pattern(/^\s*(?:\*|(?:W\/)?(?:"\d{1,15}"|\d{1,15}))\s*$/, { name: 'version number or *' }),
});
