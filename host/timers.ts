// The sweeper's view of the database (DueTimersPort): PostgreSQL names the candidate tasks (host/tasks/
// store.ts: timerCandidates), and which of their timers are due is decided by `timersOf`, the same pure
// function the turns arm timers with, so the sweeper never disagrees with a turn about a timer's name,
// whether it is still wanted, or when it is due.
import type { Db } from './db/index.ts';
import type { DueTimersPort } from '../actors/runtime/sweeper.ts';
import { timersOf, type Timer } from '../actors/task/timers.ts';
import { timerCandidates } from './tasks/store.ts';

export function dueTimers(db: Db): DueTimersPort {
  return {
    async due(until, limit) {
      const candidates = await timerCandidates(db, new Date(until).toISOString(), limit);
      const timers: Timer[] = candidates.flatMap(({ task, userTimezone }) =>
        timersOf(task, userTimezone).filter((t) => t.dueAt <= until),
      );
      return timers.sort((a, b) => a.dueAt - b.dueAt).slice(0, limit);
    },
  };
}
