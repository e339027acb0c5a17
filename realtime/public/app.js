// tasklane dashboard: bootstrap. Native ES modules, no build step; lit-html (served from
// node_modules at /vendor/lit-html/) renders the task list. One concern per module:
//   store.js            the state, in one store         auth.js              the sign-in token
//   api.js              REST calls (Idempotency-Key)     client.js            the event stream (SyncClient)
//   tasks.js            tasks from REST and events       task-state.js        a task's evolve (golden-tested)
//   task-list.js        the list view                    editor.js            inline edit and its conflicts
//   views.js            what is shown, paged by cursor   sidebar.js           views, lists, search, sort
//   labels.js           label chips and the picker       shortcuts.js         keyboard shortcuts and their help
//   create-form.js      the New task form                recurrence-picker.js / rules.js   recurrence
//   quick-add.js        quick add in plain words, previewed by the server
//   reminder-chooser.js reminder choice                  notifications.js     fired and missed reminders, snooze
//   zone-choice.js      the browser's zone at sign-in    sw.js                desktop notifications' actions
//   history.js          a task's history                 header.js            connection, zone, sign-out
//   calendar-feed.js    the calendar feed URL (make, rotate, revoke)
//   sharing.js          shared lists: members dialog, invitations, membership events
//   toasts.js, a11y.js, dom.js, time.js                  small helpers
import { SyncClient, readStoredSeq } from './client.js';
import { $ } from './dom.js';
import { getState, update, resetSession, inboxList } from './store.js';
import { api, ApiError, onUnauthorized } from './api.js';
import { storedToken, forgetToken, keepToken, tokenFromHash, devSignIn, userOfToken } from './auth.js';
import { applyEvent } from './tasks.js';
import { loadSidebar, showView, reload, refreshCounts, viewOfAddress, sameView } from './views.js';
import { inboxIdOf } from './inbox-id.js';
import { setupSidebar } from './sidebar.js';
import { setupShortcuts } from './shortcuts.js';
import { startTaskList } from './task-list.js';
import { setupCreateForm } from './create-form.js';
import { setupQuickAdd } from './quick-add.js';
import { setupHeader, showConnection } from './header.js';
import { chooseBrowserZone } from './zone-choice.js';
import { loadWaiting, setupNotificationActions } from './notifications.js';
import { setupCalendarFeed } from './calendar-feed.js';
import { setupSharing, sharingEvent, loadInvitations } from './sharing.js';

/** A persisted seq further behind than this is not replayed on load (the task list is fetched anyway). */
const MAX_REPLAY = 1000;
const RETRY_LOAD_MS = 3000;

function showSignIn(message = '') {
  $('#app').hidden = true;
  $('#who').hidden = true;
  $('#who-toggle').hidden = true;
  $('#signin').hidden = false;
  $('#signin-message').textContent = message;
  showConnection('stopped', {});
  $('#signin-user').focus();
}

function signOut(message = '') {
  forgetToken();
  resetSession();
  update((s) => {
    s.token = null;
  });
  showSignIn(message);
}

function setupSignIn() {
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const message = $('#signin-message');
    const userId = $('#signin-user').value.trim();
    if (!userId) {
      message.textContent = 'Enter a user id.';
      return;
    }
    void devSignIn(userId).then(({ token, message: why }) => {
      if (!token) {
        message.textContent = why;
        return;
      }
      message.textContent = '';
      keepToken(token);
      void boot(token);
    });
  });
}

/**
 * Signs in with `token`: who am I, the lists and labels, and the first page of the Inbox, all at once
 * (the Inbox id is computed from the token's user: inbox-id.js; prefetch.js may have asked already), the
 * tasks drawn as soon as their page arrives; then the counts and the live event stream from the right seq.
 */
