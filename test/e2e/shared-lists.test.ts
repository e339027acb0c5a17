// Shared lists in the dashboard (issue 17), three browsers as three users against the real app (embedded
// shape: PGlite, direct runtime): A makes "Groceries" and shares it with B through the members dialog, B
// accepts from the invitation banner; a task A adds shows on B's page, B completing it shows on A's; A and B
// edit the title and the priority at once and both edits show on both pages; C sees nothing of it, in the
// page and in every WebSocket frame C receives, then A invites C to "Party", renames it (C's banner shows the
// new name) and deletes it unanswered, and the invitation leaves C's banner; A removes B, and the list goes from B's page, B's REST read
// of the task is a 404 and no later frame (nor B's stream) mentions the list.
// Each change is waited for with a deadline (15 s: the test fails if it never arrives); how long it took is
// measured in the receiving page (a MutationObserver's Date.now(), the same clock as the test's) and written
// to test/e2e/results/shared-lists.json, not asserted: the machine's load decides it (the goal is < 1 s).
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { appWithChromium, DESKTOP, failOnPageError, live, newContext } from '../helpers/browser.ts';

interface Task {
  id: string;
  title: string;
  list_id: string;
  priority: number;
  completed: boolean;
}
interface List {
  id: string;
  name: string;
}
interface Frame {
  at: number;
  payload: string;
}

declare global {
  interface Window {
    // Set by this test's own scripts in the page: when a watched condition first held (Date.now()).
    __watch?: Record<string, Promise<number>>;
  }
}

const RESULTS = path.join(import.meta.dirname, 'results');
/** How long a change may take before the test fails: it must arrive, however loaded the machine. */
const DEADLINE_MS = 15_000;
/** A window whose task rows float their controls (rows of 800 px and more). */
const WIDE = { width: 1300, height: 900 };

const rig = appWithChromium();
const { rest } = rig;

const user = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** A new list of the owner (`body`), shared with `member` (who exists first) as an editor and accepted. */
async function sharedWith(ownerToken: string, member: string, memberToken: string, body: object): Promise<List> {
  await rest(memberToken, 'GET', '/me');
  const list = await rest<List>(ownerToken, 'POST', '/lists', body);
  await rest(ownerToken, 'POST', `/lists/${list.id}/members`, { user_id: member, role: 'editor' });
  await rest(memberToken, 'POST', `/invitations/${list.id}/accept`);
  return list;
}

/** The dashboard of `token`'s user in a new page of `context`, every WebSocket frame it receives recorded in `frames`. */
async function openRecorded(t: ExecutionContext, context: BrowserContext, token: string, frames: Frame[]) {
  const page = failOnPageError(t, await context.newPage());
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => frames.push({ at: Date.now(), payload: String(payload) }));
  });
  await page.goto(`${rig.app.url}/#token=${token}`);
  await live(page);
  return page;
}

const sideList = (page: Page, name: string) =>
  page.locator('#lists > li').filter({ has: page.locator('.side-name', { hasText: new RegExp(`^${name}$`) }) });
const item = (page: Page, title: string) =>
  page.locator('li.task').filter({ has: page.locator('.title', { hasText: new RegExp(`^${title}$`) }) });

type Condition = { selector: string; text?: string; present: boolean };

/**
 * Starts watching `page` for `condition` (an element matching `selector`, with exactly `text` when given, is
 * present or absent); `seenAt(page, name)` then resolves with the page's Date.now() when it first held, or
 * rejects after DEADLINE_MS. Installed before the change it waits for, so no instant is missed.
 */
async function watch(page: Page, name: string, condition: Condition): Promise<void> {
  await page.evaluate(`(${WATCH})(${JSON.stringify({ name, condition, deadline: DEADLINE_MS })})`);
}

/**
 * The page's side of `watch`, as source: the test runner compiles this file with names kept (esbuild's
 * `__name` helper around inner functions), which the page does not have.
 */
const WATCH = `({ name, condition, deadline }) => {
  const holds = () =>
    [...document.querySelectorAll(condition.selector)].some(
      (el) => condition.text === undefined || el.textContent === condition.text,
    ) === condition.present;
  window.__watch ??= {};
  window.__watch[name] = new Promise((resolve, reject) => {
    if (holds()) {
      resolve(Date.now());
      return;
    }
    const observer = new MutationObserver(() => {
      if (!holds()) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve(Date.now());
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(name + ': not within ' + deadline + ' ms'));
    }, deadline);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}`;

/** When `watch`'s condition `name` held in `page` (its Date.now()); throws if it was not watched or did not hold in time. */
async function seenAt(page: Page, name: string): Promise<number> {
  const at = await page.evaluate((name) => window.__watch?.[name], name);
  if (typeof at !== 'number') throw new Error(`${name} was not watched`);
  return at;
}

/** GET `path` from inside `page` with its token; the status. */
const statusIn = (page: Page, token: string, p: string) =>
  page.evaluate(async ({ token, p }) => (await fetch(p, { headers: { authorization: `Bearer ${token}` } })).status, {
    token,
    p,
  });

/** The frames of `frames` (from index `from`) that mention any of `ids`. */
const mentioning = (frames: Frame[], ids: string[], from = 0) =>
  frames.slice(from).filter((f) => ids.some((id) => f.payload.includes(id)));

/** Adds a task through the page's New task form; waits until its row shows. */
async function addTask(page: Page, title: string): Promise<void> {
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByRole('button', { name: 'Add task' }).click();
  await item(page, title).waitFor({ timeout: DEADLINE_MS });
}

