// Another member's series in real Chromium: a member in New York edits a daily series a Berlin member made in
// their shared list. The series follows its creator's zone, so the editor's recurrence preview is expanded on
// Berlin's clock (POST /recurrence/preview with home_of), shown in New York time, and says when it repeats in
// Berlin; moving the start across the two weeks of 2027 when New York keeps summer time and Berlin not yet
// changes that Berlin time, and the note says so before anything is saved. The zone choice names the creator.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Request } from 'playwright-core';
import { appWithChromium, DESKTOP, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';

const rig = appWithChromium({ database: 'pglite' });
const { rest } = rig;

test("a member's editor previews another member's series on its creator's clock and says when it repeats there", async (t) => {
  const berlin = `berlin-${randomUUID().slice(0, 8)}`;
  const newYork = `newyork-${randomUUID().slice(0, 8)}`;
  const [tokenA, tokenB] = [rig.app.token(berlin), rig.app.token(newYork)];
  await rest(tokenA, 'PATCH', '/me', { timezone: 'Europe/Berlin' });
  await rest(tokenB, 'PATCH', '/me', { timezone: 'America/New_York' });
  const list = await rest(tokenA, 'POST', '/lists', { name: `Bins ${randomUUID().slice(0, 4)}` });
  await rest(tokenA, 'POST', `/lists/${list.id as string}/members`, { user_id: newYork });
  await rest(tokenB, 'POST', `/invitations/${list.id as string}/accept`);
  // 16:00 in Berlin on 10 March 2027 (10:00 in New York), every day; no zone of its own.
  const task = await rest(tokenA, 'POST', '/tasks', {
    title: 'Put the bins out',
    list_id: list.id,
    due_date: '2027-03-10T16:00:00',
    recurrence_rule: 'FREQ=DAILY',
  });
  const id = task.id as string;

  const context = await newContext(t, rig.browser, { timezoneId: 'America/New_York', viewport: DESKTOP });
  const page = await openDashboard(t, context, rig.app, tokenB, 15_000);
  const previews: Record<string, unknown>[] = [];
  page.on('request', (r: Request) => {
    if (r.url().endsWith('/recurrence/preview')) previews.push(r.postDataJSON() as Record<string, unknown>);
  });
  await page.locator('#lists > li .side-name', { hasText: list.name as string }).click();
  await page.getByRole('button', { name: 'Edit: Put the bins out' }).click();
  const note = page.locator(`#edit-${id}-rec-note`);
  await note.filter({ hasText: 'repeats' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.regex(
    (await note.textContent()) ?? '',
    /^Times in America\/New_York; it repeats at 4:00 PM on Europe\/Berlin time\.$/,
  );
  t.is(
    await page.locator(`#edit-${id}-tz option:checked`).textContent(),
    `Follow its creator's zone (${berlin})`,
    'the zone it follows is its creator’s, not the viewer’s',
  );
  t.like(previews.at(-1), { home_of: id, start: '2027-03-10T10:00[America/New_York]' });
  t.false('timezone' in (previews.at(-1) ?? {}), 'the series zone is its home user’s, not the viewer’s');
  // 10:00 in New York every day, and 11:00 from 14 March (summer time in New York, not yet in Berlin).
  const items = page.locator(`#edit-${id}-rec-preview[aria-busy="false"] li`);
  t.deepEqual(
    (await items.allTextContents()).map((text) => text.replace(/^.*, (\d{1,2}:\d\d [AP]M)$/, '$1')),
    ['10:00 AM', '10:00 AM', '10:00 AM', '10:00 AM', '11:00 AM'],
  );

  // Keeping 10:00 New York but moving the start to 20 March makes it 15:00 in Berlin: said before saving.
  await page.locator(`#edit-${id}-due`).fill('2027-03-20T10:00');
  await note.filter({ hasText: '3:00 PM' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await note.textContent(), 'Times in America/New_York; it repeats at 3:00 PM on Europe/Berlin time.');
  const saved = await rest(tokenA, 'GET', `/tasks/${id}/occurrences?limit=1`);
  t.is(saved.timezone, 'Europe/Berlin', 'nothing was saved by previewing');
});
