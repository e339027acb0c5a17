// Names compare as the database compares them (lower(), one character at a time): labels are unique by it
// (actors/label), quick add and search find lists and labels by it, and the page (realtime/public/names.js)
// finds the label a 409 named by it. The page's copy and the server's agree on any text.
import test from 'ava';
import fc from 'fast-check';
import { nameKey } from '../../actors/name-key.ts';

interface NamesModule {
  nameKey(name: string): string;
}
const modulePath = '../../realtime/public/names.js';
const page = (await import(modulePath)) as NamesModule;

test("as PostgreSQL's lower(): İ is i, a final Σ is σ, and a ς typed is not σ", (t) => {
  t.is(nameKey('İstanbul'), 'istanbul');
  t.is(nameKey('ΟΔΟΣ'), 'οδοσ', 'no final form by context');
  t.not(nameKey('οδος'), nameKey('ΟΔΟΣ'));
  t.is(nameKey('Straße'), 'straße');
  t.is(nameKey('Urgent'), 'urgent');
});

test('the page folds names as the server does, for any text', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => page.nameKey(s) === nameKey(s)),
    { numRuns: 2000 },
  );
  for (const s of ['İSTANBUL', 'ΟΔΟΣ', 'Ǆ', 'ẞ']) t.is(page.nameKey(s), nameKey(s), s);
});
