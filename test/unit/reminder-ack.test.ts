// Reminders you missed, in the task decider alone (test/helpers/decider-spec.ts): a fired reminder waits
// to be acknowledged; acknowledging is an event, idempotent; snoozing answers it too, with the choices of
// actors/task/snooze.ts computed in the user's zone.
import test, { type ExecutionContext } from 'ava';
import type { TaskCommand } from '../../actors/task/index.ts';
import { taskSpec as spec, contextsAt } from '../helpers/task-context.ts';
import { throws } from '../helpers/decider-spec.ts';

const at = contextsAt();

const T1 = '11111111-1111-4111-8111-111111111111';
const NOW = '2026-02-10T12:00:00Z';
const ack = (reminder_id: string): TaskCommand => ({ type: 'acknowledge_reminder', reminder_id });

/** A task due 14 Feb 18:00Z with a reminder 1 h before, fired on time; and the reminder's id. */
function firedTask(t: ExecutionContext) {
  const given = spec(t);
  const created = given().when(
    {
      type: 'create',
      id: T1,
      data: { title: 'Call', due_date: '2026-02-14T18:00:00Z', reminders: [{ before: 'PT1H' }, { before: 'PT2H' }] },
    },
    at(NOW),
  );
  const [rid = '', other = ''] = created.state?.reminders.map((r) => r.id) ?? [];
  t.false(created.state?.reminders[0]?.unacknowledged, 'a pending reminder does not wait');
  const fired = given(created)
    .when({ type: 'fire_reminder', reminder_id: rid }, at('2026-02-14T17:00:00Z'))
    .then([{ event_type: 'reminder.triggered', data: { reminder_id: rid, unacknowledged: true } }]);
  t.like(fired.state?.reminders[0], { notified: true, unacknowledged: true });
  return { given, created, fired, rid, other };
}

test('a fired reminder waits until acknowledged; acknowledging again changes nothing', (t) => {
  const { given, fired, rid } = firedTask(t);
  const acked = given(fired)
    .when(ack(rid), at('2026-02-14T19:00:00Z'))
    .then([
      {
        event_type: 'reminder.acknowledged',
        data: { reminder_id: rid, acknowledged_at: '2026-02-14T19:00:00.000Z' },
        exact: true,
      },
    ]);
  t.like(acked.state?.reminders[0], { notified: true, unacknowledged: false });
  given(acked).when(ack(rid), at('2026-02-14T19:00:01Z')).then([], 'a second device acknowledging: nothing to do');
});

test('a reminder that cannot have been seen is a conflict naming its state; an unknown one is not found', (t) => {
  const { given, created, fired, rid, other } = firedTask(t);
  given(created)
    .when(ack(rid), at(NOW))
    .then(throws('conflict', undefined, /pending .* not fired/));
  const removed = given(fired).when({ type: 'remove_reminder', reminder_id: other }, at(NOW));
  given(removed)
    .when(ack(other), at(NOW))
    .then(throws('conflict', undefined, /cancelled \(removed\)/));
  given(fired).when(ack('nope'), at(NOW)).then(throws('not_found'));
  const deleted = given(fired).when({ type: 'delete' }, at(NOW));
  given(deleted).when(ack(rid), at(NOW)).then(throws('not_found'));
});

test('removing a fired reminder, or snoozing it, answers it: it no longer waits', (t) => {
  const { given, fired, rid } = firedTask(t);
  const removed = given(fired).when({ type: 'remove_reminder', reminder_id: rid }, at('2026-02-14T17:05:00Z'));
  t.like(removed.state?.reminders[0], { cancelled: true, unacknowledged: false });
  const snoozed = given(fired)
    .when({ type: 'snooze_reminder', reminder_id: rid, for: 'PT10M' }, at('2026-02-14T17:05:00Z'))
    .then([{ event_type: 'reminder.snoozed', data: { for: 'PT10M' } }]);
  t.like(snoozed.state?.reminders[0], {
    notified: false,
    unacknowledged: false,
    remind_at: '2026-02-14T17:15:00.000Z',
  });
  // Snoozed and not fired again: pending, so acknowledging it is a conflict; once it fires it waits again.
  given(snoozed)
    .when(ack(rid), at('2026-02-14T17:06:00Z'))
    .then(throws('conflict', undefined, /pending/));
  const again = given(snoozed).when({ type: 'fire_reminder', reminder_id: rid }, at('2026-02-14T17:15:00Z'));
  t.like(again.state?.reminders[0], { notified: true, unacknowledged: true });
});

