// How names compare (labels are unique by it; quick add and search find lists and labels by it). Pure.

/**
 * A name as the database compares names: PostgreSQL's lower(), which maps one character at a time (libc's
 * towlower; the unique index labels_name is on lower(name)). JavaScript's toLowerCase differs on 'İ' (two
 * characters, i and a combining dot, where the database gives 'i') and on a final 'Σ' ('ς' by context, where
 * the database gives 'σ'): quick add showed '@İstanbul' as a new label beside 'istanbul', which saving then
 * refused as taken.
 */
export function nameKey(name: string): string {
  let out = '';
  for (const c of name) out += c === 'İ' ? 'i' : c.toLowerCase();
  return out;
}
