/**
 * The one error type of the recurrence module. Every refusal names what it refuses:
 * - `code` says which input is wrong and how: 'invalid_rule' (not RFC 5545 RRULE syntax, or values out
 *   of RFC 5545 §3.3.10's ranges), 'unsupported_rule' (valid RFC 5545, outside the supported subset),
 *   'invalid_timezone' (not an IANA zone, see actors/zone.ts), 'invalid_start' (DTSTART / wall-clock
 *   time), 'budget_exceeded' (the series could need more than EXPANSION_BUDGET steps);
 * - `part` names the offending RRULE part ('FREQ', 'BYDAY', 'UNTIL', 'RRULE' for the rule as a whole,
 *   …), or 'timezone', 'start', 'wall';
 * - `message` begins with the input it is about ('recurrence_rule: …', 'timezone: …', 'start: …',
 *   'wall-clock time: …').
 * The task decider wraps it as a DomainError on the command's field; api/errors.ts maps one met by
 * /recurrence/preview to a 400 naming `rule`, `timezone` or `start`.
 */
export type RecurrenceErrorCode =
  | 'invalid_rule'
  | 'unsupported_rule'
  | 'invalid_timezone'
  | 'invalid_start'
  | 'budget_exceeded';

export class RecurrenceError extends Error {
  readonly code: RecurrenceErrorCode;
  readonly part: string | undefined;

  constructor(code: RecurrenceErrorCode, message: string, part?: string) {
    super(message);
    this.name = 'RecurrenceError';
    this.code = code;
    this.part = part;
  }
}
