// Undo in a real browser (Debian's chromium through playwright-core) against the real app (embedded
// shape): two tabs of one user, a browser zone far from UTC. A completion (then a delete) made in tab 1
// is undone from its toast, and the task is back, not completed, in both tabs. Every wait is for
// rendered state, with a deadline.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { appWithChromium, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';

const rig = appWithChromium();

const item = (page: Page, title: string) =>
  page.locator('#tasks > li').filter({ has: page.locator('.title', { hasText: title }) });
/** Waits until the task's row shows it open (no "done" badge, box unchecked). */
async function showsOpen(page: Page, title: string): Promise<void> {
  const row = item(page, title);
  await row.getByRole('checkbox', { checked: false }).waitFor({ timeout: UI_DEADLINE_MS });
  await row.locator('.badge', { hasText: 'done' }).waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
}

test('an undone completion brings the task back on both tabs; so does an undone delete', async (t) => {
  t.timeout(90_000);
  const token = rig.app.token(`undo-${randomUUID().slice(0, 8)}`);
  const created = await fetch(`${rig.app.url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Call the plumber' }),
  });
  t.is(created.status, 201);
  const context = await newContext(t, rig.browser, { timezoneId: 'Pacific/Auckland' });
  const one = await openDashboard(t, context, rig.app, token);
  const two = await openDashboard(t, context, rig.app, token);
  for (const page of [one, two]) await showsOpen(page, 'Call the plumber');

  // Complete in tab 1: both tabs show it done, and tab 1 offers the undo.
  await item(one, 'Call the plumber').getByRole('checkbox').check();
  for (const page of [one, two])
    await item(page, 'Call the plumber').locator('.badge', { hasText: 'done' }).waitFor({ timeout: UI_DEADLINE_MS });
  const toast = one.locator('#toasts .toast', { hasText: 'Completed' });
  await toast.getByRole('button', { name: 'Undo' }).click();
  for (const page of [one, two]) await showsOpen(page, 'Call the plumber');
  await toast.waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });

  // Delete in tab 1 (with its confirmation): gone from both tabs; Undo brings it back to both.
  await item(one, 'Call the plumber')
    .getByRole('button', { name: /^Delete/ })
    .click();
  await item(one, 'Call the plumber')
    .getByRole('button', { name: /^Confirm delete/ })
    .click();
  for (const page of [one, two])
    await page
      .locator('#tasks .title', { hasText: 'Call the plumber' })
      .waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
  await one.locator('#toasts .toast', { hasText: 'Deleted' }).getByRole('button', { name: 'Undo' }).click();
  for (const page of [one, two]) await showsOpen(page, 'Call the plumber');
  // The history says what was undone.
  await item(two, 'Call the plumber')
    .getByRole('button', { name: /^History/ })
    .click();
  const history = item(two, 'Call the plumber').locator('.history');
  await history.locator('li', { hasText: 'Marked not done (undo)' }).waitFor({ timeout: UI_DEADLINE_MS });
  await history.locator('li', { hasText: 'Restored (undo of the delete)' }).waitFor({ timeout: UI_DEADLINE_MS });
  const task = (await (
    await fetch(`${rig.app.url}/tasks/${((await created.json()) as { id: string }).id}`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { completed: boolean; deleted_at: string | null };
  t.like(task, { completed: false, deleted_at: null });

  // By keyboard: x completes the focused task, z undoes it, and the focus is back on its row (not <body>).
  const row = item(one, 'Call the plumber');
  await row.focus();
  await one.keyboard.press('x');
  await row.locator('.badge', { hasText: 'done' }).waitFor({ timeout: UI_DEADLINE_MS });
  await one.locator('#toasts .toast', { hasText: 'Completed' }).waitFor({ timeout: UI_DEADLINE_MS });
  await one.locator('body').press('z');
  await showsOpen(one, 'Call the plumber');
  await t.notThrowsAsync(
    one.waitForFunction(
      () => document.activeElement?.closest('li.task')?.textContent?.includes('Call the plumber'),
      null,
      {
        timeout: UI_DEADLINE_MS,
      },
    ),
    'the focus is on the task brought back',
  );
  // A click on a row's checkbox leaves the focus on it: the keys are still shortcuts there, so z undoes.
  await row.locator('[data-k="done"]').click();
  await row.locator('.badge', { hasText: 'done' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.true(await one.evaluate(() => document.activeElement?.matches('input[type="checkbox"]') === true));
  await one.keyboard.press('z');
  await showsOpen(one, 'Call the plumber');
});

test('z takes back the latest change: a reopen after a priority change is undone, not the priority', async (t) => {
  t.timeout(90_000);
  const token = rig.app.token(`undo-${randomUUID().slice(0, 8)}`);
  const call = (method: string, path: string) =>
    fetch(`${rig.app.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const created = await fetch(`${rig.app.url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Check mail' }),
  });
  const id = ((await created.json()) as { id: string }).id;
  t.is((await call('POST', `/tasks/${id}/complete`)).status, 200);
  const context = await newContext(t, rig.browser, { timezoneId: 'Pacific/Auckland' });
  const page = await openDashboard(t, context, rig.app, token);
  const row = item(page, 'Check mail');
  await row.locator('.badge', { hasText: 'done' }).waitFor({ timeout: UI_DEADLINE_MS });
  await row.focus();
  await page.keyboard.press('2');
  await page.locator('#toasts .toast', { hasText: 'Priority' }).waitFor({ timeout: UI_DEADLINE_MS });
  await page.keyboard.press('x');
  await showsOpen(page, 'Check mail');
  await page.locator('#toasts .toast', { hasText: 'Reopened' }).waitFor({ timeout: UI_DEADLINE_MS });
  await page.locator('body').press('z');
  await row.locator('.badge', { hasText: 'done' }).waitFor({ timeout: UI_DEADLINE_MS });
  const task = (await (await call('GET', `/tasks/${id}`)).json()) as { completed: boolean; priority: number };
  t.like(task, { completed: true, priority: 2 }, 'done again, the priority kept');
});
