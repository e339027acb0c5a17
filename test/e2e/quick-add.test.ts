// Quick add in a real browser (Debian's chromium through playwright-core) against the real app (embedded
// shape: PGlite, direct runtime), with the browser and the user in a zone far from UTC: typing a
// phrase shows the server's reading of it before anything is saved, the preview follows edits, and
// Enter creates the task with exactly the previewed fields (read back through the API).
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { appWithChromium, DESKTOP, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';
import { eventually } from '../helpers/eventually.ts';
import { zoneAwayFromMidnight } from '../helpers/zone-for-date-tests.ts';

interface Task {
  id: string;
  title: string;
  due_date: string | null;
  recurrence_rule: string | null;
  priority: number;
  list_id: string;
  labels: string[];
}
interface Named {
  id: string;
  name: string;
  inbox?: boolean;
}

const rig = appWithChromium();
const { rest } = rig;

async function openPage(t: ExecutionContext, token: string, zone: string): Promise<Page> {
  const context = await newContext(t, rig.browser, { timezoneId: zone, viewport: DESKTOP });
  return openDashboard(t, context, rig.app, token);
}

const field = (page: Page, name: string) => page.locator(`#quick-add-preview [data-field="${name}"] dd`);
async function shows(page: Page, name: string, text: string | RegExp): Promise<void> {
  await field(page, name).filter({ hasText: text }).waitFor({ timeout: UI_DEADLINE_MS });
}

test('quick add previews the parsed fields while typing and Enter saves exactly them, in a zone far from UTC', async (t) => {
  // "Tomorrow" is the wall clock's: the zone is one whose midnight does not pass during the test.
  const zone = zoneAwayFromMidnight();
  t.log(`zone: ${zone}`);
  const token = rig.app.token(`quick-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: zone });
  const home = await rest<Named>(token, 'POST', '/lists', { name: 'Home' });
  const urgent = await rest<Named>(token, 'POST', '/labels', { name: 'urgent' });
  const inbox = (await rest<{ lists: Named[] }>(token, 'GET', '/lists')).lists.find((l) => l.inbox);
  const page = await openPage(t, token, zone);
  const box = page.getByLabel('Quick add, in plain words');

  // The phrase, typed key by key: the preview is the server's reading, and nothing is saved yet.
  await box.pressSequentially('Pay rent every month on the 1st at 9am !2 #home @urgent');
  await shows(page, 'title', /^Pay rent$/);
  await shows(page, 'due', new RegExp(`, 9:00 AM \\(${zone}\\)$`));
  await shows(page, 'repeat', /./);
  await shows(page, 'priority', 'P2');
  await shows(page, 'list', /^Home$/);
  await shows(page, 'labels', /^urgent$/);
  t.regex((await field(page, 'due').textContent()) ?? '', /\b1\b/, 'on the 1st');
  t.deepEqual((await rest<{ tasks: Task[] }>(token, 'GET', '/tasks')).tasks, [], 'a preview saves nothing');

  // An edit is previewed again.
  await box.fill('Pay rent every month on the 1st at 9am !1 #home @urgent');
  await shows(page, 'priority', 'P1');

  await box.press('Enter');
  const rent = await eventually(
    async () => (await rest<{ tasks: Task[] }>(token, 'GET', `/tasks?list_id=${home.id}`)).tasks[0],
    { what: 'the task saved in Home', timeoutMs: 10_000 },
  );
  t.like(rent, {
    title: 'Pay rent',
    priority: 1,
    list_id: home.id,
    labels: [urgent.id],
    recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
  });
  const due = DateTime.fromISO(rent.due_date ?? '', { zone });
  t.deepEqual([due.day, due.hour, due.minute], [1, 9, 0], `09:00 on the 1st in ${zone}: ${rent.due_date}`);
  t.true(due.toMillis() > Date.now() - 60_000 && due.diffNow('days').days < 32, 'the next 1st');
  await page.locator('#quick-add-preview').waitFor({ state: 'hidden', timeout: UI_DEADLINE_MS });
  t.is(await box.inputValue(), '', 'the box is cleared after saving');

  // A phrase with no list goes to the list shown (the Inbox), as the preview says; evening is 19:00.
  const tomorrow = () => DateTime.now().setZone(zone).plus({ days: 1 }).toISODate();
  const before = tomorrow();
  await box.fill('Call mum tomorrow evening');
  await shows(page, 'list', /^Inbox \(default\)$/);
  await shows(page, 'due', new RegExp(`, 7:00 PM \\(${zone}\\)$`));
  await box.press('Enter');
  await page.locator('li.task .title', { hasText: 'Call mum' }).waitFor({ timeout: UI_DEADLINE_MS });
  const after = tomorrow();
  const mum = (await rest<{ tasks: Task[] }>(token, 'GET', `/tasks?list_id=${inbox?.id}`)).tasks.find(
    (x) => x.title === 'Call mum',
  );
  t.like(mum, { priority: 4, labels: [], recurrence_rule: null });
  const evening = DateTime.fromISO(mum?.due_date ?? '', { zone });
  t.true([before, after].includes(evening.toISODate()), `tomorrow in ${zone}: ${mum?.due_date}`);
  t.is(evening.hour, 19);

  // What was not understood is said, not dropped silently.
  await box.fill('Plan trip #Hoem');
  await page
    .locator('#quick-add-preview .qa-notes li', { hasText: 'no such list "Hoem"' })
    .waitFor({ timeout: UI_DEADLINE_MS });

  // Text over the limit is not cut off without a word: the server's limit is said.
  await box.fill(`Long ${'x'.repeat(900)}`);
  await page
    .locator('#quick-add-form')
    .getByRole('alert')
    .filter({ hasText: /800/ })
    .waitFor({ timeout: UI_DEADLINE_MS });
  t.is((await box.inputValue()).length, 905, 'the box keeps all of it');

  // A label made while the text waits in the box: the preview is read again, and Enter saves the label.
  await box.fill('Call plumber @errands');
  await shows(page, 'labels', /^errands \(new\)$/);
  const errands = await rest<Named>(token, 'POST', '/labels', { name: 'errands' });
  await shows(page, 'labels', /^errands$/);
  await box.press('Enter');
  const plumber = await eventually(
    async () => (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks?q=plumber')).tasks[0],
    { what: 'the task saved', timeoutMs: 10_000 },
  );
  t.deepEqual(plumber?.labels, [errands.id], 'saved with the label made after the first preview');

  // A label that does not exist yet is made when the task is saved (as the preview says), once.
  await box.fill('Book dentist @health @Health');
  await shows(page, 'labels', /^health \(new\)$/);
  await box.press('Enter');
  const dentist = await eventually(
    async () => (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks?q=dentist')).tasks[0],
    { what: 'the task saved with its new label', timeoutMs: 10_000 },
  );
  const health = (await rest<{ labels: Named[] }>(token, 'GET', '/labels')).labels.filter(
    (l) => l.name.toLowerCase() === 'health',
  );
  t.is(health.length, 1, 'the label was made once');
  t.deepEqual(dentist?.labels, [health[0]?.id], 'and the task carries it');
});

test('a task added in Today is due today, and one added in a label view carries the label: both stay in sight', async (t) => {
  const zone = zoneAwayFromMidnight();
  const token = rig.app.token(`context-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: zone });
  const errands = await rest<Named>(token, 'POST', '/labels', { name: 'errands' });
  const page = await openPage(t, token, zone);
  const box = page.getByLabel('Quick add, in plain words');
  const today = () => DateTime.now().setZone(zone).toISODate();

  await page
    .locator('#views button')
    .filter({ has: page.locator('.side-name', { hasText: /^Today$/ }) })
    .click();
  await page.locator('#view-title', { hasText: 'Today' }).waitFor({ timeout: UI_DEADLINE_MS });
  const before = today();
  await box.fill('Call bank');
  await shows(page, 'due', 'Today, all day (this view)');
  await box.press('Enter');
  await page.locator('li.task .title', { hasText: 'Call bank' }).waitFor({ timeout: UI_DEADLINE_MS });
  const bank = (await rest<{ tasks: (Task & { due_day?: string | null })[] }>(token, 'GET', '/tasks?q=bank')).tasks[0];
  t.true([before, today()].includes(bank?.due_day ?? ''), `due today, all day: ${JSON.stringify(bank)}`);
  // A date typed wins over the view's.
  await box.fill('Renew passport tomorrow');
  await shows(page, 'due', /all day$/);
  t.false(((await field(page, 'due').textContent()) ?? '').includes('this view'));

  await page.locator('#labels-nav > li').filter({ hasText: 'errands' }).locator('.side-item').click();
  await page.locator('#view-title', { hasText: 'errands' }).waitFor({ timeout: UI_DEADLINE_MS });
  await box.fill('Buy batteries');
  await shows(page, 'labels', 'errands (this view)');
  await box.press('Enter');
  await page.locator('li.task .title', { hasText: 'Buy batteries' }).waitFor({ timeout: UI_DEADLINE_MS });
  const batteries = (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks?q=batteries')).tasks[0];
  t.deepEqual(batteries?.labels, [errands.id]);
  // The plain form does the same.
  await page.locator('#new-title').fill('Buy bulbs');
  await page.locator('#new-title').press('Enter');
  await page.locator('li.task .title', { hasText: 'Buy bulbs' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.deepEqual((await rest<{ tasks: Task[] }>(token, 'GET', '/tasks?q=bulbs')).tasks[0]?.labels, [errands.id]);
});

test('a date in figures is read as the page writes dates: 3/4 is 3 April for a British browser, March 4 for an American one', async (t) => {
  const zone = 'Europe/London';
  for (const [locale, month, shown] of [
    ['en-GB', 4, /\b3 Apr\b/],
    ['en-US', 3, /\bMar 4\b/],
  ] as const) {
    const token = rig.app.token(`quick-${randomUUID().slice(0, 8)}`);
    await rest(token, 'PATCH', '/me', { timezone: zone });
    const context = await newContext(t, rig.browser, { timezoneId: zone, viewport: DESKTOP, locale });
    const page = await openDashboard(t, context, rig.app, token);
    const box = page.getByLabel('Quick add, in plain words');
    await box.fill('Pay rent 3/4');
    await shows(page, 'due', shown);
    await box.press('Enter');
    const rent = await eventually(
      async () =>
        (await rest<{ tasks: (Task & { due_day: string | null })[] }>(token, 'GET', '/tasks?q=rent')).tasks[0],
      { what: `the task saved (${locale})`, timeoutMs: 10_000 },
    );
    const day = DateTime.fromISO(rent.due_day ?? '');
    t.deepEqual([day.month, day.day], month === 4 ? [4, 3] : [3, 4], `${locale}: ${rent.due_day}`);
  }
});

test('lines typed one after another while the first ones save are each saved as typed, in order; a line refused comes back', async (t) => {
  const token = rig.app.token(`rapid-${randomUUID().slice(0, 8)}`);
  const page = await openPage(t, token, 'UTC');
  const box = page.getByLabel('Quick add, in plain words');
  // Saves are slow here (a busy server): the next lines are typed while the first one is on its way.
  await page.route('**/tasks', async (route) => {
    if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  });
  const lines = ['Rapid one tomorrow', 'Rapid two tomorrow', 'Release notes today 23:30'];
  for (const line of lines) {
    await box.pressSequentially(line);
    await box.press('Enter');
  }
  t.is(await box.inputValue(), '', 'the box is free for the next line at once');
  const saved = await eventually(
    async () => {
      const tasks = (await rest<{ tasks: Task[] }>(token, 'GET', '/tasks?sort=created&order=asc')).tasks;
      return tasks.length === 3 ? tasks : undefined;
    },
    { what: 'the three lines saved', timeoutMs: 15_000 },
  );
  t.deepEqual(
    saved.map((task) => task.title),
    ['Rapid one', 'Rapid two', 'Release notes'],
    'each as typed (no first letter lost), in the order entered',
  );
  await page.locator('#quick-add-form').waitFor({ state: 'attached' });
  await page.locator('#quick-add-form:not([aria-busy])').waitFor({ timeout: UI_DEADLINE_MS });

  // A line that cannot be saved is not lost: it comes back into the empty box with why.
  await box.pressSequentially('!1 tomorrow');
  await box.press('Enter');
  await page
    .locator('#quick-add-form')
    .getByRole('alert')
    .filter({ hasText: 'A title is needed.' })
    .waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await box.inputValue(), '!1 tomorrow');
});
