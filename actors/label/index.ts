// Labels: a user's tags for tasks (name unique per user case-insensitively, colour), each its own
// aggregate, decided here without I/O and serialised by the user's turn like lists. A task holds the
// ids of its labels, so a rename reaches every task that carries the label without touching them; a
// delete strips the label from each of them, each as its own task turn (host/users/turn.ts).
// Events: label.created {label}, label.updated {changes}, label.deleted {label_id}.
import { DomainError, notFound } from '../errors.ts';
import type { Change, EventEnvelope, PendingEvent } from '../events.ts';
import { checkColor, checkName, type OrganiseContext } from '../list/index.ts';
import { nameKey } from '../name-key.ts';

export interface LabelState {
  id: string;
  user_id: string;
  name: string;
  color: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export const MAX_LABEL_NAME = 50;
export const MAX_LABELS = 500;

export type LabelCommand =
  | { type: 'create_label'; id: string; data: { name: string; color?: string | null } }
  | {
      type: 'update_label';
      label_id: string;
      data: { name?: string; color?: string | null };
      expected_version?: number;
    }
  | { type: 'delete_label'; label_id: string; expected_version?: number };

const ev = (id: string, event_type: PendingEvent['event_type'], data: Record<string, unknown>): PendingEvent => ({
  event_type,
  aggregate_type: 'label',
  aggregate_id: id,
  data,
});

function live(labels: readonly LabelState[], id: string, expected: number | undefined): LabelState {
  const label = labels.find((l) => l.id === id && l.deleted_at === null);
  if (!label) throw notFound('label');
  if (expected !== undefined && expected !== label.version)
    throw new DomainError(
      'version_mismatch',
      `version mismatch: If-Match is ${expected}, the label is at ${label.version}`,
    );
  return label;
}

/** A name no other live label of the user has (compared as the database compares them: nameKey), else a 409 naming `name`. */
function unique(labels: readonly LabelState[], name: string, self: string | null): string {
  const key = nameKey(name);
  const other = labels.find((l) => l.deleted_at === null && l.id !== self && nameKey(l.name) === key);
  if (other) throw new DomainError('conflict', `name: a label named "${other.name}" already exists`, 'name');
  return name;
}

/**
 * Decides a label command on the user's labels (deleted ones included). Errors: `validation` (name,
 * colour; too many labels), `conflict` naming `name` (taken, case-insensitively), `not_found`,
 * `version_mismatch`. Deleting a deleted label decides nothing (the caller may still finish stripping it).
 */
export function decideLabel(
  command: LabelCommand,
  labels: readonly LabelState[],
  ctx: OrganiseContext,
): PendingEvent[] {
  switch (command.type) {
    case 'create_label': {
      if (labels.some((l) => l.id === command.id))
        throw new DomainError('conflict', 'a label with this id already exists', 'id');
      if (labels.filter((l) => l.deleted_at === null).length >= MAX_LABELS)
        throw new DomainError('validation', `name: at most ${MAX_LABELS} labels per user`, 'name');
      const name = unique(labels, checkName('name', command.data.name, MAX_LABEL_NAME), null);
      const label = {
        id: command.id,
        user_id: ctx.userId,
        name,
        color: checkColor(command.data.color),
        created_at: ctx.now.toISOString(),
        deleted_at: null,
      };
      return [ev(label.id, 'label.created', { label })];
    }
    case 'update_label': {
      const label = live(labels, command.label_id, command.expected_version);
      const d = command.data;
      const next = {
        name: 'name' in d ? unique(labels, checkName('name', d.name, MAX_LABEL_NAME), label.id) : label.name,
        color: 'color' in d ? checkColor(d.color) : label.color,
      };
      const changes: Record<string, Change<unknown>> = {};
      for (const field of ['name', 'color'] as const)
        if (next[field] !== label[field]) changes[field] = { from: label[field], to: next[field] };
      return Object.keys(changes).length === 0 ? [] : [ev(label.id, 'label.updated', { changes })];
    }
    case 'delete_label': {
      const found = labels.find((l) => l.id === command.label_id);
      if (found && found.deleted_at !== null) return [];
      const label = live(labels, command.label_id, command.expected_version);
      return [ev(label.id, 'label.deleted', { label_id: label.id })];
    }
  }
}

/** The only way a label's state changes; folding its events from null rebuilds its row. */
export function evolveLabel(state: LabelState | null, event: EventEnvelope): LabelState | null {
  if (event.aggregate_type !== 'label') return state;
  if (event.event_type === 'label.created') {
    const label = event.data.label as Omit<LabelState, 'version' | 'updated_at'>;
    return { ...label, version: event.version, updated_at: event.timestamp };
  }
  if (!state) throw new Error(`${event.event_type} (${event.event_id}) applied to a label that does not exist`);
  const next: LabelState = { ...state, version: event.version, updated_at: event.timestamp };
  if (event.event_type === 'label.updated') {
    const out: Record<string, unknown> = { ...next };
    for (const [field, change] of Object.entries(event.data.changes as Record<string, Change<unknown>>))
      out[field] = change.to;
    return out as unknown as LabelState;
  }
  if (event.event_type === 'label.deleted') return { ...next, deleted_at: event.timestamp };
  return next;
}
