// All-day tasks through the REST API (issue 16), on embedded PGlite and on PostgreSQL: a date alone is a
// floating calendar date in the task's zone, placed by that date in the views of a user far from UTC,
// kept on its date when the zone changes, with reminders at wall-clock times and all-day series that
// spawn on the right local dates across a DST change (the app runs on a manual clock for those).
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { TestApp } from '../helpers/app.ts';
import { appsOnManualClocks, ok } from '../helpers/api-suite.ts';
import { injector, type Call } from '../helpers/inject.ts';
import type { ManualClock } from '../helpers/clock.ts';
import { eventually } from '../helpers/eventually.ts';
import { replay } from '../../host/replay-core.ts';
import { replayAtRest } from '../helpers/replay.ts';

type Json = Record<string, unknown>;
const { databases, apps, clocks } = appsOnManualClocks();

/** The local date in `zone` of the app's time now (the views' clock is the app's), moved by `days`. */
const localDay = (clock: ManualClock, zone: string, days = 0): string =>
  DateTime.fromMillis(clock.now(), { zone }).startOf('day').plus({ days }).toISODate() as string;
/** The first instant of `day` in `zone`, as the API writes instants. */
const startOfDay = (day: string, zone: string): string => DateTime.fromISO(day, { zone }).toUTC().toISO() as string;

/** What each view must hold of these all-day tasks in `zone` (by date: due today all day, overdue once the day ended). */
function expectedViews(clock: ManualClock, tasks: { title: string; day: string }[], zone: string) {
  const today = localDay(clock, zone);
  const last = localDay(clock, zone, 7);
  const pick = (f: (day: string) => boolean) =>
    tasks
      .filter((x) => f(x.day))
      .map((x) => x.title)
      .sort();
  return {
    today: pick((d) => d <= today),
    overdue: pick((d) => d < today),
    upcoming: pick((d) => d >= today && d <= last),
  };
}

async function views(call: Call, token: string) {
  const names = async (view: string) =>
    ((await ok(call('GET', `/tasks?view=${view}`, { token }))).tasks as Json[]).map((x) => x.title as string).sort();
  return { today: await names('today'), overdue: await names('overdue'), upcoming: await names('upcoming') };
}