/** Waits until `frames` holds one that contains `text` (a marker event committed after everything checked). */
async function frameWith(page: Page, frames: Frame[], text: string): Promise<number> {
  // Polled with the page's own timer: playwright's frame events arrive between the test's awaits.
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const index = frames.findIndex((f) => f.payload.includes(text));
    if (index >= 0) return index;
    await page.waitForTimeout(25);
  }
  throw new Error(`no frame with ${text} within ${DEADLINE_MS} ms`);
}

test.serial(
  'three browsers: A shares a list with B, both see each other live (also editing at once), C sees nothing of it and loses an invitation whose list is deleted, and B removed is cut off',
  async (t) => {
    const [a, b, c] = [user('ann'), user('ben'), user('cleo')];
    const [tokenA, tokenB, tokenC] = [rig.app.token(a), rig.app.token(b), rig.app.token(c)];
    const framesA: Frame[] = [];
    const framesB: Frame[] = [];
    const framesC: Frame[] = [];
    const context = () => newContext(t, rig.browser, { timezoneId: 'UTC', viewport: DESKTOP });
    const [pageA, pageB, pageC] = await Promise.all([
      context().then((ctx) => openRecorded(t, ctx, tokenA, framesA)),
      context().then((ctx) => openRecorded(t, ctx, tokenB, framesB)),
      context().then((ctx) => openRecorded(t, ctx, tokenC, framesC)),
    ]);
    const timings: Record<string, number> = {};

    // ---- A makes "Groceries" and shares it with B through the members dialog.
    await pageA.getByRole('button', { name: 'New list' }).click();
    const newList = pageA.getByRole('dialog', { name: 'New list' });
    await newList.getByLabel('Name').fill('Groceries');
    await newList.getByRole('radio', { name: 'Green' }).check();
    await newList.getByRole('button', { name: 'Save' }).click();
    await pageA.locator('#view-title', { hasText: 'Groceries' }).waitFor({ timeout: DEADLINE_MS });
    const list = (await rest<{ lists: List[] }>(tokenA, 'GET', '/lists')).lists.find((l) => l.name === 'Groceries');
    if (!list) throw new Error('A has no list Groceries');

    await sideList(pageA, 'Groceries').getByRole('button', { name: 'Share list: Groceries' }).click();
    const members = pageA.getByRole('dialog', { name: 'Share “Groceries”' });
    await members.getByLabel('Share with (user id)').fill(b);
    await watch(pageB, 'invited', { selector: '#invitations:not([hidden]) .invitation', present: true });
    const sharedAt = Date.now();
    await members.getByRole('button', { name: 'Share', exact: true }).click();
    await members.locator('.member', { hasText: b }).filter({ hasText: 'Invitation pending' }).waitFor({
      timeout: DEADLINE_MS,
    });
    timings.sharedOnAToBannerOnBMs = (await seenAt(pageB, 'invited')) - sharedAt;
    await members.getByRole('button', { name: 'Close' }).click();
    await t.notThrowsAsync(
      sideList(pageA, 'Groceries').getByRole('img', { name: 'shared' }).waitFor({ timeout: DEADLINE_MS }),
      "A's sidebar marks the list shared",
    );

    // ---- B accepts from the banner: the list appears (marked shared) without a reload.
    const banner = pageB.locator('#invitations');
    await t.notThrowsAsync(
      banner.locator('.invitation', { hasText: `${a} invited you to “Groceries”` }).waitFor({ timeout: DEADLINE_MS }),
      'the banner says who invited to what',
    );
    await banner.getByRole('button', { name: 'Accept invitation to Groceries' }).click();
    await sideList(pageB, 'Groceries').waitFor({ timeout: DEADLINE_MS });
    t.true(await banner.isHidden(), 'the banner is gone once answered');
    t.true(
      await sideList(pageB, 'Groceries').getByRole('img', { name: 'shared' }).isVisible(),
      "B's list is marked shared",
    );
    t.is(
      await sideList(pageB, 'Groceries').getByRole('button', { name: 'Edit list: Groceries' }).count(),
      0,
      'an editor is not offered rename and delete',
    );
    await sideList(pageB, 'Groceries').locator('.side-item').click();
    await pageB.locator('#view-title', { hasText: 'Groceries' }).waitFor({ timeout: DEADLINE_MS });

    // ---- A adds a task: it shows on B's page.
    await watch(pageB, 'created', { selector: 'li.task .title', text: 'Milk', present: true });
    const addedAt = Date.now();
    await addTask(pageA, 'Milk');
    timings.createdOnAToVisibleOnBMs = (await seenAt(pageB, 'created')) - addedAt;
    const milk = (await rest<{ tasks: Task[] }>(tokenA, 'GET', `/tasks?list_id=${list.id}`)).tasks.find(
      (x) => x.title === 'Milk',
    );
    if (!milk) throw new Error('the server has no task Milk');
    t.is(milk.list_id, list.id);

    // ---- B completes it: A's page shows it done.
    await watch(pageA, 'completed', { selector: 'li.task.done .title', text: 'Milk', present: true });
    const completedAt = Date.now();
    await item(pageB, 'Milk').getByRole('checkbox', { name: 'Completed: Milk' }).check();
    timings.completedOnBToVisibleOnAMs = (await seenAt(pageA, 'completed')) - completedAt;
    t.true(await item(pageA, 'Milk').getByRole('checkbox', { name: 'Completed: Milk' }).isChecked());

    // ---- A edits the title while B changes the priority, at once: both edits land on both pages.
    await item(pageA, 'Milk').getByRole('button', { name: 'Edit: Milk' }).click();
    const editor = pageA.getByRole('form', { name: 'Edit task: Milk' });
    await editor.getByLabel('Title').fill('Oat milk');
    await Promise.all([
      editor.getByRole('button', { name: 'Save' }).click(),
      item(pageB, 'Milk').getByRole('combobox', { name: 'Priority: Milk' }).selectOption('1'),
    ]);
    for (const [who, page] of [
      ['A', pageA],
      ['B', pageB],
    ] as const) {
      await t.notThrowsAsync(
        page.locator('li.task.prio-1 .title', { hasText: /^Oat milk$/ }).waitFor({ timeout: DEADLINE_MS }),
        `${who}'s page shows both edits: the new title and priority 1`,
      );
    }
    t.like(await rest<Task>(tokenA, 'GET', `/tasks/${milk.id}`), { title: 'Oat milk', priority: 1, completed: true });
    // A's history of it says what B did, by B, and what A did, by nobody named.
    await item(pageA, 'Oat milk')
      .getByRole('button', { name: /^History/ })
      .click();
    const history = item(pageA, 'Oat milk').locator('.history');
    await t.notThrowsAsync(
      history
        .locator('li', { hasText: 'Completed' })
        .locator('.by', { hasText: `by ${b}` })
        .waitFor({ timeout: DEADLINE_MS }),
    );
    await t.notThrowsAsync(
      history.locator('li li', { hasText: 'Priority: none → P1' }).waitFor({ timeout: DEADLINE_MS }),
    );
    t.is(await history.locator('li', { hasText: 'Title: “Milk” → “Oat milk”' }).locator('.by').count(), 0);

    // ---- C sees nothing: no list, no invitation, no task; a marker of C's own shows C's frames are flowing.
    await addTask(pageC, 'C was here');
    await frameWith(pageC, framesC, 'C was here');
    t.is(await sideList(pageC, 'Groceries').count(), 0, "C's sidebar has no Groceries");
    t.true(await pageC.locator('#invitations').isHidden(), 'C has no invitation');
    t.is(await item(pageC, 'Oat milk').count(), 0, "C's page has no task of the list");
    t.deepEqual(
      mentioning(framesC, [list.id, milk.id]).map((f) => f.payload.slice(0, 200)),
      [],
      "none of C's frames mentions the list or its task",
    );
    t.is(await statusIn(pageC, tokenC, `/tasks/${milk.id}`), 404, 'C reads the task as a 404');

    // ---- A removes B: the list goes from B's page at once, B's REST read is a 404, no later frame mentions it.
    await sideList(pageA, 'Groceries').getByRole('button', { name: 'Share list: Groceries' }).click();
    const again = pageA.getByRole('dialog', { name: 'Share “Groceries”' });
    await again.getByRole('button', { name: `Remove ${b}` }).click();
    await watch(pageB, 'removed', { selector: `#lists > li[data-list="${list.id}"]`, present: false });
    const removedAt = Date.now();
    await again.getByRole('button', { name: `Confirm: remove ${b}` }).click();
    timings.removedOnAToGoneOnBMs = (await seenAt(pageB, 'removed')) - removedAt;
    await again.locator('.member', { hasText: b }).waitFor({ state: 'detached', timeout: DEADLINE_MS });
    await again.getByRole('button', { name: 'Close' }).click();
    t.is(await item(pageB, 'Oat milk').count(), 0, "the list's task is gone from B's page");
    await t.notThrowsAsync(
      sideList(pageA, 'Groceries')
        .getByRole('img', { name: 'shared' })
        .waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      "nobody else is in Groceries now: A's sidebar no longer marks it shared",
    );
    await t.notThrowsAsync(
      pageB.locator('#view-title', { hasText: /^Inbox$/ }).waitFor({ timeout: DEADLINE_MS }),
      'B, who had the list open, is taken to the Inbox',
    );
    t.is(await statusIn(pageB, tokenB, `/tasks/${milk.id}`), 404, "B's read of the task is a 404 at once");
    const removal = framesB.findIndex((f) => f.payload.includes('list.member_removed'));
    t.true(removal >= 0, 'B received its removal');

    // A goes on with the list; then B writes a marker of its own, committed after A's change.
    await rest(tokenA, 'PATCH', `/tasks/${milk.id}`, { title: 'Oat milk, two cartons' });
    await rest(tokenA, 'POST', '/tasks', { title: 'Bread', list_id: list.id });
    await addTask(pageB, 'B marker');
    await frameWith(pageB, framesB, 'B marker');
    t.deepEqual(
      mentioning(framesB, [list.id, milk.id], removal + 1).map((f) => f.payload.slice(0, 200)),
      [],
      "no frame after B's removal mentions the list or its task",
    );
    const stream = await pageB.evaluate(
      async ({ token }) =>
        (await (
          await fetch('/events?after=0&limit=500', { headers: { authorization: `Bearer ${token}` } })
        ).json()) as {
          events: { seq: number; event_type: string; aggregate_id: string; data: unknown }[];
        },
      { token: tokenB },
    );
    const cut = stream.events.findIndex((e) => e.event_type === 'list.member_removed');
    t.true(cut >= 0, "B's stream holds the removal");
    t.deepEqual(
      stream.events.slice(cut + 1).filter((e) => JSON.stringify(e).includes(list.id) || e.aggregate_id === milk.id),
      [],
      "B's stream has nothing about the list after the removal",
    );
    t.is(await sideList(pageB, 'Groceries').count(), 0, 'the list stays gone from B');
    await t.notThrowsAsync(item(pageA, 'Bread').waitFor({ timeout: DEADLINE_MS }), "A's page still follows the list");

    // ---- A invites C to "Party" and deletes it before C answers: C's banner shows the invitation, then drops it
    // without a reload (the deletion reaches those invited: actors/list/audience.ts).
    const party = await rest<List>(tokenA, 'POST', '/lists', { name: 'Party' });
    await rest(tokenA, 'POST', `/lists/${party.id}/members`, { user_id: c, role: 'editor' });
    const invitation = pageC.locator('#invitations .invitation', { hasText: `${a} invited you to “Party”` });
    await t.notThrowsAsync(invitation.waitFor({ timeout: DEADLINE_MS }), "C's banner shows the invitation to Party");
    // A renames it while C has not answered: C's banner shows the new name without a reload.
    await rest(tokenA, 'PATCH', `/lists/${party.id}`, { name: 'Garden party' });
    await t.notThrowsAsync(
      pageC
        .locator('#invitations .invitation', { hasText: `${a} invited you to “Garden party”` })
        .waitFor({ timeout: DEADLINE_MS }),
      "the renamed list's invitation shows its new name on C's banner",
    );
    await rest(tokenA, 'DELETE', `/lists/${party.id}`);
    await t.notThrowsAsync(
      pageC.locator('#invitations').waitFor({ state: 'hidden', timeout: DEADLINE_MS }),
      "the deleted list's invitation leaves C's banner without a reload",
    );
    t.is(await sideList(pageC, 'Party').count(), 0, 'C never had the list');

    // Other members' events came in each user's own stream: every page applied it up to its last seq, no gap left.
    for (const [who, page, token, id] of [
      ['A', pageA, tokenA, a],
      ['B', pageB, tokenB, b],
      ['C', pageC, tokenC, c],
    ] as const) {
      const { last_seq } = await rest<{ last_seq: number }>(token, 'GET', '/me');
      await t.notThrowsAsync(
        page.waitForFunction(
          ([key, last]) => Number(localStorage.getItem(key)) === last,
          [`tasklane.lastSeq:${id}`, last_seq] as const,
          {
            timeout: DEADLINE_MS,
          },
        ),
        `${who}'s page applied its stream up to its last seq, ${last_seq}`,
      );
    }

    const results = { at: new Date().toISOString(), deadlineMs: DEADLINE_MS, goalMs: 1000, ...timings };
    t.log(JSON.stringify(results, null, 2));
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(path.join(RESULTS, 'shared-lists.json'), `${JSON.stringify(results, null, 2)}\n`);
  },
);

