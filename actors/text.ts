// How long a text is, as the limits mean it: in characters (Unicode code points), as PostgreSQL's length()
// and JSON Schema's maxLength count, not in UTF-16 code units (where an emoji counts 2).

/** The number of code points in `text`. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Characters that show nothing: white space, the default-ignorable code points (Unicode's
 * Default_Ignorable_Code_Point: format characters such as U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN, U+2060
 * WORD JOINER, and fillers such as U+3164 HANGUL FILLER) and U+2800 BRAILLE PATTERN BLANK.
 */
const INVISIBLE = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]*$/u;
/** One character that shows nothing (INVISIBLE's class). */
export const INVISIBLE_CHARACTER = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** True when `text` has no visible character (empty included): a title or a name that would show as nothing. */
export function isBlank(text: string): boolean {
  return INVISIBLE.test(text);
}
