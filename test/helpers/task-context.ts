// The task decider's side of a unit test: deterministic ids, the DecideContext at an instant, and the
// given / when / then spec (test/helpers/decider-spec.ts) with events stamped at the context's `now`.
import type { ExecutionContext } from 'ava';
import {
  decide,
  evolve,
  initialState,
  type DecideContext,
  type TaskCommand,
  type TaskState,
} from '../../actors/task/index.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';
import { deciderSpec, type Given } from './decider-spec.ts';

/** Ids `00000000-0000-4000-8000-000000000001`, `…002`, … in order of asking; each call starts its own count. */
export function sequentialIds(): () => string {
  let ids = 0;
  return () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
}

/** `at(iso, zone?, extra?)`: see `contextsAt`. */
export type At = (iso: string, zone?: string, extra?: Partial<DecideContext>) => DecideContext;

/**
 * Makes `at(iso, zone = defaultZone, extra = {})`: the DecideContext of user `u1` at the ISO 8601 instant
 * `iso`, whose zone is the IANA `zone`, with ids from `newId` (one count for every context `at` makes) and the
 * fields of `extra` (series, refs, undo) added.
 */
export function contextsAt(defaultZone = 'UTC', newId: () => string = sequentialIds()): At {
  return (iso, zone = defaultZone, extra = {}) => ({
    now: new Date(iso),
    userId: 'u1',
    userTimezone: zone,
    newId,
    ...extra,
  });
}

/** Given / when / then for the task decider; new events are stamped with the context's `now`. */
export const taskSpec = (t: ExecutionContext): Given<TaskCommand, TaskState | null, DecideContext> =>
  deciderSpec(t, { decide, evolve, initialState }, { clock: (context) => context.now });

/**
 * An in-memory events table for decider tests: `append(pending, now)` stamps each pending event as
 * `persist` does (version per aggregate, the user's gapless seq, event id `e<seq>`, user `u1`, timestamp
 * `now` in ms), folds it into `states` with the server's `evolve`, and returns the stamped events.
 */
export function eventLog(): {
  states: Map<string, TaskState | null>;
  append(pending: readonly PendingEvent[], now: number): EventEnvelope[];
} {
  let seq = 0;
  const versions = new Map<string, number>();
  const states = new Map<string, TaskState | null>();
  const append = (pending: readonly PendingEvent[], now: number): EventEnvelope[] =>
    pending.map((p) => {
      const version = (versions.get(p.aggregate_id) ?? 0) + 1;
      versions.set(p.aggregate_id, version);
      const event: EventEnvelope = {
        ...p,
        event_id: `e${++seq}`,
        user_id: 'u1',
        version,
        seq,
        timestamp: new Date(now).toISOString(),
        correlation_id: 'c',
        causation_id: null,
      };
      states.set(event.aggregate_id, evolve(states.get(event.aggregate_id) ?? null, event));
      return event;
    });
  return { states, append };
}
