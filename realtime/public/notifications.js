// Reminders that fire, and those that fired while no page was open (issue 16, "Reminders you missed").
// Each waits in the page as a toast until the user answers it — here or on another device, which the
// event stream tells (reminder.acknowledged / snoozed / cancelled, the task completed or deleted) — with
// the snooze choices: 10 min, 1 h, tomorrow 09:00 in the user's zone (computed by the server), or a time
// picked. A desktop notification, when allowed, offers snooze too: Notification actions exist only on a
// service worker's notifications, so one small worker (sw.js) shows them and hands a click back to the page.
import { getState, userZone } from './store.js';
import { api, act, ApiError } from './api.js';
import { toast } from './toasts.js';
import { dueFull, fmtNear, writtenIn } from './due.js';
import { clockTime, fmt } from './time.js';
import { h } from './dom.js';
import { upsertTask } from './tasks.js';

/** Reminder id → {el, taskId} of the toasts shown this session (dismissed ones too: not shown again on a reload of the list). */
const shown = new Map();
/** Pages of GET /reminders?state=unacknowledged read on open and on every reconnect. */
const MAX_PAGES = 4;

/**
 * The snooze choices as the API takes them (POST …/snooze), with their labels; `body(zone)` for the one that
 * depends on the zone the page shows times in: "Tomorrow 9:00 AM" names it, else the server would take the
 * task's creator's (for another member's task, theirs). The server's clock decides what tomorrow is.
 */
export const SNOOZE_CHOICES = [
  { label: 'Snooze 10 min', body: () => ({ for: 'PT10M' }), done: 'Snoozed for 10 minutes' },
  { label: 'Snooze 1 hour', body: () => ({ for: 'PT1H' }), done: 'Snoozed for 1 hour' },
  {
    label: `Tomorrow ${clockTime('09:00')}`,
    body: (zone) => ({ tomorrow_at: '09:00', timezone: zone }),
  },
];

/** Announces a `reminder.triggered` event: the waiting toast, and a desktop notification when allowed. */
export function notifyReminder(event) {
  const d = event.data;
  const taskId = d.task_id ?? event.aggregate_id;
  const title = getState().tasks.get(taskId)?.title ?? d.title ?? 'a task';
  const item = {
    reminderId: d.reminder_id,
    taskId,
    title,
    due_date: d.due_date,
    due_day: d.due_day ?? null,
    remind_at: d.remind_at,
  };
  // Fired again (after a snooze): shown again even if an earlier toast of it was dismissed.
  showWaiting(item, { again: true });
  void desktop(item);
}

