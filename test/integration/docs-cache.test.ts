// GET /docs/openapi.json needs no login, and building the document holds the event loop for a few
// hundred ms: it is built once and served from memory (api/docs.ts). Only `servers` follows each request.
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let t0: TestApp;
test.before(async () => {
  t0 = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await t0?.stop();
});

type Doc = { paths: Record<string, unknown>; components: unknown; servers: { url: string }[] };
const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await t0.app.server.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, doc: res.result as Doc, body: res.payload };
};

test('the document is built once: concurrent first requests and later ones get the same one; servers follows each request', async (t) => {
  const first = await Promise.all([get('/docs/openapi.json'), get('/docs/openapi.json'), get('/docs/openapi.json')]);
  for (const answer of first) t.is(answer.status, 200);
  // The same objects, not equal copies: one build served them all.
  t.is(first[1]?.doc.paths, first[0]?.doc.paths);
  t.is(first[2]?.doc.paths, first[0]?.doc.paths);

  const later = await get('/docs/openapi.json', { host: 'other.example:8080' });
  t.is(later.doc.paths, first[0]?.doc.paths, 'a later request is served from memory');
  t.is(later.doc.components, first[0]?.doc.components);
  t.deepEqual(
    later.doc.servers,
    [{ url: 'http://other.example:8080' }],
    'servers follows the request, not the first one',
  );
  const proxied = await get('/docs/openapi.json', { 'x-forwarded-host': 'api.example', 'x-forwarded-proto': 'https' });
  t.deepEqual(proxied.doc.servers, [{ url: 'https://api.example/' }]);

  // The document itself is the standardised one, unchanged by caching.
  const { servers: _a, ...cachedRest } = JSON.parse(later.body) as Doc;
  const { servers: _b, ...firstRest } = JSON.parse(first[0]?.body ?? '{}') as Doc;
  t.deepEqual(cachedRest, firstRest);
  t.true(later.body.includes('"format":"uuid"'), 'standardised: ids are format uuid');
  t.false(later.body.includes('x-format'));

  // A tags filter would make a build per query: the one whole document is served.
  const filtered = await get('/docs/openapi.json?tags=nothing');
  t.is(filtered.doc.paths, first[0]?.doc.paths);
});

test('over HTTP the cached document is what a client reads', async (t) => {
  const a = (await fetch(`${t0.url}/docs/openapi.json`).then((r) => r.json())) as Doc;
  const b = (await fetch(`${t0.url}/docs/openapi.json`).then((r) => r.json())) as Doc;
  t.deepEqual(a, b);
  t.true(Object.keys(a.paths).includes('/tasks/{id}'));
  t.deepEqual(a.servers, [{ url: t0.url }]);
});
