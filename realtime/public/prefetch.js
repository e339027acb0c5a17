// Starts the first requests of a signed-in page while the rest of the dashboard's modules still load:
// who am I, the lists, the labels and the first page of the Inbox (its id is computed from the token's
// user as the server computes it: inbox-id.js). api.js takes these answers instead of asking again
// (takeEarly), so the first tasks are drawn as soon as their page arrives instead of after a chain of
// requests. A token that is not a JWT, or no token, starts nothing (the page then asks in order).
import { hashToken, storedToken, userOfToken } from './auth.js';
import { inboxIdOf } from './inbox-id.js';
import { firstPagePath, storedHideDone, storedSort } from './query.js';

const token = hashToken() ?? storedToken();
const userId = token ? userOfToken(token) : null;
if (token && userId) {
  const view = { kind: 'list', listId: inboxIdOf(userId) };
  // An address that names another view (views.js viewOfAddress) shows that: the Inbox's page is not asked for.
  const addressed = /[?&](?:view|list|label|q)=/.test(location.search);
  const paths = [
    '/me',
    '/lists',
    '/labels',
    ...(addressed ? [] : [firstPagePath({ view, q: '', sort: storedSort(), hideDone: storedHideDone() })]),
  ];
  const responses = new Map();
  for (const path of paths) {
    const response = fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    response.catch(() => {}); // a failed early request is asked again by api.js
    responses.set(path, response);
  }
  globalThis.__tasklaneEarly = { token, responses };
}
