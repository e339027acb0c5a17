// Typed domain errors. The API maps `code` to an HTTP status; `field` names the offending input.
export type DomainErrorCode =
  | 'validation' // 400: a value is malformed or out of range
  | 'unsupported' // 400: outside what tasklane supports (e.g. an RRULE part)
  | 'not_found' // 404: no such task/reminder for this user (or it was deleted)
  | 'conflict' // 409: the command does not apply in the current state
  | 'forbidden' // 403: the caller may see the aggregate but not do this to it (an editor doing an owner's act)
  | 'version_mismatch' // 412: If-Match did not match the current version
  | 'key_reused'; // 422: an Idempotency-Key already answered a different request

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (field: string, message: string): DomainError =>
  new DomainError('validation', `${field}: ${message}`, field);
/**
 * The path of `key` inside `field`, as the API names request fields (api/errors.ts): `reminders[0].at`
 * inside a create's list; plain `at` when `field` is '' (the request body itself is the object, as in
 * POST /tasks/{id}/reminders), so joi's check and the decider's name a field the same way.
 */
export const fieldIn = (field: string, key: string): string => (field === '' ? key : `${field}.${key}`);
/** `what` not found; `field` names the request field that named it (a body's `user_id`), none for the path. */
export const notFound = (what: string, field?: string): DomainError =>
  new DomainError('not_found', `${what} not found`, field);
/** The command does not apply in the current state; `field` names the request field it is about, if one. */
export const conflict = (message: string, field?: string): DomainError => new DomainError('conflict', message, field);
