// The page's search folding table (/assets/search-fold.js, realtime/dashboard.ts): read from the database
// once; should the database not answer, the page still loads (it folds nothing) and the next page asks again.
import test from 'ava';
import Hapi from '@hapi/hapi';
import Inert from '@hapi/inert';
import { registerDashboard } from '../../realtime/dashboard.ts';

test('a table the database cannot give is an empty one, not a page that fails to load; the next request asks again', async (t) => {
  const server = Hapi.server();
  await server.register(Inert);
  let asked = 0;
  registerDashboard(server, {
    searchFold: async () => {
      asked++;
      if (asked === 1) throw new Error('the database is away');
      return { é: 'e' };
    },
  });
  const first = await server.inject('/assets/search-fold.js');
  t.is(first.statusCode, 200);
  t.is(first.payload, 'export const FOLD = {};\n');
  t.is(first.headers['cache-control'], 'no-store');
  const second = await server.inject('/assets/search-fold.js');
  t.is(second.statusCode, 200);
  t.regex(second.payload, /export const FOLD = \{"é":"e"\};/);
  await server.inject('/assets/search-fold.js');
  t.is(asked, 2, 'read once it was given');
});
