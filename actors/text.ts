// How long a text is, as the limits mean it: in characters (Unicode code points), as PostgreSQL's length()
// and JSON Schema's maxLength count, not in UTF-16 code units (where an emoji counts 2).

/** The number of code points in `text`. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
