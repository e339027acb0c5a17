// What every operation answers, in one place: the bodies of its 2xx answers and the statuses of its error
// answers, as joi schemas that api/docs.ts hands to hapi-swagger. These schemas only describe (nothing
// validates answers at run time); the schemathesis contract test (test/contract) checks that the server's
// answers match them.
import Joi from 'joi';
import { Joi as TextJoi } from './schemas.ts';
import { EVENT_TYPES } from '../actors/events.ts';
import { MAX_TASK_LABELS, MIN_PRIORITY, MAX_PRIORITY } from '../actors/task/index.ts';
import { RECURRENCE_MODES } from '../actors/task/index.ts';
import { MAX_LIST_NAME, MEMBER_ROLES, STORED_COLOR } from '../actors/list/index.ts';
import { MAX_LABEL_NAME } from '../actors/label/index.ts';
import { DATE_ORDERS } from './quick-add/parse.ts';

// hapi-swagger renders `Joi.string().guid()` with `x-format: {guid}`, which api/docs.ts turns into
// `format: uuid`; `Joi.date().iso()` becomes `format: date-time`. Instants in answers are UTC ISO strings
// with milliseconds (`2027-01-01T08:00:00.000Z`).
const uuid = Joi.string().guid();
const instant = Joi.date().iso();
/** A reminder offset in the canonical form the API stores (actors/durations.ts): days, then H/M/S. */
const offset = Joi.string()
  .pattern(/^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/)
  .description('ISO-8601 duration, canonical (e.g. PT10M, PT1H, P1D, P1DT12H)');
const zone = Joi.string().description('IANA time zone name, as sent');
const count = Joi.number().integer().min(0);

/** Every error answer: @hapi/boom's JSON, plus the offending field for a 400 when it is known. */
export const ErrorBody = Joi.object({
  statusCode: Joi.number().integer().min(400).max(599).required(),
  error: Joi.string().required().description('the HTTP reason phrase'),
  message: Joi.string().required().description('what went wrong, for people; a 400 names the field'),
  field: Joi.string().description('the request field at fault (e.g. `due_date`, `reminders.0.before`), on 400s'),
}).label('Error');

export const Reminder = Joi.object({
  id: uuid.required(),
  task_id: uuid.required(),
  user_id: Joi.string().required(),
  offset: offset
    .allow(null)
    .required()
    .description('relative reminders: how long before the due date; null for absolute ones'),
  remind_at: instant.allow(null).required().description("when it fires; null for a series' template reminder"),
  at_time: Joi.string()
    .pattern(/^([01]\d|2[0-3]):[0-5]\d$/)
    .allow(null)
    .required()
    .description("all-day reminders: wall-clock HH:MM in the task's zone; null for the other kinds"),
  days_before: Joi.number()
    .integer()
    .min(0)
    .allow(null)
    .required()
    .description('all-day reminders: days before the date (0: on the day); null for the other kinds'),
  notified: Joi.boolean().required(),
  cancelled: Joi.boolean().required(),
  cancel_reason: Joi.string()
    .allow(null)
    .required()
    .description('why it was cancelled (task_completed, removed, passed, …)'),
  created_at: instant.required(),
  unacknowledged: Joi.boolean()
    .required()
    .description('fired and not yet acknowledged (nor snoozed) on any device: GET /reminders?state=unacknowledged'),
  snoozed: Joi.boolean()
    .required()
    .description(
      'remind_at is a time the user snoozed it to, not the one its offset or time of day gives; false again once a new due date sets its time',
    ),
  status: Joi.string().valid('pending', 'notified', 'cancelled', 'template').required(),
}).label('Reminder');
const WaitingReminder = Reminder.keys({
  task: Joi.object({
    id: uuid.required(),
    title: Joi.string().required(),
    due_date: instant.allow(null).required(),
    due_day: Joi.string()
      .pattern(/^\d{4}-\d{2}-\d{2}$/)
      .allow(null)
      .required()
      .description(
        'The date of an all-day task (its due_date is the start of that day in its zone); null for a timed one',
      ),
  })
    .required()
    .label('WaitingReminderTask'),
}).label('WaitingReminder');
const WaitingReminders = Joi.object({
  reminders: Joi.array().items(WaitingReminder).required(),
  next_cursor: Joi.string().allow(null).required().description('pass as `cursor` for the next page; null on the last'),
}).label('WaitingReminders');