/** GET /reminders?state=unacknowledged (a few pages) → a toast for each one not shown yet. On open and after each reconnect. */
export async function loadWaiting() {
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    let answer;
    try {
      answer = await api(
        'GET',
        `/reminders?state=unacknowledged&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
    } catch {
      return; // offline or signed out: the next reconnect asks again
    }
    // Oldest first on the page, so the newest ends up nearest the corner.
    for (const r of [...answer.reminders].reverse())
      showWaiting({
        reminderId: r.id,
        taskId: r.task_id,
        title: r.task.title,
        due_date: r.task.due_date,
        due_day: r.task.due_day ?? null,
        remind_at: r.remind_at,
      });
    cursor = answer.next_cursor;
    if (!cursor) return;
  }
}

/** A reminder was answered (acknowledged, snoozed, removed) here or elsewhere: its toast goes. */
export function reminderAnswered(reminderId) {
  shown.get(reminderId)?.el.remove();
}

/** A task was completed or deleted: its reminders' toasts go. */
export function taskAnswered(taskId) {
  for (const entry of shown.values()) if (entry.taskId === taskId) entry.el.remove();
}

/**
 * What a reminder's toast or notification says about its task: all day on a date, due at a time, or the
 * reminder's time. In full (dueFull): such a notice may still be up after midnight.
 */
function dueText(item, zone) {
  const due = dueFull(item, zone);
  return due ? `Due ${due}` : `Reminder for ${fmt(item.remind_at, zone)}`;
}

/**
 * Reminders dismissed in this tab (`<id>@<remind_at>`, sessionStorage): a reload does not bring their toasts
 * back (a newcomer's pass: Dismiss did not last); one that fires again (snoozed, a new remind_at) is shown.
 * Seen (acknowledge) clears it on every device; Dismiss only hides it here.
 */
const DISMISSED_KEY = 'tasklane.dismissedReminders';
const dismissedKey = (item) => `${item.reminderId}@${item.remind_at}`;
function dismissedHere() {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(DISMISSED_KEY) ?? '[]'));
  } catch {
    return new Set();
  }
}
function rememberDismissed(item) {
  try {
    const kept = [...dismissedHere(), dismissedKey(item)].slice(-200);
    sessionStorage.setItem(DISMISSED_KEY, JSON.stringify(kept));
  } catch {
    // storage off (private mode, quota): the toast comes back on a reload, as before
  }
}

function showWaiting(item, { again = false } = {}) {
  const old = shown.get(item.reminderId);
  if (old && (old.el.isConnected || !again)) return;
  if (!again && dismissedHere().has(dismissedKey(item))) return;
  const zone = userZone();
  const when = dueText(item, zone);
  const picker = h('input', { type: 'datetime-local', 'aria-label': `Snooze until (in ${zone})`, required: true });
  const custom = h(
    'form',
    {
      class: 'snooze-custom',
      onsubmit: (e) => {
        e.preventDefault();
        if (!picker.value) return;
        void snooze(item, { until: writtenIn(picker.value, zone) }, e.submitter ?? null).then(
          (done) => done && el.remove(),
        );
      },
    },
    h('label', {}, `Until (${zone}) `, picker),
    h('button', { type: 'submit' }, 'Snooze'),
  );
  // A time of one's own is one choice among the snoozes: folded until asked for.
  const other = h('details', { class: 'snooze-other' }, h('summary', {}, 'Snooze until…'), custom);
  const el = toast({
    title: `Reminder: ${item.title}`,
    body: h('span', {}, when, other),
    kind: 'reminder',
    onDismiss: () => rememberDismissed(item),
    actions: [
      { label: 'Complete', run: (button) => completeFrom(item, button) },
      { label: 'Seen', title: 'Clears this reminder on every device', run: (button) => acknowledge(item, button) },
      ...SNOOZE_CHOICES.map((c) => ({
        label: c.label,
        run: (button) => snooze(item, c.body(userZone()), button, c.done),
      })),
    ],
  });
  el.dataset.reminder = item.reminderId;
  shown.set(item.reminderId, { el, taskId: item.taskId });
}

/** Completes the reminder's task from its toast (POST …/complete), and marks the reminder seen. True when done. */
async function completeFrom(item, button) {
  const task = await act(
    button,
    async () => {
      const done = await api('POST', `/tasks/${item.taskId}/complete`);
      upsertTask(done);
      await acknowledgeQuietly(item);
      return done;
    },
    'Could not complete the task',
  );
  if (!task) return false;
  toast({ title: 'Completed', body: item.title, group: 'completed' });
  return true;
}

/** POST …/acknowledge, already answered elsewhere (404: gone; 409: snoozed meanwhile) counting as done. */
async function acknowledgeQuietly(item) {
  try {
    await api('POST', `/tasks/${item.taskId}/reminders/${item.reminderId}/acknowledge`);
  } catch (error) {
    if (!(error instanceof ApiError && (error.status === 404 || error.status === 409))) throw error;
  }
}

/** POST …/acknowledge. Already answered elsewhere (404: gone; 409: snoozed meanwhile) counts as done. */
async function acknowledge(item, button) {
  await act(button, () => acknowledgeQuietly(item), 'Could not mark the reminder as seen');
}

/** POST …/snooze with one of the choices; says until when. True when it was snoozed. */
export async function snooze(item, body, button, done) {
  const reminder = await act(
    button,
    () => api('POST', `/tasks/${item.taskId}/reminders/${item.reminderId}/snooze`, body),
    'Could not snooze',
  );
  if (!reminder) return false;
  toast({ title: done ?? `Snoozed until ${fmtNear(reminder.remind_at, userZone())}` });
  return true;
}

// ------------------------------------------------------------------ desktop notifications
let worker = null;

/** The service worker's registration (sw.js, scope /assets/), active; null where there is none. */
function registration() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  worker ??= (async () => {
    try {
      const reg = await navigator.serviceWorker.register('/assets/sw.js', { scope: '/assets/' });
      const pending = reg.installing ?? reg.waiting;
      if (!reg.active && pending)
        await new Promise((resolve) =>
          pending.addEventListener('statechange', () => pending.state === 'activated' && resolve()),
        );
      return reg;
    } catch {
      return null;
    }
  })();
  return worker;
}

async function desktop(item) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const zone = userZone();
  const body = dueText(item, zone);
  const options = {
    body,
    tag: `tasklane-${item.reminderId}`,
    data: { taskId: item.taskId, reminderId: item.reminderId },
  };
  const reg = await registration();
  if (reg) {
    // Browsers show at most two actions (Notification.maxActions); the toast in the page has them all.
    await reg.showNotification(`Reminder: ${item.title}`, {
      ...options,
      actions: [
        { action: 'snooze-10m', title: SNOOZE_CHOICES[0].label },
        { action: 'snooze-tomorrow', title: SNOOZE_CHOICES[2].label },
      ],
    });
    return;
  }
  try {
    const n = new Notification(`Reminder: ${item.title}`, options);
    n.onclick = () => {
      window.focus();
      n.close();
    };
  } catch {
    /* the toast in the page stays */
  }
}

/** A click on a desktop notification, handed over by sw.js: a snooze choice, or the body (focus only). */
export function setupNotificationActions() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event) => {
    const m = event.data;
    if (m?.type !== 'tasklane.reminder') return;
    const item = { taskId: m.taskId, reminderId: m.reminderId };
    const choice =
      m.action === 'snooze-10m' ? SNOOZE_CHOICES[0] : m.action === 'snooze-tomorrow' ? SNOOZE_CHOICES[2] : null;
    if (choice) void snooze(item, choice.body(userZone()), null, choice.done);
  });
}

/** Whether the "Enable desktop notifications" button has anything to offer. */
export const canAskForNotifications = () => 'Notification' in window && Notification.permission === 'default';
