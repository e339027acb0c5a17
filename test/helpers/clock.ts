// The time a test app runs on, and how a test makes it pass. A manual clock stands still until the test
// moves it (startTestApp({ clock })), so a timer fires when the test says and its lateness is exact; the
// wall clock is for runtimes whose timers the app does not hold (Dapr's reminders live in its Scheduler).

/** The app's time as a test sees it and moves it. */
export interface TestClock {
  /** The app's time now, epoch ms. */
  now(): number;
  /** Returns once the app's time is `at` (epoch ms) or later: a manual clock is set there, the wall clock is waited for. */
  reach(at: number): Promise<void>;
  /**
   * How far ahead of `now()` a test schedules, in ms, so the request that arms a timer is answered before
   * the timer is due. On the wall clock a scenario doubles it when a busy machine answered too late.
   */
  readonly leadMs: number;
  /** True when the app's time moves only in `reach`: a timer then fires at exactly the time it was set to. */
  readonly manual: boolean;
  /** Runs `body` alone on this clock (a manual clock is shared by every scenario on its app). */
  exclusive<T>(body: () => Promise<T>): Promise<T>;
}

/**
 * A clock that moves only when told, starting at a whole second near the wall clock. Pass `date` to the
 * app (startTestApp({ clock: c.date })). Its lead is an hour: beyond the direct runtime's in-memory
 * horizon and the sweeper's lookahead, so nothing armed fires until the test moves the clock.
 */
export class ManualClock implements TestClock {
  readonly leadMs = 3_600_000;
  readonly manual = true;
  private ms: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(start = Math.ceil(Date.now() / 1000) * 1000) {
    this.ms = start;
  }

  now(): number {
    return this.ms;
  }

  readonly date = (): Date => new Date(this.ms);

  /** Moves the clock forward to `at`; never backward (the app's time, like the wall clock's, only grows). */
  async reach(at: number): Promise<void> {
    this.ms = Math.max(this.ms, at);
  }

  exclusive<T>(body: () => Promise<T>): Promise<T> {
    const run = this.tail.then(body, body);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** The wall clock, for the Dapr runtime. A lead of 5 s, doubled by a scenario when the machine was slower. */
export const wallClock: TestClock = {
  leadMs: 5000,
  manual: false,
  now: () => Date.now(),
  async reach(at) {
    for (let left = at - Date.now(); left > 0; left = at - Date.now())
      await new Promise((r) => setTimeout(r, Math.min(left, 200)));
  },
  exclusive: (body) => body(),
};
