// The header: connection indicator, who is signed in and in which zone (with the zone form), desktop
// notifications, sign-out.
import { $, zoneSelect, formError } from './dom.js';
import { update, subscribe, userZone } from './store.js';
import { api } from './api.js';
import { canAskForNotifications } from './notifications.js';
import { currentZoneName, deviceZone } from './time.js';

const CONNECTION_TEXT = {
  live: 'Live',
  offline: 'Offline: nothing can be saved until the connection is back',
  polling: 'Polling every 30 s (live connection unavailable)',
  unauthorized: 'Signed out',
  stopped: 'Not connected',
};

/** The indicator of the live connection (a SyncClient state and its detail). */
export function showConnection(state, detail) {
  const el = $('#conn');
  el.dataset.state = state;
  el.textContent =
    state === 'connecting'
      ? detail.reconnecting
        ? 'Reconnecting…'
        : 'Connecting…'
      : (CONNECTION_TEXT[state] ?? state);
  el.title = detail.reason || detail.error || '';
}

export function setupHeader({ signOut }) {
  $('#sign-out').addEventListener('click', () => signOut());
  // On a phone the account line folds behind ⋯ (style.css): the tasks get the screen.
  const toggle = $('#who-toggle');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    $('#who').classList.toggle('open', open);
  });
  subscribe((s) => {
    $('#user-zone').textContent = userZone();
    // Never silently UTC: say when the zone was taken from this browser, or was never chosen.
    // And when this browser is elsewhere (a trip): its "today" is not the one the lists show.
    const device = deviceZone();
    $('#zone-note').textContent = !s.me
      ? ''
      : s.me.timezone_chosen === false
        ? '(not chosen yet: pick yours)'
        : s.me.zone_from_browser
          ? '(from this browser)'
          : device && device !== currentZoneName(userZone())
            ? `(this browser is in ${device})`
            : '';
    if (s.me) $('#user-id').textContent = s.me.id;
  });

  const zoneForm = $('#zone-form');
  $('#zone-edit').addEventListener('click', () => {
    const select = zoneSelect('zone-select', userZone());
    const device = deviceZone();
    $('#zone-select').replaceWith(select);
    if (device && device !== userZone()) select.value = device;
    zoneForm.hidden = false;
    select.focus();
  });
  const closeZoneForm = () => {
    zoneForm.hidden = true;
    $('#zone-edit').focus();
  };
  $('#zone-cancel').addEventListener('click', closeZoneForm);
  // Esc closes it, as it closes the dialogs (the keyboard help says so).
  zoneForm.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || zoneForm.hidden) return;
    e.preventDefault();
    e.stopPropagation();
    closeZoneForm();
  });
  zoneForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const error = formError(zoneForm);
    void (async () => {
      try {
        const me = await api('PATCH', '/me', { timezone: $('#zone-select').value });
        update((s) => {
          s.me = { ...s.me, timezone: me.timezone, timezone_chosen: true, zone_from_browser: false };
        });
        zoneForm.hidden = true;
        error.textContent = '';
        $('#zone-edit').focus();
      } catch (err) {
        error.textContent = err.message;
      }
    })();
  });

  const notify = $('#notify-enable');
  const refreshNotify = () => {
    notify.hidden = !canAskForNotifications();
  };
  notify.addEventListener('click', async () => {
    try {
      await Notification.requestPermission();
    } catch {
      /* ignored */
    }
    refreshNotify();
  });
  refreshNotify();
}