async function boot(token) {
  resetSession();
  update((s) => {
    s.token = token;
    s.listStatus = 'Loading…';
  });
  $('#signin').hidden = true;
  $('#app').hidden = false;
  showConnection('connecting', {});
  const retry = (what, error) => {
    update((s) => {
      s.listStatus = `Could not load${what}: ${error.message} Retrying…`;
    });
    setTimeout(() => {
      if (getState().token === token) void boot(token);
    }, RETRY_LOAD_MS);
  };
  const guessed = userOfToken(token);
  // The view the address names (a reload, a bookmark), else the Inbox.
  const addressed = viewOfAddress();
  const inboxGuess = guessed ? { kind: 'list', listId: inboxIdOf(guessed) } : null;
  // A search alone is made from the Inbox (its address names no view), as Back to it shows it (views.js).
  const guessedView = addressed?.view ?? inboxGuess;
  if (addressed?.q) $('#search').value = addressed.q;
  const meLoad = api('GET', '/me');
  const sidebarLoad = loadSidebar();
  const pageLoad = guessedView
    ? showView(
        (s) => {
          s.view = guessedView;
          s.q = addressed?.q ?? '';
        },
        { replace: true },
      )
    : null;
  for (const load of [meLoad, sidebarLoad, pageLoad]) load?.catch(() => {}); // awaited below
  let me;
  try {
    // First sign-in of a user whose zone nobody chose: this browser's (its answer's last_seq counts the change).
    me = await chooseBrowserZone(await meLoad);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) retry('', error);
    return;
  }
  if (getState().token !== token) return;
  update((s) => {
    s.me = {
      id: me.id,
      timezone: me.timezone,
      timezone_chosen: me.timezone_chosen,
      zone_from_browser: me.zone_from_browser === true,
    };
  });
  $('#who').hidden = false;
  $('#who-toggle').hidden = false;

  // A stored seq is older than the snapshot read now: replaying from it misses nothing. Without one (or
  // too far behind), the snapshot may have been read just before /me's last_seq: it is read again below.
  const stored = readStoredSeq(me.id);
  const resumable = stored !== null && stored <= me.last_seq && me.last_seq - stored <= MAX_REPLAY;
  const startSeq = resumable ? stored : me.last_seq;
  try {
    await sidebarLoad;
    const inbox = inboxList();
    const inboxView = inbox ? { kind: 'list', listId: inbox.id } : { kind: 'all' };
    // A list the address names that the user does not have (any more) is the Inbox.
    const unknownList =
      (guessedView?.kind === 'list' && !getState().lists.has(guessedView.listId)) ||
      (guessedView?.kind === 'label' && !getState().labels.has(guessedView.labelId));
    const wanted = addressed && guessedView && !unknownList ? guessedView : inboxView;
    const shown = getState().view;
    if (pageLoad && !sameView(shown, guessedView)) {
      // The user has gone to another view meanwhile: that view is on its way.
    } else if (pageLoad && sameView(wanted, guessedView)) await pageLoad;
    else
      await showView(
        (s) => {
          s.view = wanted;
        },
        { replace: true },
      );
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) retry(' the tasks', error);
    return;
  }
  if (getState().token !== token) return;
  void refreshCounts();
  const sync = new SyncClient({
    baseUrl: location.origin,
    token,
    userId: me.id,
    initialSeq: startSeq,
    // Membership events first: a shared list the user lost goes with its tasks (sharing.js).
    onEvent: (event) => {
      if (!sharingEvent(event)) applyEvent(event);
    },
    onState: (state, detail) => {
      showConnection(state, detail);
      // Reminders that fired while no page was open, or while this one was offline.
      if (state === 'live' || state === 'polling') void loadWaiting();
      if (state === 'unauthorized')
        signOut('The live connection was refused: the sign-in token is not valid any more.');
    },
  });
  update((s) => {
    s.listStatus = null;
    s.sync = sync;
  });
  sync.start();
  void loadInvitations();
  if (!resumable && pageLoad) {
    void loadSidebar().catch(() => {});
    void reload().catch(() => {});
  }
}

function init() {
  onUnauthorized(signOut);
  setupHeader({ signOut });
  setupCalendarFeed();
  setupSharing();
  setupSignIn();
  setupCreateForm();
  setupQuickAdd();
  startTaskList();
  setupSidebar();
  setupShortcuts();
  setupNotificationActions();
  tokenFromHash();
  // A #token= link opened in a tab that already shows the dashboard changes only the hash.
  window.addEventListener('hashchange', () => {
    const token = tokenFromHash();
    if (token) void boot(token);
  });
  const token = storedToken();
  if (token) void boot(token);
  else showSignIn();
}

init();
