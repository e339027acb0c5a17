// A repeating task is one row in its list, as todo apps show one (a user's pass found each series as its
// own row beside one to three rows of its occurrences): the series' row shows its next open occurrence
// and says how many more are due or when the next one open ahead is, and its checkbox (or `x`) completes that occurrence, after which the row
// shows the next. Today still lists the occurrences themselves, each due that day.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { appWithChromium, DESKTOP, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';
import { eventually } from '../helpers/eventually.ts';

const rig = appWithChromium({ database: 'pglite' });
const { rest } = rig;

interface Task {
  id: string;
  title: string;
  completed: boolean;
  series_id: string | null;
  occurrence_at: string | null;
}

/**
 * A daily series due in an hour with a reminder two days before each occurrence, which needs the first two
 * there at once: two open occurrences. Resolves with the series, a read of its open ones and those two.
 */
async function twoOpen(token: string, title: string) {
  const series = await rest<Task>(token, 'POST', '/tasks', {
    title,
    due_date: new Date(Date.now() + 3_600_000).toISOString(),
    recurrence_rule: 'FREQ=DAILY',
    reminders: [{ before: 'P2D' }],
  });
  const openOnes = () =>
    rest<{ tasks: Task[] }>(token, 'GET', `/tasks?series_id=${series.id}&completed=false`).then((p) =>
      p.tasks.sort((a, b) => (a.occurrence_at ?? '').localeCompare(b.occurrence_at ?? '')),
    );
  const [first, second] = await eventually(async () => ((await openOnes()).length === 2 ? openOnes() : null), {
    what: 'two open occurrences',
  });
  return { series, openOnes, first, second };
}

test('a series is one row in its list: it shows its next open occurrence, and its checkbox or x completes that one', async (t) => {
  const token = rig.app.token(`rows-${randomUUID().slice(0, 8)}`);
  const { series, first, second } = await twoOpen(token, 'Stretch');
  await rest(token, 'POST', '/tasks', { title: 'Plain' });

  const context = await newContext(t, rig.browser, { viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, token);
  const rows = page.locator('#tasks > li.task', { has: page.locator('.title', { hasText: /^Stretch$/ }) });
  await rows.first().waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await rows.count(), 1, 'one row for the series and its occurrences');
  const row = rows.first();
  // The second is open ahead of its time (for its reminder): the next one, not one more to do.
  await row.locator('.meta', { hasText: /Next: tomorrow, \d{1,2}:\d\d/ }).waitFor({ timeout: UI_DEADLINE_MS });
  t.notRegex(await row.locator('.meta').innerText(), /more open/);
  // The sidebar counts it once too: the series and the plain task.
  const inbox = page.locator('#lists > li', { has: page.locator('.side-name', { hasText: /^Inbox$/ }) });
  await inbox.locator('.side-count', { hasText: /^2$/ }).waitFor({ timeout: UI_DEADLINE_MS });

  await row.getByRole('checkbox').check();
  await eventually(async () => ((await rest<Task>(token, 'GET', `/tasks/${first?.id}`)).completed ? true : null), {
    what: 'the first occurrence completed',
  });
  t.false((await rest<Task>(token, 'GET', `/tasks/${second?.id}`)).completed, 'the next one is open');
  // The row now stands for the next one: clear, enabled, no other open.
  await row.locator('.meta', { hasText: 'Next: ' }).waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
  t.false(await row.getByRole('checkbox').isChecked());
  t.is(await rows.count(), 1);

  // x on the row completes the occurrence it shows.
  await row.focus();
  await page.keyboard.press('x');
  await eventually(async () => ((await rest<Task>(token, 'GET', `/tasks/${second?.id}`)).completed ? true : null), {
    what: 'the second occurrence completed by x',
  });
  t.false((await rest<Task>(token, 'GET', `/tasks/${series.id}`)).completed, 'the series itself goes on');
  // z takes it back, and the focus is on the series' row again (j and k go on from there, not from the top).
  await page.keyboard.press('z');
  await eventually(async () => ((await rest<Task>(token, 'GET', `/tasks/${second?.id}`)).completed ? null : true), {
    what: 'the second occurrence reopened by z',
  });
  await eventually(
    async () =>
      (await page.evaluate(() => document.activeElement?.querySelector('.title')?.textContent)) === 'Stretch'
        ? true
        : null,
    { what: "the focus back on the series' row" },
  );
});

