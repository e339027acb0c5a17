// The zone is the browser's (issue 16): a user nobody asked yet (GET /me says `timezone_chosen: false`,
// e.g. created by a first API call) gets this browser's zone at sign-in, through PATCH /me like any
// change; the header then says where it came from, and "Change zone" stays there to pick another.
import { api, ApiError } from './api.js';
import { currentZoneName, validZone } from './time.js';

/** This browser's IANA zone (Intl, under today's name: Asia/Kolkata, not Asia/Calcutta), or null when it has none the page knows. */
export function browserZone() {
  try {
    const zone = currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone);
    return zone && validZone(zone) ? zone : null;
  } catch {
    return null;
  }
}

/**
 * `me` (GET /me) with its zone chosen: unchanged when it was chosen already; else PATCH /me with the
 * browser's zone, and its answer marked `zone_from_browser`. When that fails (the server does not know
 * the zone, the network), `me` as it was: still UTC and not chosen, which the header says.
 * A 401 is thrown (the sign-in is over).
 */
export async function chooseBrowserZone(me) {
  if (me.timezone_chosen !== false) return me;
  const zone = browserZone();
  if (!zone) return me;
  try {
    const chosen = await api('PATCH', '/me', { timezone: zone });
    return { ...chosen, zone_from_browser: true };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return me;
  }
}
