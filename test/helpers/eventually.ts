// The one poll-until-deadline of the suite: a test that waits for something to happen asks `check`
// again and again, and fails naming what it waited for (and the last answer) once the deadline passes.
// A deadline is a bound on waiting, not a margin: a passing run goes on the moment `check` holds.

/** What `eventually` waits with. */
export interface EventuallyOptions {
  /** What is awaited, for the error at the deadline (e.g. "the reminder fired"). */
  what: string;
  /** How long to keep asking, in ms (default 60,000): only a broken run waits this long. */
  timeoutMs?: number;
  /** Pause between two asks, in ms (default 100). */
  intervalMs?: number;
  /** When true, an ask that throws counts as "not yet" (a service still starting); by default it fails at once. */
  ignoreErrors?: boolean;
}

/** A value `eventually` takes for "not yet". */
type NotYet = false | undefined | null;

/**
 * Asks `check` until it returns something other than `false`, `undefined` or `null`, and resolves with that.
 *
 * @param check the question; a boolean predicate, or a probe returning a value once there is one.
 * @throws Error `"<what>: not within <timeoutMs> ms (last: <last answer or error>)"` once `timeoutMs` has
 *   passed; the error of `check` itself at once unless `ignoreErrors`.
 */
export function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions): Promise<Exclude<T, NotYet>> {
  return eventuallyValue(
    check,
    (value): value is Exclude<T, NotYet> => value !== false && value !== undefined && value !== null,
    options,
  );
}

/**
 * Asks `get` until `done` holds for its answer, and resolves with that answer; at the deadline fails
 * with the last answer, as `eventually` does.
 */
export async function eventuallyValue<T, D extends T = T>(
  get: () => T | Promise<T>,
  done: ((value: T) => value is D) | ((value: T) => boolean),
  options: EventuallyOptions,
): Promise<D> {
  const { what, timeoutMs = 60_000, intervalMs = 100, ignoreErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await get();
      if (done(value)) return value as D;
      last = value;
    } catch (error) {
      if (!ignoreErrors) throw error;
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${describe(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Resolves as `promise` does, for a thing that happens once (a process exits, a socket closes); rejects
 * with `"<what>: not within <ms> ms"` once `ms` have passed without it. A bound on waiting, not a margin.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
