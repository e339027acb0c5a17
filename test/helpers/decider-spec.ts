// Given / when / then for a decider (modelled on Emmett's DeciderSpecification):
//
//   const given = deciderSpec(t, { decide, evolve, initialState }, { clock: (ctx) => ctx.now });
//   given(...pastEvents).when(command, context).then(['task.created', { event_type: 'reminder.scheduled', data: {…} }]);
//   given(...pastEvents).when(command, context).then({ completed: true });          // the state after, t.like
//   given(...pastEvents).when(command, context).then(throws('validation', 'title', /must not be empty/));
//   given(earlierOutcome).when(command, context)…                                    // after an earlier step
//
// `given` folds the past events of one stream (the aggregate of the first event) through `evolve` from
// `initialState()`; `when` runs `decide` on that state and stamps what it returns as the store would
// (per-aggregate versions, one growing seq). A CollectionDecider (`collection: true`) decides on the
// state of every stream given instead, and its outcome's `state` is that of the stream the new events
// are about (else the first given's). Each `then` asserts through ava's `t` and returns the
// outcome again, so a test chains several; `outcome.history` (the given events and the new ones) is the
// `given` of the next step.
import type { ExecutionContext } from 'ava';
import { DomainError } from '../../actors/errors.ts';
import type { EventEnvelope, PendingEvent } from '../../actors/events.ts';

export interface Decider<Command, State, Context> {
  decide(command: Command, state: State, context: Context): PendingEvent[];
  evolve(state: State, event: EventEnvelope): State;
  initialState(): State;
}

/**
 * A decider over every aggregate of its kind that one owner has (a user's lists, a user's labels):
 * `decide` sees the state of each stream in the given events, in order of first appearance; `evolve`
 * and `initialState` are per stream.
 */
export interface CollectionDecider<Command, State, Context> {
  collection: true;
  decide(command: Command, states: readonly State[], context: Context): PendingEvent[];
  evolve(state: State, event: EventEnvelope): State;
  initialState(): State;
}

export interface SpecOptions<Context> {
  /** The time new events are stamped with (their `timestamp`); default the epoch. */
  clock?: (context: Context) => Date;
  /** The `user_id` of stamped events; default `u1`. */
  userId?: string;
}

/**
 * One expected event: its type alone, or its type with envelope fields and fields of `data`. Each field
 * named is compared by deep equality; fields not named are not compared.
 */
export type ExpectedEvent =
  | PendingEvent['event_type']
  | {
      event_type: PendingEvent['event_type'];
      aggregate_type?: PendingEvent['aggregate_type'];
      aggregate_id?: string;
      data?: Record<string, unknown>;
      /** `data` has no fields beyond those named. */
      exact?: boolean;
    };

/** The decider refuses the command: a DomainError with this code, and field and message when given. */
export class Refusal {
  constructor(
    readonly code: DomainError['code'],
    readonly field?: string,
    readonly message?: RegExp,
  ) {}
}
export const throws = (code: DomainError['code'], field?: string, message?: RegExp): Refusal =>
  new Refusal(code, field, message);

/** An expectation: the events (in order, nothing more), a refusal, or the stream's state after (`t.like`; null for none). */
export type Expectation<State> =
  | readonly ExpectedEvent[]
  | Refusal
  | (State extends null ? never : Partial<State>)
  | null;

export interface Outcome<State> {
  /** What `when` emitted, stamped. Reading it after a refusal rethrows the refusal. */
  readonly events: EventEnvelope[];
  /** The given events and the new ones: the `given` of a next step. */
  readonly history: EventEnvelope[];
  /** The stream's state after the new events. */
  readonly state: State;
  /** The state of another aggregate in the history (e.g. an instance a series spawned). */
  stateOf(aggregateId: string): State;
  /** The events of one aggregate in the history, to give to a step about that aggregate. */
  streamOf(aggregateId: string): EventEnvelope[];
  /** The refusal, when `decide` threw. */
  readonly error: unknown;
  then(expected: Expectation<State>, message?: string): Outcome<State>;
}

/** Past events: stamped ones as they are, pending ones stamped in order, or an earlier outcome's history. */
export type Past<State> = EventEnvelope | PendingEvent | Outcome<State>;

export type Given<Command, State, Context> = (...past: readonly Past<State>[]) => {
  /** Runs `decide` on the given state; a decider without a context takes none. */
  when(command: Command, ...context: Context extends undefined ? [] : [Context]): Outcome<State>;
};

const isOutcome = <State>(e: Past<State>): e is Outcome<State> => 'history' in e;
const isStamped = (e: EventEnvelope | PendingEvent): e is EventEnvelope => 'version' in e && 'seq' in e;

