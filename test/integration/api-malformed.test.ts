// Bad input always gets a clear 4xx JSON answer naming the problem: never a 5xx, never a stack trace,
// never a half-written change.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import Jwt from '@hapi/jwt';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';
import { loadConfig, ConfigError } from '../../host/config.ts';

let t0: TestApp;
let token = '';
let taskId = '';
let reminderId = '';
let listId = '';
let labelId = '';
const user = `malformed-${randomUUID()}`;

test.before(async () => {
  t0 = await startTestApp();
  token = t0.token(user);
  const res = await fetch(`${t0.url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'target',
      due_date: new Date(Date.now() + 86_400_000).toISOString(),
      reminders: [{ before: 'PT1H' }],
    }),
  });
  const body = (await res.json()) as { id: string; reminders: { id: string }[] };
  taskId = body.id;
  reminderId = body.reminders[0]?.id ?? '';
  for (const [path, name] of [
    ['/lists', 'malformed list'],
    ['/labels', 'malformed'],
  ] as const) {
    const made = await fetch(`${t0.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    const id = ((await made.json()) as { id: string }).id;
    if (path === '/lists') listId = id;
    else labelId = id;
  }
});
test.after.always(async () => {
  await t0?.stop();
});

type Case = [
  name: string,
  method: string,
  path: string,
  body: string | undefined,
  expect: number,
  message: RegExp,
  headers?: Record<string, string>,
];
const json = (v: unknown) => JSON.stringify(v);
const T = () => taskId;

const cases = (): Case[] => [
  ['title missing', 'POST', '/tasks', json({}), 400, /^title is required/],
  ['title empty', 'POST', '/tasks', json({ title: '' }), 400, /^title is not allowed to be empty/],
  ['title blank', 'POST', '/tasks', json({ title: '   ' }), 400, /^title/],
  [
    'title too long',
    'POST',
    '/tasks',
    json({ title: 'x'.repeat(501) }),
    400,
    /^title length must be less than or equal to 500/,
  ],
  ['title a number', 'POST', '/tasks', json({ title: 42 }), 400, /^title must be a string/],
  [
    'description too long',
    'POST',
    '/tasks',
    json({ title: 'a', description: 'x'.repeat(10_001) }),
    400,
    /^description/,
  ],
  ['unknown field', 'POST', '/tasks', json({ title: 'a', owner: 'mallory' }), 400, /^owner is not allowed/],
  ['user_id smuggled', 'POST', '/tasks', json({ title: 'a', user_id: 'victim' }), 400, /^user_id is not allowed/],
  ['due_date not a date', 'POST', '/tasks', json({ title: 'a', due_date: 'next tuesday' }), 400, /^due_date: /],
  [
    'due_date a number',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: 1700000000 }),
    400,
    /^due_date must be a string/,
  ],
  ['timezone unknown', 'POST', '/tasks', json({ title: 'a', timezone: 'Moon/Base' }), 400, /^timezone: /],
  [
    'rule outside subset',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-01-01T09:00:00Z', recurrence_rule: 'FREQ=MINUTELY' }),
    400,
    /MINUTELY/,
  ],
  [
    'rule with EXDATE',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-01-01T09:00:00Z', recurrence_rule: 'FREQ=DAILY;EXDATE=20300102' }),
    400,
    /EXDATE/,
  ],
  [
    'rule garbage',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-01-01T09:00:00Z', recurrence_rule: 'every day' }),
    400,
    /^recurrence_rule: /,
  ],
  [
    'rule without due date',
    'POST',
    '/tasks',
    json({ title: 'a', recurrence_rule: 'FREQ=DAILY' }),
    400,
    /^due_date: is required for a recurring task/,
  ],
  [
    'reminder with both kinds',
    'POST',
    '/tasks',
    json({ title: 'a', reminders: [{ before: 'PT1H', at: '2030-01-01T00:00:00Z' }] }),
    400,
    /reminders\[0\]/,
  ],
  ['reminder empty', 'POST', '/tasks', json({ title: 'a', reminders: [{}] }), 400, /reminders\[0\]/],
  [
    'reminder bad duration',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-01-01T00:00:00Z', reminders: [{ before: '1 hour' }] }),
    400,
    /reminders\[0\]\.before/,
  ],
  [
    'reminder month duration',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-01-01T00:00:00Z', reminders: [{ before: 'P1M' }] }),
    400,
    /reminders\[0\]\.before: "P1M" is not a supported/,
  ],
  [
    'too many reminders',
    'POST',
    '/tasks',
    json({
      title: 'a',
      due_date: '2030-01-01T00:00:00Z',
      reminders: Array.from({ length: 21 }, () => ({ before: 'PT1H' })),
    }),
    400,
    /^reminders must contain less than or equal to 20/,
  ],
  [
    'reminders not an array',
    'POST',
    '/tasks',
    json({ title: 'a', reminders: 'PT1H' }),
    400,
    /^reminders must be an array/,
  ],
  ['broken JSON', 'POST', '/tasks', '{"title": "a",', 400, /Invalid request payload JSON format/],
  ['JSON array body', 'POST', '/tasks', '[]', 400, /must be of type object/],
  [
    'payload too large',
    'POST',
    '/tasks',
    json({ title: 'a', description: 'x'.repeat(70_000) }),
    413,
    /Payload content length greater than maximum allowed/,
  ],
  [
    'wrong content type',
    'POST',
    '/tasks',
    'title=a',
    415,
    /^content-type: a body must be application\/json/,
    { 'content-type': 'application/x-www-form-urlencoded' },
  ],
  ['plain text body', 'POST', '/tasks', 'buy milk', 415, /^content-type: /, { 'content-type': 'text/plain' }],
  [
    'a body declared Latin-1 (it was stored with U+FFFD for its accents)',
    'POST',
    '/tasks',
    json({ title: 'Café' }),
    415,
    /^content-type: a body must be UTF-8 JSON .*charset=iso-8859-1 is not taken/,
    { 'content-type': 'application/json; charset=ISO-8859-1' },
  ],
  [
    'a body declared UTF-16',
    'PATCH',
    '/tasks/{T}',
    json({ title: 'x' }),
    415,
    /charset=utf-16 is not taken/,
    { 'content-type': 'application/json; charset="utf-16"' },
  ],
  ['multipart without a boundary', 'POST', '/tasks', 'x', 400, /multipart/, { 'content-type': 'multipart/form-data' }],
  [
    'gzip that does not decompress',
    'POST',
    '/tasks',
    'not gzip at all',
    400,
    /compressed payload/i,
    { 'content-encoding': 'gzip' },
  ],
  [
    'If-Match weak tag',
    'PATCH',
    '/tasks/{T}',
    json({ title: 'b' }),
    412,
    /^if-match: a weak entity tag never matches/,
    { 'if-match': 'W/"2"' },
  ],
  ['id not a uuid', 'GET', '/tasks/123', undefined, 400, /^id must be a valid GUID/],
  ['id sql-ish', 'GET', `/tasks/${encodeURIComponent("1' OR '1'='1")}`, undefined, 400, /^id must be a valid GUID/],
  ['unknown task', 'GET', `/tasks/${randomUUID()}`, undefined, 404, /task not found/],
  ['patch empty', 'PATCH', '/tasks/{T}', json({}), 400, /must have at least 1 key/],
  ['patch unknown field', 'PATCH', '/tasks/{T}', json({ completed: true }), 400, /^completed is not allowed/],
  ['patch version field', 'PATCH', '/tasks/{T}', json({ version: 99 }), 400, /^version is not allowed/],
  ['If-Match garbage', 'PATCH', '/tasks/{T}', json({ title: 'b' }), 400, /^header if-match/, { 'if-match': 'banana' }],
  ['If-Match stale', 'PATCH', '/tasks/{T}', json({ title: 'b' }), 412, /version mismatch/, { 'if-match': '999' }],
  // A task's own routes compare If-Match with the task's version; a write with no version refuses it.
  [
    'If-Match stale on a reminder added',
    'POST',
    '/tasks/{T}/reminders',
    json({ before: 'PT1H' }),
    412,
    /version mismatch/,
    { 'if-match': '999' },
  ],
  [
    'If-Match stale on a reminder removed',
    'DELETE',
    '/tasks/{T}/reminders/{R}',
    undefined,
    412,
    /version mismatch/,
    { 'if-match': '"999"' },
  ],
  [
    'If-Match on a create',
    'POST',
    '/labels',
    json({ name: 'conditional' }),
    400,
    /^header if-match has no version to compare on this write/,
    { 'if-match': '"1"' },
  ],
  [
    'If-Match stale on a list',
    'PATCH',
    '/lists/{L}',
    json({ name: 'b' }),
    412,
    /version mismatch/,
    { 'if-match': '9' },
  ],
  [
    'If-Match stale on a label',
    'PATCH',
    '/labels/{B}',
    json({ name: 'b' }),
    412,
    /version mismatch/,
    { 'if-match': '9' },
  ],
  [
    'If-Match beyond an exact number',
    'PATCH',
    '/tasks/{T}',
    json({ title: 'b' }),
    400,
    /^header if-match/,
    { 'if-match': '99999999999999999999' },
  ],
  [
    'If-Match unbalanced quote',
    'PATCH',
    '/tasks/{T}',
    json({ title: 'b' }),
    400,
    /^header if-match/,
    { 'if-match': '"3' },
  ],
  ['list limit too big', 'GET', '/tasks?limit=100000', undefined, 400, /^limit must be less than or equal to 200/],
  ['list limit negative', 'GET', '/tasks?limit=-1', undefined, 400, /^limit must be greater than or equal to 1/],
  ['list completed not bool', 'GET', '/tasks?completed=maybe', undefined, 400, /^completed must be a boolean/],
  ['list unknown query', 'GET', '/tasks?sort_by=title', undefined, 400, /^sort_by is not allowed/],
  ['list cursor forged', 'GET', '/tasks?cursor=bm90LWEtY3Vyc29y', undefined, 400, /^cursor: is not a cursor/],
  ['list due_before garbage', 'GET', '/tasks?due_before=soon', undefined, 400, /^due_before: .* is not an ISO-8601/],
  ['list series_id not uuid', 'GET', '/tasks?series_id=abc', undefined, 400, /^series_id must be a valid GUID/],
  ['asset name too long for the file system', 'GET', `/assets/${'x'.repeat(3000)}`, undefined, 404, /Not Found/],
  ['asset path climbing out', 'GET', '/assets/..%2F..%2Fpackage.json', undefined, 404, /Not Found/],
  [
    'snooze bad duration',
    'POST',
    '/tasks/{T}/reminders/{R}/snooze',
    json({ for: 'ten minutes' }),
    400,
    /^for: .*not a supported ISO-8601 duration/,
  ],
  [
    'snooze too long',
    'POST',
    '/tasks/{T}/reminders/{R}/snooze',
    json({ for: 'P60D' }),
    400,
    /^for: must be at most 30 days/,
  ],
  [
    'snooze unknown reminder',
    'POST',
    `/tasks/{T}/reminders/${randomUUID()}/snooze`,
    json({ for: 'PT5M' }),
    404,
    /reminder not found/,
  ],
  [
    'reminder in the past',
    'POST',
    '/tasks/{T}/reminders',
    json({ at: '2001-01-01T00:00:00Z' }),
    400,
    /^at: .* already in the past/,
  ],
  ['occurrences of a plain task', 'GET', '/tasks/{T}/occurrences', undefined, 400, /not recurring/],
  [
    'occurrences limit',
    'GET',
    '/tasks/{T}/occurrences?limit=0',
    undefined,
    400,
    /^limit must be greater than or equal to 1/,
  ],
  [
    'preview missing zone',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY', start: '2030-01-01T09:00' }),
    400,
    /^timezone is required/,
  ],
  [
    'preview with two zones',
    'POST',
    '/recurrence/preview',
    json({
      rule: 'FREQ=DAILY',
      start: '2030-01-01T09:00',
      timezone: 'UTC',
      home_of: '6f1d7d7e-1c1a-4b4f-9a2e-0f6f5d2d8c11',
    }),
    400,
    /^timezone or home_of, not both/,
  ],
  [
    'preview bad zone',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY', start: '2030-01-01T09:00', timezone: 'Nowhere' }),
    400,
    /^timezone: /,
  ],
  [
    'preview bad start',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY', start: 'yesterday', timezone: 'UTC' }),
    400,
    /^start: /,
  ],
  [
    'preview BYWEEKNO',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=YEARLY;BYWEEKNO=20', start: '2030-01-01T09:00', timezone: 'UTC' }),
    400,
    /^rule: .*BYWEEKNO/,
  ],
  // The preview refuses what saving the same start and rule as a series refuses (POST /tasks: 400).
  [
    'preview all-day start with BYHOUR',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY;BYHOUR=9', start: '2030-01-01', timezone: 'UTC' }),
    400,
    /^rule: BYHOUR does not apply to an all-day series/,
  ],
  [
    'preview UNTIL before the start',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY;UNTIL=20291201T000000Z', start: '2030-01-01T09:00', timezone: 'UTC' }),
    400,
    /^rule: ends before its first occurrence/,
  ],
  [
    'preview limit',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY', start: '2030-01-01T09:00', timezone: 'UTC', limit: 5000 }),
    400,
    /^limit must be less than or equal to 100/,
  ],
  ['events after negative', 'GET', '/events?after=-5', undefined, 400, /^after must be greater than or equal to 0/],
  ['events after text', 'GET', '/events?after=abc', undefined, 400, /^after must be a number/],
  ['me bad zone', 'PATCH', '/me', json({ timezone: 'Europe/Atlantis' }), 400, /^timezone: /],
  ['me unknown field', 'PATCH', '/me', json({ timezone: 'UTC', name: 'x' }), 400, /^name is not allowed/],
  [
    'correlation id not a uuid',
    'GET',
    '/tasks',
    undefined,
    400,
    /x-correlation-id must be a UUID/,
    { 'x-correlation-id': 'not-a-uuid' },
  ],
  ['admin without role', 'GET', '/admin/events', undefined, 403, /admin role required/],
  ['unknown route', 'GET', '/tasks/{T}/nope', undefined, 404, /Not Found/],
  // Text PostgreSQL cannot hold (NUL, unpaired surrogates) and control characters: the one rule for strings.
  ['NUL in title', 'POST', '/tasks', '{"title":"a\\u0000b"}', 400, /^title must not contain NUL/],
  [
    'NUL in description',
    'POST',
    '/tasks',
    '{"title":"a","description":"x\\u0000y"}',
    400,
    /^description must not contain NUL/,
  ],
  ['NUL in a PATCH', 'PATCH', '/tasks/{T}', '{"title":"a\\u0000b"}', 400, /^title must not contain NUL/],
  ['NUL in q', 'GET', '/tasks?q=a%00b', undefined, 400, /^q must not contain NUL/],
  ['NUL in an admin filter', 'GET', '/admin/events?type=a%00b', undefined, 400, /^type must not contain NUL/],
  [
    'lone surrogate in title',
    'POST',
    '/tasks',
    '{"title":"\\ud800"}',
    400,
    /^title must not contain an unpaired UTF-16 surrogate/,
  ],
  [
    'lone surrogate in description',
    'PATCH',
    '/tasks/{T}',
    '{"description":"ok \\udc00"}',
    400,
    /^description must not contain an unpaired/,
  ],
  [
    'escape character in title',
    'POST',
    '/tasks',
    '{"title":"a\\u001b[31m"}',
    400,
    /^title must not contain control characters \(U\+001B\)/,
  ],
  [
    'bell in description',
    'POST',
    '/tasks',
    '{"title":"a","description":"\\u0007"}',
    400,
    /^description must not contain control characters/,
  ],
  // Instants: one parser, years 0001–9999 once in UTC, real dates, offsets within ±23:59.
  [
    'due_date year 0',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '0000-01-01T00:00:00Z' }),
    400,
    /^due_date: .* outside years 0001–9999/,
  ],
  [
    'due_date expanded year',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '+010000-01-01T00:00:00Z' }),
    400,
    /^due_date: .* not an ISO-8601 date-time/,
  ],
  [
    'due_date past 9999 once in UTC',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '9999-12-31T23:59:59-12:00' }),
    400,
    /^due_date: .* outside years 0001–9999/,
  ],
  [
    'due_date offset +25:00',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-01-01T09:00:00+25:00' }),
    400,
    /^due_date: .* offset outside ±23:59/,
  ],
  [
    'due_date 30 February',
    'POST',
    '/tasks',
    json({ title: 'a', due_date: '2030-02-30T09:00:00Z' }),
    400,
    /^due_date: .* not a calendar date/,
  ],
  [
    'PATCH due_date year 0',
    'PATCH',
    '/tasks/{T}',
    json({ due_date: '0000-06-01T00:00:00Z' }),
    400,
    /^due_date: .* outside years/,
  ],
  [
    'reminder at year 0',
    'POST',
    '/tasks/{T}/reminders',
    json({ at: '0000-01-01T00:00:00Z' }),
    400,
    /^at: .* outside years/,
  ],
  [
    'list due_after year 0',
    'GET',
    '/tasks?due_after=0000-01-01T00:00:00Z',
    undefined,
    400,
    /^due_after: .* outside years/,
  ],
  [
    'list due_before 30 February',
    'GET',
    '/tasks?due_before=2026-02-30',
    undefined,
    400,
    /^due_before: .* not a calendar date/,
  ],
  [
    'list due_before offset +25:00',
    'GET',
    `/tasks?due_before=${encodeURIComponent('2026-01-01T00:00:00+25:00')}`,
    undefined,
    400,
    /^due_before: .* offset/,
  ],
  [
    'preview start year 0',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY', start: '0000-01-01T09:00', timezone: 'UTC' }),
    400,
    /^start: .* outside years/,
  ],
  [
    'preview after offset +25:00',
    'POST',
    '/recurrence/preview',
    json({ rule: 'FREQ=DAILY', start: '2030-01-01T09:00', timezone: 'UTC', after: '2030-01-01T09:00+25:00' }),
    400,
    /^after: /,
  ],
  [
    'cursor with a forged instant',
    'GET',
    `/tasks?cursor=${Buffer.from(JSON.stringify({ created_at: 'yesterday', id: randomUUID() })).toString('base64url')}`,
    undefined,
    400,
    /^cursor: is not a cursor/,
  ],
  [
    'cursor with a forged id',
    'GET',
    `/tasks?cursor=${Buffer.from(JSON.stringify({ created_at: '2030-01-01T00:00:00.000Z', id: 'x' })).toString('base64url')}`,
    undefined,
    400,
    /^cursor: is not a cursor/,
  ],
  ...['a\u0000b', 'a\ud800b', 'tab\there'].map(
    (k) =>
      [
        `title-sort cursor whose key is not text a title may hold (${JSON.stringify(k)})`,
        'GET',
        `/tasks?sort=title&cursor=${Buffer.from(JSON.stringify({ s: 'title', o: 'asc', k, id: randomUUID() })).toString('base64url')}`,
        undefined,
        400,
        /^cursor: is not a cursor/,
      ] as Case,
  ),
  ['path parameter not percent-encoded UTF-8', 'GET', '/tasks/%ED%A0%80', undefined, 400, /^path: /],
  ['path parameter a lone %', 'DELETE', '/lists/%E0%A4/members/x', undefined, 400, /^path: /],
  ['method not allowed', 'PUT', '/tasks/{T}', json({ title: 'x' }), 405, /answers DELETE, GET, HEAD, PATCH/],
];

