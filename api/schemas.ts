// joi schemas for every route's params, query, payload and headers. Compiled once at start-up; the
// same objects generate the OpenAPI document.
import Joi from 'joi';
import { MAX_TITLE, MAX_DESCRIPTION, MAX_REMINDERS } from '../actors/task/index.ts';

export const MAX_PAYLOAD_BYTES = 64 * 1024;
const dateTime = Joi.string().max(40).description('ISO-8601 date-time; without an offset it is wall-clock time in the task\'s zone');
const duration = Joi.string().max(32).pattern(/^P/i, { name: 'ISO-8601 duration (e.g. PT10M, PT1H, P1D)' });
const zone = Joi.string().max(64).description('IANA time zone, e.g. Europe/Berlin');
const rule = Joi.string().max(500).description('RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR');
export const uuid = Joi.string().guid();

export const reminderSpec = Joi.object({
  before: duration.description('relative to the due date'),
  at: dateTime.description('absolute instant'),
}).xor('before', 'at');
export const reminderPayload = reminderSpec.label('reminder');

export const taskId = Joi.object({ id: uuid.required() });
export const reminderParams = Joi.object({ id: uuid.required(), rid: uuid.required() });

export const createTask = Joi.object({
  title: Joi.string().trim().min(1).max(MAX_TITLE).required(),
  description: Joi.string().max(MAX_DESCRIPTION).allow(null, ''),
  due_date: dateTime.allow(null),
  recurrence_rule: rule.allow(null),
  timezone: zone.allow(null),
  reminders: Joi.array().items(reminderSpec).max(MAX_REMINDERS),
}).label('CreateTask');

export const patchTask = Joi.object({
  title: Joi.string().trim().min(1).max(MAX_TITLE),
  description: Joi.string().max(MAX_DESCRIPTION).allow(null, ''),
  due_date: dateTime.allow(null),
  recurrence_rule: rule.allow(null),
  timezone: zone.allow(null),
}).min(1).label('PatchTask');

export const listTasksQuery = Joi.object({
  completed: Joi.boolean(),
  due_before: dateTime,
  due_after: dateTime,
  series_id: uuid,
  q: Joi.string().max(200),
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(200),
});

export const snooze = Joi.object({ for: duration.required() }).label('Snooze');

export const occurrencesQuery = Joi.object({ limit: Joi.number().integer().min(1).max(100).default(10) });

export const preview = Joi.object({
  rule: rule.required(),
  start: dateTime.required().description('first wall-clock start (ISO, offset optional), read in `timezone`'),
  timezone: zone.required(),
  after: dateTime,
  limit: Joi.number().integer().min(1).max(100).default(10),
}).label('RecurrencePreview');

export const eventsQuery = Joi.object({
  after: Joi.number().integer().min(0).default(0),
  limit: Joi.number().integer().min(1).max(1000).default(200),
});

export const adminEventsQuery = Joi.object({
  user: Joi.string().max(128),
  type: Joi.string().max(64),
  aggregate_id: Joi.string().max(64),
  from: dateTime,
  to: dateTime,
  after: Joi.string().max(200).description('cursor from the previous page'),
  limit: Joi.number().integer().min(1).max(1000).default(200),
});

export const patchMe = Joi.object({ timezone: zone.required() }).label('PatchMe');

export const devToken = Joi.object({ user_id: Joi.string().min(1).max(128).pattern(/^[\w.@:-]+$/).required(), admin: Joi.boolean() }).label('DevToken');

export const ifMatchHeaders = Joi.object({
  'if-match': Joi.string().max(40).pattern(/^(W\/)?"?\d+"?$/, { name: 'version number' }),
}).unknown(true);
