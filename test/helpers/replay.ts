// A replay of a running app is only comparable once the app's own timers have stopped writing: a reminder
// that fires, or a series that spawns, while the replay reads counts that task as `changed` (neither matched
// nor mismatched). Tests that compare a replay with the rows ask again until one replay saw nothing change.
import { replay, type ReplayOptions, type ReplayReport } from '../../host/replay-core.ts';
import { eventuallyValue } from './eventually.ts';

/**
 * Replays until a replay ran with no task written meanwhile (`changed === 0`), and returns that report.
 *
 * @throws Error from `eventuallyValue` if the app is still writing at the deadline (60 s).
 */
export function replayAtRest(options: ReplayOptions): Promise<ReplayReport> {
  return eventuallyValue(
    () => replay(options),
    (report) => report.changed === 0,
    { what: 'a replay during which no task was written' },
  );
}
