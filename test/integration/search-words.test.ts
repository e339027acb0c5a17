// Search finds a task by any word of its title, typed as it stands there, whatever PostgreSQL's text parser
// makes of it in context (migration 015, host/reads.ts searchCondition): numbers in scientific notation
// glued to letters (`2909e70c`), version numbers, hyphenated words, paths, addresses, words in other
// scripts. A property over generated titles, on PostgreSQL and on PGlite; and the parser's own readings
// of a description still find it.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DATABASES, injectedApps, ok } from '../helpers/api-suite.ts';

const apps = injectedApps();
type Json = Record<string, unknown>;

/** Pieces the parser reads by context: numbers, versions, hyphens, addresses, paths, accents, other scripts. */
const PIECES = [
  '2909e70c',
  '1e5',
  '7E10x',
  '3.14',
  'v1.2.3',
  'e-mail',
  'milk',
  'x_y',
  'foo@bar.com',
  'http://x.example/a-b',
  '/usr/local',
  'Café',
  'naïve',
  'Ünïcode',
  'Привет',
  '東京',
  '12abc',
  '0x1F',
  '-42',
  '+7',
  'a.b.c',
  "o'clock",
];
const SEPARATORS = [' ', '-', '.', '/', '_', ', ', ' - '];

for (const database of DATABASES) {
  test(`${database}: a task is found by its whole title and by each of its words, typed as they stand`, async (t) => {
    const { app, call } = apps(database);
    const token = app.token(`search-${randomUUID()}`);
    let searched = 0;
    const title = fc.tuple(
      fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom(...SEPARATORS), { minLength: 4, maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(title, async ([pieces, separators]) => {
        const text = pieces.map((p, i) => (i === 0 ? p : `${separators[i - 1]}${p}`)).join('');
        const created = await ok(call('POST', '/tasks', { token, body: { title: text } }), 201);
        const words = text.match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
        for (const typed of [text, ...words, ...words.map((w) => w.slice(0, Math.max(1, w.length - 1)))]) {
          const found = await ok(call('GET', `/tasks?q=${encodeURIComponent(typed)}&limit=200`, { token }));
          const ids = (found.tasks as Json[]).map((x) => x.id);
          searched++;
          if (!ids.includes(created.id))
            throw new Error(`q=${JSON.stringify(typed)} did not find ${JSON.stringify(text)}`);
        }
        await ok(call('DELETE', `/tasks/${created.id}`, { token }), 204);
      }),
      { numRuns: 40 },
    );
    t.true(searched >= 40 * 3, `${searched} searches, each finding its task`);
  });
}

for (const database of DATABASES) {
  test(`${database}: a description's words are found in the parser's reading and inside compounds`, async (t) => {
    const { app, call } = apps(database);
    const token = app.token(`search-${randomUUID()}`);
    const alone = await ok(
      call('POST', '/tasks', { token, body: { title: 'one', description: 'code 2909e70c' } }),
      201,
    );
    const inside = await ok(call('POST', '/tasks', { token, body: { title: 'two', description: 'milk-7e10x' } }), 201);
    const found = async (q: string) =>
      ((await ok(call('GET', `/tasks?q=${encodeURIComponent(q)}`, { token }))).tasks as Json[]).map((x) => x.id);
    t.deepEqual(await found('2909e70c'), [alone.id], 'a number glued to letters, alone');
    t.deepEqual(await found('code 2909e'), [alone.id], 'prefixes of both words');
    t.deepEqual(await found('7e10x'), [inside.id], 'the same inside a hyphenated word');
    t.deepEqual(await found('milk-7e10x'), [inside.id], 'the compound as typed');
    const pi = await ok(
      call('POST', '/tasks', { token, body: { title: 'three', description: 'pi is 3.14, release v1.2.3' } }),
      201,
    );
    t.deepEqual(await found('3.14'), [pi.id], 'a number with a fraction, as written');
    t.deepEqual(await found('v1.2.3'), [pi.id], 'a version, as written');
    const half = await ok(call('POST', '/tasks', { token, body: { title: '½ cup milk' } }), 201);
    t.deepEqual(await found('½ cup'), [half.id], 'a character the index leaves out does not empty the search');
  });
}

for (const database of DATABASES) {
  test(`${database}: accents fold both ways: "cafe" finds "Café", "café" finds "Cafe", in a title or a description`, async (t) => {
    const { app, call } = apps(database);
    const token = app.token(`search-${randomUUID()}`);
    const make = async (title: string, description?: string) =>
      (await ok(call('POST', '/tasks', { token, body: { title, ...(description ? { description } : {}) } }), 201))
        .id as string;
    const cafeAccented = await make('Café au lait');
    const cafePlain = await make('Cafe order');
    const meeting = await make('Meeting', 'at the CAFÉ on the corner');
    const creme = await make('Crème brûlée recipe');
    const zurich = await make('Trip to Zürich');
    const naive = await make('naïve question');
    const russian = await make('Привет мир'); // another script is found as typed, and folding takes nothing from it
    const lodz = await make('Trip to Łódź');
    const street = await make('Straße 5');
    await make('Coffee');
    const found = async (q: string) =>
      ((await ok(call('GET', `/tasks?q=${encodeURIComponent(q)}&limit=200`, { token }))).tasks as Json[])
        .map((x) => x.id as string)
        .sort();
    const of = (...ids: string[]) => [...ids].sort();
    t.deepEqual(await found('cafe'), of(cafeAccented, cafePlain, meeting), 'typed without the accent');
    t.deepEqual(await found('café'), of(cafeAccented, cafePlain, meeting), 'typed with it');
    t.deepEqual(await found('CAF'), of(cafeAccented, cafePlain, meeting), 'a prefix, in capitals');
    t.deepEqual(await found('creme brul'), of(creme), 'two words, both prefixes');
    t.deepEqual(await found('zurich'), of(zurich));
    t.deepEqual(await found('naive'), of(naive));
    t.deepEqual(await found('Привет'), of(russian));
    t.deepEqual(await found('cafe lait'), of(cafeAccented), 'every word must still match');
    t.deepEqual(await found('lodz'), of(lodz), 'a letter with a stroke, which has no accent to take off');
    t.deepEqual(await found('strasse'), of(street), 'ß as ss');
  });

  test(`${database}: the page folds as the server matches: /assets/search-fold.js holds the database's own unaccent table`, async (t) => {
    const { app } = apps(database);
    const reply = await app.app.server.inject('/assets/search-fold.js');
    t.is(reply.statusCode, 200);
    t.regex(String(reply.headers['content-type']), /^text\/javascript/);
    const json = /^export const FOLD = (\{.*\});$/m.exec(reply.payload)?.[1];
    const fold = JSON.parse(json ?? 'null') as Record<string, string>;
    t.like(fold, { é: 'e', É: 'E', ß: 'ss', Ł: 'L', ł: 'l', æ: 'ae', ø: 'o', '\u0301': '' });
    t.is(fold.й, undefined, 'a letter the dictionary leaves alone is not in it');
    t.true(Object.keys(fold).length > 1000);
    // Asked again: the same module, with its ETag.
    const again = await app.app.server.inject('/assets/search-fold.js');
    t.is(again.payload, reply.payload);
    t.truthy(again.headers.etag);
  });
}
