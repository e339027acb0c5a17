// The user decider: a user exists from their first request (in UTC until they say otherwise) and
// owns one setting that matters to time, their IANA zone.
import { checkZone } from '../zone.ts';
import type { PendingEvent, EventEnvelope, Change } from '../events.ts';

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
      return [{ event_type: 'user.timezone_changed', aggregate_type: 'user', aggregate_id: state.id, data: { changes: { timezone: { from: state.timezone, to: zone } } } }];
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
