// All-day tasks in the dashboard (issue 16), in real Chromium (Debian's chromium through playwright-core)
// in a zone far from UTC, against the real app (embedded shape: PGlite, direct runtime): a
// date alone typed in the new-task form makes an all-day task on that date, the form says what it made,
// and the task shows on its day without a time — due today all day, not overdue.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { appWithChromium, dateIn, DESKTOP, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';
import { zoneAwayFromMidnight } from '../helpers/zone-for-date-tests.ts';

interface Task {
  id: string;
  title: string;
  due_date: string | null;
  due_day: string | null;
  all_day: boolean;
}

// The series test's user zone: Honolulu's day must be a whole day behind it. Both have their midnight at
// 10:00 UTC, and the test's date is three days ahead, so a midnight mid-run changes nothing it checks.
const ZONE = 'Pacific/Kiritimati';
const rig = appWithChromium();
const { rest } = rig;

/** A date as the dashboard says it in en-US ("Thu, Dec 24"). */
const said = (day: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(
    new Date(`${day}T12:00:00Z`),
  );

/** A date's weekday as the dashboard says a day of the coming week in en-US ("Thu"). */
const weekday = (day: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short' }).format(new Date(`${day}T12:00:00Z`));

async function addAllDay(page: Page, title: string, day: string): Promise<void> {
  await page.locator('#new-title').fill(title);
  if (await page.locator('#create-more').isHidden()) await page.locator('#more-options').click();
  await page.locator('#new-all-day').check();
  await page.locator('#new-due').fill(day);
  await page.locator('#new-due-said', { hasText: `All day, ${said(day)}` }).waitFor({ timeout: UI_DEADLINE_MS });
  await page.locator('#create-submit').click();
  await page
    .locator('#new-added', { hasText: `Added “${title}”: All day, ${said(day)}` })
    .waitFor({ timeout: UI_DEADLINE_MS });
}

const row = (page: Page, title: string) =>
  page.locator('li.task:visible').filter({ has: page.locator('.title', { hasText: title }) });
const viewButton = (page: Page, name: string) =>
  page.locator('#views button').filter({ has: page.locator('.side-name', { hasText: new RegExp(`^${name}$`) }) });

test('a date-only task made in the form lands on its day in a zone far from UTC', async (t: ExecutionContext) => {
  // "Today" is the wall clock's: the zone is one whose midnight does not pass during the test.
  const zone = zoneAwayFromMidnight();
  t.log(`zone: ${zone}`);
  const token = rig.app.token(`allday-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: zone });
  const context = await newContext(t, rig.browser, { timezoneId: zone, viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, token);

  const today = dateIn(zone);
  const tomorrow = dateIn(zone, 1);
  await addAllDay(page, 'Pay rent', today);
  await addAllDay(page, 'Christmas party', tomorrow);

  // The server holds floating dates: the first instant of each day in the user's zone, not midnight UTC.
  const tasks = (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks')).tasks;
  const rent = tasks.find((x) => x.title === 'Pay rent');
  t.like(rent, { due_day: today, all_day: true });
  t.is(rent?.due_date, DateTime.fromISO(today, { zone }).toJSDate().toISOString());

  // In the list: the day as a todo list says it, without a time.
  const meta = row(page, 'Christmas party').locator('.meta');
  await meta.filter({ hasText: 'Due tomorrow, all day' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.notRegex((await meta.textContent()) ?? '', /\d:\d\d/, 'no time of day is shown');

  t.true(
    await page.getByLabel('Hide completed').isVisible(),
    'a list shows completed tasks among the open: it may hide them',
  );
  // Today lists today's all-day task, not overdue; Overdue does not; Upcoming has each under its own day.
  await viewButton(page, 'Today').click();
  await row(page, 'Pay rent').waitFor({ timeout: UI_DEADLINE_MS });
  t.false(await row(page, 'Christmas party').isVisible(), "tomorrow's task is not due today");
  t.notRegex((await row(page, 'Pay rent').locator('.meta').textContent()) ?? '', /overdue/);
  t.false(
    await page.getByLabel('Hide completed').isVisible(),
    'Today never shows completed tasks: no "Hide completed"',
  );
  await viewButton(page, 'Overdue').click();
  await page.locator('#view-title', { hasText: 'Overdue' }).waitFor({ timeout: UI_DEADLINE_MS });
  await row(page, 'Pay rent').waitFor({ state: 'hidden', timeout: UI_DEADLINE_MS });
  t.false(await row(page, 'Pay rent').isVisible(), 'an all-day task is not overdue on its own day');
  await viewButton(page, 'Upcoming').click();
  const day = (date: string) =>
    page.locator('#upcoming section.day').filter({ has: page.locator(`h3[id="day-${date}"]`) });
  await t.notThrowsAsync(day(today).locator('.title', { hasText: 'Pay rent' }).waitFor({ timeout: UI_DEADLINE_MS }));
  await t.notThrowsAsync(
    day(tomorrow).locator('.title', { hasText: 'Christmas party' }).waitFor({ timeout: UI_DEADLINE_MS }),
  );

  // The edit form keeps it all day and takes another date alone; it moves to that day.
  const later = dateIn(zone, 3);
  await page.getByRole('button', { name: 'Edit: Christmas party' }).click();
  const editor = page.locator('form.edit');
  t.true(await editor.getByLabel('All day').isChecked(), 'the editor shows it as all day');
  t.is(await editor.getByLabel('Due').inputValue(), tomorrow);
  await editor.getByLabel('Due').fill(later);
  await editor.locator('[role="status"]', { hasText: `All day, ${said(later)}` }).waitFor({ timeout: UI_DEADLINE_MS });
  await editor.getByRole('button', { name: 'Save' }).click();
  await t.notThrowsAsync(
    day(later).locator('.title', { hasText: 'Christmas party' }).waitFor({ timeout: UI_DEADLINE_MS }),
  );
  const moved = (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks')).tasks.find(
    (x) => x.title === 'Christmas party',
  );
  t.like(moved, { due_day: later, all_day: true });

  // A date typed without a time while "All day" is off is not dropped silently: the form says so.
  await page.locator('#new-title').fill('Half a date');
  if (await page.locator('#create-more').isHidden()) await page.locator('#more-options').click();
  await page.locator('#new-due').click();
  await page.keyboard.type('12242026');
  await page.locator('#create-submit').click();
  await page
    .locator('#create-form .error', { hasText: 'The due date has no time' })
    .waitFor({ timeout: UI_DEADLINE_MS });
  t.false(
    (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks')).tasks.some((x) => x.title === 'Half a date'),
    'nothing was created without its date',
  );
});

test('an all-day series in a zone a day behind the user says its next date, all day, and is listed on that date', async (t: ExecutionContext) => {
  const token = rig.app.token(`allday-series-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: ZONE });
  // Honolulu is 24 hours behind Kiritimati: its day D begins at D+1 00:00 for this user.
  const day = dateIn('Pacific/Honolulu', 3);
  await rest(token, 'POST', '/tasks', {
    title: 'Water the plants',
    due_date: day,
    timezone: 'Pacific/Honolulu',
    recurrence_rule: 'FREQ=MONTHLY',
  });
  const context = await newContext(t, rig.browser, { timezoneId: ZONE, viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, token);
  const meta = row(page, 'Water the plants').locator('.meta');
  await t.notThrowsAsync(
    meta.filter({ hasText: `Next: ${weekday(day)}, all day` }).waitFor({ timeout: UI_DEADLINE_MS }),
    "the next occurrence is a date, all day, not midnight in some zone (two days after the user's today: its weekday)",
  );
  await viewButton(page, 'Upcoming').click();
  const listed = page
    .locator('#upcoming section.day')
    .filter({ has: page.locator(`h3[id="day-${day}"]`) })
    .locator('.occurrence', { hasText: 'Water the plants' });
  await t.notThrowsAsync(listed.waitFor({ timeout: UI_DEADLINE_MS }), 'Upcoming lists it on its own date');
  t.regex((await listed.textContent()) ?? '', /all day/);
});

test("the repeat picker previews an all-day series' dates as days, with their year, never a midnight", async (t: ExecutionContext) => {
  const token = rig.app.token(`allday-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: 'Pacific/Kiritimati' });
  const context = await newContext(t, rig.browser, { timezoneId: 'America/New_York', viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, token);
  await page.locator('#more-options').click();
  await page.locator('#new-all-day').check();
  await page.locator('#new-due').fill('2030-12-12');
  await page.getByLabel('Repeats').selectOption('yearly');
  const items = page.locator('#new-rec-preview[data-rule="FREQ=YEARLY"][aria-busy="false"] li');
  await items.nth(4).waitFor({ timeout: UI_DEADLINE_MS });
  const year = (y: number) =>
    new Date(Date.UTC(y, 11, 12, 12)).toLocaleDateString(undefined, {
      timeZone: 'UTC',
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
    });
  t.deepEqual(
    await items.allTextContents(),
    [2030, 2031, 2032, 2033, 2034].map((y) => `${year(y)}, all day`),
  );
});

test('Overdue moves everything it shows to tomorrow at once, times of day kept, and one Undo takes all of it back', async (t) => {
  const zone = zoneAwayFromMidnight();
  const token = rig.app.token(`triage-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: zone });
  const local = DateTime.now().setZone(zone);
  const timed = await rest<Task>(token, 'POST', '/tasks', {
    title: 'File the report',
    due_date: local.minus({ days: 2 }).set({ hour: 10, minute: 30 }).toFormat("yyyy-MM-dd'T'HH:mm"),
  });
  const allDay = await rest<Task>(token, 'POST', '/tasks', {
    title: 'Pay the gas bill',
    due_date: local.minus({ days: 3 }).toISODate(),
  });
  const context = await newContext(t, rig.browser, { timezoneId: zone, viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, token);
  t.false(await page.getByRole('button', { name: 'Move all to tomorrow' }).isVisible(), 'not outside Overdue');
  await viewButton(page, 'Overdue').click();
  await row(page, 'Pay the gas bill').waitFor({ timeout: UI_DEADLINE_MS });
  const tomorrow = DateTime.now().setZone(zone).plus({ days: 1 }).toISODate();
  await page.getByRole('button', { name: 'Move all to tomorrow' }).click();
  await page.locator('#toasts .toast', { hasText: 'Moved 2 to tomorrow' }).waitFor({ timeout: UI_DEADLINE_MS });
  await row(page, 'File the report').waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
  const moved = await rest<Task>(token, 'GET', `/tasks/${timed.id}`);
  const at = DateTime.fromISO(moved.due_date ?? '', { zone });
  t.deepEqual([at.toISODate(), at.hour, at.minute], [tomorrow, 10, 30], 'tomorrow at its time of day');
  t.like(await rest<Task>(token, 'GET', `/tasks/${allDay.id}`), { due_day: tomorrow, all_day: true });
  await page
    .locator('#toasts .toast', { hasText: 'Moved 2 to tomorrow' })
    .getByRole('button', { name: 'Undo' })
    .click();
  await row(page, 'File the report').waitFor({ timeout: UI_DEADLINE_MS });
  await row(page, 'Pay the gas bill').waitFor({ timeout: UI_DEADLINE_MS });
  t.is((await rest<Task>(token, 'GET', `/tasks/${timed.id}`)).due_date, timed.due_date, 'back where it was');
  t.is((await rest<Task>(token, 'GET', `/tasks/${allDay.id}`)).due_day, allDay.due_day);
});