test('a series with no occurrence open yet: its box completes the next one ahead of time (rent paid early), and the row moves on to the one after', async (t) => {
  const token = rig.app.token(`ahead-${randomUUID().slice(0, 8)}`);
  // Monthly on the 1st, its first occurrence over a month away: nothing spawns during the test.
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1, 9));
  const series = await rest<Task & { next_occurrence: string }>(token, 'POST', '/tasks', {
    title: 'Pay rent',
    due_date: first.toISOString(),
    recurrence_rule: 'FREQ=MONTHLY;BYMONTHDAY=1',
  });
  const context = await newContext(t, rig.browser, { viewport: DESKTOP, timezoneId: 'UTC' });
  const page = await openDashboard(t, context, rig.app, token);
  const row = page.locator('#tasks > li.task', { has: page.locator('.title', { hasText: /^Pay rent$/ }) });
  await row.waitFor({ timeout: UI_DEADLINE_MS });
  const box = row.getByRole('checkbox');
  t.true(await box.isEnabled(), 'the box of a series with nothing open can be ticked');
  await box.check();
  const done = await eventually(
    async () => {
      const page1 = await rest<{ tasks: Task[] }>(token, 'GET', `/tasks?series_id=${series.id}`);
      return page1.tasks.find((x) => x.completed) ?? null;
    },
    { what: 'the next occurrence completed' },
  );
  t.is(Date.parse(done.occurrence_at ?? ''), first.getTime(), 'the occurrence completed is the next one');
  const month = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1)).toLocaleString('en-US', {
    month: 'short',
    timeZone: 'UTC',
  });
  await row.locator('.meta', { hasText: new RegExp(`Next: \\w+, ${month} 1,`) }).waitFor({ timeout: UI_DEADLINE_MS });
  t.false(await box.isChecked(), 'the box is clear again for the one after');
  t.false((await rest<Task>(token, 'GET', `/tasks/${series.id}`)).completed, 'the series itself goes on');
});

test("Upcoming: a series' next occurrence, not made yet, is ticked where it is listed (done ahead of time); the ones after it have no box", async (t) => {
  const token = rig.app.token(`upc-${randomUUID().slice(0, 8)}`);
  // Every other day, all day, from three days on: nothing is made before its day, and Upcoming lists the
  // occurrences in three and five days (seven days out is the window's last).
  const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const series = await rest<Task>(token, 'POST', '/tasks', {
    title: 'Water the ferns',
    due_date: day(3),
    recurrence_rule: 'FREQ=DAILY;INTERVAL=2',
  });
  const context = await newContext(t, rig.browser, { viewport: DESKTOP, timezoneId: 'UTC' });
  const page = await openDashboard(t, context, rig.app, token);
  await page
    .locator('#views button')
    .filter({ has: page.locator('.side-name', { hasText: /^Upcoming$/ }) })
    .click();
  const occurrenceOn = (days: number) =>
    page
      .locator('#upcoming section.day')
      .filter({ has: page.locator(`h3[id="day-${day(days)}"]`) })
      .locator('.occurrence', { hasText: 'Water the ferns' });
  await occurrenceOn(3).waitFor({ timeout: UI_DEADLINE_MS });
  await occurrenceOn(5).waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await occurrenceOn(5).getByRole('checkbox').count(), 0, 'only the next one can be ticked');
  await occurrenceOn(3)
    .getByRole('checkbox', { name: /Done ahead of time: Water the ferns/ })
    .check();
  const done = await eventually(
    async () =>
      (await rest<{ tasks: Task[] }>(token, 'GET', `/tasks?series_id=${series.id}`)).tasks.find((x) => x.completed) ??
      null,
    { what: 'the occurrence in three days completed' },
  );
  t.is(done.occurrence_at?.slice(0, 10), day(3));
  // Upcoming moves on: the one in five days is the next, and has the box now.
  await occurrenceOn(3).waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
  await occurrenceOn(5).getByRole('checkbox').waitFor({ timeout: UI_DEADLINE_MS });
  // A series with an occurrence open: that one is to be completed (a task row); its later ones have no box.
  await twoOpen(token, 'Stretch');
  await page.reload();
  const stretch = page.locator('#upcoming .occurrence', { hasText: 'Stretch' });
  await stretch.first().waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await stretch.getByRole('checkbox').count(), 0, 'no box while an occurrence of it is open');
});