export const Task = Joi.object({
  id: uuid.required(),
  user_id: Joi.string().required(),
  title: Joi.string().required(),
  description: Joi.string().allow(null, '').required(),
  completed: Joi.boolean().required(),
  due_date: instant
    .allow(null)
    .required()
    .description("the due instant; for an all-day task the first instant of due_day in the task's zone"),
  due_day: Joi.string()
    .pattern(/^\d{4}-\d{2}-\d{2}$/)
    .allow(null)
    .required()
    .description("an all-day task's date (YYYY-MM-DD, floating in the task's zone); null for a timed task"),
  all_day: Joi.boolean().required().description('true when due_date was given as a date alone (due_day is set)'),
  recurrence_rule: Joi.string().allow(null).required(),
  timezone: zone.allow(null).required().description("the task's own zone; null follows the user's"),
  is_recurring: Joi.boolean().required(),
  next_occurrence: instant.allow(null).required(),
  series_id: uuid.allow(null).required(),
  occurrence_at: instant.allow(null).required(),
  list_id: uuid.required().description('the list the task is in'),
  priority: Joi.number()
    .integer()
    .min(MIN_PRIORITY)
    .max(MAX_PRIORITY)
    .required()
    .description(`${MIN_PRIORITY} (highest) to ${MAX_PRIORITY} (none)`),
  labels: Joi.array().items(uuid).max(MAX_TASK_LABELS).required().description("ids of the user's labels on it"),
  completed_at: instant.allow(null).required().description('when it was completed; null while open'),
  assignee: Joi.string()
    .allow(null)
    .required()
    .description("the user it is assigned to (its list's owner or an active member), or null"),
  recurrence_mode: Joi.string()
    .valid(...RECURRENCE_MODES)
    .required()
    .description(
      "calendar: instances follow the rule's calendar; after_completion: the next instance spawns when the latest one is completed (or deleted), next_occurrence staying null meanwhile. Always calendar on a task that is not a series",
    ),
  version: Joi.number().integer().min(1).required(),
  created_at: instant.required(),
  updated_at: instant.required(),
  deleted_at: instant.allow(null).required(),
  reminders: Joi.array().items(Reminder).required(),
}).label('Task');

/** The envelope, identical in the events table, on Kafka and in the API (actors/events.ts). */
const envelopeKeys = {
  event_id: uuid.required(),
  event_type: Joi.string()
    .valid(...EVENT_TYPES)
    .required(),
  aggregate_type: Joi.string().valid('task', 'user', 'list', 'label').required(),
  aggregate_id: Joi.string().required().description('the task, list or label id, or the user id for user events'),
  user_id: Joi.string().required(),
  version: Joi.number().integer().min(1).required(),
  seq: Joi.number().integer().min(1).required().description("the user's event sequence number"),
  timestamp: instant.required(),
  correlation_id: Joi.string().required(),
  causation_id: Joi.string().allow(null).required(),
  data: Joi.object().unknown(true).required().description("the event's payload; its keys depend on event_type"),
};
export const Event = Joi.object(envelopeKeys).label('Event');
const SyncEvent = Joi.object({
  ...envelopeKeys,
  type: Joi.string()
    .valid(...EVENT_TYPES)
    .required()
    .description('same as event_type'),
}).label('SyncEvent');

