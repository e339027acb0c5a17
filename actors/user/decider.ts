// The user decider: a user exists from their first request (in UTC until they say otherwise) and
// owns one setting that matters to time, their IANA zone.
import { IANAZone } from 'luxon';
import { invalid } from '../errors.ts';
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
      const zone = typeof command.timezone === 'string' ? command.timezone.trim() : '';
      if (!IANAZone.isValidZone(zone)) throw invalid('timezone', `"${command.timezone}" is not an IANA time zone (e.g. Europe/Berlin)`);
      // Store the canonical spelling luxon resolves to, so "europe/berlin" and "Europe/Berlin" are one zone.
      const canonical = canonicalZone(zone);
      if (canonical === state.timezone) return [];
      return [{ event_type: 'user.timezone_changed', aggregate_type: 'user', aggregate_id: state.id, data: { changes: { timezone: { from: state.timezone, to: canonical } } } }];
    }
  }
}

/** The zone's canonical IANA spelling, as the runtime's tz database names it ("europe/berlin" → "Europe/Berlin"). */
export function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

export function evolve(state: UserState, event: EventEnvelope): UserState {
  if (event.aggregate_type !== 'user') return state;
  if (event.event_type === 'user.timezone_changed') {
    const change = (event.data.changes as { timezone: Change<string> }).timezone;
    return { ...state, timezone: change.to, version: event.version };
  }
  return { ...state, version: event.version };
}