async function allDayScenario(t: ExecutionContext, app: TestApp, clock: ManualClock): Promise<void> {
  const call = injector(app.app.server);
  const user = `allday-${randomUUID()}`;
  const token = app.token(user);
  await ok(call('PATCH', '/me', { token, body: { timezone: 'Pacific/Kiritimati' } }));

  // A date alone: all day, on that date in the user's zone (UTC+14), not at midnight UTC.
  const made: { title: string; day: string }[] = [
    { title: 'Yesterday', day: localDay(clock, 'Pacific/Kiritimati', -1) },
    { title: 'Today', day: localDay(clock, 'Pacific/Kiritimati') },
    { title: 'Tomorrow', day: localDay(clock, 'Pacific/Kiritimati', 1) },
    { title: 'Next week', day: localDay(clock, 'Pacific/Kiritimati', 7) },
  ];
  const ids = new Map<string, string>();
  for (const m of made) {
    const task = await ok(call('POST', '/tasks', { token, body: { title: m.title, due_date: m.day } }), 201);
    t.like(task, { due_day: m.day, all_day: true, due_date: startOfDay(m.day, 'Pacific/Kiritimati') });
    ids.set(m.title, task.id as string);
  }
  const got = await ok(call('GET', `/tasks/${ids.get('Today')}`, { token }));
  t.like(got, { due_day: made[1]?.day, all_day: true });

  // The views place them by date: Today's task is due all day and not overdue until the day has ended.
  t.deepEqual(await views(call, token), expectedViews(clock, made, 'Pacific/Kiritimati'));
  t.like(await ok(call('GET', '/views/counts', { token })), {
    today: 2,
    overdue: 1,
    upcoming: 3,
  });
  const upcoming = await ok(call('GET', '/views/upcoming', { token }));
  const days = upcoming.days as { date: string; tasks: Json[] }[];
  t.deepEqual(
    days.slice(0, 2).map((d) => [d.date, d.tasks.map((x) => x.title)]),
    [
      [made[1]?.day, ['Today']],
      [made[2]?.day, ['Tomorrow']],
    ],
  );

  // Day reminders: a wall-clock time on the day or N days before it; the wrong kind is a 400 naming the field.
  const reminder = await ok(
    call('POST', `/tasks/${ids.get('Next week')}/reminders`, { token, body: { at_time: '09:00', days_before: 1 } }),
    201,
  );
  t.like(reminder, {
    at_time: '09:00',
    days_before: 1,
    offset: null,
    status: 'pending',
    remind_at: DateTime.fromISO(`${localDay(clock, 'Pacific/Kiritimati', 6)}T09:00`, { zone: 'Pacific/Kiritimati' })
      .toUTC()
      .toISO(),
  });
  const before = await call('POST', `/tasks/${ids.get('Next week')}/reminders`, {
    token,
    body: { before: 'PT1H' },
  });
  t.like(before, { status: 400, body: { field: 'before' } });
  const badTime = await call('POST', `/tasks/${ids.get('Next week')}/reminders`, {
    token,
    body: { at_time: '9am' },
  });
  t.like(badTime, { status: 400, body: { field: 'at_time' } });
  const lonely = await call('POST', `/tasks/${ids.get('Next week')}/reminders`, { token, body: { days_before: 2 } });
  t.is(lonely.status, 400);
  const timed = await ok(
    call('POST', '/tasks', {
      token,
      body: { title: 'Timed', due_date: `${localDay(clock, 'Pacific/Kiritimati', 3)}T10:00` },
    }),
    201,
  );
  t.like(timed, { due_day: null, all_day: false });
  const wrongKind = await call('POST', `/tasks/${timed.id}/reminders`, { token, body: { at_time: '09:00' } });
  t.like(wrongKind, { status: 400, body: { field: 'at_time' } });
  t.like(
    await call('POST', '/tasks', {
      token,
      body: { title: 'x', due_date: made[1]?.day, recurrence_rule: 'FREQ=DAILY;BYHOUR=9' },
    }),
    { status: 400, body: { field: 'recurrence_rule' } },
  );

  // PATCH switches between timed and all-day.
  const toTimed = await ok(
    call('PATCH', `/tasks/${timed.id}`, { token, body: { due_date: localDay(clock, 'Pacific/Kiritimati', 4) } }),
  );
  t.like(toTimed, { due_day: localDay(clock, 'Pacific/Kiritimati', 4), all_day: true });
  const back = await ok(
    call('PATCH', `/tasks/${timed.id}`, {
      token,
      body: { due_date: `${localDay(clock, 'Pacific/Kiritimati', 4)}T18:00` },
    }),
  );
  t.like(back, { due_day: null, all_day: false });

  t.is((await call('DELETE', `/tasks/${timed.id}`, { token })).status, 204);

  // The user moves 25 hours west (UTC−11): every open all-day task keeps its date; its first instant and
  // its reminder move; the views follow the new zone's today.
  await ok(call('PATCH', '/me', { token, body: { timezone: 'Pacific/Pago_Pago' } }));
  for (const m of made) {
    await eventually(
      async () =>
        (await ok(call('GET', `/tasks/${ids.get(m.title)}`, { token }))).due_date ===
        startOfDay(m.day, 'Pacific/Pago_Pago'),
      { what: `${m.title} starts its date in Pago Pago` },
    );
  }
  const moved = await ok(call('GET', `/tasks/${ids.get('Next week')}`, { token }));
  t.like(moved, { due_day: made[3]?.day, all_day: true });
  t.is(
    (moved.reminders as Json[])[0]?.remind_at,
    DateTime.fromISO(`${localDay(clock, 'Pacific/Kiritimati', 6)}T09:00`, { zone: 'Pacific/Pago_Pago' })
      .toUTC()
      .toISO(),
  );
  t.deepEqual(await views(call, token), expectedViews(clock, made, 'Pacific/Pago_Pago'));

  // A DST day in a half-hour zone (St John's moves to summer time at 02:00 on 14 March 2027).
  const dst = await ok(
    call('POST', '/tasks', {
      token,
      body: {
        title: 'DST day',
        due_date: '2027-03-14',
        timezone: 'America/St_Johns',
        reminders: [{ at_time: '09:00' }, { at_time: '09:00', days_before: 1 }],
      },
    }),
    201,
  );
  t.like(dst, { due_day: '2027-03-14', due_date: '2027-03-14T03:30:00.000Z' }); // 00:00 NST (−03:30)
  // (reminders made in one request share created_at: ordered by days_before here)
  t.deepEqual((dst.reminders as Json[]).map((r) => [r.days_before, r.remind_at]).sort(), [
    [0, '2027-03-14T11:30:00.000Z'], // 09:00 NDT (−02:30)
    [1, '2027-03-13T12:30:00.000Z'], // 09:00 NST
  ]);
  // Filters and the due sort read the first instant of the day.
  const filtered = await ok(
    call('GET', '/tasks?due_after=2027-03-14T03:30:00Z&due_before=2027-03-14T03:30:01Z', { token }),
  );
  t.deepEqual(
    (filtered.tasks as Json[]).map((x) => x.title),
    ['DST day'],
  );

  // An all-day series across the New York DST change, on the app's clock: instances on the right dates,
  // each spawned in time for its reminder at 20:00 the evening before.
  await clock.reach(Date.parse('2027-03-12T12:00:00Z'));
  const series = await ok(
    call('POST', '/tasks', {
      token,
      body: {
        title: 'Water plants',
        due_date: '2027-03-13',
        timezone: 'America/New_York',
        recurrence_rule: 'FREQ=DAILY;COUNT=3',
        reminders: [{ at_time: '20:00', days_before: 1 }],
      },
    }),
    201,
  );
  t.like(series, { due_day: '2027-03-13', all_day: true, next_occurrence: '2027-03-13T05:00:00.000Z' });
  const expected = [
    ['2027-03-13', '2027-03-13T05:00:00.000Z', '2027-03-13T01:00:00.000Z'], // EST
    ['2027-03-14', '2027-03-14T05:00:00.000Z', '2027-03-14T01:00:00.000Z'], // the change is at 02:00
    ['2027-03-15', '2027-03-15T04:00:00.000Z', '2027-03-15T00:00:00.000Z'], // EDT
  ] as const;
  for (const [n, [day, due, remind]] of expected.entries()) {
    await clock.reach(Date.parse(remind));
    const instances = await eventually(
      async () => {
        const list = (await ok(call('GET', `/tasks?series_id=${series.id}&sort=due&order=asc`, { token })))
          .tasks as Json[];
        return list.length === n + 1 ? list : null;
      },
      { what: `occurrence ${day} spawned` },
    );
    t.like(instances[n], { due_day: day, all_day: true, due_date: due, occurrence_at: due });
    t.like((instances[n]?.reminders as Json[])[0], { at_time: '20:00', days_before: 1, remind_at: remind });
  }

  // Replay folds the same rows out of the events, due_day and the day reminders included.
  const report = await replayAtRest({ db: app.app.db, fromDb: true, user });
  t.deepEqual(report.mismatches, []);
  t.is(report.matched, report.tasks);
  await app.app.db.query('UPDATE tasks SET due_day = $1 WHERE id = $2', ['2027-03-15', dst.id]);
  const tampered = await replay({ db: app.app.db, fromDb: true, user });
  t.deepEqual(
    tampered.mismatches.map((m) => [m.taskId, m.fields]),
    [[dst.id, ['due_day']]],
  );
}

