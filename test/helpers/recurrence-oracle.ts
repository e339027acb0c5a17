// The recurrence oracle (test/fixtures/recurrence-oracle.json: python-dateutil's rrule and zoneinfo, made by
// test/fixtures/gen-recurrence-oracle.py), typed, for the tests that check our engine and our rule text
// against it.
import { readFileSync } from 'node:fs';

/** One rule expanded by the oracle: `expected` are the instants (UTC ISO) from `start` in `zone`. */
export interface OracleCase {
  id: number;
  rule: string;
  start: string;
  zone: string;
  after?: string;
  until?: string;
  limit: number;
  expected: string[];
}

/** A wall-clock time in a zone and the instant the oracle gives it (fold = 0). */
export interface WallCase {
  zone: string;
  wall: string;
  expected: string;
}

export interface OracleFile {
  tzdata: string;
  expected_kinds: Record<string, number>;
  wallCases: WallCase[];
  cases: OracleCase[];
}

export const oracle = JSON.parse(
  readFileSync(new URL('../fixtures/recurrence-oracle.json', import.meta.url), 'utf8'),
) as OracleFile;
