// The one validator for IANA time-zone names. The task decider, the user decider, the recurrence
// module and every route that takes a zone use it, so a name is accepted, refused and kept alike
// everywhere. It is also the one place a name becomes a luxon zone (`ianaZone`), so no module resolves
// a name the validator has not accepted.
//
// Source of the rule: DESIGN.md, "Zones are kept as written (IANA name validated, never replaced by a
// backward link)". The runtime's ICU resolves a name to its own canonical id, which for many zones is
// an old IANA backward link (Europe/Kyiv → Europe/Kiev, Asia/Kolkata → Asia/Calcutta, America/Nuuk →
// America/Godthab, …), so a valid name is kept as IANA spells it, never replaced by that id.
//
// Spellings are bounded: a name is accepted exactly as IANA spells it (zones and links, zone-names.ts)
// or as the runtime lists it (`Intl.supportedValuesOf('timeZone')`), or in any other letter case
// normalised to that one spelling ("europe/kyiv" → "Europe/Kyiv"). So luxon, which keeps a zone object
// and an Intl.DateTimeFormat per spelling for the life of the process, only ever sees a fixed set of
// names (were any capitalisation passed on, requests could grow memory without limit).
import { IANAZone } from 'luxon';
import { invalid } from './errors.ts';
import { IANA_ZONE_NAMES } from './zone-names.ts';

/** Longest zone name accepted (the longest IANA name, America/Argentina/ComodRivadavia, has 32). */
export const MAX_ZONE_LENGTH = 64;

/** Letters, digits and the separators IANA names use ("Etc/GMT+5", "America/Port-au-Prince"). */
const ZONE_NAME = /^[A-Za-z0-9_+\-/]+$/;

/** Lower-cased name → its one accepted spelling (IANA's, else the runtime's), for names the runtime knows. */
const SPELLING: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  const runtime = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  for (const name of [...IANA_ZONE_NAMES, ...runtime]) {
    const key = name.toLowerCase();
    if (map.has(key)) continue; // IANA's spelling first
    try {
      if (IANAZone.isValidZone(name)) map.set(key, name);
    } catch {
      // not known to this runtime's ICU: not accepted
    }
  }
  return map;
})();

/** The one accepted spelling of a zone name in any letter case (see the header), or null when it is not a zone. */
function resolved(name: string): string | null {
  if (name.length === 0 || name.length > MAX_ZONE_LENGTH || !ZONE_NAME.test(name)) return null;
  return SPELLING.get(name.toLowerCase()) ?? null;
}

/** Accepted spelling → the runtime's id for the zone it names (a link and its target share one). */
const IDENTITY = new Map<string, string>();

/**
 * True when `a` and `b` are zone names (any accepted spelling) for the same zone: the same name, or a link
 * and its target ("US/Eastern" and "America/New_York"), as this runtime's tz data resolves them. For a rule
 * that depends on the zone, not on how it was spelt (a series' written wall-clock start, actors/task/series.ts).
 */
export function sameZone(a: string, b: string): boolean {
  const x = resolved(a);
  const y = resolved(b);
  if (x === null || y === null) return false;
  return x === y || identity(x) === identity(y);
}

function identity(spelling: string): string {
  let id = IDENTITY.get(spelling);
  if (id === undefined) {
    id = new Intl.DateTimeFormat('en-US', { timeZone: spelling }).resolvedOptions().timeZone;
    IDENTITY.set(spelling, id);
  }
  return id;
}

/** True when `zone` is an IANA time-zone name this runtime knows, in any letter case (see the header). */
export function isZone(zone: unknown): zone is string {
  return typeof zone === 'string' && resolved(zone) !== null;
}

/**
 * The luxon zone for a name `isZone` accepts (offsets come from the runtime's ICU tz data), or null
 * for anything else. The one way modules turn a zone name into a zone; callers map null to their own
 * error (the task and user deciders: DomainError via `checkZone`; recurrence: 'invalid_timezone').
 * luxon is handed the name's one accepted spelling, so it caches a bounded set of zones.
 */
export function ianaZone(zone: unknown): IANAZone | null {
  const name = typeof zone === 'string' ? resolved(zone) : null;
  return name === null ? null : IANAZone.create(name);
}

/**
 * The name to keep for a zone given as input: `zone` trimmed, in its one accepted spelling (IANA's:
 * "europe/kyiv" → "Europe/Kyiv", "Europe/Kiev" kept as sent; never the backward link the runtime
 * resolves a name to). Throws a DomainError `validation` naming `field` when `zone` is not an IANA
 * zone in any letter case.
 */
export function checkZone(field: string, zone: unknown): string {
  const name = typeof zone === 'string' ? zone.trim() : '';
  const id = resolved(name);
  if (id === null) {
    const shown =
      typeof zone === 'string' ? JSON.stringify(zone.length > 48 ? `${zone.slice(0, 48)}…` : zone) : String(zone);
    throw invalid(field, `${shown} is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  return id;
}