test('at least 40 malformed requests are each a 4xx with a JSON message, and change nothing', async (t) => {
  const list = cases();
  t.true(list.length >= 40);
  for (const [name, method, rawPath, body, expect, message, headers] of list) {
    const path = rawPath.replace('{T}', T()).replace('{R}', reminderId).replace('{L}', listId).replace('{B}', labelId);
    const res = await fetch(`${t0.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    t.is(res.status, expect, `${name}: ${text}`);
    const parsed = JSON.parse(text) as { statusCode: number; error: string; message: string };
    t.is(parsed.statusCode, expect, name);
    t.regex(parsed.message, message, name);
    if (expect === 400 || expect === 412 || expect === 413 || expect === 415)
      t.regex(String((parsed as { field?: unknown }).field), /^[\w-]+(\[\d+\]|\.[\w-]+)*$/, `${name}: names its field`);
    t.false(/\n\s+at /.test(text), `${name}: no stack trace`);
  }
  const task = (await fetch(`${t0.url}/tasks/${taskId}`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
    r.json(),
  )) as { title: string; version: number };
  t.is(task.title, 'target');
  t.is(task.version, 2);
});

test('a body declared UTF-8, in any spelling, is taken', async (t) => {
  for (const type of [
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf8"',
  ]) {
    const res = await fetch(`${t0.url}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: json({ title: 'Café au lait' }),
    });
    t.is(res.status, 201, type);
    t.is(((await res.json()) as { title: string }).title, 'Café au lait', type);
  }
});