/**
 * Issue 16 review: an all-day series that starts today (typed by quick add, in either mode) shows today's
 * instance in the today view, in a zone where today began long ago in UTC terms. Serial: it runs on the
 * app's clock before the scenario above moves that clock to 2027.
 */
async function seriesFromToday(t: ExecutionContext, app: TestApp, clock: ManualClock): Promise<void> {
  const call = injector(app.app.server);
  const token = app.token(`allday-today-${randomUUID()}`);
  const zone = 'Pacific/Kiritimati';
  await ok(call('PATCH', '/me', { token, body: { timezone: zone } }));
  const today = DateTime.fromMillis(clock.now(), { zone }).toISODate() as string;
  for (const text of ['Water plants every! 3 days', 'Stretch every day']) {
    const preview = await ok(call('POST', '/quick-add/preview', { token, body: { text } }));
    t.like(preview.fields, { due_date: today }, text);
    const series = await ok(call('POST', '/tasks', { token, body: preview.fields }), 201);
    t.is(series.next_occurrence, startOfDay(today, zone), `${text}: today's occurrence is next`);
  }
  await clock.reach(clock.now() + 1000);
  const shown = await eventually(
    async () => {
      const list = (await ok(call('GET', '/tasks?view=today', { token }))).tasks as Json[];
      return list.length === 2 ? list : null;
    },
    { what: "today's instances of both series" },
  );
  t.deepEqual(shown.map((x) => [x.title, x.due_day]).sort(), [
    ['Stretch', today],
    ['Water plants', today],
  ]);
}

