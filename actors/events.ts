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
  'user.timezone_changed',
  'list.created',
  'list.updated',
  'list.deleted',
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
