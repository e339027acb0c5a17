// The calendar feed (issue 16, deliverable 7), on PGlite and PostgreSQL: a user makes, rotates and revokes a
// secret webcal:// URL; the feed it serves opens in two independent parsers (Python's icalendar, node-ical);
// each series' RRULE, expanded on the parser's side (python-dateutil in the feed's own VTIMEZONE), gives the
// same next 50 occurrences as our recurrence engine, in zones far from UTC and across DST changes; reminders
// are VALARMs with the right triggers (day reminders of all-day series relative to the DUE date); all-day
// tasks and series are DATEs; after-completion series have no RRULE; a user with thousands of tasks gets a capped feed that says so.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import ical, { type CalendarComponent, type VAlarm, type VTodo } from 'node-ical';
import pino from 'pino';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector, type Call, type Reply } from '../helpers/inject.ts';
import { ManualClock } from '../helpers/clock.ts';
import { eventually } from '../helpers/eventually.ts';
import { parseWithPython, provisionIcalendar } from '../helpers/python-ical.ts';
import { localToInstant, occurrences } from '../../actors/recurrence/index.ts';
import { seriesStart, type TaskState } from '../../actors/task/index.ts';
import { dayOf, dayReminderAt } from '../../actors/task/all-day.ts';
import { MAX_FEED_TASKS } from '../../api/feed/routes.ts';
import { MAX_FEED_BYTES } from '../../api/feed/ical.ts';
import { readTask } from '../../host/tasks/store.ts';

type Json = Record<string, unknown>;
const DATABASES = ['pglite', 'postgres'] as const;
/** The app's time: every series below starts after it, except the two that start before on purpose. */
const NOW = Date.UTC(2026, 11, 1, 0, 0, 0);

const apps = new Map<string, { app: TestApp; call: Call }>();
let python: string;

test.before(async () => {
  python = provisionIcalendar();
  for (const database of DATABASES) {
    const clock = new ManualClock(NOW);
    const app = await startTestApp({ database, clock: clock.date });
    apps.set(database, { app, call: injector(app.app.server) });
  }
});
test.after.always(async () => {
  for (const { app } of apps.values()) await app.stop();
});

