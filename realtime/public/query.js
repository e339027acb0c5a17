// What GET /tasks is asked for the shown view: pure functions of the state's view, search, sort and
// "hide completed" (no imports, so prefetch.js can ask for the first page before the rest of the page
// has loaded, with exactly the query views.js asks for; docs: the GET /tasks contract — views default to
// sort=due asc, view=completed to completion time desc, otherwise created desc).

/** Tasks per page of GET /tasks (the first page is what the first paint shows). */
export const PAGE_SIZE = 50;

/** localStorage keys of the choices that shape the query (store.js reads them too). */
export const HIDE_DONE_KEY = 'tasklane.hideDone';
export const SORT_KEY = 'tasklane.sort';

/** The sorts GET /tasks offers ('' = the view's own order). */
export const SORTS = ['', 'due', 'priority', 'created', 'title'];

/** The stored sort choice ('' when none or unknown). */
export function storedSort(storage = globalThis.localStorage) {
  const value = storage?.getItem(SORT_KEY) ?? '';
  return SORTS.includes(value) ? value : '';
}

/** The stored "hide completed" choice. */
export const storedHideDone = (storage = globalThis.localStorage) => storage?.getItem(HIDE_DONE_KEY) === '1';

/** The effective sort of `s` ({view, q, sort}): the chosen one, else the view's own. */
export function sortOf(s) {
  if (s.view.kind === 'completed' && !s.q) return { sort: 'completed', order: 'desc' };
  const sort =
    s.sort || (['today', 'overdue', 'upcoming', 'assigned'].includes(s.view.kind) && !s.q ? 'due' : 'created');
  return { sort, order: sort === 'created' ? 'desc' : 'asc' };
}

/** The query string of GET /tasks for `s` ({view, q, sort, hideDone}), without limit and cursor. */
export function queryOf(s) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  else if (s.view.kind === 'list') {
    p.set('list_id', s.view.listId);
    if (s.hideDone) p.set('completed', 'false');
  } else if (s.view.kind === 'label') {
    p.set('label', s.view.labelId);
    if (s.hideDone) p.set('completed', 'false');
  } else if (s.view.kind === 'all') {
    if (s.hideDone) p.set('completed', 'false');
  } else p.set('view', s.view.kind);
  const { sort, order } = sortOf(s);
  if (sort !== 'completed') {
    p.set('sort', sort);
    p.set('order', order);
  }
  return p.toString();
}

/** The path of the first page of `s`'s query. */
export const firstPagePath = (s) => `/tasks?${queryOf(s)}&limit=${PAGE_SIZE}`;