/**
 * An all-day series' occurrence is on its date, as an all-day task is on its due_day, wherever the viewer
 * is: a monthly series in Tokyo (east of the New York viewer: its day starts the evening before there) and
 * one in Honolulu (west: its day starts the morning after) are listed in Upcoming under their own dates,
 * beside a one-off all-day task of the same date. Serial: before the scenario below moves the clock.
 */
async function occurrencesOnTheirDate(t: ExecutionContext, app: TestApp, clock: ManualClock): Promise<void> {
  const call = injector(app.app.server);
  const token = app.token(`allday-upcoming-${randomUUID()}`);
  await ok(call('PATCH', '/me', { token, body: { timezone: 'America/New_York' } }));
  const dayIn = (zone: string, days: number) =>
    DateTime.fromMillis(clock.now(), { zone }).startOf('day').plus({ days }).toISODate() as string;
  const tokyo = dayIn('Asia/Tokyo', 3);
  const honolulu = dayIn('Pacific/Honolulu', 4);
  const create = (body: Json) => ok(call('POST', '/tasks', { token, body }), 201);
  await create({ title: 'Tokyo monthly', due_date: tokyo, timezone: 'Asia/Tokyo', recurrence_rule: 'FREQ=MONTHLY' });
  await create({ title: 'Tokyo once', due_date: tokyo, timezone: 'Asia/Tokyo' });
  await create({
    title: 'Honolulu monthly',
    due_date: honolulu,
    timezone: 'Pacific/Honolulu',
    recurrence_rule: 'FREQ=MONTHLY',
  });
  const upcoming = await ok(call('GET', '/views/upcoming', { token }));
  const days = upcoming.days as { date: string; tasks: Json[]; occurrences: Json[] }[];
  const listedOn = (title: string) =>
    days.filter((d) => [...d.tasks, ...d.occurrences].some((x) => x.title === title)).map((d) => d.date);
  t.deepEqual(listedOn('Tokyo once'), [tokyo]);
  t.deepEqual(listedOn('Tokyo monthly'), [tokyo], "the series' occurrence is on the one-off task's date");
  t.deepEqual(listedOn('Honolulu monthly'), [honolulu]);
  const occurrence = days.flatMap((d) => d.occurrences).find((o) => o.title === 'Tokyo monthly');
  t.like(occurrence, { all_day: true, date: tokyo, at: startOfDay(tokyo, 'Asia/Tokyo') });
}

for (const database of databases) {
  test.serial(
    `${database}: an all-day series' occurrences are listed under their own date for a viewer in another zone`,
    (t) => occurrencesOnTheirDate(t, apps[database] as TestApp, clocks[database] as ManualClock),
  );
  test.serial(`${database}: an all-day series starting today shows today's instance`, (t) =>
    seriesFromToday(t, apps[database] as TestApp, clocks[database]),
  );
  test(`${database}: all-day tasks land on their date in far zones, across zone changes and DST`, (t) =>
    allDayScenario(t, apps[database] as TestApp, clocks[database]));
}
