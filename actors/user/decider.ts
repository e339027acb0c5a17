// The user decider: a user exists from their first request (in UTC until they say otherwise) and
// owns one setting that matters to time, their IANA zone.
import { checkZone } from '../zone.ts';
import type { PendingEvent, EventEnvelope, Change } from '../events.ts';
import { decideList, type ListCommand, type ListState, type OrganiseContext } from '../list/index.ts';
import { decideLabel, type LabelCommand, type LabelState } from '../label/index.ts';

export interface UserState {
  id: string;
  timezone: string;
  last_seq: number;
  version: number;
}

export type UserCommand = { type: 'set_timezone'; timezone: string };

export const DEFAULT_TIMEZONE = 'UTC';

export function initialState(id: string): UserState {
  return { id, timezone: DEFAULT_TIMEZONE, last_seq: 0, version: 0 };
}

export function decide(command: UserCommand, state: UserState): PendingEvent[] {
  switch (command.type) {
    case 'set_timezone': {
      // Kept as sent (letter case fixed), never replaced by the backward link the runtime resolves it to.
      const zone = checkZone('timezone', command.timezone);
      if (zone === state.timezone) return [];
      return [
        {
          event_type: 'user.timezone_changed',
          aggregate_type: 'user',
          aggregate_id: state.id,
          data: { changes: { timezone: { from: state.timezone, to: zone } } },
        },
      ];
    }
  }
}

export function evolve(state: UserState, event: EventEnvelope): UserState {
  if (event.aggregate_type !== 'user') return state;
  if (event.event_type === 'user.timezone_changed') {
    const change = (event.data.changes as { timezone: Change<string> }).timezone;
    return { ...state, timezone: change.to, version: event.version };
  }
  return { ...state, version: event.version };
}

/** The user's commands on their lists and labels, serialised by the user's turn (host/users/turn.ts). */
export type OrganiseCommand = ListCommand | LabelCommand;

/** What an organise command decides on: every list and label of the user, deleted ones included. */
export interface Organisation {
  lists: readonly ListState[];
  labels: readonly LabelState[];
}

/** Decides a list or label command (actors/list, actors/label); errors as those say. */
export function decideOrganise(command: OrganiseCommand, state: Organisation, ctx: OrganiseContext): PendingEvent[] {
  switch (command.type) {
    case 'create_list':
    case 'update_list':
    case 'delete_list':
      return decideList(command, state.lists, ctx);
    default:
      return decideLabel(command, state.labels, ctx);
  }
}