/** One request sent with its target exactly as given (fetch() would resolve dot segments before sending). */
function rawRequest(
  base: string,
  method: string,
  target: string,
  auth: string,
): Promise<{ status: number; body: { message?: string; field?: string } }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, method, path: target, headers: { authorization: auth } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a key given without the key it needs, or with one it excludes, is the field a 400 names (not the payload)', async (t) => {
  for (const [path, body, field] of [
    [`/tasks/${T()}/reminders/${reminderId}/snooze`, { for: 'PT10M', timezone: 'UTC' }, 'timezone'],
    ['/recurrence/preview', { rule: 'FREQ=DAILY', start: '2030-01-01T09:00' }, 'payload'],
  ] as const) {
    const res = await fetch(`${t0.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { field?: string; message?: string };
    t.is(res.status, 400, JSON.stringify(answer));
    t.is(answer.field, field, JSON.stringify(answer));
  }
});

test("a path with a '.' or '..' segment, plain or percent-encoded, is refused: it never runs the route it resolves to", async (t) => {
  const who = `dots-${randomUUID()}`;
  const auth = `Bearer ${t0.token(who)}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t0.url}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const task = await call('POST', '/tasks', {
    title: 'keep me',
    due_date: new Date(Date.now() + 86_400_000).toISOString(),
    reminders: [{ before: 'PT1H' }],
  });
  t.is(task.status, 201);
  const list = await call('POST', '/lists', { name: 'keep this list' });
  t.is(list.status, 201);
  const [T, L] = [String(task.body.id), String(list.body.id)];
  const { host } = new URL(t0.url);
  const tries: [string, string][] = [
    ['DELETE', `/tasks/${T}/reminders/%2e%2e`],
    ['DELETE', `/tasks/${T}/reminders/%2E%2e`],
    ['DELETE', `/tasks/${T}/reminders/..`],
    ['DELETE', `/tasks/${T}/reminders/.%2E?x=1`],
    ['DELETE', `/lists/${L}/members/..`],
    ['POST', `/tasks/${T}/x/%2e%2e/complete`],
    ['GET', `/tasks/./${T}`],
    ['DELETE', `http://${host}/tasks/${T}/reminders/%2e%2e`],
    // WHATWG URL (hapi's parser for the absolute form) reads '\\' as '/' (an outside review deleted a task so).
    ['DELETE', `http://${host}/tasks/${T}/reminders\\..`],
    ['DELETE', `http://${host}/lists/${L}/members\\..`],
    ['GET', `http://${host}/tasks/junk\\..\\${T}`],
  ];
  for (const [method, target] of tries) {
    const res = await rawRequest(t0.url, method, target, auth);
    t.is(res.status, 400, `${method} ${target}: ${JSON.stringify(res.body)}`);
    t.is(res.body.field, 'path', `${method} ${target}`);
    t.regex(res.body.message ?? '', /^path: /, `${method} ${target}`);
  }
  const after = await call('GET', `/tasks/${T}`);
  t.is(after.status, 200, 'the task is still there');
  t.is(after.body.completed_at, null, 'and not completed');
  t.is((after.body.reminders as unknown[]).length, 1, 'with its reminder');
  t.is((await call('GET', `/lists/${L}`)).status, 200, 'the list is still there');
  // A dot inside a segment is an ordinary character.
  const dotted = await rawRequest(t0.url, 'GET', `/tasks/${T}.json`, auth);
  t.is(dotted.status, 400);
  t.is(dotted.body.field, 'id');
  t.is((await rawRequest(t0.url, 'GET', `/tasks?q=..`, auth)).status, 200);
});