export function deciderSpec<Command, State, Context>(
  t: ExecutionContext,
  decider: Decider<Command, State, Context> | CollectionDecider<Command, State, Context>,
  options: SpecOptions<Context> = {},
): Given<Command, State, Context> {
  const userId = options.userId ?? 'u1';
  /** Stamps as the store does: the next version of each aggregate, the next seq overall. */
  const stamper = (past: readonly EventEnvelope[], timestamp: string) => {
    const versions = new Map<string, number>();
    let seq = 0;
    for (const e of past) {
      versions.set(e.aggregate_id, Math.max(versions.get(e.aggregate_id) ?? 0, e.version));
      seq = Math.max(seq, e.seq);
    }
    return (p: PendingEvent): EventEnvelope => {
      const version = (versions.get(p.aggregate_id) ?? 0) + 1;
      versions.set(p.aggregate_id, version);
      seq += 1;
      const envelope = {
        event_id: `e${seq}`,
        user_id: userId,
        version,
        seq,
        timestamp,
        correlation_id: 'c',
        causation_id: null,
      };
      return { ...p, ...envelope };
    };
  };
  const fold = (events: readonly EventEnvelope[], aggregateId: string | undefined): State =>
    events.filter((e) => e.aggregate_id === aggregateId).reduce(decider.evolve, decider.initialState());

  return (...given) => {
    const past: EventEnvelope[] = [];
    const stampPast = stamper([], new Date(0).toISOString());
    for (const e of given) {
      if (isOutcome(e)) past.push(...e.history);
      else past.push(isStamped(e) ? e : stampPast(e));
    }
    const stream = past[0]?.aggregate_id;
    return {
      when(command, ...rest) {
        const context = rest[0] as Context;
        let emitted: EventEnvelope[] = [];
        let error: unknown;
        try {
          const timestamp = (options.clock?.(context) ?? new Date(0)).toISOString();
          const pending =
            'collection' in decider
              ? decider.decide(
                  command,
                  [...new Set(past.map((e) => e.aggregate_id))].map((id) => fold(past, id)),
                  context,
                )
              : decider.decide(command, fold(past, stream), context);
          emitted = pending.map(stamper(past, timestamp));
        } catch (caught) {
          error = caught;
        }
        const history = [...past, ...emitted];
        const id =
          'collection' in decider ? (emitted[0]?.aggregate_id ?? stream) : (stream ?? emitted[0]?.aggregate_id);
        const ok = <T>(value: () => T): T => {
          if (error !== undefined) throw error;
          return value();
        };
        const outcome: Outcome<State> = {
          get events() {
            return ok(() => emitted);
          },
          get history() {
            return ok(() => history);
          },
          get state() {
            return ok(() => fold(history, id));
          },
          stateOf: (aggregateId) => ok(() => fold(history, aggregateId)),
          streamOf: (aggregateId) => ok(() => history.filter((e) => e.aggregate_id === aggregateId)),
          error,
          // biome-ignore lint/suspicious/noThenProperty: given/when/then is the specification's wording; an outcome is synchronous and refuses to be awaited (below).
          then(expected, message) {
            if (typeof expected === 'function')
              throw new TypeError('a decider outcome is not a promise: do not await it');
            const label = message ? `${message}: ` : '';
            if (expected instanceof Refusal) {
              if (error === undefined) {
                t.fail(
                  `${label}expected a ${expected.code} refusal, got ${JSON.stringify(emitted.map((e) => e.event_type))}`,
                );
                return outcome;
              }
              t.true(error instanceof DomainError, `${label}a DomainError, not ${String(error)}`);
              const refusal = error as DomainError;
              t.is(refusal.code, expected.code, `${label}code (${refusal.message})`);
              if (expected.field !== undefined)
                t.is(refusal.field, expected.field, `${label}field (${refusal.message})`);
              if (expected.message) t.regex(refusal.message, expected.message, `${label}message`);
              return outcome;
            }
            if (error !== undefined) {
              t.fail(`${label}decide refused: ${error instanceof Error ? error.message : String(error)}`);
              return outcome;
            }
            if (Array.isArray(expected)) {
              const wanted = expected as readonly ExpectedEvent[];
              const typeOf = (e: ExpectedEvent) => (typeof e === 'string' ? e : e.event_type);
              t.deepEqual(
                emitted.map((e) => e.event_type),
                wanted.map(typeOf),
                `${label}event types`,
              );
              wanted.forEach((want, i) => {
                const got = emitted[i];
                if (typeof want === 'string' || !got) return;
                if (want.aggregate_type !== undefined)
                  t.is(got.aggregate_type, want.aggregate_type, `${label}events[${i}].aggregate_type`);
                if (want.aggregate_id !== undefined)
                  t.is(got.aggregate_id, want.aggregate_id, `${label}events[${i}].aggregate_id`);
                if (want.exact)
                  t.deepEqual(got.data, want.data ?? {}, `${label}events[${i}] (${want.event_type}).data`);
                else
                  for (const [key, value] of Object.entries(want.data ?? {})) {
                    t.deepEqual(got.data[key], value, `${label}events[${i}] (${want.event_type}).data.${key}`);
                  }
              });
              return outcome;
            }
            const after = fold(history, id);
            if (expected === null) t.is(after, null as State, `${label}no state`);
            else t.like(after as Record<string, unknown>, expected as Record<string, unknown>, `${label}state`);
            return outcome;
          },
        };
        return outcome;
      },
    };
  };
}
