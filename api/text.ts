// The rules for text from outside and for user ids, importing only the leaf actors/text.ts, so the request schemas
// (api/schemas.ts), token verification (api/auth.ts) and token issuing (api/tokens.ts, host/token.ts)
// all use them without importing one another.
import { charCount } from '../actors/text.ts';

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
export const FORMAT_CHARACTER = /\p{Cf}/u;

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
  // Characters are code points, as JSON Schema's maxLength and joi's chars() count them.
  if (typeof value !== 'string' || value.length === 0 || charCount(value) > MAX_SUBJECT)
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

/**
 * The characters of the Basic Multilingual Plane that `matches` (a one-character regex) takes, as the body
 * of a character class (`\\u00ad\\u0600-\\u0605…`): a rule given by Unicode properties, spelled out for
 * the OpenAPI document, whose patterns carry no flags and are read by other regex engines (a fuzzer's
 * Python) too. Computed once per rule at start (65,536 tests, about a millisecond).
 */
export function bmpClass(matches: RegExp): string {
  const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
  let out = '';
  let start = -1;
  for (let c = 0; c <= 0x10000; c++) {
    const taken = c < 0x10000 && (c < 0xd800 || c > 0xdfff) && matches.test(String.fromCharCode(c));
    if (taken && start < 0) start = c;
    if (!taken && start >= 0) {
      out += start === c - 1 ? hex(start) : `${hex(start)}-${hex(c - 1)}`;
      start = -1;
    }
  }
  return out;
}