test('a correctly signed token without exp, or without sub, is refused', async (t) => {
  const secret = t0.app.config.auth.secret ?? '';
  const noExp = Jwt.token.generate({ sub: 'x' }, { key: secret, algorithm: 'HS256' }, { iat: false });
  const noSub = Jwt.token.generate({ exp: Math.floor(Date.now() / 1000) + 60 }, { key: secret, algorithm: 'HS256' });
  for (const bad of [noExp, noSub]) {
    const res = await fetch(`${t0.url}/tasks`, { headers: { authorization: `Bearer ${bad}` } });
    t.is(res.status, 401);
  }
});

test('a correctly signed token whose sub holds a control character is refused (401)', async (t) => {
  const secret = t0.app.config.auth.secret ?? '';
  for (const sub of ['a\u0000b', 'a\nb', 'a\u001bb', '\ud800']) {
    const bad = Jwt.token.generate(
      { sub, exp: Math.floor(Date.now() / 1000) + 60 },
      { key: secret, algorithm: 'HS256' },
    );
    const res = await fetch(`${t0.url}/tasks`, { headers: { authorization: `Bearer ${bad}` } });
    t.is(res.status, 401, JSON.stringify(sub));
    await res.arrayBuffer();
  }
});

test("list filters without an offset are read in the caller's zone, not the host's", async (t) => {
  const who = `zone-${randomUUID()}`;
  const tok = t0.token(who);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t0.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tok}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  t.is((await call('PATCH', '/me', { timezone: 'Pacific/Auckland' })).status, 200);
  // 2030-01-01T10:00Z is 23:00 on 1 January in Auckland (UTC+13).
  const created = await call('POST', '/tasks', { title: 'late evening', due_date: '2030-01-01T10:00:00Z' });
  t.is(created.status, 201);
  const ids = async (query: string) =>
    ((await call('GET', `/tasks?${query}`)).body.tasks as Array<{ id: string }>).map((x) => x.id);
  // 22:00 in Auckland is 09:00Z: the task is after it (read in UTC it would be before).
  t.deepEqual(await ids('due_after=2030-01-01T22:00'), [created.body.id]);
  t.deepEqual(await ids('due_before=2030-01-01T22:00'), []);
  // A date alone is midnight in the caller's zone: 2 January 00:00 in Auckland is 11:00Z on 1 January.
  t.deepEqual(await ids('due_before=2030-01-02'), [created.body.id]);
  t.deepEqual(await ids('due_after=2030-01-02'), []);
  // With an offset it is that instant, whatever the zone.
  t.deepEqual(await ids(`due_after=${encodeURIComponent('2030-01-01T09:59:00Z')}`), [created.body.id]);
  t.deepEqual(await ids(`due_after=${encodeURIComponent('2030-01-01T10:00:01+00:00')}`), []);
});

