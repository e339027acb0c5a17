// Instants and zones as the task decider reads them from input.
import { DateTime, IANAZone } from 'luxon';
import { invalid } from '../errors.ts';
import { localToInstant } from '../recurrence.ts';

export function isZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export function checkZone(field: string, zone: string): string {
  if (!isZone(zone)) throw invalid(field, `"${zone}" is not an IANA time zone (e.g. Europe/Berlin)`);
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

const HAS_OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * Reads an ISO-8601 date-time as an instant. With an offset or Z it is that instant; without one it is
 * a wall-clock time in `zone` (a time in a DST gap moves forward by the gap, an ambiguous one takes the
 * earlier instant). A date alone means 00:00 that day in `zone`. Returns canonical UTC ISO (ms).
 */
export function readInstant(field: string, value: string, zone: string): string {
  const text = value.trim();
  if (HAS_OFFSET.test(text) && text.includes('T')) {
    const dt = DateTime.fromISO(text, { setZone: true });
    if (!dt.isValid) throw invalid(field, `"${value}" is not an ISO-8601 date-time`);
    return new Date(dt.toMillis()).toISOString();
  }
  const local = DateTime.fromISO(text, { zone: 'utc' });
  if (!local.isValid) throw invalid(field, `"${value}" is not an ISO-8601 date-time`);
  const instant = localToInstant({ year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute, second: local.second }, zone);
  return new Date(instant.getTime() + local.millisecond).toISOString();
}

export const iso = (date: Date): string => date.toISOString();
export const ms = (isoText: string): number => Date.parse(isoText);
