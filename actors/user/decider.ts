// The user decider: a user exists from their first request (in UTC until they say otherwise) and
// owns one setting that matters to time, their IANA zone. Whether that zone was ever chosen is kept
// (`timezone_chosen`), so a client can tell a user who lives in UTC from one nobody asked yet (issue 16).
import { checkZone } from '../zone.ts';
import type { PendingEvent, EventEnvelope, Change } from '../events.ts';
import { decideList, type ListCommand, type ListState, type OrganiseContext } from '../list/index.ts';
import { decideLabel, type LabelCommand, type LabelState } from '../label/index.ts';

export interface UserState {
  id: string;
  timezone: string;
  last_seq: number;
  version: number;
  /** False while the zone is the default of a user created on first use; true once it was set (PATCH /me). */
  timezone_chosen: boolean;
}

export type UserCommand = { type: 'set_timezone'; timezone: string };

export const DEFAULT_TIMEZONE = 'UTC';

export function initialState(id: string): UserState {
  return { id, timezone: DEFAULT_TIMEZONE, last_seq: 0, version: 0, timezone_chosen: false };
}

export function decide(command: UserCommand, state: UserState): PendingEvent[] {
  switch (command.type) {
    case 'set_timezone': {
      // Kept as sent (letter case fixed), never replaced by the backward link the runtime resolves it to.
      // Choosing the zone the user already has (UTC, the default) still records the choice.
      const zone = checkZone('timezone', command.timezone);
      if (zone === state.timezone && state.timezone_chosen) return [];
      const changes: Record<string, Change<unknown>> = {};
      if (zone !== state.timezone) changes.timezone = { from: state.timezone, to: zone };
      if (!state.timezone_chosen) changes.timezone_chosen = { from: false, to: true };
      return [
        { event_type: 'user.timezone_changed', aggregate_type: 'user', aggregate_id: state.id, data: { changes } },
      ];
    }
  }
}

export function evolve(state: UserState, event: EventEnvelope): UserState {
  if (event.aggregate_type !== 'user') return state;
  if (event.event_type === 'user.timezone_changed') {
    // Every zone change is a choice; one written before choices were kept carries only `timezone`.
    const change = (event.data.changes as { timezone?: Change<string> }).timezone;
    return { ...state, timezone: change?.to ?? state.timezone, timezone_chosen: true, version: event.version };
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