const TaskPage = Joi.object({
  tasks: Joi.array().items(Task).required(),
  next_cursor: Joi.string().allow(null).required().description('pass as `cursor` for the next page; null on the last'),
}).label('TaskPage');
const EventsPage = Joi.object({
  events: Joi.array().items(SyncEvent).required(),
  next_after: count.required().description('pass as `after` for the next page'),
  last_seq: count.required(),
  has_more: Joi.boolean().required(),
}).label('EventsPage');
/** An event in the admin audit: the envelope, who issued it and whose streams hold it (shared lists, issue 17). */
const AuditedEvent = Joi.object({
  ...envelopeKeys,
  actor_id: Joi.string()
    .allow(null)
    .required()
    .description(
      'who issued it; null for a timer or the system, or an event written before actor_id existed (issued by its user_id)',
    ),
  recipients: Joi.array()
    .items(Joi.string())
    .min(1)
    .required()
    .description(
      'every user whose stream holds it: user_id (its canonical stream) first, then the members it was delivered to',
    ),
  lists: Joi.array()
    .items(uuid)
    .allow(null)
    .required()
    .description('the lists whose members made up its audience; null for a private event'),
}).label('AuditedEvent');
const AdminEventsPage = Joi.object({
  events: Joi.array().items(AuditedEvent).required(),
  next: Joi.string().allow(null).required().description('pass as `after` for the next page; null on the last'),
}).label('AdminEventsPage');
/** An event of a task's history: the envelope as the reader received it (their user_id and seq), and who issued it. */
const HistoryEvent = Joi.object({
  ...envelopeKeys,
  actor_id: Joi.string()
    .allow(null)
    .required()
    .description(
      'who issued it (another member of a shared list, or the reader); null for a timer or the system, or an event written before actor_id existed (issued by its user)',
    ),
}).label('HistoryEvent');
const History = Joi.object({
  events: Joi.array().items(HistoryEvent).required(),
  next: count.required().description('the last version returned: pass as `after` for the next page'),
  has_more: Joi.boolean().required().description('more events after `next` (a count or byte limit ended the page)'),
}).label('History');
const Me = Joi.object({
  id: Joi.string().required(),
  timezone: zone.required().description('the effective zone: UTC until chosen'),
  timezone_chosen: Joi.boolean()
    .required()
    .description('false while nobody chose the zone (a user created on first use): a client may set its own'),
  last_seq: count.required(),
}).label('Me');
const Occurrences = Joi.object({ occurrences: Joi.array().items(instant).required(), timezone: zone.required() }).label(
  'Occurrences',
);
const Preview = Joi.object({
  occurrences: Joi.array().items(instant).required(),
  timezone: zone.required().description('the series zone the rule was expanded in'),
}).label('PreviewOccurrences');
const color = Joi.string().pattern(STORED_COLOR).allow(null).description('#rrggbb or null');
const List = Joi.object({
  id: uuid.required(),
  name: TextJoi.string().min(1).chars(MAX_LIST_NAME).required(), // code points, as the request and the database count
  color: color.required(),
  position: count.required(),
  inbox: Joi.boolean().required().description("the one list that cannot be deleted; a deleted list's tasks go there"),
  version: Joi.number().integer().min(0).required(),
  created_at: instant.required(),
  updated_at: instant.required(),
  role: Joi.string()
    .valid(...MEMBER_ROLES)
    .required()
    .description(
      "the caller's role: 'owner' (may rename, delete and share it) or 'editor' (of a list shared with them)",
    ),
  owner_id: Joi.string().required().description("the list's one owner (the caller's own id for their lists)"),
  shared: Joi.boolean()
    .required()
    .description(
      "whether the list was ever shared: a list never shared holds only its owner's tasks (another member's task cannot be moved into it)",
    ),
  member_count: Joi.number()
    .integer()
    .min(1)
    .required()
    .description(
      'its members now, the owner included: 1 while nobody else has joined (GET /lists/{id}/members lists who)',
    ),
  invited_count: Joi.number().integer().min(0).required().description('invitations to it not answered yet'),
}).label('List');
const Label = Joi.object({
  id: uuid.required(),
  name: TextJoi.string().min(1).chars(MAX_LABEL_NAME).required(), // code points, as the request and the database count
  color: color.required(),
  version: Joi.number().integer().min(1).required(),
  created_at: instant.required(),
  updated_at: instant.required(),
}).label('Label');
const Lists = Joi.object({ lists: Joi.array().items(List).required() }).label('Lists');
const Member = Joi.object({
  user_id: Joi.string().required(),
  role: Joi.string()
    .valid(...MEMBER_ROLES)
    .required()
    .description("the list's one owner, or an editor"),
  state: Joi.string().valid('invited', 'active').required().description('invited: not yet accepted'),
  invited_by: Joi.string().required(),
  created_at: instant
    .required()
    .description('the first invitation (the owner: when the list was first shared, or made)'),
  updated_at: instant.required(),
}).label('Member');
const Members = Joi.object({
  list_id: uuid.required(),
  owner_id: Joi.string().required(),
  members: Joi.array().items(Member).required().description('the owner first, then the invited and active editors'),
}).label('Members');
const Invitations = Joi.object({
  invitations: Joi.array()
    .items(
      Joi.object({
        list_id: uuid.required(),
        name: TextJoi.string().min(1).chars(MAX_LIST_NAME).required(),
        color: color.required(),
        invited_by: Joi.string().required(),
        invited_at: instant.required(),
      }).label('Invitation'),
    )
    .required(),
}).label('Invitations');
const Labels = Joi.object({ labels: Joi.array().items(Label).required() }).label('Labels');
const ViewCounts = Joi.object({
  today: count.required(),
  upcoming: count.required(),
  overdue: count.required(),
  completed_recent: count.required().description('completed in the last 7 days'),
  assigned: count
    .required()
    .description('open tasks assigned to you; a series assigned to you counts once with its occurrences'),
  today_occurrences: count
    .required()
    .description('occurrences of series still ahead today, not spawned yet (not in `today`, which counts tasks)'),
  upcoming_occurrences: count
    .required()
    .description(
      'occurrences of series not spawned yet from now through the 7 days of GET /views/upcoming (not in `upcoming`, which counts tasks)',
    ),
  lists: Joi.object()
    .pattern(uuid, count)
    .required()
    .description(
      'open tasks per list id; a series and its open occurrences in the list count once, as the list shows them',
    ),
  next_change_at: instant
    .required()
    .description(
      'when these counts next change with time alone (an open task coming due, an occurrence of a series today, the local midnight; not `completed_recent`, whose 7 days slide with every moment); a client showing them asks again then',
    ),
}).label('ViewCounts');
const Upcoming = Joi.object({
  timezone: zone.required(),
  truncated: Joi.boolean()
    .required()
    .description(
      'true when something due in the window is left out: series_left_out > 0, more than 5,000 tasks, or tasks and occurrences over 1 MiB of JSON',
    ),
  series_left_out: count
    .required()
    .description(
      "series whose occurrences in the window are missing or incomplete: over the request's expansion budget, over 200 occurrences each or 2,000 in all, or over the 1,000 series read",
    ),
  days: Joi.array()
    .items(
      Joi.object({
        date: Joi.string()
          .pattern(/^\d{4}-\d{2}-\d{2}$/)
          .required()
          .description('the local day, YYYY-MM-DD'),
        tasks: Joi.array().items(Task).required(),
        occurrences: Joi.array()
          .items(
            Joi.object({
              series_id: uuid.required(),
              title: Joi.string().required(),
              at: instant.required(),
              all_day: Joi.boolean().description(
                "an all-day series' occurrence: `at` is the first instant of its day in the series' zone",
              ),
              date: Joi.string()
                .pattern(/^\d{4}-\d{2}-\d{2}$/)
                .description(
                  "an all-day occurrence's date (YYYY-MM-DD) in its series' zone: the day it is listed under, wherever the viewer is",
                ),
              completable: Joi.boolean().description(
                "true on a calendar series' next occurrence while none of its occurrences is open: POST /tasks/{series_id}/complete completes it ahead of its time",
              ),
            }).label('UpcomingOccurrence'),
          )
          .required(),
      }).label('UpcomingDay'),
    )
    .required(),
}).label('Upcoming');
const NamedItem = Joi.object({ id: uuid.required(), name: Joi.string().required() }).label('NamedItem');
const QuickAddPreview = Joi.object({
  fields: Joi.object({
    title: Joi.string()
      .allow('')
      .required()
      .description('empty when the text holds nothing but a date, tags or a repeat'),
    due_date: Joi.string().description(
      'YYYY-MM-DDTHH:MM:SS (wall clock in your zone), an instant ending in Z ("in 2 hours"), or YYYY-MM-DD (a date alone)',
    ),
    recurrence_rule: Joi.string().description('RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYMONTHDAY=1'),
    priority: Joi.number().integer().min(MIN_PRIORITY).max(MAX_PRIORITY),
    list_id: uuid,
    labels: Joi.array().items(uuid),
    reminders: Joi.array()
      .items(
        Joi.object({ before: Joi.string() }),
        Joi.object({ at_time: Joi.string(), days_before: Joi.number().integer().min(0) }),
      )
      .max(1)
      .description(
        '"remind me 1 hour before": {before} on a timed task, {at_time: "09:00", days_before} on an all-day one',
      ),
  })
    .required()
    .label('QuickAddFields')
    .description('exactly the body of POST /tasks that would create the task'),
  due: Joi.object({
    date: Joi.string()
      .pattern(/^\d{4}-\d{2}-\d{2}$/)
      .required()
      .description('local date in `timezone`'),
    time: Joi.string()
      .pattern(/^\d{2}:\d{2}$/)
      .allow(null)
      .required()
      .description('local time HH:MM; null for a date alone'),
    at: instant.required().description('the instant (a date alone: its 00:00 in `timezone`)'),
  })
    .allow(null)
    .required()
    .label('QuickAddDue'),
  repeat: Joi.object({
    rule: Joi.string().required(),
    mode: Joi.string()
      .valid('calendar', 'after_completion')
      .required()
      .description('after_completion: asked for with `every!` or "after completion"'),
  })
    .allow(null)
    .required()
    .label('QuickAddRepeat'),
  list: NamedItem.keys({
    role: Joi.string()
      .valid(...MEMBER_ROLES)
      .required()
      .description("the caller's role in it, as GET /lists gives it"),
    owner_id: Joi.string().required(),
    shared: Joi.boolean().required(),
  })
    .label('QuickAddList')
    .allow(null)
    .required()
    .description(
      'the list named with #List, when the caller sees one by that name (their own or one shared with them)',
    ),
  labels: Joi.array().items(NamedItem).required().description('the labels named with @label that exist'),
  new_labels: Joi.array()
    .items(Joi.string())
    .required()
    .description(
      'names after @ that are no label of yours yet (not in fields.labels): the dashboard makes them (POST /labels) when it saves the task, and adds their ids',
    ),
  notes: Joi.array()
    .items(Joi.string())
    .required()
    .description('what was not understood or not used, e.g. no such list'),
  timezone: zone.required().description('the zone the words were read in (yours)'),
  date_order: Joi.string()
    .valid(...DATE_ORDERS)
    .required()
    .description('how a date in figures was read ("3/4"): the order of the `locale` sent (default en-US, month first)'),
}).label('QuickAddPreview');
const Health = Joi.object({ status: Joi.string().valid('ok').required() }).label('Health');
const Ready = Joi.object({
  ready: Joi.boolean().required(),
  mode: Joi.string().valid('dapr', 'direct').required().description('the actor runtime chosen at start-up'),
  database: Joi.string().valid('up', 'down').required(),
  kafka: Joi.string().valid('connected', 'disconnected', 'disabled').required(),
  outbox_backlog: Joi.number().integer().min(-1).required().description('-1 while the database is down'),
})
  .unknown(true)
  .label('Ready');
