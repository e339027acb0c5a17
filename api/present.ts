// How tasks and reminders look in responses: the row's fields plus a reminder status, so clients need
// not re-derive it.
import type { TaskState, ReminderState } from '../actors/task/index.ts';

export type ReminderStatus = 'pending' | 'notified' | 'cancelled' | 'template';

export function reminderStatus(r: ReminderState): ReminderStatus {
  if (r.cancelled) return 'cancelled';
  if (r.remind_at === null) return 'template';
  return r.notified ? 'notified' : 'pending';
}

export function presentReminder(r: ReminderState) {
  return { ...r, status: reminderStatus(r) };
}

export function presentTask(t: TaskState) {
  const { last_spawned_at: _internal, ...rest } = t;
  return { ...rest, reminders: t.reminders.map(presentReminder) };
}

export function encodeCursor(value: Record<string, string>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<K extends string>(text: string, keys: readonly K[]): Record<K, string> | null {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const k of keys) if (typeof value[k] !== 'string') return null;
    return value as Record<K, string>;
  } catch {
    return null;
  }
}
