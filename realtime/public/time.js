// Instants, zones and durations as the dashboard shows them. Pure: every function is given its zone.

const formatters = new Map();

/** A cached Intl.DateTimeFormat: 'parts' (numeric, for inputs), 'time' (hh:mm) or 'date' (weekday, date, time). */
export function formatter(zone, kind) {
  const key = `${zone}|${kind}`;
  let f = formatters.get(key);
  if (!f) {
    f =
      kind === 'parts'
        ? new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
            hourCycle: 'h23',
          })
        : kind === 'time'
          ? new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: 'numeric', minute: '2-digit' })
          : new Intl.DateTimeFormat(undefined, {
              timeZone: zone,
              weekday: 'short',
              year: 'numeric',
              month: 'short',
              day: 'numeric',
              hour: 'numeric',
              minute: '2-digit',
            });
    formatters.set(key, f);
  }
  return f;
}

/** True when this browser knows the IANA zone name. */
export function validZone(zone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Zone names the browser's ICU still gives in their old spelling (CLDR keeps them as its canonical IDs),
 * with the name the IANA tz database uses today: both name the same zone and the server takes either, but
 * people look for Kyiv, Kolkata and Ho Chi Minh City under today's names (tzdata's `backward` file).
 */
const RENAMED = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * `zone` under the name the tz database uses today (the browser may give an old spelling) — when this
 * browser knows that name too (an older ICU may not: then the old one, which it can show).
 */
export const currentZoneName = (zone) => {
  const renamed = RENAMED[zone];
  if (!renamed) return zone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: renamed });
    return renamed;
  } catch {
    return zone;
  }
};

/** The zone names this browser knows (at least UTC), under today's names. */
export const zoneNames = (() => {
  try {
    return [...new Set(Intl.supportedValuesOf('timeZone').map(currentZoneName))];
  } catch {
    return ['UTC'];
  }
})();

/** This browser's zone, under today's name. */
export const deviceZone = () => currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone);

/** Formats a wall-clock time of day as this browser's locale writes times (9:00 AM, 09:00, 9.00 …). */
const clockFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', hour: 'numeric', minute: '2-digit' });

/**
 * A wall-clock time of day, 'HH:MM' (a reminder's `at_time`, a rule's BYHOUR and BYMINUTE, the snooze to
 * 09:00), written as every instant on the page is (the locale's 12- or 24-hour clock): 'Tomorrow 09:00' beside
 * '2:30 PM' read as two clocks. Anything that is not 'HH:MM' is returned as given.
 */
export function clockTime(hhmm) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm ?? '');
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return hhmm;
  return clockFormat.format(Date.UTC(2000, 0, 1, Number(m[1]), Number(m[2])));
}

/** An instant shown in `zone`; '—' for none. */
export function fmt(iso, zone) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : formatter(zone, 'date').format(date);
}

/** An instant as the value of <input type="datetime-local"> (wall-clock time in `zone`). */
export function toLocalInput(iso, zone) {
  if (!iso) return '';
  const parts = Object.fromEntries(
    formatter(zone, 'parts')
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** Weekday (0 = Monday) and day of month of a datetime-local value, read as a calendar date. */
export function calendarOf(local) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(local ?? '');
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return { weekday: (date.getUTCDay() + 6) % 7, day: Number(m[3]) };
}

/** An ISO 8601 duration (PT1H, P1D, …) in words: "1 hour", "2 days", "10 min". */
export function humanDuration(iso) {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(iso ?? '');
  if (!m) return String(iso);
  const units = [
    ['week', m[1]],
    ['day', m[2]],
    ['hour', m[3]],
    ['min', m[4]],
    ['s', m[5]],
  ];
  const out = units
    .filter(([, n]) => n && Number(n) !== 0)
    .map(([unit, n]) => `${Number(n)} ${unit}${Number(n) === 1 || unit === 'min' || unit === 's' ? '' : 's'}`);
  return out.length ? out.join(' ') : '0 min';
}