const DevTokenAnswer = Joi.object({ token: Joi.string().required(), user_id: Joi.string().required() }).label(
  'DevTokenAnswer',
);
const Metrics = Joi.string().description('Prometheus text exposition format');
const CalendarFeedMade = Joi.object({
  url: Joi.string()
    .pattern(/^webcal:\/\/[^/]+\/feeds\/[A-Za-z0-9_-]{43}\.ics$/)
    .required()
    .description('the secret feed URL for calendar apps; shown only in this answer'),
  https_url: Joi.string()
    .pattern(/^https?:\/\/[^/]+\/feeds\/[A-Za-z0-9_-]{43}\.ics$/)
    .required()
    .description('the same feed over http(s)'),
  created_at: instant.required(),
}).label('CalendarFeedMade');
const CalendarFeedState = Joi.object({
  active: Joi.boolean().required().description('whether the caller has a feed (its URL is never shown again)'),
  created_at: instant.allow(null).required().description('when the current feed was made; null without one'),
}).label('CalendarFeedState');
const Calendar = Joi.string().description(
  'iCalendar (RFC 5545): one VCALENDAR with a VTODO per open task (at most 2,000, soonest due first), VTIMEZONEs and VALARMs; header X-Feed-Truncated: true when tasks were left out or series written without their RRULE (work budget)',
);