test.serial(
  "the members dialog by keyboard and by role: an editor sees the members and may only leave; sharing with oneself refused kindly; ownership handed over, its confirmation saying what happens, the new owner told; a task moved out of the list leaves the other member's page; leaving drops the list",
  async (t) => {
    const [d, e] = [user('dora'), user('emil')];
    const [tokenD, tokenE] = [rig.app.token(d), rig.app.token(e)];
    const list = await sharedWith(tokenD, e, tokenE, { name: 'Book club', color: '#7a4fc9' });
    await rest<Task>(tokenD, 'POST', '/tasks', { title: 'Pick a book', list_id: list.id });
    // Wide: rows float their controls here, so the editor's own buttons are checked not to cover its text.
    const context = () => newContext(t, rig.browser, { timezoneId: 'UTC', viewport: WIDE });
    const [pageD, pageE] = await Promise.all([
      context().then((ctx) => openRecorded(t, ctx, tokenD, [])),
      context().then((ctx) => openRecorded(t, ctx, tokenE, [])),
    ]);

    // ---- The editor: the list marked shared, no rename or delete; the dialog by keyboard lists the members.
    const rowE = sideList(pageE, 'Book club');
    await rowE.waitFor({ timeout: DEADLINE_MS });
    await t.notThrowsAsync(
      rowE.getByRole('img', { name: 'shared' }).waitFor({ timeout: DEADLINE_MS }),
      "the editor's list is marked shared",
    );
    await t.notThrowsAsync(
      rowE.getByRole('button', { name: 'Edit list: Book club' }).waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      'no rename or delete for an editor',
    );
    t.is(
      await rowE.getByRole('button', { name: 'Share list: Book club' }).count(),
      0,
      'an editor is not offered to share',
    );
    await rowE.getByRole('button', { name: 'Members of Book club' }).focus();
    await pageE.keyboard.press('Enter');
    const dialogE = pageE.getByRole('dialog', { name: 'Members of “Book club”' });
    await dialogE.locator('.member', { hasText: e }).waitFor({ timeout: DEADLINE_MS });
    t.deepEqual(
      (await dialogE.locator('.member').allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim()),
      [`${d} Owner`, `${e} (you) Editor Leave list`],
      'the owner first, then the editor, each with role and state',
    );
    t.is(await dialogE.getByLabel('Share with (user id)').count(), 0, 'an editor cannot share');
    t.is(await dialogE.getByRole('button', { name: /^Remove / }).count(), 0, 'an editor cannot remove');
    await pageE.keyboard.press('Escape');
    await dialogE.waitFor({ state: 'hidden', timeout: DEADLINE_MS });

    // ---- An edit begun before another member changed another field is saved on top of it; the same field asks.
    await rowE.locator('.side-item').click();
    await item(pageE, 'Pick a book').getByRole('button', { name: 'Edit: Pick a book' }).click();
    const editE = pageE.getByRole('form', { name: 'Edit task: Pick a book' });
    await editE.getByLabel('Title').fill('Pick two books');
    const picked = (await rest<{ tasks: Task[] }>(tokenD, 'GET', `/tasks?list_id=${list.id}`)).tasks[0];
    if (!picked) throw new Error('no task in the list');
    await rest(tokenD, 'PATCH', `/tasks/${picked.id}`, { priority: 2 });
    await editE.getByText(/Changed elsewhere while you edit/).waitFor({ timeout: DEADLINE_MS });
    await editE.getByRole('button', { name: 'Save' }).click();
    await t.notThrowsAsync(
      pageE.locator('li.task.prio-2 .title', { hasText: /^Pick two books$/ }).waitFor({ timeout: DEADLINE_MS }),
      "the title saved over the other member's priority, which stays",
    );
    t.like(await rest<Task>(tokenD, 'GET', `/tasks/${picked.id}`), { title: 'Pick two books', priority: 2 });
    await item(pageE, 'Pick two books').getByRole('button', { name: 'Edit: Pick two books' }).click();
    const againE = pageE.getByRole('form', { name: 'Edit task: Pick two books' });
    await againE.getByLabel('Title').fill('Pick three books');
    await rest(tokenD, 'PATCH', `/tasks/${picked.id}`, { title: 'Pick a short book' });
    await t.notThrowsAsync(
      againE.getByText('Changed elsewhere while you edit: the title.').waitFor({ timeout: DEADLINE_MS }),
      'the editor says what the other member changed',
    );
    await againE.getByRole('button', { name: 'Save' }).click();
    const asks = againE.getByRole('alert').filter({ hasText: 'Changed elsewhere since you started: the title.' });
    await t.notThrowsAsync(
      asks.waitFor({ timeout: DEADLINE_MS }),
      'the same field changed by another member: the editor asks before overwriting, naming the field',
    );
    // The question is readable: its text is not drawn under the form's buttons.
    const clear = await asks.evaluate((alert) => {
      const box = alert.getBoundingClientRect();
      const form = alert.closest('form');
      const buttons = Array.from(form?.querySelectorAll('button') ?? []).map((b) => b.getBoundingClientRect());
      return (
        box.width > 0 &&
        buttons.every((b) => b.bottom <= box.top || b.top >= box.bottom || b.right <= box.left || b.left >= box.right)
      );
    });
    t.true(clear, "the editor's question is not covered by its buttons");
    t.is((await rest<Task>(tokenD, 'GET', `/tasks/${picked.id}`)).title, 'Pick a short book', 'nothing overwritten');
    await againE.getByRole('button', { name: 'Cancel' }).click();

    // ---- The owner: sharing with oneself is refused in the page, kindly.
    const rowD = sideList(pageD, 'Book club');
    await rowD.getByRole('button', { name: 'Share list: Book club' }).click();
    const dialogD = pageD.getByRole('dialog', { name: 'Share “Book club”' });
    const input = dialogD.getByLabel('Share with (user id)');
    await input.waitFor({ timeout: DEADLINE_MS });
    await t.notThrowsAsync(
      pageD.waitForFunction(() => document.activeElement?.id === 'share-user', undefined, { timeout: DEADLINE_MS }),
      'the dialog opens with the focus in the share field',
    );
    await input.fill(d);
    await pageD.keyboard.press('Enter');
    await t.notThrowsAsync(
      dialogD.getByRole('alert').filter({ hasText: 'That is you' }).waitFor({ timeout: DEADLINE_MS }),
      'sharing with oneself: the dialog says that is you',
    );

    // ---- Handing over: the old owner becomes an editor on both pages.
    await dialogD.getByRole('button', { name: `Make owner: ${e}` }).click();
    t.is(
      await dialogD
        .getByRole('status')
        .filter({ hasText: `Make ${e} the owner?` })
        .textContent(),
      `Make ${e} the owner? You will stay as an editor and can no longer rename, delete or share it.`,
      'the confirmation says what happens',
    );
    await dialogD.getByRole('button', { name: `Confirm: make owner: ${e}` }).click();
    const membersD = pageD.getByRole('dialog', { name: 'Members of “Book club”' });
    await membersD.locator('.member', { hasText: d }).filter({ hasText: 'Editor' }).waitFor({ timeout: DEADLINE_MS });
    t.is(await membersD.getByLabel('Share with (user id)').count(), 0, 'the old owner cannot share any more');
    await t.notThrowsAsync(
      pageE
        .locator('#toasts .toast', { hasText: `${d} made you the owner of “Book club”` })
        .waitFor({ timeout: DEADLINE_MS }),
      'the new owner is told',
    );
    await membersD.getByRole('button', { name: 'Close' }).click();
    await t.notThrowsAsync(
      rowD.getByRole('button', { name: 'Edit list: Book club' }).waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      'the old owner is offered no rename or delete',
    );
    await t.notThrowsAsync(
      rowE.getByRole('button', { name: 'Edit list: Book club' }).waitFor({ timeout: DEADLINE_MS }),
      'the new owner is offered rename and delete, live',
    );

    // ---- The new owner moves a task of theirs into their own Inbox: it leaves the old owner's page. The
    // old owner's task cannot go there (a list never shared holds only its owner's tasks): not offered.
    await rowD.locator('.side-item').click();
    await item(pageD, 'Pick a short book').waitFor({ timeout: DEADLINE_MS });
    const errand = await rest<Task>(tokenE, 'POST', '/tasks', { title: 'Return the old book', list_id: list.id });
    await item(pageD, 'Return the old book').waitFor({ timeout: DEADLINE_MS });
    const inboxE = (await rest<{ lists: (List & { inbox: boolean })[] }>(tokenE, 'GET', '/lists')).lists.find(
      (l) => l.inbox,
    );
    if (!inboxE) throw new Error('no Inbox');
    const offered = async (title: string) =>
      item(pageE, title)
        .locator('select[data-k="list"] option')
        .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    await item(pageE, 'Return the old book').waitFor({ timeout: DEADLINE_MS });
    t.true((await offered('Return the old book')).includes(inboxE.id), "one's own task may go to one's Inbox");
    t.false((await offered('Pick a short book')).includes(inboxE.id), "another member's task is not offered it");
    await rest(tokenE, 'PATCH', `/tasks/${errand.id}`, { list_id: inboxE.id });
    await t.notThrowsAsync(
      item(pageD, 'Return the old book').waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      "a task moved to a list the user does not share leaves the user's page",
    );

    // ---- Leaving: the list goes from the page at once, and from the server's lists.
    await rowD.getByRole('button', { name: 'Members of Book club' }).click();
    await membersD.getByRole('button', { name: 'Leave the list' }).click();
    await membersD.getByRole('button', { name: 'Confirm: leave the list' }).click();
    await t.notThrowsAsync(rowD.waitFor({ state: 'detached', timeout: DEADLINE_MS }), 'the list left is gone');
    await pageD.locator('#view-title', { hasText: /^Inbox$/ }).waitFor({ timeout: DEADLINE_MS });
    const listsD = (await rest<{ lists: List[] }>(tokenD, 'GET', '/lists')).lists;
    t.false(
      listsD.some((l) => l.id === list.id),
      'the server lists it no more for the one who left',
    );
    await t.notThrowsAsync(
      rowE.getByRole('img', { name: 'shared' }).waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      "the owner's list is no longer marked shared: nobody else is in it",
    );
    t.is(await rowE.count(), 1, "the owner's list stays");
    await t.notThrowsAsync(
      pageE.locator('#toasts .toast', { hasText: `${d} left “Book club”` }).waitFor({ timeout: DEADLINE_MS }),
      'the owner is told who left',
    );
  },
);

