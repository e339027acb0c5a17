// The event vocabulary and the envelope shared by the events table, Kafka and the history API.
export const EVENT_TYPES = [
  'task.created',
  'task.updated',
  'task.due_date_changed',
  'task.completed',
  'task.uncompleted',
  'task.deleted',
  'task.restored',
  'recurring.spawned',
  'recurring.rescheduled',
  'reminder.scheduled',
  'reminder.cancelled',
  'reminder.triggered',
  'reminder.snoozed',
  'reminder.acknowledged',
  'user.timezone_changed',
  'list.created',
  'list.updated',
  'list.deleted',
  // Membership of a shared list (actors/list/membership.ts, issue 17), aggregate_type 'list', one version each:
  // list.shared {user_id, role: 'editor', invited_by, list: {id, name, color}}: user_id is invited (again);
  // list.invitation_accepted {user_id}: invited → active; list.invitation_declined {user_id}: invited → declined;
  // list.member_left {user_id}: an active editor left; list.member_removed {user_id, was: 'active' | 'invited'}:
  // the owner removed an editor or revoked an invitation; list.ownership_transferred {from, to}: `to`, an active
  // editor, became the owner and `from` an active editor.
  'list.shared',
  'list.invitation_accepted',
  'list.invitation_declined',
  'list.member_left',
  'list.member_removed',
  'list.ownership_transferred',
  'label.created',
  'label.updated',
  'label.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type AggregateType = 'task' | 'user' | 'list' | 'label';

export interface Change<T> {
  from: T;
  to: T;
}

/** What a decider says happened: no ids, versions, sequence numbers or timestamps yet. */
export interface PendingEvent {
  event_type: EventType;
  aggregate_type: AggregateType;
  aggregate_id: string;
  data: Record<string, unknown>;
}

/** The envelope, identical in the events table, on Kafka and in the API. */
export interface EventEnvelope extends PendingEvent {
  event_id: string;
  user_id: string;
  version: number;
  seq: number;
  timestamp: string;
  correlation_id: string;
  causation_id: string | null;
}