/** A 2xx answer: its body schema, or null for no body (204). */
type Body = Joi.Schema | null;

/**
 * One operation's answers: `ok` maps 2xx statuses to bodies, `errors` lists the statuses specific to it.
 * The statuses every operation may answer are added by {@link answersOf}.
 */
export interface Answers {
  ok: Record<number, Body>;
  errors?: number[];
  /** Media type of the 2xx body when it is not JSON. */
  produces?: string;
  /** An error status whose body is not (only) the error shape, e.g. /ready's 503. */
  override?: Record<number, Joi.Schema>;
}

// Statuses of the commands that change a task: the task or reminder is not there (404), the command
// conflicts with its state (409), If-Match names another version (412), an Idempotency-Key is reused for a
// different request (422).
const COMMAND = [404, 409, 412, 422];
// Statuses of the membership commands of a shared list: an editor doing what only the owner may (403),
// a non-member or a member not there (404), a conflict with the membership (409), a reused key (422).
const SHARING = [403, 404, 409, 422];

/** Every documented operation, keyed by `METHOD path` as hapi routes it. */
export const OPERATIONS: Record<string, Answers> = {
  'GET /health': { ok: { 200: Health } },
  'GET /ready': { ok: { 200: Ready }, override: { 503: Joi.alternatives().try(Ready, ErrorBody).label('NotReady') } },
  'GET /metrics': { ok: { 200: Metrics }, produces: 'text/plain' },
  'POST /auth/dev-token': { ok: { 200: DevTokenAnswer } },
  'POST /tasks': { ok: { 201: Task }, errors: [409, 422] },
  'GET /tasks': { ok: { 200: TaskPage } },
  'POST /quick-add/preview': { ok: { 200: QuickAddPreview } },
  'GET /tasks/{id}': { ok: { 200: Task }, errors: [404] },
  'PATCH /tasks/{id}': { ok: { 200: Task }, errors: COMMAND },
  'DELETE /tasks/{id}': { ok: { 204: null }, errors: COMMAND },
  'POST /tasks/{id}/complete': { ok: { 200: Task }, errors: COMMAND },
  'POST /tasks/{id}/uncomplete': { ok: { 200: Task }, errors: COMMAND },
  'POST /tasks/{id}/undo': { ok: { 200: Task }, errors: COMMAND },
  'POST /tasks/{id}/reminders': { ok: { 201: Reminder }, errors: COMMAND },
  'DELETE /tasks/{id}/reminders/{rid}': { ok: { 204: null }, errors: COMMAND },
  'POST /tasks/{id}/reminders/{rid}/snooze': { ok: { 200: Reminder }, errors: COMMAND },
  'POST /tasks/{id}/reminders/{rid}/acknowledge': { ok: { 200: Reminder }, errors: COMMAND },
  'GET /reminders': { ok: { 200: WaitingReminders } },
  'GET /tasks/{id}/history': { ok: { 200: History }, errors: [404] },
  'GET /tasks/{id}/occurrences': { ok: { 200: Occurrences }, errors: [404] },
  'GET /events': { ok: { 200: EventsPage } },
  'GET /me': { ok: { 200: Me } },
  'PATCH /me': { ok: { 200: Me }, errors: [409, 422] },
  'POST /recurrence/preview': { ok: { 200: Preview }, errors: [404] },
  'GET /admin/events': { ok: { 200: AdminEventsPage }, errors: [403] },
  'GET /lists': { ok: { 200: Lists } },
  'POST /lists': { ok: { 201: List }, errors: [409, 422] },
  'GET /lists/{id}': { ok: { 200: List }, errors: [404] },
  // An editor of a shared list renaming or deleting it: 403 (the owner only).
  'PATCH /lists/{id}': { ok: { 200: List }, errors: [403, ...COMMAND] },
  'DELETE /lists/{id}': { ok: { 204: null }, errors: [403, ...COMMAND] },
  // Shared lists (api/routes/sharing.ts): a non-member gets 404, an editor doing the owner's part 403.
  'GET /lists/{id}/members': { ok: { 200: Members }, errors: [404] },
  'POST /lists/{id}/members': { ok: { 200: Members, 201: Members }, errors: SHARING },
  'DELETE /lists/{id}/members/{user_id}': { ok: { 204: null }, errors: SHARING },
  'POST /lists/{id}/owner': { ok: { 200: Members }, errors: SHARING },
  'GET /invitations': { ok: { 200: Invitations } },
  'POST /invitations/{list_id}/accept': { ok: { 200: Members }, errors: [404, 422] },
  'POST /invitations/{list_id}/decline': { ok: { 204: null }, errors: [404, 422] },
  'GET /labels': { ok: { 200: Labels } },
  'POST /labels': { ok: { 201: Label }, errors: [409, 422] },
  'PATCH /labels/{id}': { ok: { 200: Label }, errors: COMMAND },
  'DELETE /labels/{id}': { ok: { 204: null }, errors: COMMAND },
  'GET /views/counts': { ok: { 200: ViewCounts } },
  'GET /views/upcoming': { ok: { 200: Upcoming } },
  'POST /me/calendar-feed': { ok: { 201: CalendarFeedMade } },
  'GET /me/calendar-feed': { ok: { 200: CalendarFeedState } },
  'DELETE /me/calendar-feed': { ok: { 204: null } },
  // Public (the secret is the credential) but rate limited per client address: 429 too.
  'GET /feeds/{secret}.ics': { ok: { 200: Calendar, 304: null }, errors: [404, 429], produces: 'text/calendar' },
};

