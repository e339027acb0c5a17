// The one validator for IANA time-zone names. The task decider, the user decider, the recurrence
// module and every route that takes a zone use it, so a name is accepted, refused and kept alike
// everywhere. It is also the one place a name becomes a luxon zone (`ianaZone`), so no module resolves
// a name the validator has not accepted.
//
// Source of the rule: DESIGN.md, "Zones are kept as written (IANA name validated, never replaced by a
// backward link)". The runtime's ICU resolves a name to its own canonical id, which for many zones is
// an old IANA backward link (Europe/Kyiv → Europe/Kiev, Asia/Kolkata → Asia/Calcutta, America/Nuuk →
// America/Godthab, …). So the resolved id is used only to fix the letter case of a name that is
// itself that id ("europe/berlin" → "Europe/Berlin"); any other valid name is kept exactly as sent.
import { IANAZone } from 'luxon';
import { invalid } from './errors.ts';

/** Longest zone name accepted (the longest IANA name, America/Argentina/ComodRivadavia, has 32). */
export const MAX_ZONE_LENGTH = 64;

/** Letters, digits and the separators IANA names use ("Etc/GMT+5", "America/Port-au-Prince"). */
const ZONE_NAME = /^[A-Za-z0-9_+\-/]+$/;

/** Names already looked up (an Intl.DateTimeFormat costs tens of µs; expansions check their zone each time). */
const seen = new Map<string, string | null>();
const MAX_SEEN = 2048;

/** The runtime's canonical id for a valid name, or null when the runtime does not know the zone. */
function resolved(name: string): string | null {
  if (name.length === 0 || name.length > MAX_ZONE_LENGTH || !ZONE_NAME.test(name)) return null;
  const known = seen.get(name);
  if (known !== undefined) return known;
  let id: string | null = null;
  try {
    if (IANAZone.isValidZone(name)) id = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    id = null;
  }
  if (seen.size >= MAX_SEEN) seen.clear();
  seen.set(name, id);
  return id;
}

/** True when `zone` is an IANA time-zone name this runtime knows (case-insensitive, as ICU reads it). */
export function isZone(zone: unknown): zone is string {
  return typeof zone === 'string' && resolved(zone) !== null;
}

/**
 * The luxon zone for a name `isZone` accepts (offsets come from the runtime's ICU tz data), or null
 * for anything else. The one way modules turn a zone name into a zone; callers map null to their own
 * error (the task and user deciders: DomainError via `checkZone`; recurrence: 'invalid_timezone').
 */
export function ianaZone(zone: unknown): IANAZone | null {
  return isZone(zone) ? IANAZone.create(zone) : null;
}

/**
 * The name to keep for a zone given as input: `zone` trimmed, with its letter case fixed when it is the
 * runtime's canonical id in another case, otherwise exactly as sent (a current name such as
 * "Europe/Kyiv" is never replaced by the backward link the runtime resolves it to).
 * Throws a DomainError `validation` naming `field` when `zone` is not an IANA zone.
 */
export function checkZone(field: string, zone: unknown): string {
  const name = typeof zone === 'string' ? zone.trim() : '';
  const id = resolved(name);
  if (id === null) {
    const shown = typeof zone === 'string' ? JSON.stringify(zone.length > 48 ? `${zone.slice(0, 48)}…` : zone) : String(zone);
    throw invalid(field, `${shown} is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  return id.toLowerCase() === name.toLowerCase() ? id : name;
}