async function ok(promise: Promise<Reply>, status = 200): Promise<Json> {
  const reply = await promise;
  if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.status}: ${reply.text.slice(0, 500)}`);
  return reply.body;
}
/** `n` copies of the task `id` under new ids, straight into the table (the feed only reads them). */
async function copyTask(app: TestApp, id: string, n: number): Promise<void> {
  const columns = (
    await app.app.db.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'tasks' AND is_generated = 'NEVER' AND column_name <> 'id' ORDER BY ordinal_position",
    )
  ).rows.map((r) => r.column_name);
  const list = columns.join(', ');
  await app.app.db.query(
    `INSERT INTO tasks (id, ${list}) SELECT gen_random_uuid(), ${list} FROM tasks, generate_series(1, $2) WHERE id = $1`,
    [id, n],
  );
}
/** The path of a feed URL (webcal:// or https://), to request through inject. */
const pathOf = (url: string) => new URL(url.replace(/^webcal:/, 'http:')).pathname;
const pad = (n: number) => String(n).padStart(2, '0');
/** node-ical keeps a TRIGGER with parameters as {params, val}: its value. */
const triggerOf = (alarm: VAlarm | undefined): unknown => {
  const trigger = alarm?.trigger as unknown;
  return typeof trigger === 'object' && trigger !== null ? (trigger as { val: unknown }).val : trigger;
};
/** An RFC 5545 §3.3.6 duration (`-P2DT5H30M`, `PT9H`, `-P1W`) in seconds, read here rather than by the writer's library. */
function durationSeconds(text: string): number {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const [w, d, h, min, sec] = m.slice(2).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return (m[1] === '-' ? -1 : 1) * ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + sec);
}

for (const database of DATABASES) {
  const ctx = () => apps.get(database) as { app: TestApp; call: Call };

  test(`${database}: with no proxy trusted, a client's X-Forwarded-Host and -Proto do not choose its feed URL`, async (t) => {
    const { app, call } = ctx();
    const token = app.token(`feed-${randomUUID()}`);
    const made = await ok(
      call('POST', '/me/calendar-feed', {
        token,
        headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
      }),
      201,
    );
    t.false(String(made.url).includes('evil.example'), String(made.url));
    t.regex(String(made.https_url), /^http:\/\//, 'the app serves plain HTTP here');
  });

  test(`${database}: a feed URL is made, rotated and revoked; only the current secret opens it, without a token`, async (t) => {
    const { app, call } = ctx();
    const token = app.token(`feed-${randomUUID()}`);
    t.deepEqual(await ok(call('GET', '/me/calendar-feed', { token })), { active: false, created_at: null });
    t.is((await call('POST', '/me/calendar-feed')).status, 401, 'making a feed needs a token');

    const made = await ok(call('POST', '/me/calendar-feed', { token }), 201);
    t.regex(made.url as string, /^webcal:\/\/[^/]+\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
    t.is((made.https_url as string).replace(/^https?:/, 'webcal:'), made.url as string);
    t.like(await ok(call('GET', '/me/calendar-feed', { token })), { active: true, created_at: made.created_at });
    const secret = pathOf(made.url as string).slice('/feeds/'.length, -'.ics'.length);
    t.is(secret.length, 43);
    t.false(
      JSON.stringify(await ok(call('GET', '/me/calendar-feed', { token }))).includes(secret),
      'the secret is never shown again',
    );

    const first = await call('GET', pathOf(made.url as string));
    t.is(first.status, 200);
    t.is(first.headers.get('content-type'), 'text/calendar; charset=utf-8');
    t.regex(first.headers.get('cache-control') ?? '', /\bprivate\b/);
    t.true(first.text.startsWith('BEGIN:VCALENDAR\r\n'));
    const etag = first.headers.get('etag');
    t.truthy(etag);
    t.is((await call('GET', pathOf(made.url as string), { headers: { 'if-none-match': etag as string } })).status, 304);
    // `*` matches any current representation (RFC 9110 §13.1.2), with the same ETag.
    const any = await call('GET', pathOf(made.url as string), { headers: { 'if-none-match': '*' } });
    t.is(any.status, 304);
    t.is(any.headers.get('etag'), etag);

    // Over the socket too, as a calendar app fetches it (webcal:// is https:// or http:// on the wire).
    const wire = await fetch(`${app.url}${pathOf(made.url as string)}`);
    t.is(wire.status, 200);
    t.is(wire.headers.get('content-type'), 'text/calendar; charset=utf-8');

    const rotated = await ok(call('POST', '/me/calendar-feed', { token }), 201);
    t.not(rotated.url, made.url);
    const stale = await call('GET', pathOf(made.url as string));
    t.is(stale.status, 404, 'the old URL stops working when a new one is made');
    t.is((await call('GET', pathOf(rotated.url as string))).status, 200);

    // An unknown secret answers exactly as a revoked one: nothing tells them apart.
    const unknown = await call('GET', `/feeds/${'A'.repeat(43)}.ics`);
    t.is(unknown.status, 404);
    t.deepEqual(unknown.body, stale.body);
    const malformed = await call('GET', '/feeds/short.ics');
    t.is(malformed.status, 400);
    t.is(malformed.body.field, 'secret');

    t.is((await call('DELETE', '/me/calendar-feed', { token })).status, 204);
    t.is((await call('GET', pathOf(rotated.url as string))).status, 404, 'a revoked feed answers 404');
    t.deepEqual(await ok(call('GET', '/me/calendar-feed', { token })), { active: false, created_at: null });
    t.is((await call('DELETE', '/me/calendar-feed', { token })).status, 204, 'revoking twice is harmless');
  });

  test(`${database}: the feed opens in Python's icalendar and node-ical; series agree with our engine over 50 occurrences; reminders are VALARMs`, async (t) => {
    const { app, call } = ctx();
    const userId = `feed-${randomUUID()}`;
    const token = app.token(userId);
    await ok(call('PATCH', '/me', { token, body: { timezone: 'Pacific/Kiritimati' } }));
    const home = await ok(call('POST', '/labels', { token, body: { name: 'Home' } }), 201);
    const bills = await ok(call('POST', '/labels', { token, body: { name: 'Bills, urgent; now' } }), 201);
    const create = async (body: Json) => ok(call('POST', '/tasks', { token, body }), 201);

    const longTitle = `Pay rent, today; ok \\ ${'ünïcödé ✓ '.repeat(12)}end`;
    const rent = await create({
      title: longTitle,
      description: 'Line one, with comma;\nline two 🏠',
      due_date: '2026-12-24T18:00',
      priority: 1,
      labels: [home.id, bills.id],
      reminders: [{ before: 'PT2H' }, { at: '2026-12-24T03:00:00Z' }],
    });
    const someday = await create({ title: 'Someday', priority: 3, timezone: 'America/St_Johns' });
    const cancelled = await create({
      title: 'Reminder removed',
      due_date: '2027-01-10T10:00',
      reminders: [{ before: 'PT1H' }],
    });
    const removed = (cancelled.reminders as Json[])[0] as Json;
    t.is((await call('DELETE', `/tasks/${cancelled.id}/reminders/${removed.id}`, { token })).status, 204);
    const done = await create({ title: 'Done already', due_date: '2026-12-02T10:00' });
    await ok(call('POST', `/tasks/${done.id}/complete`, { token }));
    const gone = await create({ title: 'Deleted', due_date: '2026-12-02T10:00' });
    t.is((await call('DELETE', `/tasks/${gone.id}`, { token })).status, 204);

    // Series in zones far from UTC, across DST gaps and overlaps, with COUNT and UNTIL (date and instant forms).
    const seriesSpecs: Json[] = [
      // 02:30 falls in New York's spring-forward gap on 2027-03-14: that day moves to 03:30, the rest stay 02:30.
      {
        title: 'NY gap',
        due_date: '2027-03-01T02:30',
        timezone: 'America/New_York',
        recurrence_rule: 'FREQ=DAILY',
        reminders: [{ before: 'PT15M' }],
      },
      // Its next occurrence is the gap itself (03:30 that day): the feed's DTSTART keeps 02:30 for the days after.
      {
        title: 'NY gap start',
        due_date: '2027-03-14T02:30',
        timezone: 'America/New_York',
        recurrence_rule: 'FREQ=DAILY;INTERVAL=2',
      },
      // 01:30 on 2027-11-07 happens twice in New York: the first one counts.
      {
        title: 'NY overlap',
        due_date: '2027-10-03T01:30',
        timezone: 'America/New_York',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=SU',
      },
      {
        title: 'Kiritimati',
        due_date: '2026-12-03T08:00',
        timezone: 'Pacific/Kiritimati',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO,TH',
      },
      // A backward link: the feed's TZID is its target (Asia/Kolkata).
      {
        title: 'Kolkata month end',
        due_date: '2026-12-25T09:00',
        timezone: 'Asia/Calcutta',
        recurrence_rule: 'FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231',
      },
      // Lord Howe shifts by 30 minutes; 02:15 on the first Sunday of October is in its gap.
      {
        title: 'Lord Howe',
        due_date: '2026-12-06T02:15',
        timezone: 'Australia/Lord_Howe',
        recurrence_rule: 'FREQ=MONTHLY;BYDAY=1SU;COUNT=60',
      },
      {
        title: 'Chatham twice',
        due_date: '2026-12-05T09:45',
        timezone: 'Pacific/Chatham',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=SA;BYHOUR=9,21;BYMINUTE=45',
      },
      {
        title: 'St Johns yearly',
        due_date: '2027-02-28T12:00',
        timezone: 'America/St_Johns',
        recurrence_rule: 'FREQ=YEARLY;UNTIL=20600101T000000Z',
      },
      // Started before the app's time: the feed starts at the next occurrence and COUNT keeps what is left.
      {
        title: 'Berlin count',
        due_date: '2026-11-20T07:00',
        timezone: 'Europe/Berlin',
        recurrence_rule: 'FREQ=DAILY;COUNT=40',
        reminders: [{ before: 'P1D' }],
      },
      { title: 'Kiritimati late', due_date: '2026-11-01T23:59', recurrence_rule: 'FREQ=DAILY;INTERVAL=3' },
      // Written as the API takes them and stricter readers do not (lower case, spaces, a zero-padded ordinal):
      // the feed writes each in canonical RFC 5545 text (formatRule).
      {
        title: 'lower case',
        due_date: '2027-01-05T10:00',
        timezone: 'America/New_York',
        recurrence_rule: 'freq=weekly;byday=th,tu;wkst=su;interval=2',
      },
      {
        title: 'spaced',
        due_date: '2027-01-05T10:00',
        timezone: 'Europe/Berlin',
        recurrence_rule: 'FREQ=DAILY; COUNT = 3',
      },
      {
        title: 'padded ordinal',
        due_date: '2027-02-01T09:00',
        timezone: 'Europe/Berlin',
        recurrence_rule: 'FREQ=MONTHLY;BYDAY=01MO;UNTIL=20271231',
      },
      // Zones whose VTIMEZONE the zone library names Etc/GMT (a TZID the feed otherwise writes in UTC).
      { title: 'GMT plus 0', due_date: '2027-01-05T10:00', timezone: 'Etc/GMT+0', recurrence_rule: 'FREQ=DAILY' },
      { title: 'GMT minus 0', due_date: '2027-01-06T10:00', timezone: 'GMT-0', recurrence_rule: 'FREQ=WEEKLY' },
      // Zones whose library VTIMEZONE disagrees with the engine: the feed writes one built from the engine's offsets.
      {
        title: 'Jerusalem Fridays',
        due_date: '2027-03-05T18:00',
        timezone: 'Asia/Jerusalem',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=FR',
      },
      {
        title: 'Santiago weekly',
        due_date: '2027-03-01T08:30',
        timezone: 'America/Santiago',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO',
      },
    ];
    const series: Json[] = [];
    for (const spec of seriesSpecs) series.push(await create(spec));
    // "Berlin count" reminds a day ahead, so its 2026-12-01 07:00 occurrence spawns at once (its reminder is
    // due from the moment it was set): the instance is an open task of its own, and the series goes on from 2026-12-02.
    const berlin = series[8] as Json;
    const instances = await eventually(
      async () => {
        const page = await ok(call('GET', `/tasks?series_id=${String(berlin.id)}`, { token }));
        return (page.tasks as Json[]).length > 0 ? (page.tasks as Json[]) : null;
      },
      { what: 'the Berlin series spawned its first instance' },
    );
    t.is(instances.length, 1);
    const instance = instances[0] as Json;
    // The instance's reminder (a day before 2026-12-01 07:00) came before the series was made: it was never
    // due, so it is there cancelled as passed, never fired, and no alarm.
    t.deepEqual(
      ((await ok(call('GET', `/tasks/${String(instance.id)}`, { token }))).reminders as Json[]).map((r) => [
        r.status,
        r.cancel_reason,
      ]),
      [['cancelled', 'passed']],
    );

    const made = await ok(call('POST', '/me/calendar-feed', { token }), 201);
    const reply = await call('GET', pathOf(made.https_url as string));
    t.is(reply.status, 200);
    const ics = reply.text;

    // RFC 5545 §3.1: CRLF line ends, lines of at most 75 octets.
    t.true(ics.endsWith('\r\n'));
    t.false(/[^\r]\n/.test(ics), 'no bare LF');
    const longest = Math.max(...ics.split('\r\n').map((l) => Buffer.byteLength(l, 'utf8')));
    t.true(longest <= 75, `longest line ${longest} octets`);

    // From the store: the API leaves out a series' wall-clock start (dtstart_local), which the engine expands from.
    const read = async (id: unknown) => (await readTask(app.app.db, userId, String(id))) as TaskState;
    const py = parseWithPython(python, ics, 50);
    t.is(py.calendar.version, '2.0');
    t.truthy(py.calendar.prodid);
    const open = [rent, someday, cancelled, ...series, ...instances];
    t.deepEqual(
      py.todos.map((x) => x.uid).sort(),
      open.map((x) => `${String(x.id)}@tasklane`).sort(),
      'one VTODO per open task',
    );
    const pyTodo = (task: Json) =>
      py.todos.find((x) => x.uid === `${String(task.id)}@tasklane`) as (typeof py.todos)[number];

    const rentNow = await read(rent.id);
    t.like(pyTodo(rent), {
      summary: longTitle,
      description: 'Line one, with comma;\nline two 🏠',
      status: 'NEEDS-ACTION',
      priority: 1,
      due: rentNow.due_date,
      due_tzid: 'Pacific/Kiritimati',
    });
    t.deepEqual(pyTodo(rent).categories.sort(), ['Bills, urgent; now', 'Home']);
    t.deepEqual(
      pyTodo(rent)
        .alarms.map((a) => a.trigger)
        .sort(),
      rentNow.reminders.map((r) => r.remind_at).sort(),
      'each pending reminder is an alarm at the instant it fires',
    );
    t.true(pyTodo(rent).alarms.every((a) => a.action === 'DISPLAY' && a.description === longTitle));
    t.like(pyTodo(someday), { priority: 9, due: null, categories: [] });
    t.deepEqual(pyTodo(cancelled).alarms, [], 'a removed reminder is no alarm');

    for (const s of series) {
      const task = await read(s.id);
      const zone = task.timezone ?? 'Pacific/Kiritimati';
      const ours = occurrences(task.recurrence_rule as string, seriesStart(task, zone), zone, {
        after: new Date(Date.parse(task.next_occurrence as string) - 1),
        limit: 50,
      }).map((d) => d.toISOString());
      const theirs = pyTodo(s);
      t.is(theirs.due, task.next_occurrence, `${task.title}: DUE is the next occurrence`);
      t.deepEqual(theirs.occurrences, ours, `${task.title}: RRULE ${String(theirs.rrule)} expands as our engine does`);
      t.true(
        ours.length === 50 || /COUNT|UNTIL/.test(task.recurrence_rule as string),
        `${task.title}: ${ours.length} occurrences compared`,
      );
    }
    t.regex(pyTodo(berlin).rrule ?? '', /COUNT=28\b/, 'COUNT keeps the 28 occurrences left of 40');
    const rruleOf = (title: string) => {
      const uid = `${String(series.find((x) => x.title === title)?.id)}@tasklane`;
      const todo = ics.split('BEGIN:VTODO').find((block) => block.includes(`UID:${uid}`)) ?? '';
      return /^RRULE:(.*)$/m.exec(todo.replaceAll('\r\n ', ''))?.[1]?.trim();
    };
    t.is(rruleOf('lower case'), 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU', 'canonical: upper case, in order');
    t.is(rruleOf('spaced'), 'FREQ=DAILY;COUNT=3', 'spaces gone, COUNT kept');
    t.regex(
      rruleOf('padded ordinal') ?? '',
      /^FREQ=MONTHLY;BYDAY=1MO;UNTIL=20271231T\d{6}Z$/,
      'the ordinal as a number',
    );
    t.like(pyTodo(instance), { due: '2026-12-01T06:00:00.000Z', due_tzid: 'Europe/Berlin', rrule: null });
    t.deepEqual(pyTodo(instance).alarms, [], 'a reminder that was never due is no alarm');
    t.true(py.zones.includes('Asia/Kolkata') && py.zones.includes('Australia/Lord_Howe'), 'a VTIMEZONE per TZID used');
    t.deepEqual(
      pyTodo(series[0] as Json).alarms.map((a) => [a.related, a.trigger]),
      [['END', -900]],
      "a series' reminder is relative to each occurrence's DUE",
    );
    t.deepEqual(
      pyTodo(berlin).alarms.map((a) => [a.related, a.trigger]),
      [['END', -86400]],
    );

    // node-ical, an independent parser, reads the same tasks, dates, categories and alarms.
    const parsed = Object.values(ical.sync.parseICS(ics)).filter(
      (c): c is VTodo => (c as CalendarComponent | undefined)?.type === 'VTODO',
    );
    t.deepEqual(parsed.map((c) => c.uid).sort(), open.map((x) => `${String(x.id)}@tasklane`).sort());
    const node = (task: Json) => parsed.find((c) => c.uid === `${String(task.id)}@tasklane`);
    const rentNode = node(rent) as VTodo;
    t.is(rentNode.summary, longTitle);
    t.is(new Date(rentNode.due as Date).toISOString(), rentNow.due_date ?? 'no due date');
    t.deepEqual([...(rentNode.categories ?? [])].sort(), ['Bills, urgent; now', 'Home']);
    t.is(rentNode.alarms?.length, 2);
    for (const s of series) {
      const c = node(s) as VTodo;
      const task = await read(s.id);
      t.truthy(c.rrule, `${task.title}: node-ical reads the RRULE`);
      t.is(
        new Date(c.due as Date).toISOString(),
        task.next_occurrence ?? 'ended',
        `${task.title}: node-ical reads DUE in its zone`,
      );
    }
  });

  test(`${database}: all-day tasks and series, day reminders and after-completion series open in both parsers; all-day series agree over 50 dates`, async (t) => {
    const { app, call } = ctx();
    const userId = `feed-${randomUUID()}`;
    const token = app.token(userId);
    await ok(call('PATCH', '/me', { token, body: { timezone: 'Pacific/Kiritimati' } }));
    const create = async (body: Json) => ok(call('POST', '/tasks', { token, body }), 201);
    const read = async (id: unknown) => (await readTask(app.app.db, userId, String(id))) as TaskState;

    // Kiritimati is UTC+14: 2026-12-24 begins on the 23rd in UTC, and a reminder the day before at 09:00 is
    // 19:00Z two days before.
    const gift = await create({
      title: 'Buy gifts',
      due_date: '2026-12-24',
      reminders: [{ at_time: '09:00', days_before: 1 }],
    });
    t.like(gift, { due_day: '2026-12-24', all_day: true });
    // All-day series: weekly far from UTC; daily in Chatham (UTC+13:45) across its DST end on 2027-04-04; daily in
    // New York across its DST start on 2027-03-14 with UNTIL as a date.
    const seriesSpecs: Json[] = [
      {
        title: 'Bins',
        due_date: '2026-12-10',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=TH,SU',
        reminders: [{ at_time: '20:00', days_before: 1 }, { at_time: '07:30' }],
      },
      {
        title: 'Chatham days',
        due_date: '2027-03-20',
        timezone: 'Pacific/Chatham',
        recurrence_rule: 'FREQ=DAILY;COUNT=70',
        reminders: [{ at_time: '08:00', days_before: 3 }],
      },
      {
        title: 'NY days',
        due_date: '2027-03-01',
        timezone: 'America/New_York',
        recurrence_rule: 'FREQ=DAILY;INTERVAL=2;UNTIL=20270610',
      },
    ];
    const allDaySeries: Json[] = [];
    for (const spec of seriesSpecs) allDaySeries.push(await create(spec));

    // After completion: one whose first instance is still to come (its next occurrence is DUE, no RRULE); one
    // whose first instance spawns at once (its reminder, a day ahead, is due from when it was set) and which then waits for it.
    const ahead = await create({
      title: 'Water plants',
      due_date: '2026-12-05T09:00',
      recurrence_rule: 'FREQ=DAILY;INTERVAL=3',
      recurrence_mode: 'after_completion',
      reminders: [{ before: 'PT30M' }],
    });
    const waiting = await create({
      title: 'Haircut',
      due_date: '2026-12-01T20:00',
      recurrence_rule: 'FREQ=WEEKLY;INTERVAL=4',
      recurrence_mode: 'after_completion',
      reminders: [{ before: 'P1D' }],
    });
    const haircut = await eventually(
      async () => {
        const page = await ok(call('GET', `/tasks?series_id=${String(waiting.id)}`, { token }));
        return (page.tasks as Json[])[0] ?? null;
      },
      { what: 'the after-completion series spawned its first instance' },
    );
    t.is((await read(waiting.id)).next_occurrence, null, 'the series waits for a completion');

    const made = await ok(call('POST', '/me/calendar-feed', { token }), 201);
    const reply = await call('GET', pathOf(made.url as string));
    t.is(reply.status, 200);
    const ics = reply.text;
    const uid = (task: Json) => `${String(task.id)}@tasklane`;
    const open = [gift, ...allDaySeries, ahead, haircut];

    // Python's icalendar.
    const py = parseWithPython(python, ics, 50);
    t.deepEqual(py.todos.map((x) => x.uid).sort(), open.map(uid).sort(), 'a waiting series has no VTODO');
    const pyTodo = (task: Json) => py.todos.find((x) => x.uid === uid(task)) as (typeof py.todos)[number];
    t.like(pyTodo(gift), { due: '2026-12-24', due_tzid: null, dtstart: null, rrule: null });
    t.deepEqual(
      pyTodo(gift).alarms.map((a) => a.trigger),
      ['2026-12-22T19:00:00.000Z'],
      "an all-day task's reminder fires at its instant",
    );

    /** Where a trigger relative to a DATE DUE lands: the date's wall-clock midnight plus `seconds`, in `zone`. */
    const landing = (due: string, seconds: number, zone: string) => {
      const wall = DateTime.fromISO(`${due}T00:00:00`, { zone: 'UTC' }).plus({ seconds });
      return localToInstant(
        { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute },
        zone,
      ).toISOString();
    };
    for (const s of allDaySeries) {
      const task = await read(s.id);
      const zone = task.timezone ?? 'Pacific/Kiritimati';
      const next = task.next_occurrence as string;
      const ours = occurrences(task.recurrence_rule as string, seriesStart(task, zone), zone, {
        after: new Date(Date.parse(next) - 1),
        limit: 50,
      }).map((d) => dayOf(d.toISOString(), zone));
      const theirs = pyTodo(s);
      t.is(ours.length, 50, `${task.title}: 50 dates compared`);
      t.like(theirs, { due: dayOf(next, zone), dtstart: dayOf(next, zone), due_tzid: null }, task.title);
      t.deepEqual(theirs.occurrences, ours, `${task.title}: RRULE ${String(theirs.rrule)} gives our dates`);
      // Each day reminder lands where our engine fires it: at_time, days_before the occurrence's date, in its zone.
      const want = task.reminders.map((r) =>
        dayReminderAt('r', dayOf(next, zone), r.days_before ?? 0, r.at_time as string, zone),
      );
      t.deepEqual(
        theirs.alarms.map((a) => [a.related, landing(theirs.due as string, a.trigger as number, zone)]),
        want.map((at) => ['END', at]),
        `${task.title}: day reminders relative to the DUE date`,
      );
    }
    t.regex(pyTodo(allDaySeries[1] as Json).rrule ?? '', /COUNT=70\b/);
    t.regex(pyTodo(allDaySeries[2] as Json).rrule ?? '', /UNTIL=20270610(?!T)/, 'UNTIL stays a DATE');
    const aheadNow = await read(ahead.id);
    t.like(pyTodo(ahead), {
      due: aheadNow.next_occurrence,
      due_tzid: 'Pacific/Kiritimati',
      rrule: null,
      dtstart: null,
    });
    t.deepEqual(
      pyTodo(ahead).alarms.map((a) => [a.related, a.trigger]),
      [['END', -1800]],
    );
    t.like(pyTodo(haircut), { due: (await read(haircut.id)).due_date, rrule: null });

    // node-ical: DATE values are local-midnight Dates marked dateOnly; their calendar date is read locally.
    const parsed = Object.values(ical.sync.parseICS(ics)).filter(
      (c): c is VTodo => (c as CalendarComponent | undefined)?.type === 'VTODO',
    );
    t.deepEqual(parsed.map((c) => c.uid).sort(), open.map(uid).sort());
    const node = (task: Json) => parsed.find((c) => c.uid === uid(task)) as VTodo;
    const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    const dateOnly = (d: unknown) => (d as { dateOnly?: boolean } | undefined)?.dateOnly === true;
    t.true(dateOnly(node(gift).due));
    t.is(localDate(node(gift).due as Date), '2026-12-24');
    t.is(
      DateTime.fromISO(String(triggerOf(node(gift).alarms?.[0])))
        .toUTC()
        .toISO(),
      '2026-12-22T19:00:00.000Z',
    );
    for (const s of allDaySeries) {
      const task = await read(s.id);
      const zone = task.timezone ?? 'Pacific/Kiritimati';
      const c = node(s);
      const next = dayOf(task.next_occurrence as string, zone);
      t.true(dateOnly(c.start) && dateOnly(c.due), `${task.title}: DTSTART and DUE are dates`);
      t.is(localDate(c.due as Date), next);
      const dates = (c.rrule?.all((_, i) => i < 50) ?? []).map(localDate);
      t.deepEqual(dates, pyTodo(s).occurrences, `${task.title}: node-ical expands the same dates`);
      t.deepEqual(
        (c.alarms ?? []).map((a) => landing(next, durationSeconds(String(triggerOf(a))), zone)),
        task.reminders.map((r) => dayReminderAt('r', next, r.days_before ?? 0, r.at_time as string, zone)),
        `${task.title}: node-ical reads the same triggers`,
      );
    }
    t.is(node(ahead).rrule, undefined);
    t.is(new Date(node(ahead).due as Date).toISOString(), aheadNow.next_occurrence ?? 'none');
  });

  test(`${database}: a user with more open tasks than the cap gets the soonest ${MAX_FEED_TASKS} and a header saying so`, async (t) => {
    const { app, call } = ctx();
    const userId = `feed-${randomUUID()}`;
    const token = app.token(userId);
    const seed = await ok(
      call('POST', '/tasks', { token, body: { title: 'copy me', due_date: '2027-06-01T09:00' } }),
      201,
    );
    const soon = await ok(
      call('POST', '/tasks', { token, body: { title: 'soonest', due_date: '2026-12-02T09:00' } }),
      201,
    );
    // Thousands of rows straight into the table (the feed only reads them).
    await copyTask(app, seed.id as string, MAX_FEED_TASKS + 500);
    const made = await ok(call('POST', '/me/calendar-feed', { token }), 201);
    const reply = await call('GET', pathOf(made.url as string));
    t.is(reply.status, 200);
    t.is(reply.headers.get('x-feed-truncated'), 'true');
    t.is(reply.text.match(/^BEGIN:VTODO\r$/gm)?.length, MAX_FEED_TASKS);
    t.true(reply.text.includes(`UID:${String(soon.id)}@tasklane`), 'the soonest due task is in');
  });

  test(`${database}: tasks with long descriptions fill a feed to its bytes, not to 56 MB; the soonest are in, and a header says so`, async (t) => {
    const { app, call } = ctx();
    const userId = `feed-${randomUUID()}`;
    const token = app.token(userId);
    const description = '😀,;\\\n'.repeat(2000);
    const seed = await ok(
      call('POST', '/tasks', { token, body: { title: 'long', description, due_date: '2027-06-01T09:00' } }),
      201,
    );
    const soon = await ok(
      call('POST', '/tasks', { token, body: { title: 'soonest', description, due_date: '2026-12-02T09:00' } }),
      201,
    );
    await copyTask(app, seed.id as string, 300);
    const made = await ok(call('POST', '/me/calendar-feed', { token }), 201);
    const reply = await call('GET', pathOf(made.url as string));
    t.is(reply.status, 200);
    t.is(reply.headers.get('x-feed-truncated'), 'true');
    const bytes = Buffer.byteLength(reply.text);
    t.true(bytes <= MAX_FEED_BYTES + 64 * 1024, `${bytes} bytes`);
    const todos = reply.text.match(/^BEGIN:VTODO\r$/gm)?.length ?? 0;
    t.true(todos > 10 && todos < 300, `${todos} tasks`);
    t.true(reply.text.includes(`UID:${String(soon.id)}@tasklane`), 'the soonest due task is in');
  });
}

test('the public feed route is rate limited per client address, whatever secret is tried', async (t) => {
  const app = await startTestApp({ database: 'pglite', env: { RATE_LIMIT_PER_SEC: '1', RATE_LIMIT_BURST: '3' } });
  t.teardown(() => app.stop());
  const call = injector(app.app.server);
  // 30 guesses at once against a bucket of 3 refilled at 1 a second: most are refused before any lookup.
  const replies = await Promise.all(
    Array.from({ length: 30 }, () => call('GET', `/feeds/${randomUUID().replaceAll('-', '').padEnd(43, 'x')}.ics`)),
  );
  const limited = replies.filter((r) => r.status === 429);
  t.true(limited.length > 0, `statuses: ${replies.map((r) => r.status).join(' ')}`);
  t.true(replies.every((r) => r.status === 404 || r.status === 429));
  t.regex(limited[0]?.headers.get('retry-after') ?? '', /^\d+$/);
});

test("the request log never holds a feed's secret: its path is logged masked", async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const app = await startTestApp({ database: 'pglite', logger });
  t.teardown(() => app.stop());
  const call = injector(app.app.server);
  const token = app.token(`feed-${randomUUID()}`);
  const made = await ok(call('POST', '/me/calendar-feed', { token }), 201);
  const path = pathOf(made.url as string);
  const secret = path.slice('/feeds/'.length, -'.ics'.length);
  t.is((await call('GET', path)).status, 200);
  t.is((await call('GET', `/feeds/${'B'.repeat(43)}.ics`)).status, 404);
  const served = await eventually(() => lines.find((l) => l.includes('calendar feed served')), {
    what: 'the feed request was logged',
  });
  t.regex(served, /"correlation_id"/);
  await eventually(() => lines.filter((l) => l.includes('/feeds/<secret>')).length >= 2, {
    what: 'both feed requests were logged, masked',
  });
  const leaked = lines.filter((l) => l.includes(secret) || l.includes('B'.repeat(43)));
  t.deepEqual(leaked, [], 'no log line holds a secret');
});
