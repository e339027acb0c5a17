// The rules for text from outside and for user ids, with no imports of their own, so the request schemas
// (api/schemas.ts), token verification (api/auth.ts) and token issuing (api/tokens.ts, host/token.ts)
// all use them without importing one another.

const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * The one rule for strings from outside: no NUL, no unpaired UTF-16 surrogate (neither fits PostgreSQL's
 * text or jsonb), and no other C0 control character or DEL — except tab, line feed and carriage return
 * in multi-line text (descriptions). Returns what is wrong (a phrase to follow the field's name), or
 * null when the string is acceptable.
 */
export function textProblem(value: string, options: { multiline?: boolean } = {}): string | null {
  if (value.includes('\u0000')) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'must not contain an unpaired UTF-16 surrogate (not valid Unicode text)';
  const control = (options.multiline ? CONTROL_MULTILINE : CONTROL).exec(value);
  if (control)
    return `must not contain control characters (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})${options.multiline ? ' other than tab and line breaks' : ''}`;
  return null;
}

export const MAX_SUBJECT = 128;
const FORMAT_CHARACTER = /\p{Cf}/u;

/**
 * The one rule for user ids (a token's `sub`, POST /auth/dev-token's `user_id`, `npm run token`'s
 * argument): 1 to 128 UTF-16 code units, the rule for strings (`textProblem`: no control characters),
 * no Unicode format character (general category Cf: bidi overrides such as U+202E, zero-width
 * characters, soft hyphen), no leading or trailing whitespace, and not `.` or `..` (path segments).
 * Everything else an identity provider issues passes: `auth0|123`, `google-oauth2|1093…`, e-mail
 * addresses, UUIDs, non-ASCII letters. Returns what is wrong (a phrase to follow the field's name), or
 * null when the id is acceptable.
 */
export function subjectProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUBJECT)
    return `must be a string of 1-${MAX_SUBJECT} characters`;
  const text = textProblem(value);
  if (text !== null) return text;
  const format = FORMAT_CHARACTER.exec(value);
  if (format)
    return `must not contain Unicode format characters (U+${(format[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}: bidi controls, zero-width characters)`;
  if (value.trim() !== value) return 'must not begin or end with whitespace';
  if (value === '.' || value === '..') return 'must not be "." or ".."';
  return null;
}
