// The user's zone for a browser test that runs on the wall clock and works out "today", "tomorrow" or other
// dates from it in that zone.
import { DateTime } from 'luxon';

/** The zone such a test prefers: UTC+14, as far ahead of UTC as any, no summer time. Its midnight is 10:00 UTC. */
export const FAR_ZONE = 'Pacific/Kiritimati';
/**
 * The zone used when FAR_ZONE's midnight is near: UTC−3:30 (UTC−2:30 in summer). The half-hour offset is worth
 * testing too. Its midnight is 6½ or 7½ hours from Kiritimati's.
 */
export const FALLBACK_ZONE = 'America/St_Johns';

/**
 * The zone to give the user (and the browser) in a test that works out dates from the wall clock in that zone.
 * If the zone's midnight passes while the test runs, the dates it worked out at the start are no longer the
 * app's: "today" becomes yesterday, a task due at 23:59 turns overdue, the Upcoming days move. The test then
 * fails (a run at 10:00 UTC failed this way in Kiritimati).
 *
 * Returns FAR_ZONE unless its midnight is within `hours` (default 2) of `now` (default: the wall clock),
 * before or after, bounds included (22:00 to 02:00 local by default). In that case it returns FALLBACK_ZONE,
 * whose midnight is then at least 4½ hours away (with the default). Checking after midnight as well costs
 * nothing: the fallback tests the same things.
 * Throws a RangeError if both midnights are that near, which can happen only when `hours` is 3¼ or more.
 */
export function zoneAwayFromMidnight(options: { hours?: number; now?: DateTime } = {}): string {
  const hours = options.hours ?? 2;
  const now = options.now ?? DateTime.now();
  for (const zone of [FAR_ZONE, FALLBACK_ZONE]) {
    if (fromMidnightMs(now, zone) > hours * 3_600_000) return zone;
  }
  throw new RangeError(`both ${FAR_ZONE} and ${FALLBACK_ZONE} are within ${hours} h of midnight at ${now.toISO()}`);
}

/** How far `now` is from the nearest local midnight in `zone` (the one before or the one after), in ms. */
function fromMidnightMs(now: DateTime, zone: string): number {
  const local = now.setZone(zone);
  const start = local.startOf('day');
  return Math.min(local.diff(start).toMillis(), start.plus({ days: 1 }).diff(local).toMillis());
}