test.serial(
  'assigning: the owner assigns a task to the member in its editor, both rows say so, only the assignee is offered reminders; on a phone a long list name gives way to the members button; leaving drops the stale "Open" toast and the view of the list, and the owner is told',
  async (t) => {
    const [f, g] = [user('fay'), user('gus')];
    const [tokenF, tokenG] = [rig.app.token(f), rig.app.token(g)];
    const name = 'Party supplies for the weekend barbecue at the lake house';
    const list = await sharedWith(tokenF, g, tokenG, { name, color: '#db4c3f' });
    const charcoal = await rest<Task>(tokenF, 'POST', '/tasks', { title: 'Charcoal', list_id: list.id });
    const pageF = await openRecorded(
      t,
      await newContext(t, rig.browser, { timezoneId: 'UTC', viewport: DESKTOP }),
      tokenF,
      [],
    );
    const pageG = await openRecorded(
      t,
      await newContext(t, rig.browser, { timezoneId: 'UTC', viewport: { width: 390, height: 844 } }),
      tokenG,
      [],
    );

    // ---- On a phone the menu shows the long-named list with its members button whole, the name cut.
    await pageG.locator('#nav-toggle').click();
    const rowG = sideList(pageG, name);
    const membersButton = rowG.getByRole('button', { name: `Members of ${name}` });
    await membersButton.waitFor({ timeout: DEADLINE_MS });
    const button = await membersButton.boundingBox();
    const sidebar = await pageG.locator('#sidebar').boundingBox();
    if (!button || !sidebar) throw new Error('the members button or the sidebar is not laid out');
    t.true(button.width >= 24, `the members button keeps its size (${button.width}px wide)`);
    t.true(
      button.x >= sidebar.x && button.x + button.width <= sidebar.x + sidebar.width,
      'the members button is inside the sidebar',
    );
    t.true(
      await rowG.locator('.side-name').evaluate((el) => el.scrollWidth > el.clientWidth),
      'the long name is cut (with an ellipsis), not the buttons',
    );
    await rowG.locator('.side-item').click();
    await item(pageG, 'Charcoal').waitFor({ timeout: DEADLINE_MS });

    // ---- F assigns Charcoal to G in its editor: both rows say so; F, not the assignee, is offered no reminder.
    await sideList(pageF, name).locator('.side-item').click();
    await item(pageF, 'Charcoal').getByRole('button', { name: 'Edit: Charcoal' }).click();
    const editor = pageF.getByRole('form', { name: 'Edit task: Charcoal' });
    const assign = editor.getByLabel('Assign to');
    await assign.locator(`option[value="${g}"]`).waitFor({ state: 'attached', timeout: DEADLINE_MS });
    await assign.selectOption(g);
    await editor.getByRole('button', { name: 'Save' }).click();
    await t.notThrowsAsync(
      item(pageF, 'Charcoal').getByText(`Assigned to ${g}`).waitFor({ timeout: DEADLINE_MS }),
      "the owner's row says who has it",
    );
    await t.notThrowsAsync(
      item(pageG, 'Charcoal').getByText('Assigned to you').waitFor({ timeout: DEADLINE_MS }),
      "the assignee's row says it is theirs, live",
    );
    t.like(await rest<Task & { assignee: string }>(tokenF, 'GET', `/tasks/${charcoal.id}`), { assignee: g });
    // By keyboard: a toast (the edit's Undo) may lie over the row.
    await item(pageF, 'Charcoal').locator('summary[data-k="reminders"]').press('Enter');
    await t.notThrowsAsync(
      item(pageF, 'Charcoal')
        .locator('[data-k="rem-assigned"]', { hasText: `${g} is assigned this task: only they set reminders` })
        .waitFor({ timeout: DEADLINE_MS }),
      'F is told why there is no adder',
    );
    t.is(await item(pageF, 'Charcoal').getByRole('button', { name: 'Add reminder' }).count(), 0, 'no adder for F');
    // On the phone a task without reminders shows that line once it has the focus (a tap), with its controls.
    t.false(await item(pageG, 'Charcoal').locator('summary[data-k="reminders"]').isVisible());
    await item(pageG, 'Charcoal').focus();
    await item(pageG, 'Charcoal').locator('summary[data-k="reminders"]').press('Enter');
    await t.notThrowsAsync(
      item(pageG, 'Charcoal').getByRole('button', { name: 'Add reminder' }).waitFor({ timeout: DEADLINE_MS }),
      'the assignee is offered reminders',
    );

    // ---- G leaves (in another tab): G's view of the list becomes the Inbox; F is told.
    await rest(tokenG, 'DELETE', `/lists/${list.id}/members/${encodeURIComponent(g)}`);
    await t.notThrowsAsync(
      pageG.locator('#view-title', { hasText: /^Inbox$/ }).waitFor({ timeout: DEADLINE_MS }),
      'the page shows the Inbox, not a view of the list left',
    );
    await t.notThrowsAsync(
      pageF.locator('#toasts .toast', { hasText: `${g} left “${name}”` }).waitFor({ timeout: DEADLINE_MS }),
      'the owner is told who left',
    );

    // ---- Invited again, G accepts from the banner: its "Open" toast goes when G leaves again.
    await rest(tokenF, 'POST', `/lists/${list.id}/members`, { user_id: g, role: 'editor' });
    await pageG.getByRole('button', { name: `Accept invitation to ${name}` }).click({ timeout: DEADLINE_MS });
    const openToast = pageG.locator('#toasts .toast', { hasText: `You joined “${name}”` });
    // Focused, the toast waits (as it would for a user reaching for its button) instead of timing out.
    await openToast.getByRole('button', { name: 'Open' }).focus({ timeout: DEADLINE_MS });
    await rest(tokenG, 'DELETE', `/lists/${list.id}/members/${encodeURIComponent(g)}`);
    await t.notThrowsAsync(
      openToast.waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      'the toast that opens the list left is dismissed',
    );
    t.is(await sideList(pageG, name).count(), 0, 'the list is gone from the sidebar');
    await t.notThrowsAsync(
      pageG.locator('#view-title', { hasText: /^Inbox$/ }).waitFor({ timeout: DEADLINE_MS }),
      'still the Inbox',
    );
  },
);