test("the admin audit reads from/to without an offset in the caller's zone", async (t) => {
  const admin = `admin-${randomUUID()}`;
  const tok = t0.token(admin, { admin: true });
  const headers = { authorization: `Bearer ${tok}`, 'content-type': 'application/json' };
  t.is(
    (
      await fetch(`${t0.url}/me`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ timezone: 'Pacific/Kiritimati' }),
      })
    ).status,
    200,
  );
  // The zone change is an event of this user, just now. One minute ahead, written as UTC wall-clock
  // time without an offset, is 13 h 59 min ago in Kiritimati (UTC+14): nothing of this user before it.
  const wall = new Date(Date.now() + 60_000).toISOString().slice(0, 19);
  const count = async (to: string) => {
    const res = await fetch(`${t0.url}/admin/events?user=${encodeURIComponent(admin)}&to=${encodeURIComponent(to)}`, {
      headers,
    });
    t.is(res.status, 200);
    return ((await res.json()) as { events: unknown[] }).events.length;
  };
  t.is(await count(wall), 0);
  t.is(await count(`${wall}Z`), 1);
});

test('production refuses to start without JWT_SECRET or JWKS_URL, and never enables the dev sign-in', (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x' }), {
    instanceOf: ConfigError,
    message: /JWT_SECRET/,
  });
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), AUTH_DEV: 'true' });
  t.false(config.auth.devSignIn);
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' }), {
    instanceOf: ConfigError,
    message: /at least 32/,
  });
  for (const refresh of ['0', '604800'])
    t.throws(
      () => loadConfig({ NODE_ENV: 'production', JWKS_URL: 'https://idp.example/jwks', JWKS_REFRESH_SEC: refresh }),
      {
        instanceOf: ConfigError,
        message: /JWKS_REFRESH_SEC must be from 1 to 604799/,
      },
    );
});

