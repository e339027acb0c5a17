// The calendar feed control in a real browser (Debian's chromium through playwright-core) against the real
// app (embedded shape), in a browser zone far from UTC: the header's "Calendar feed" makes a webcal:// URL,
// shown once with a copy button; that URL serves the user's task as text/calendar; after closing, the panel
// says a feed is active without showing the URL again; a new URL replaces it; revoking makes the URL answer 404. Every wait is for
// rendered state, with a deadline.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { appWithChromium, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';

const rig = appWithChromium();

/** The feed as a calendar app fetches it: webcal:// is plain HTTP(S) on the wire. */
const fetchFeed = (url: string) => fetch(url.replace(/^webcal:/, 'http:'));

test('the header makes a webcal URL shown once, which serves the tasks as text/calendar; revoking it makes it 404', async (t) => {
  t.timeout(90_000);
  const token = rig.app.token(`feed-${randomUUID().slice(0, 8)}`);
  const created = await fetch(`${rig.app.url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Renew the passport', due_date: '2030-05-14' }),
  });
  t.is(created.status, 201);
  const context = await newContext(t, rig.browser, { timezoneId: 'Pacific/Kiritimati' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.app.url });
  const page = await openDashboard(t, context, rig.app, token);

  const panel = page.locator('#feed-panel');
  await page.getByRole('button', { name: 'Calendar feed' }).click();
  await panel.locator('#feed-status', { hasText: 'No feed URL is active.' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.notRegex((await panel.textContent()) ?? '', /\bnull\b|undefined/, 'no part not on show is printed as text');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden', timeout: UI_DEADLINE_MS });
  t.is(
    await page.evaluate(() => document.activeElement?.id),
    'feed-edit',
    'Esc closes the panel and gives the focus back to its button',
  );
  await page.getByRole('button', { name: 'Calendar feed' }).click();
  await panel.locator('#feed-status', { hasText: 'No feed URL is active.' }).waitFor({ timeout: UI_DEADLINE_MS });
  await panel.getByRole('button', { name: 'Create feed URL' }).click();
  const field = panel.getByLabel('Your feed URL');
  await field.waitFor({ timeout: UI_DEADLINE_MS });
  const url = await field.inputValue();
  t.regex(url, /^webcal:\/\/[^/]+\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
  t.true(await panel.getByText('It is shown only once').isVisible());
  await panel.locator('#feed-status', { hasText: 'A feed URL is active' }).waitFor({ timeout: UI_DEADLINE_MS });

  await panel.getByRole('button', { name: 'Copy' }).click();
  await panel.locator('#feed-copied', { hasText: 'Copied.' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await page.evaluate(() => navigator.clipboard.readText()), url);

  const feed = await fetchFeed(url);
  t.is(feed.status, 200);
  t.is(feed.headers.get('content-type'), 'text/calendar; charset=utf-8');
  const body = await feed.text();
  t.true(body.includes('SUMMARY:Renew the passport\r\n'), 'the user’s task is in the feed');
  t.true(body.includes('DUE;VALUE=DATE:20300514\r\n'), 'as the all-day task it is');

  // Closed and opened again: active, and the URL is not shown any more.
  await panel.getByRole('button', { name: 'Close' }).click();
  await panel.waitFor({ state: 'hidden', timeout: UI_DEADLINE_MS });
  await page.getByRole('button', { name: 'Calendar feed' }).click();
  await panel.locator('#feed-status', { hasText: 'A feed URL is active' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await panel.locator('#feed-url').count(), 0);
  t.notRegex((await panel.textContent()) ?? '', /\bnull\b|undefined/, 'reopened: no "null" where the URL was');

  // A new URL in place of the old one: the old one stops working.
  await panel.getByRole('button', { name: /^Make a new URL/ }).click();
  await panel.locator('#feed-url').waitFor({ timeout: UI_DEADLINE_MS });
  const rotated = await panel.locator('#feed-url').inputValue();
  t.not(rotated, url);
  t.is((await fetchFeed(url)).status, 404, 'the replaced URL answers 404');
  t.is((await fetchFeed(rotated)).status, 200);

  await panel.getByRole('button', { name: 'Revoke' }).click();
  await panel.locator('#feed-status', { hasText: 'No feed URL is active.' }).waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await panel.locator('#feed-url').count(), 0, 'a revoked URL is not shown');
  t.is((await fetchFeed(rotated)).status, 404, 'a revoked URL answers 404');
});
