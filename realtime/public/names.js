// How names compare, as the server does (actors/name-key.ts: PostgreSQL's lower(), one character at a time).

/** `name` as labels are unique by it: 'İstanbul' and 'istanbul' are one name; 'ς' and 'σ' are not. */
export function nameKey(name) {
  let out = '';
  for (const c of name) out += c === 'İ' ? 'i' : c.toLowerCase();
  return out;
}
