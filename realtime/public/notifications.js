// Reminders that fire: a desktop notification when the user allowed them, else a toast with Snooze.
import { getState, userZone } from './store.js';
import { fmt } from './time.js';
import { api, act } from './api.js';
import { toast } from './toasts.js';
import { fmtDay } from './due.js';

/** Announces a `reminder.triggered` event. */
export function notifyReminder(event) {
  const d = event.data;
  const taskId = d.task_id ?? event.aggregate_id;
  const task = getState().tasks.get(taskId);
  const title = task?.title ?? d.title ?? 'a task';
  const body = d.due_day
    ? `Due all day, ${fmtDay(d.due_day)}`
    : d.due_date
      ? `Due ${fmt(d.due_date, userZone())}`
      : `Reminder set for ${fmt(d.remind_at, userZone())}`;
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(`Reminder: ${title}`, { body, tag: `tasklane-${d.reminder_id}` });
      n.onclick = () => {
        window.focus();
        n.close();
      };
      return;
    } catch {
      /* fall back to the toast (e.g. Notification needs a service worker here) */
    }
  }
  toast({
    title: `Reminder: ${title}`,
    body,
    kind: 'reminder',
    actions: [{ label: 'Snooze 10 min', run: (button) => snooze(taskId, d.reminder_id, button) }],
  });
}

/** POST …/snooze for 10 minutes, from `button` (busy meanwhile). */
export async function snooze(taskId, reminderId, button) {
  await act(
    button,
    async () => {
      await api('POST', `/tasks/${taskId}/reminders/${reminderId}/snooze`, { for: 'PT10M' });
      toast({ title: 'Snoozed for 10 minutes' });
    },
    'Could not snooze',
  );
}

/** Whether the "Enable desktop notifications" button has anything to offer. */
export const canAskForNotifications = () => 'Notification' in window && Notification.permission === 'default';