test('a snoozed reminder says so while it waits at the chosen time: firing, cancelling or a new due date ahead end it; a nudge keeps it', (t) => {
  const { given, fired, rid, other } = firedTask(t);
  t.false(fired.state?.reminders[0]?.snoozed, 'fired on time: not snoozed');
  const snoozed = given(fired).when(
    { type: 'snooze_reminder', reminder_id: rid, for: 'PT10M' },
    at('2026-02-14T17:05:00Z'),
  );
  t.like(
    snoozed.state?.reminders.find((r) => r.id === rid),
    { snoozed: true, remind_at: '2026-02-14T17:15:00.000Z' },
  );
  t.like(
    snoozed.state?.reminders.find((r) => r.id === other),
    { snoozed: false },
  );
  // Fired again at the snoozed time: no longer waiting at a snoozed time.
  const again = given(snoozed).when({ type: 'fire_reminder', reminder_id: rid }, at('2026-02-14T17:15:00Z'));
  t.like(
    again.state?.reminders.find((r) => r.id === rid),
    { snoozed: false, notified: true },
  );
  // Cancelled (the task done): not snoozed either.
  const done = given(snoozed).when({ type: 'complete' }, at('2026-02-14T17:06:00Z'));
  t.like(
    done.state?.reminders.find((r) => r.id === rid),
    { snoozed: false, cancelled: true },
  );
  // The due date moved a little later, its 1 h before now past: the snooze keeps the time the user chose
  // (it was cancelled as passed).
  const nudged = given(snoozed).when(
    { type: 'update', data: { due_date: '2026-02-14T17:30:00Z' } },
    at('2026-02-14T17:06:00Z'),
  );
  t.false(
    nudged.events.some((e) => e.event_type.startsWith('reminder.') && e.data.reminder_id === rid),
    'nothing about the snoozed reminder',
  );
  t.like(
    nudged.state?.reminders.find((r) => r.id === rid),
    {
      snoozed: true,
      cancelled: false,
      remind_at: '2026-02-14T17:15:00.000Z',
    },
  );
  // Before it fires again, the due date moves a day: the reminder is 1 h before the new one, not snoozed.
  const moved = given(snoozed).when(
    { type: 'update', data: { due_date: '2026-02-15T18:00:00Z' } },
    at('2026-02-14T17:06:00Z'),
  );
  t.like(
    moved.state?.reminders.find((r) => r.id === rid),
    { snoozed: false, remind_at: '2026-02-15T17:00:00.000Z' },
  );
});

test('snooze to tomorrow 09:00 is 09:00 in the user zone, recorded with the zone; until and bad choices', (t) => {
  const { given, fired, rid } = firedTask(t);
  // 17:00Z on 14 Feb is 06:00 on 15 Feb in Auckland (NZDT +13): tomorrow is 16 Feb, 09:00 NZDT = 20:00Z on 15 Feb.
  const snoozed = given(fired)
    .when(
      { type: 'snooze_reminder', reminder_id: rid, tomorrow_at: '09:00' },
      at('2026-02-14T17:00:00Z', 'Pacific/Auckland'),
    )
    .then([
      {
        event_type: 'reminder.snoozed',
        data: {
          reminder_id: rid,
          tomorrow_at: '09:00',
          timezone: 'Pacific/Auckland',
          remind_at: { from: '2026-02-14T17:00:00.000Z', to: '2026-02-15T20:00:00.000Z' },
          notified: { from: true, to: false },
        },
        exact: true,
      },
    ]);
  t.is(snoozed.state?.reminders[0]?.remind_at, '2026-02-15T20:00:00.000Z');
  given(fired)
    .when(
      { type: 'snooze_reminder', reminder_id: rid, until: '2026-02-15T08:00' },
      at('2026-02-14T17:00:00Z', 'Asia/Kolkata'),
    )
    .then([{ event_type: 'reminder.snoozed', data: { until: '2026-02-15T02:30:00.000Z' } }]);
  given(fired)
    .when({ type: 'snooze_reminder', reminder_id: rid, until: '2026-02-14T16:00:00Z' }, at('2026-02-14T17:00:00Z'))
    .then(throws('validation', 'until'));
  given(fired)
    .when({ type: 'snooze_reminder', reminder_id: rid, tomorrow_at: '9am' }, at('2026-02-14T17:00:00Z'))
    .then(throws('validation', 'tomorrow_at'));
});