test('the per-user rate limit answers 429 with Retry-After', async (t) => {
  const limited = await startTestApp({ database: 'pglite', env: { RATE_LIMIT_PER_SEC: '1', RATE_LIMIT_BURST: '3' } });
  try {
    const tok = limited.token('hasty');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${limited.url}/tasks`, { headers: { authorization: `Bearer ${tok}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    t.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    t.true(statuses.includes(429));
    t.truthy(retryAfter);
    const other = await fetch(`${limited.url}/tasks`, {
      headers: { authorization: `Bearer ${limited.token('patient')}` },
    });
    t.is(other.status, 200, 'another user has their own bucket');
  } finally {
    await limited.stop();
  }
});

test('an id written in upper case is the same id on every route (RFC 9562: UUIDs compare case-insensitively); braces are a 400 naming it', async (t) => {
  const call = injector(t0.app.server);
  const send = (method: string, path: string, body?: unknown) =>
    call(method, path, { token, ...(body === undefined ? {} : { body: body as Record<string, unknown> }) });
  const up = (id: string) => id.toUpperCase();
  const list = await send('POST', '/lists', { name: `cased ${randomUUID()}` });
  t.is(list.status, 201);
  const listId = list.body.id as string;
  const made = await send('POST', '/tasks', { title: 'cased', list_id: up(listId) });
  t.is(made.status, 201, JSON.stringify(made.body));
  t.is(made.body.list_id, listId, 'kept in its lower-case form');
  const id = made.body.id as string;
  for (const [method, path, body, status] of [
    ['PATCH', `/tasks/${up(id)}`, { title: 'cased, renamed' }, 200],
    ['POST', `/tasks/${up(id)}/complete`, undefined, 200],
    ['POST', `/tasks/${up(id)}/uncomplete`, undefined, 200],
    ['PATCH', `/lists/${up(listId)}`, { name: `cased renamed ${randomUUID()}` }, 200],
    ['PATCH', `/labels/${up(labelId)}`, { name: `malformed ${randomUUID().slice(0, 8)}` }, 200],
    ['POST', `/lists/${up(listId)}/members`, { user_id: `cased-${randomUUID()}` }, 201],
    ['DELETE', `/tasks/${up(id)}`, undefined, 204],
  ] as const) {
    const res = await send(method, path, body);
    t.is(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
  }
  const history = await send('GET', `/tasks/${id}/history`);
  t.deepEqual(
    (history.body.events as { event_type: string }[]).map((e) => e.event_type),
    ['task.created', 'task.updated', 'task.completed', 'task.uncompleted', 'task.deleted'],
  );
  const braced = await send('GET', `/tasks/%7B${id}%7D`);
  t.is(braced.status, 400, JSON.stringify(braced.body));
  t.is(braced.body.field, 'id');
});