test.serial(
  'Assigned to me: a member is told when a task is assigned to them (named, also when the page does not hold it), "Show" opens the view of their assigned tasks with its count, a repeating task is one row there, and one assigned away leaves it; someone who shares nothing is not offered the view',
  async (t) => {
    const [a, b, solo] = [user('ada'), user('ben'), user('sol')];
    const [tokenA, tokenB] = [rig.app.token(a), rig.app.token(b)];
    const list = await sharedWith(tokenA, b, tokenB, { name: 'Chores' });
    const context = await newContext(t, rig.browser, { timezoneId: 'UTC', viewport: DESKTOP });
    const pageSolo = await openRecorded(t, context, rig.app.token(solo), []);
    await pageSolo.locator('#views [data-view="today"]').waitFor({ timeout: DEADLINE_MS });
    t.is(
      await pageSolo.locator('#views [data-view="assigned"]').count(),
      0,
      'a private todo list has no one to assign',
    );
    await pageSolo.close();

    // Made before B's page opens on Assigned to me: the page does not hold it.
    const gutters = await rest<Task>(tokenA, 'POST', '/tasks', { title: 'Clean the gutters', list_id: list.id });
    const pageB = failOnPageError(t, await context.newPage());
    await pageB.goto(`${rig.app.url}/?view=assigned#token=${tokenB}`);
    await live(pageB);
    await pageB.locator('#view-title', { hasText: /^Assigned to me$/ }).waitFor({ timeout: DEADLINE_MS });
    const told = (title: string) =>
      pageB.locator('#toasts .toast', { hasText: 'Assigned to you' }).filter({ hasText: title });
    const count = pageB.locator('#views [data-view="assigned"] .side-count');
    const counted = (n: number) => count.filter({ hasText: new RegExp(`^${n}$`) }).waitFor({ timeout: DEADLINE_MS });

    const lawn = await rest<Task>(tokenA, 'POST', '/tasks', { title: 'Mow the lawn', list_id: list.id, assignee: b });
    await told('Mow the lawn').getByRole('button', { name: 'Show' }).click({ timeout: DEADLINE_MS });
    await t.notThrowsAsync(item(pageB, 'Mow the lawn').waitFor({ timeout: DEADLINE_MS }));
    await t.notThrowsAsync(counted(1), 'its count');
    t.regex(pageB.url(), /view=assigned/, 'the address keeps the view');

    await rest(tokenA, 'PATCH', `/tasks/${gutters.id}`, { assignee: b });
    await t.notThrowsAsync(told('Clean the gutters').waitFor({ timeout: DEADLINE_MS }), 'named, though not held');
    await t.notThrowsAsync(item(pageB, 'Clean the gutters').waitFor({ timeout: DEADLINE_MS }), 'and it joins the view');
    await t.notThrowsAsync(counted(2));

    // Assigned in an edit of a task the page holds: told, it joins; one assigned to someone else leaves.
    const hedge = await rest<Task>(tokenA, 'POST', '/tasks', { title: 'Trim the hedge', list_id: list.id });
    await rest(tokenA, 'PATCH', `/tasks/${hedge.id}`, { assignee: b });
    await t.notThrowsAsync(told('Trim the hedge').waitFor({ timeout: DEADLINE_MS }));
    await t.notThrowsAsync(item(pageB, 'Trim the hedge').waitFor({ timeout: DEADLINE_MS }));
    await t.notThrowsAsync(counted(3), 'the count follows');
    await rest(tokenA, 'PATCH', `/tasks/${lawn.id}`, { assignee: a });
    await t.notThrowsAsync(item(pageB, 'Mow the lawn').waitFor({ state: 'detached', timeout: DEADLINE_MS }));
    await t.notThrowsAsync(counted(2), 'the count follows');

    // A repeating task assigned: told once, one row in the view, counted once.
    const weekly = await rest<Task>(tokenA, 'POST', '/tasks', {
      title: 'Water the plants',
      list_id: list.id,
      due_date: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      recurrence_rule: 'FREQ=WEEKLY',
    });
    await rest(tokenA, 'PATCH', `/tasks/${weekly.id}`, { assignee: b });
    await t.notThrowsAsync(told('Water the plants').waitFor({ timeout: DEADLINE_MS }));
    await t.notThrowsAsync(item(pageB, 'Water the plants').waitFor({ timeout: DEADLINE_MS }), 'the series is there');
    await t.notThrowsAsync(counted(3));
    t.is(await item(pageB, 'Trim the hedge').count(), 1);

    // The news goes when it is no longer true: the hedge given to someone else, then B leaving the list.
    await rest(tokenA, 'PATCH', `/tasks/${hedge.id}`, { assignee: a });
    await t.notThrowsAsync(told('Trim the hedge').waitFor({ state: 'detached', timeout: DEADLINE_MS }));
    t.is(await told('Clean the gutters').count(), 1, 'the others stay');
    // Done (here by the owner): nothing left to do, so its news goes too.
    await rest(tokenA, 'POST', `/tasks/${gutters.id}/complete`);
    await t.notThrowsAsync(
      told('Clean the gutters').waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      'a completed task is no news',
    );
    await rest(tokenB, 'DELETE', `/lists/${list.id}/members/${b}`);
    await t.notThrowsAsync(told('Water the plants').waitFor({ state: 'detached', timeout: DEADLINE_MS }));
  },
);

