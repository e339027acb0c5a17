// The time-zone rules the app runs with. Every zoned time in tasklane (due dates, recurrence, reminders, the
// views' day windows) comes from luxon, which reads Intl, which reads ICU's zone data: the data inside the
// Node binary is as old as the Node release (Node 20.20: tzdata 2025c), and governments change their clocks
// more often than that. host/tzdata/ holds a newer release of that same data in ICU's own format, and ICU
// reads it in place of its built-in copy when ICU_TIMEZONE_FILES_DIR names the folder as the process starts
// (ICU reads the variable once, before any code of ours runs: it cannot be set from inside the process, nor
// through --env-file). host/node-flags.ts gives it to every way of starting the app; tools/tzdata.ts brings a
// newer release (README, "Time zone data").
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The folder of the bundled ICU zone data (zoneinfo64.res, timezoneTypes.res, metaZones.res, windowsZones.res). */
export const TZDATA_DIR = path.join(import.meta.dirname, 'tzdata');

/**
 * Where the bundled data came from (host/tzdata/source.json, written by tools/tzdata.ts): `tzdata` is the IANA
 * release ('2026e'), `icu4j` the com.ibm.icu:icu4j version on Maven Central whose jar carried it, `sha1` that
 * jar's checksum as Maven Central publishes it.
 */
export interface TzdataSource {
  tzdata: string;
  icu4j: string;
  sha1: string;
}

export const BUNDLED_TZDATA: TzdataSource = JSON.parse(readFileSync(path.join(TZDATA_DIR, 'source.json'), 'utf8'));

/**
 * Whether the running process's zone rules are older than the bundled ones (`running` as
 * `process.versions.tz` spells it, '2025c'): it was started without ICU_TIMEZONE_FILES_DIR naming
 * TZDATA_DIR ('' for a Node without ICU: older). IANA versions are a year and a letter, so they order as
 * strings.
 */
export function runsOlderTzdata(running: string = process.versions.tz ?? ''): boolean {
  return running < BUNDLED_TZDATA.tzdata;
}