test('Skip on a series row skips the occurrence it shows (undoable): the row goes on to the next', async (t) => {
  const token = rig.app.token(`skip-${randomUUID().slice(0, 8)}`);
  // Two open at once: the row shows the first, "Next:" the second.
  const { series, openOnes, first, second } = await twoOpen(token, 'Water plants');
  const context = await newContext(t, rig.browser, { viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, token);
  const row = page.locator('#tasks > li.task', { has: page.locator('.title', { hasText: /^Water plants$/ }) });
  await row.locator('.meta', { hasText: 'Next: ' }).waitFor({ timeout: UI_DEADLINE_MS });
  await row.focus();
  await row.getByRole('button', { name: /^Skip this occurrence: Water plants/ }).click();
  await eventually(async () => ((await openOnes()).map((o) => o.id).join() === second?.id ? true : null), {
    what: 'the first occurrence skipped, the second still open',
  });
  t.false((await rest<Task>(token, 'GET', `/tasks/${series.id}`)).completed, 'the series goes on');
  await row.locator('.meta', { hasText: 'Next: ' }).waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
  // Undo brings the skipped one back.
  await page.getByRole('button', { name: 'Undo' }).first().click();
  await eventually(async () => ((await openOnes()).length === 2 ? true : null), { what: 'the skip undone' });
  t.is((await openOnes())[0]?.id, first?.id);
});

test('sorted by due, a series stands where the occurrence its row shows is due (else its next one), not at its start long ago', async (t) => {
  const token = rig.app.token(`sortdue-${randomUUID().slice(0, 8)}`);
  const hour = 3_600_000;
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  // Daily since three days ago, due two hours from now each day, each reminded two days before: the
  // occurrence in two hours and the one after it are open at once (its next not spawned: in three days).
  const daily = await rest<Task>(token, 'POST', '/tasks', {
    title: 'Feed the cat',
    due_date: at(2 * hour - 3 * 24 * hour),
    recurrence_rule: 'FREQ=DAILY',
    reminders: [{ before: 'P2D' }],
  });
  await eventually(
    async () =>
      (await rest<{ tasks: Task[] }>(token, 'GET', `/tasks?series_id=${daily.id}&completed=false`)).tasks.length === 2
        ? true
        : null,
    { what: 'two open occurrences of the daily series' },
  );
  // Yearly since a year ago less ten days: nothing open, its next occurrence in about ten days.
  await rest(token, 'POST', '/tasks', {
    title: 'Renew passport',
    due_date: at(10 * 24 * hour - 365 * 24 * hour),
    recurrence_rule: 'FREQ=YEARLY',
  });
  for (const [title, ms] of [
    ['Call mum', hour],
    ['Buy stamps', 24 * hour],
    ['File taxes', 30 * 24 * hour],
  ] as const)
    await rest(token, 'POST', '/tasks', { title, due_date: at(ms) });

  const context = await newContext(t, rig.browser, { viewport: DESKTOP, timezoneId: 'UTC' });
  const page = await openDashboard(t, context, rig.app, token);
  await page.locator('#sort').selectOption('due');
  const expected = ['Call mum', 'Feed the cat', 'Buy stamps', 'Renew passport', 'File taxes'];
  const titles = () => page.locator('#tasks > li.task .title').allInnerTexts();
  await eventually(async () => ((await titles()).join('|') === expected.join('|') ? true : null), {
    what: `rows in due order: ${expected.join(', ')}`,
    timeoutMs: UI_DEADLINE_MS,
  }).catch(async (error: unknown) => {
    t.log(`rows: ${(await titles()).join(', ')}`);
    throw error;
  });
  t.deepEqual(await titles(), expected);
});