test.serial(
  "a member's reminder paused by another's assignment says so in their reminders, and is back (pending) once the task is unassigned",
  async (t) => {
    const [a, b] = [user('amy'), user('bo')];
    const [tokenA, tokenB] = [rig.app.token(a), rig.app.token(b)];
    const list = await sharedWith(tokenA, b, tokenB, { name: 'Errands' });
    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const task = await rest<Task>(tokenA, 'POST', '/tasks', {
      title: 'Post the parcel',
      list_id: list.id,
      due_date: due,
    });
    await rest(tokenB, 'POST', `/tasks/${task.id}/reminders`, { before: 'PT1H' });
    const context = await newContext(t, rig.browser, { timezoneId: 'UTC', viewport: DESKTOP });
    const pageB = await openRecorded(t, context, tokenB, []);
    await sideList(pageB, 'Errands').locator('.side-item').click();
    const row = item(pageB, 'Post the parcel');
    await row.locator('summary[data-k="reminders"]', { hasText: 'Reminders (1)' }).click({ timeout: DEADLINE_MS });

    await rest(tokenA, 'PATCH', `/tasks/${task.id}`, { assignee: a });
    await t.notThrowsAsync(
      row
        .locator('.reminders .unsent', { hasText: `paused while ${a} has the task` })
        .waitFor({ timeout: DEADLINE_MS }),
      'the paused reminder is shown with why',
    );
    t.is(await row.locator('summary[data-k="reminders"]').innerText(), 'Reminders', 'it is not counted as set');

    await rest(tokenA, 'PATCH', `/tasks/${task.id}`, { assignee: null });
    await t.notThrowsAsync(
      row.locator('.reminders .unsent').waitFor({ state: 'detached', timeout: DEADLINE_MS }),
      'back once unassigned',
    );
    await t.notThrowsAsync(
      row.locator('.reminders .status.pending').waitFor({ timeout: DEADLINE_MS }),
      'and pending again',
    );
  },
);
