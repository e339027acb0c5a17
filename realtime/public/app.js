// tasklane dashboard: bootstrap. Native ES modules, no build step; lit-html (served from
// node_modules at /vendor/lit-html/) renders the task list. One concern per module:
//   store.js            the state, in one store         auth.js              the sign-in token
//   api.js              REST calls (Idempotency-Key)     client.js            the event stream (SyncClient)
//   tasks.js            tasks from REST and events       task-state.js        a task's evolve (golden-tested)
//   task-list.js        the list view                    editor.js            inline edit and its conflicts
//   views.js            what is shown, paged by cursor   sidebar.js           views, lists, search, sort
//   labels.js           label chips and the picker       shortcuts.js         keyboard shortcuts and their help
//   create-form.js      the New task form                recurrence-picker.js / rules.js   recurrence
//   reminder-chooser.js reminder choice                  notifications.js     fired reminders
//   history.js          a task's history                 header.js            connection, zone, sign-out
//   toasts.js, a11y.js, dom.js, time.js                  small helpers
import { SyncClient, readStoredSeq } from './client.js';
import { $ } from './dom.js';
import { getState, update, resetSession, inboxList } from './store.js';
import { api, ApiError, onUnauthorized } from './api.js';
import { storedToken, forgetToken, keepToken, tokenFromHash, devSignIn } from './auth.js';
import { applyEvent } from './tasks.js';
import { loadSidebar, showView } from './views.js';
import { setupSidebar } from './sidebar.js';
import { setupShortcuts } from './shortcuts.js';
import { startTaskList } from './task-list.js';
import { setupCreateForm } from './create-form.js';
import { setupHeader, showConnection } from './header.js';

/** A persisted seq further behind than this is not replayed on load (the task list is fetched anyway). */
const MAX_REPLAY = 1000;
const RETRY_LOAD_MS = 3000;

function showSignIn(message = '') {
  $('#app').hidden = true;
  $('#who').hidden = true;
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

/** Signs in with `token`: who am I, the task list, then the live event stream from the right seq. */
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
  let me;
  try {
    me = await api('GET', '/me');
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) retry('', error);
    return;
  }
  update((s) => {
    s.me = { id: me.id, timezone: me.timezone };
  });
  $('#who').hidden = false;

  // The snapshot comes after /me: whatever it already contains is skipped by version when replayed.
  const stored = readStoredSeq(me.id);
  const startSeq =
    stored !== null && stored <= me.last_seq && me.last_seq - stored <= MAX_REPLAY ? stored : me.last_seq;
  try {
    await loadSidebar();
    const inbox = inboxList();
    await showView((s) => {
      s.view = inbox ? { kind: 'list', listId: inbox.id } : { kind: 'all' };
    });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) retry(' the tasks', error);
    return;
  }
  const sync = new SyncClient({
    baseUrl: location.origin,
    token,
    userId: me.id,
    initialSeq: startSeq,
    onEvent: applyEvent,
    onState: (state, detail) => {
      showConnection(state, detail);
      if (state === 'unauthorized')
        signOut('The live connection was refused: the sign-in token is not valid any more.');
    },
  });
  update((s) => {
    s.listStatus = null;
    s.sync = sync;
  });
  sync.start();
}

function init() {
  onUnauthorized(signOut);
  setupHeader({ signOut });
  setupSignIn();
  setupCreateForm();
  startTaskList();
  setupSidebar();
  setupShortcuts();
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
