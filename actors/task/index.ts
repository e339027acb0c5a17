// The task decider: decide / evolve / initialState, no I/O.
export {
  decide,
  checkSeriesRule,
  type DecideContext,
  EARLY_TOLERANCE_MS,
  LATE_AFTER_MS,
  LEFT_NO_TIME,
  reachesTooFar,
} from './decide.ts';
export { evolve, fold } from './evolve.ts';
export {
  initialState,
  visibleVersion,
  matchesVersion,
  type TaskState,
  type ReminderState,
  type ReminderSnapshot,
  MAX_REMINDERS,
  MAX_TITLE,
  MAX_DESCRIPTION,
  MAX_TASK_LABELS,
  MIN_PRIORITY,
  MAX_PRIORITY,
  DEFAULT_PRIORITY,
} from './state.ts';
export { RECURRENCE_MODES, type RecurrenceMode } from './state.ts';
export { nextAfterCompletion, afterCompletionProblem } from './after-completion.ts';
export type { TaskCommand, ReminderSpec } from './commands.ts';
export { seriesStart, startOf } from './series.ts';
