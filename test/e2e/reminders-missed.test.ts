// Issue 16 in real Chromium, in a browser zone far from UTC (Pacific/Auckland): the first sign-in gives a
// new user the browser's zone; a reminder that fired while no page was open shows when one opens and is
// snoozed to tomorrow 09:00 local, which the API then shows; "Seen" in one tab clears the reminder in the
// other. The app runs on a manual clock the test moves (timers fire when told, no sleeps); the page has no
// test hooks: everything checked is on the page or in the API.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { appWithChromium, DESKTOP, newContext, openDashboard, UI_DEADLINE_MS } from '../helpers/browser.ts';
import { ManualClock } from '../helpers/clock.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { tomorrowAt } from '../../actors/task/snooze.ts';

const ZONE = 'Pacific/Auckland';
const clock = new ManualClock();
const rig = appWithChromium({ database: 'pglite', clock: clock.date });
const { rest } = rig;

type Json = Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString();

async function openTab(t: ExecutionContext, token: string, permissions: string[] = []): Promise<Page> {
  const context = await newContext(t, rig.browser, { timezoneId: ZONE, viewport: DESKTOP, permissions });
  return openDashboard(t, context, rig.app, token, 15_000);
}

/** Moves the app's clock to `at` and waits until the API lists `count` waiting reminders (they fired). */
async function fireUntil(token: string, at: number, count: number): Promise<Json[]> {
  await clock.reach(at);
  const page = await eventuallyValue(
    () => rest(token, 'GET', '/reminders?state=unacknowledged'),
    (p) => (p.reminders as Json[]).length === count,
    { what: `${count} fired reminders waiting`, timeoutMs: 30_000 },
  );
  return page.reminders as Json[];
}

