// What the task list shows: the current view (a list, Today, Upcoming, Overdue, Completed, or a search
// across all lists), fetched page by page with GET /tasks?…&cursor= as the user scrolls (never all at
// once), and kept current from events by a predicate and a comparator that mirror the server's
// (docs: /tmp contract "GET /tasks": views in the user's zone; keyset order (sort key, id)).
// Also the sidebar's data: lists, labels and the counts (refetched, debounced, after events).
import { getState, update, userZone, inboxList } from './store.js';
import { api, ApiError } from './api.js';
import { formatter } from './time.js';
import { FOLD } from './search-fold.js';
import { PAGE_SIZE, queryOf as queryOfView, sortOf as sortOfQuery } from './query.js';
import { userOfToken } from './auth.js';
import { inboxIdOf } from './inbox-id.js';

export { PAGE_SIZE };
const COUNTS_DEBOUNCE_MS = 250;
const UPCOMING_DAYS = 7;

export const VIEW_NAMES = {
  today: 'Today',
  upcoming: 'Upcoming',
  overdue: 'Overdue',
  completed: 'Completed',
  assigned: 'Assigned to me',
  all: 'All tasks',
};

/** The local calendar date (YYYY-MM-DD) of an instant in `zone`. */
export function localDate(iso, zone) {
  const parts = Object.fromEntries(
    formatter(zone, 'parts')
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The local date a dated task is due on in `zone`: an all-day task's own date, else its instant's date there. */
export const dueDayOf = (task, zone) => task.due_day ?? localDate(task.due_date, zone);

/**
 * What a task added while the view shows gets unless it says otherwise, so it stays in sight: the list
 * shown, the label shown, or today as its date (Today, an all-day date in the user's zone). Nothing while
 * searching, or in a view a new task cannot join (Upcoming, Overdue, Completed, All).
 */
export function viewDefaults(s = getState(), now = Date.now()) {
  if (s.q) return {};
  if (s.view.kind === 'list' && s.lists.has(s.view.listId)) return { list_id: s.view.listId };
  if (s.view.kind === 'label' && s.labels.has(s.view.labelId)) return { labels: [s.view.labelId] };
  if (s.view.kind === 'today') return { due_date: localDate(now, userZone()) };
  if (s.view.kind === 'assigned' && s.me?.id) return { assignee: s.me.id };
  return {};
}

/** `body` (of POST /tasks) with the view's defaults (viewDefaults) where it names no list, date or that label. */
export function withViewDefaults(body, s = getState(), now = Date.now()) {
  const defaults = viewDefaults(s, now);
  const out = { ...body };
  if (defaults.list_id && !out.list_id) out.list_id = defaults.list_id;
  if (defaults.labels) out.labels = [...new Set([...(out.labels ?? []), ...defaults.labels])];
  if (defaults.due_date && !out.due_date) out.due_date = defaults.due_date;
  if (defaults.assignee && out.assignee === undefined) out.assignee = defaults.assignee;
  return out;
}

/** YYYY-MM-DD plus `days` calendar days. */
export function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The title of what is shown. */
export function viewTitle(s = getState()) {
  if (s.q) return `Search: “${s.q}”`;
  if (s.view.kind === 'list') return s.lists.get(s.view.listId)?.name ?? 'List';
  if (s.view.kind === 'label') return `@${s.labels.get(s.view.labelId)?.name ?? 'label'}`;
  return VIEW_NAMES[s.view.kind] ?? 'Tasks';
}

/** The effective sort: the chosen one, else the view's own. */
export const sortOf = (s = getState()) => sortOfQuery(s);

/** The query string of GET /tasks for the current view (without limit and cursor). */
export const queryOf = (s = getState()) => queryOfView(s);

/**
 * Text as a search compares it: each character as PostgreSQL's unaccent dictionary folds it (é → e, ß → ss,
 * Ł → L; the server's own table, /assets/search-fold.js), then lower-cased, as the server matches both ways
 * (host/reads.ts searchCondition). Characters the dictionary leaves alone stay (й stays й).
 */
const folded = (text) => {
  let out = '';
  for (const c of text) out += FOLD[c] ?? c;
  return out.toLowerCase();
};

/**
 * The words of a search as the server reads them (host/reads.ts searchCondition): runs of letters, marks and
 * digits, so "team-meeting" is "team" and "meeting", folded. A task holding each of them (anywhere: the
 * server's prefix match is narrower) stays in the results.
 */
const words = (q) =>
  q
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter(Boolean)
    .map(folded)
    .filter(Boolean);

/**
 * Whether `task` belongs to what is shown: the same rules as the server's query, so tasks that events
 * bring or change join or leave the view at once. A search keeps what the server matched (its
 * full-text search also matches word forms) and adds tasks containing every word.
 */
export function inView(task, s = getState(), now = Date.now()) {
  if (s.q) {
    if (s.page?.matched.has(task.id)) return true;
    const text = folded(`${task.title} ${task.description ?? ''}`);
    return words(s.q).every((w) => text.includes(w));
  }
  const zone = userZone();
  const due = task.due_date ? Date.parse(task.due_date) : null;
  switch (s.view.kind) {
    case 'list':
      return listOf(task) === s.view.listId && !(s.hideDone && task.completed);
    case 'label':
      return (task.labels ?? []).includes(s.view.labelId) && !(s.hideDone && task.completed);
    case 'all':
      return !(s.hideDone && task.completed);
    case 'completed':
      return task.completed;
    // Open tasks assigned to the user (GET /tasks?view=assigned), a series as one row (oneRowPerSeries).
    case 'assigned':
      return !task.completed && Boolean(s.me?.id) && task.assignee === s.me.id;
    // An all-day task by its date (due_day): due all its day, overdue once the day has ended (issue 16).
    case 'overdue':
      if (task.due_day) return !task.completed && !task.is_recurring && task.due_day < localDate(now, zone);
      return !task.completed && !task.is_recurring && due !== null && due < now;
    case 'today':
      return !task.completed && !task.is_recurring && due !== null && dueDayOf(task, zone) <= localDate(now, zone);
    case 'upcoming': {
      if (task.due_day)
        return (
          !task.completed &&
          !task.is_recurring &&
          task.due_day >= localDate(now, zone) &&
          task.due_day <= addDays(localDate(now, zone), UPCOMING_DAYS)
        );
      if (task.completed || task.is_recurring || due === null || due < now) return false;
      return localDate(task.due_date, zone) <= addDays(localDate(now, zone), UPCOMING_DAYS);
    }
    default:
      return true;
  }
}

/** The list a task is in (tasks from before lists were there are in the Inbox). */
export const listOf = (task) => task.list_id ?? inboxList()?.id ?? null;

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const KEYS = {
  due: (t) => (t.due_date ? Date.parse(t.due_date) : null),
  priority: (t) => t.priority ?? 4,
  created: (t) => t.created_at,
  // As the server orders titles: lower-cased, then by code (lower(title) COLLATE "C", host/reads.ts SORTS).
  title: (t) => t.title.toLowerCase(),
  completed: (t) => t.completed_at ?? t.updated_at,
};

/**
 * How the server orders tasks with the same key under a sort, before their ids (host/reads.ts SORTS `ties`):
 * under priority by due date, soonest first, those without one last; descending is the exact reverse.
 */
const TIES = {
  priority: (t) => {
    // A series by its next occurrence: its own due date is its start (host/reads.ts DUE_OR_NEVER).
    const due = t.is_recurring ? t.next_occurrence : t.due_date;
    return due ? Date.parse(due) : Number.POSITIVE_INFINITY;
  },
};

/**
 * Rows `a` and `b` in the keyset's order, by `key` (`keyB` for `b`; `dir` 1 ascending, -1 descending; a null
 * key last either way), then by `tie` where the sort has ties, then by id.
 */
function compareKeyed(key, tie, a, b, dir, keyB = key) {
  const x = key(a);
  const y = keyB(b);
  if (x === null || y === null) {
    if (x !== y) return x === null ? 1 : -1;
  } else if (x !== y) return dir * cmp(x, y);
  return dir * ((tie ? cmp(tie(a), tie(b)) : 0) || cmp(a.id, b.id));
}

/**
 * The order of the server's keyset (sort key — nulls last —, its ties, then id), as a comparator; `key`
 * replaces the sort's own key where a row is placed otherwise than the server orders it (rowDueKey).
 */
export function comparator({ sort, order }, key = KEYS[sort] ?? KEYS.created) {
  const dir = order === 'desc' ? -1 : 1;
  const tie = TIES[sort];
  return (a, b) => compareKeyed(key, tie, a, b, dir);
}

/**
 * Where a row goes when sorted by due in a view where a series' row stands for its occurrences
 * (standsForOccurrences): a series at the due date of the occurrence its row shows (the first of
 * openOccurrences the pages hold), else at its next occurrence not spawned yet, else (ended) with the
 * tasks that have no due date; any other task at its own. A series' own `due_date` is its start, long
 * past for most series: ordered by it (as the server orders GET /tasks?sort=due), every series headed
 * the list as if it were the most overdue.
 */
export function rowDueKey(s = getState()) {
  const seriesList = new Map();
  for (const t of s.tasks.values()) if (t.is_recurring) seriesList.set(t.id, listOf(t));
  /** Series id → its first open occurrence in its own list (openOccurrences' order: by occurrence, then due). */
  const shown = new Map();
  const at = (t) => t.occurrence_at ?? t.due_date ?? '';
  for (const t of s.tasks.values()) {
    if (!t.series_id || t.completed || seriesList.get(t.series_id) !== listOf(t)) continue;
    const first = shown.get(t.series_id);
    if (!first || at(t) < at(first)) shown.set(t.series_id, t);
  }
  return (t) => {
    if (!t.is_recurring) return KEYS.due(t);
    const due = shown.get(t.id)?.due_date ?? t.next_occurrence;
    return due ? Date.parse(due) : null;
  };
}

/** The tasks to draw, in order: those in view, up to the last one the server has handed over. */
/**
 * Whether the view shows each series as one row (a list, a label, all tasks, Assigned to me; not a search): the series'
 * row stands for its occurrences, which are then not rows of their own (oneRowPerSeries).
 */
export const standsForOccurrences = (s = getState()) =>
  !s.q && ['list', 'label', 'all', 'assigned'].includes(s.view.kind);

/**
 * The open occurrences of `series` the page holds in the series' own list, the earliest due first (one moved
 * to another list is a task of that list, as oneRowPerSeries and the server's count have it).
 */
export function openOccurrences(series, s = getState()) {
  const out = [];
  const list = listOf(series);
  for (const task of s.tasks.values())
    if (task.series_id === series.id && !task.completed && listOf(task) === list) out.push(task);
  return out.sort((a, b) => (a.occurrence_at ?? a.due_date ?? '').localeCompare(b.occurrence_at ?? b.due_date ?? ''));
}

/**
 * `tasks` without the occurrences of a series whose own row is among them: one row per series, as todo
 * apps show a repeating task (its row shows the next open occurrence and completes it: task-list.js).
 * An occurrence whose series is not shown (deleted, in another list, not loaded yet) keeps its row.
 */
export function oneRowPerSeries(tasks) {
  const series = new Map(tasks.filter((t) => t.is_recurring).map((t) => [t.id, listOf(t)]));
  return series.size === 0 ? tasks : tasks.filter((t) => !(t.series_id && series.get(t.series_id) === listOf(t)));
}

export function visibleTasks(s = getState()) {
  const sorted = sortOf(s);
  const oneRow = standsForOccurrences(s);
  const serverKey = KEYS[sorted.sort] ?? KEYS.created;
  const key = oneRow && sorted.sort === 'due' ? rowDueKey(s) : serverKey;
  const now = Date.now();
  let out = [];
  for (const task of s.tasks.values()) if (inView(task, s, now)) out.push(task);
  if (oneRow) out = oneRowPerSeries(out);
  out.sort(comparator(sorted, key));
  const last = s.page?.cursor ? s.page.last : null;
  if (!last) return out;
  // Beyond the last task of the pages fetched so far (in the server's order: by its own key), the server
  // may hold others: stop there.
  const dir = sorted.order === 'desc' ? -1 : 1;
  const tie = TIES[sorted.sort];
  const end = out.findIndex((t) => compareKeyed(key, tie, t, last, dir, serverKey) > 0);
  return end < 0 ? out : out.slice(0, end);
}

let generation = 0;

// ------------------------------------------------------------------ the view in the address
const ADDRESS_KINDS = new Set(['today', 'upcoming', 'overdue', 'completed', 'assigned', 'all']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The view and search the address names (`?view=today|upcoming|overdue|completed|all`, `?list=<id>`,
 * `?q=<words>`; none: the Inbox), or null when it names neither. A reload, a bookmark and Back keep the view.
 */
export function viewOfAddress(search = location.search) {
  const p = new URLSearchParams(search);
  const list = p.get('list');
  const label = p.get('label');
  const kind = p.get('view');
  const q = (p.get('q') ?? '').trim();
  const view =
    list && UUID.test(list)
      ? { kind: 'list', listId: list.toLowerCase() }
      : label && UUID.test(label)
        ? { kind: 'label', labelId: label.toLowerCase() }
        : ADDRESS_KINDS.has(kind)
          ? { kind }
          : null;
  return view || q ? { view, q } : null;
}

/** The Inbox's id: from the lists, or (before they are read) from the signed-in user (inbox-id.js). */
function inboxId(s) {
  const known = inboxList()?.id;
  if (known) return known;
  const user = s.token ? userOfToken(s.token) : null;
  return user ? inboxIdOf(user) : null;
}

/** The address part (`?…`, or '' for the Inbox) of what `s` shows. */
function addressOf(s) {
  const p = new URLSearchParams();
  if (s.view.kind === 'list') {
    if (s.view.listId !== inboxId(s)) p.set('list', s.view.listId);
  } else if (s.view.kind === 'label') p.set('label', s.view.labelId);
  else p.set('view', s.view.kind);
  if (s.q) p.set('q', s.q);
  const text = p.toString();
  return text ? `?${text}` : '';
}

/** Whether two views are the same view (kind, and the list or label it shows). */
export const sameView = (a, b) => a.kind === b.kind && a.listId === b.listId && a.labelId === b.labelId;

let fromHistory = false;

/**
 * A new view is a new entry in the browser's history (Back returns to the one before), and so is a search
 * begun (Back returns to the view searched from: a newcomer's Back from a search in @urgent landed on the
 * view before it); a search typed on, or cleared, and a view put right (`replace`: the page's first view, a
 * list or label the user does not have), replace it. `beforeQ`: the search before the change.
 */
function rememberAddress(before, replace, beforeQ = '') {
  // Back or forward put the address there; only a correction of it (a list gone since) is written, in place.
  if (fromHistory && !replace) return;
  const s = getState();
  const next = addressOf(s);
  if (next === location.search) return;
  const searchBegun = !beforeQ && Boolean(s.q);
  // A search cleared where it was begun: back to the entry it was begun from (no second, identical entry
  // for a Back that would do nothing). `searchedFrom` is that entry's address.
  if (beforeQ && !s.q && sameView(before, s.view) && history.state?.searchedFrom === next) {
    history.back();
    return;
  }
  if (searchBegun && sameView(before, s.view) && !replace)
    history.pushState({ searchedFrom: location.search }, '', `${location.pathname}${next}`);
  else
    history[sameView(before, s.view) || replace ? 'replaceState' : 'pushState'](
      sameView(before, s.view) ? history.state : null,
      '',
      `${location.pathname}${next}`,
    );
}

window.addEventListener('popstate', () => {
  if (!getState().token) return;
  const addressed = viewOfAddress();
  const inbox = inboxList();
  const search = document.getElementById('search');
  if (search) search.value = addressed?.q ?? '';
  fromHistory = true;
  try {
    void showView((s) => {
      s.view = addressed?.view ?? (inbox ? { kind: 'list', listId: inbox.id } : { kind: 'all' });
      s.q = addressed?.q ?? '';
    });
  } finally {
    fromHistory = false;
  }
});

/**
 * Shows `view` (and/or search `q`): forgets the tasks held and fetches the first page. `replace`: the
 * address is put right in place (no new history entry), as for the page's first view.
 */
export function showView(change, { replace = false } = {}) {
  const before = { ...getState().view };
  const beforeQ = getState().q;
  let corrected = false;
  update((s) => {
    change(s);
    // Never a view of a list or label the user no longer has (left, removed, deleted: a stale link or toast): the Inbox.
    if (
      (s.view.kind === 'list' && s.listsLoaded && !s.lists.has(s.view.listId)) ||
      (s.view.kind === 'label' && s.listsLoaded && !s.labels.has(s.view.labelId))
    ) {
      corrected = true;
      const inbox = [...s.lists.values()].find((l) => l.inbox);
      s.view = inbox ? { kind: 'list', listId: inbox.id } : { kind: 'all' };
    }
    s.tasks = new Map();
    s.gone = new Set();
    s.page = { key: queryOf(s), cursor: null, loading: true, error: null, last: null, matched: new Set() };
    s.upcoming = null;
  });
  rememberAddress(before, replace || corrected, beforeQ);
  return reload();
}

/** Refetches the first page of what is shown (keeping the tasks held). */
export async function reload() {
  const gen = ++generation;
  const s = getState();
  const key = queryOf(s);
  update((st) => {
    st.page = { key, cursor: null, loading: true, error: null, last: null, matched: new Set() };
  });
  try {
    if (withOccurrences(s)) await loadUpcoming(gen);
    await loadPage(gen, null);
  } catch (error) {
    if (gen !== generation) return;
    update((st) => {
      st.page = { ...st.page, loading: false, error: error.message };
    });
    if (error instanceof ApiError && error.status === 401) return;
    throw error;
  }
}

async function loadPage(gen, cursor) {
  const key = getState().page.key;
  const body = await api(
    'GET',
    `/tasks?${key}&limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
  );
  if (gen !== generation) return;
  update((s) => {
    for (const task of body.tasks) {
      const known = s.tasks.get(task.id);
      if (!s.gone.has(task.id) && (!known || known.version < task.version)) s.tasks.set(task.id, task);
      s.page.matched.add(task.id);
    }
    s.page.cursor = body.next_cursor ?? null;
    s.page.last = body.tasks.length ? body.tasks[body.tasks.length - 1] : s.page.last;
    s.page.loading = false;
    s.page.error = null;
  });
}

/** The next page, when there is one and none is on its way (the list calls it when its end comes near). */
export function loadMore() {
  const page = getState().page;
  if (!page || page.loading || !page.cursor || page.error) return;
  const gen = generation;
  update((s) => {
    s.page.loading = true;
  });
  loadPage(gen, page.cursor).catch((error) => {
    if (gen === generation)
      update((s) => {
        s.page.loading = false;
        s.page.error = error.message;
      });
  });
}

/** Whether the view shows series' occurrences not spawned yet: Upcoming (its days), Today (those still ahead today). */
const withOccurrences = (s) => (s.view.kind === 'upcoming' || s.view.kind === 'today') && !s.q;

async function loadUpcoming(gen) {
  // Today takes the first day of the shortest window (today and tomorrow).
  const today = getState().view.kind === 'today';
  const body = await api('GET', `/views/upcoming?days=${today ? 1 : UPCOMING_DAYS}`);
  if (gen !== generation) return;
  update((s) => {
    for (const day of body.days) {
      for (const task of day.tasks) {
        const known = s.tasks.get(task.id);
        if (!s.gone.has(task.id) && (!known || known.version < task.version)) s.tasks.set(task.id, task);
      }
    }
    const days = body.days.map((d) => ({ date: d.date, occurrences: d.occurrences ?? [] }));
    s.upcoming = { timezone: body.timezone, days: today ? days.slice(0, 1) : days };
  });
}

/** Lists and labels (a server without them leaves the sidebar's lists empty); the counts come apart (refreshCounts). */
export async function loadSidebar() {
  const [lists, labels] = await Promise.all([
    api('GET', '/lists').catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
    api('GET', '/labels').catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
  ]);
  update((s) => {
    s.lists = new Map((lists?.lists ?? []).map((l) => [l.id, l]));
    s.listsLoaded = Boolean(lists);
    s.labels = new Map((labels?.labels ?? []).map((l) => [l.id, l]));
  });
}

let countsTimer = null;
let countsRun = 0;
/** GET /views/counts now. */
/**
 * Reads the counts again. When they cannot be read (offline, just woken) they stay as they were, and are
 * asked for again later, waiting longer each time (MIN_RETRY_MS, doubled), or at the next event.
 */
export async function refreshCounts() {
  const run = ++countsRun;
  try {
    const counts = await api('GET', '/views/counts');
    if (run === countsRun) {
      update((s) => {
        s.counts = counts;
      });
      if (counts?.next_change_at) timePasses(counts.next_change_at);
    }
  } catch {
    if (run !== countsRun) return; // a newer read is under way: it decides
    clockAt = Math.min(clockAt, Date.now());
    arm(retryMs);
    retryMs = Math.min(retryMs * 2, MAX_WAIT_MS);
  }
}

/** The longest wait of one timer (ms): a far change is waited for in steps (setTimeout holds at most 2^31 − 1). */
const MAX_WAIT_MS = 3_600_000;
/**
 * The least wait (ms) before time is asked about again when the server names the same time once more, doubled
 * each time up to MAX_WAIT_MS: this browser's clock is then ahead of the server's (or the counts could not be
 * read), and it must not ask in a loop.
 */
const MIN_RETRY_MS = 5_000;
let clockTimer;
let clockAt = Number.POSITIVE_INFINITY;
let lastAt = null;
let retryMs = MIN_RETRY_MS;
/** Whether the counts being read were asked for by the timer (only then does the same time again mean a clock ahead). */
let fromTimer = false;

/** Waits until `clockAt` by this browser's clock (in steps of at most MAX_WAIT_MS), at least `floor` ms. */
function arm(floor = 0) {
  clearTimeout(clockTimer);
  const wait = Math.min(Math.max(clockAt - Date.now(), floor, 0) + 250, MAX_WAIT_MS);
  clockTimer = setTimeout(() => {
    if (Date.now() < clockAt) arm();
    else void timePassed();
  }, wait);
}

/**
 * Time alone changes what the page shows at `at` (the counts' next_change_at: a task coming due, a series'
 * occurrence, the local midnight): then the rows are drawn again (a task turns overdue), a view that depends
 * on the time is read again (Today, Upcoming and Overdue hold other tasks), and the counts are asked again,
 * which names the next such time. A tab left open stays true; one asleep catches up when it is shown again.
 */
function timePasses(at) {
  const next = Date.parse(at);
  if (!Number.isFinite(next)) return;
  let floor = 0;
  if (fromTimer && at === lastAt && next <= Date.now()) {
    floor = retryMs;
    retryMs = Math.min(retryMs * 2, MAX_WAIT_MS);
  } else retryMs = MIN_RETRY_MS;
  lastAt = at;
  clockAt = next;
  arm(floor);
}

async function timePassed() {
  clockAt = Number.POSITIVE_INFINITY;
  const s = getState();
  if (!s.token) return; // signed out meanwhile
  if (!s.q && (s.view.kind === 'today' || s.view.kind === 'upcoming' || s.view.kind === 'overdue'))
    await reload().catch(() => undefined);
  else
    update((st) => {
      st.now = Date.now();
    });
  fromTimer = true;
  try {
    await refreshCounts();
  } finally {
    fromTimer = false;
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && Date.now() >= clockAt) void timePassed();
});

/** Something changed: counts (and the Upcoming occurrences) are fetched again once the burst is over. */
export function countsChanged() {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(() => {
    void refreshCounts();
    const s = getState();
    if (withOccurrences(s)) {
      const gen = generation;
      loadUpcoming(gen).catch(() => {});
    }
  }, COUNTS_DEBOUNCE_MS);
}