const REASON: Record<number, string> = {
  400: 'Bad request: a field (named in `field`) or a header is invalid, or the body is not JSON',
  401: 'Missing, expired or invalid bearer token',
  403: "The token lacks the role this operation needs, or (a shared list) only the list's owner may do this",
  404: 'No such task, reminder, list or label for this user (or calendar feed)',
  409: 'The request conflicts with the current state (the message says which)',
  412: 'If-Match names a version the resource has moved past with a change the caller can see (or one it has not reached)',
  413: 'The body is larger than 64 KiB',
  415: 'The body is not application/json in UTF-8',
  422: 'This Idempotency-Key was used for a different request',
  429: 'Rate limit exceeded, or too many costly requests (views, previews, the feed, zone changes) at once; see Retry-After',
  503: 'The database or actor sidecar is unavailable, or the instance is shutting down; retry after Retry-After',
};

/**
 * hapi-swagger's `responses` for one operation: its 2xx bodies and every error status with its shape.
 * Every operation may answer 400 (a bad header such as X-Correlation-Id, or bad input) and 503; those that
 * need a token 401 and 429; those that take a body 413 and 415.
 */
export function answersOf(
  method: string,
  answers: Answers,
  isPublic: boolean,
): Record<number, { description: string; schema?: Joi.Schema }> {
  const errors = new Set<number>([400, 503, ...(answers.errors ?? [])]);
  if (!isPublic) for (const s of [401, 429]) errors.add(s);
  if (method !== 'GET') for (const s of [413, 415]) errors.add(s);
  const out: Record<number, { description: string; schema?: Joi.Schema }> = {};
  for (const [status, body] of Object.entries(answers.ok)) {
    out[Number(status)] = body ? { description: 'Success', schema: body } : { description: 'Success, no body' };
  }
  for (const status of [...errors].sort((a, b) => a - b)) {
    out[status] = { description: REASON[status] ?? 'Error', schema: answers.override?.[status] ?? ErrorBody };
  }
  return out;
}