test.serial(
  'a reminder that fired while no tab was open shows on return and is snoozed to tomorrow 09:00 local',
  async (t) => {
    const token = rig.app.token(`kiwi-${randomUUID().slice(0, 8)}`);
    // The user's first request is an API call: the zone is UTC and not chosen.
    const remindAt = clock.now() + clock.leadMs;
    const task = await rest(token, 'POST', '/tasks', {
      title: 'Feed the cat',
      due_date: iso(remindAt + clock.leadMs),
      reminders: [{ at: iso(remindAt) }],
    });
    t.like(await rest(token, 'GET', '/me'), { timezone: 'UTC', timezone_chosen: false });
    const [fired] = await fireUntil(token, remindAt, 1); // no page open
    const rid = fired?.id as string;

    const page = await openTab(t, token);
    // First sign-in: the browser's zone, said plainly in the header.
    await page.locator('#user-zone', { hasText: ZONE }).waitFor({ timeout: UI_DEADLINE_MS });
    t.is(await page.locator('#zone-note').textContent(), '(from this browser)');
    t.like(await rest(token, 'GET', '/me'), { timezone: ZONE, timezone_chosen: true });

    const toast = page.locator('#toasts .toast.reminder', { hasText: 'Reminder: Feed the cat' });
    await t.notThrowsAsync(toast.waitFor({ timeout: UI_DEADLINE_MS }), 'the missed reminder is shown on return');
    await toast.getByRole('button', { name: 'Tomorrow 9:00 AM' }).click();
    const nine = tomorrowAt(new Date(clock.now()), ZONE, '09:00').toISOString();
    const local = new Intl.DateTimeFormat('en-US', {
      timeZone: ZONE,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    t.is(local.format(new Date(nine)), '09:00', 'the instant is 09:00 on the Auckland wall clock');
    await t.notThrowsAsync(
      page.locator('#toasts .toast', { hasText: /^Snoozed until .*\b0?9:00/ }).waitFor({ timeout: UI_DEADLINE_MS }),
      'the page says until when, in local time',
    );
    await toast.waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
    const after = await rest(token, 'GET', `/tasks/${task.id as string}`);
    t.like(
      (after.reminders as Json[]).find((r) => r.id === rid),
      { remind_at: nine, status: 'pending', unacknowledged: false },
    );
    t.deepEqual((await rest(token, 'GET', '/reminders?state=unacknowledged')).reminders, []);
  },
);

test.serial(
  'Dismiss hides a reminder in this tab for good: a reload does not bring it back; it still waits to be seen',
  async (t) => {
    const token = rig.app.token(`dismiss-${randomUUID().slice(0, 8)}`);
    await rest(token, 'PATCH', '/me', { timezone: ZONE });
    const page = await openTab(t, token);
    const remindAt = clock.now() + clock.leadMs;
    for (const title of ['Water the basil', 'Water the mint'])
      await rest(token, 'POST', '/tasks', {
        title,
        due_date: iso(remindAt + clock.leadMs),
        reminders: [{ at: iso(remindAt) }],
      });
    await fireUntil(token, remindAt, 2);
    const toastOf = (name: string) => page.locator('#toasts .toast.reminder', { hasText: `Reminder: ${name}` });
    await toastOf('Water the basil').waitFor({ timeout: UI_DEADLINE_MS });
    await toastOf('Water the mint').waitFor({ timeout: UI_DEADLINE_MS });
    await toastOf('Water the basil').getByRole('button', { name: 'Dismiss' }).click();
    await toastOf('Water the basil').waitFor({ state: 'detached', timeout: UI_DEADLINE_MS });
    await page.reload();
    // The other one, not dismissed, is back: the reload read the waiting reminders, and left this one out.
    await toastOf('Water the mint').waitFor({ timeout: UI_DEADLINE_MS });
    t.is(await toastOf('Water the basil').count(), 0, 'not shown again after the reload');
    t.is(
      ((await rest(token, 'GET', '/reminders?state=unacknowledged')).reminders as Json[]).length,
      2,
      'both still unseen',
    );
  },
);

test.serial('"Seen" in one tab clears the reminder in the other', async (t) => {
  const token = rig.app.token(`pair-${randomUUID().slice(0, 8)}`);
  await rest(token, 'PATCH', '/me', { timezone: ZONE });
  const [a, b] = [await openTab(t, token), await openTab(t, token)];
  const remindAt = clock.now() + clock.leadMs;
  await rest(token, 'POST', '/tasks', {
    title: 'Call the plumber',
    due_date: iso(remindAt + clock.leadMs),
    reminders: [{ at: iso(remindAt) }],
  });
  await fireUntil(token, remindAt, 1);
  const toastIn = (page: Page) => page.locator('#toasts .toast.reminder', { hasText: 'Reminder: Call the plumber' });
  await toastIn(a).waitFor({ timeout: UI_DEADLINE_MS });
  await toastIn(b).waitFor({ timeout: UI_DEADLINE_MS });
  t.is(await toastIn(b).count(), 1, 'shown once, though both the event and the list bring it');
  await toastIn(a).getByRole('button', { name: 'Seen' }).click();
  await t.notThrowsAsync(toastIn(b).waitFor({ state: 'detached', timeout: UI_DEADLINE_MS }), 'the other tab clears it');
  t.deepEqual((await rest(token, 'GET', '/reminders?state=unacknowledged')).reminders, []);
});

test.serial(
  'with desktop notifications allowed, the notification offers snooze (a service worker shows it)',
  async (t) => {
    const token = rig.app.token(`desk-${randomUUID().slice(0, 8)}`);
    const page = await openTab(t, token, ['notifications']);
    const remindAt = clock.now() + clock.leadMs;
    await rest(token, 'POST', '/tasks', {
      title: 'Take out the bins',
      due_date: iso(remindAt + clock.leadMs),
      reminders: [{ at: iso(remindAt) }],
    });
    const [fired] = await fireUntil(token, remindAt, 1);
    // The in-page toast is there too: notifications on no longer hide the reminder from the page.
    await page
      .locator('#toasts .toast.reminder', { hasText: 'Reminder: Take out the bins' })
      .waitFor({ timeout: UI_DEADLINE_MS });
    const shown = await eventuallyValue(
      () =>
        page.evaluate(async () => {
          const reg = await navigator.serviceWorker.getRegistration('/assets/');
          const list = (await reg?.getNotifications()) ?? [];
          // `actions` is Chromium's (a service worker's notification), not in TypeScript's DOM library.
          type WithActions = Notification & { actions: { title: string }[] };
          return list.map((n) => ({ title: n.title, actions: (n as WithActions).actions.map((a) => a.title) }));
        }),
      (list) => list.length > 0,
      { what: 'the desktop notification', timeoutMs: 10_000 },
    );
    t.deepEqual(shown, [{ title: 'Reminder: Take out the bins', actions: ['Snooze 10 min', 'Tomorrow 9:00 AM'] }]);
    // A click on its "Tomorrow 9:00 AM" reaches the page as the worker's message (sw.js); the page snoozes.
    // (The click itself is the OS's: here the message is sent as sw.js sends it.)
    await page.evaluate((m) => navigator.serviceWorker.dispatchEvent(new MessageEvent('message', { data: m })), {
      type: 'tasklane.reminder',
      action: 'snooze-tomorrow',
      taskId: fired?.task_id,
      reminderId: fired?.id,
    });
    const nine = tomorrowAt(new Date(clock.now()), ZONE, '09:00').toISOString();
    const task = await eventuallyValue(
      () => rest(token, 'GET', `/tasks/${fired?.task_id as string}`),
      (read) => (read.reminders as Json[])[0]?.status === 'pending',
      { what: 'the reminder snoozed from the notification', timeoutMs: 10_000 },
    );
    t.is((task.reminders as Json[])[0]?.remind_at, nine, 'to tomorrow 09:00 in Auckland');
  },
);
