// The OpenAPI document states the server's rules for text as patterns, so a client or a fuzzer makes only
// values the server takes: user ids (api/schemas.ts `subject`) and names that must show (api/docs.ts
// `textPattern`). Each pattern and its rule say the same, apart from the few characters beyond the Basic
// Multilingual Plane that the patterns leave to the rule: a value the pattern allows is taken, and a value
// the server takes (in NFC, as it keeps text) is allowed by the pattern.
import test from 'ava';
import fc from 'fast-check';
import { subject } from '../../api/schemas.ts';
import { charCount, isBlank } from '../../actors/text.ts';
import { textProblem } from '../../api/text.ts';
import { textPattern } from '../../api/docs.ts';

const rule = (subject.describe() as { rules?: { name: string; args?: { regex?: string } }[] }).rules?.find(
  (r) => r.name === 'pattern',
);
const source = rule?.args?.regex ?? '';
const pattern = new RegExp(source.slice(1, source.lastIndexOf('/')));

/** Characters near every edge of the rule: whitespace of each kind, controls, format characters, dots. */
const edgy = fc.constantFrom(
  ...' \t\n\u000b\f\r\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u0000\u001f\u007f\u0080\u009f\u00ad\u0600\u061c\u06dd\u070f\u180e\u200b\u200f\u202a\u2060\u2066\u206f\ufff9\ufffb.a|@é',
  '\u{110bd}',
  '\u{e0001}',
  '\u{1f600}',
);
const ids = fc.oneof(
  fc.string({ unit: fc.oneof(edgy, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 8 }),
  fc.string({ unit: 'grapheme', minLength: 120, maxLength: 132 }),
  fc.constantFrom('.', '..', '...', ' .', 'a.', 'auth0|123', 'someone@example.com'),
);
const astralFormat = /[\u{10000}-\u{10ffff}]/u;
const allowed = (id: string): boolean => id.length > 0 && charCount(id) <= 128 && pattern.test(id);

test('the document’s pattern for a user id allows exactly what the server takes (but astral format characters)', (t) => {
  t.truthy(rule, 'the user id schema carries a pattern for the document');
  const run = fc.check(
    fc.property(ids, (id) => {
      const result = subject.validate(id);
      // The server keeps text in NFC: what it takes is the normalized id, which the pattern must allow.
      if (result.error === undefined) return allowed(result.value as string);
      return (
        !allowed(id) || (/\p{Cf}/u.test(id) && astralFormat.test(id)) || charCount(id.normalize('NFC')) > 128 // NFC made it longer
      );
    }),
    { numRuns: 20_000 },
  );
  t.false(run.failed, fc.defaultReportMessage(run) ?? '');
});

test('the document’s pattern for a name that must show allows exactly the texts the server takes (but astral invisibles)', (t) => {
  const visible = new RegExp(textPattern({ multiline: false, visible: true }));
  const astral = /[\u{10000}-\u{10ffff}]/u;
  const run = fc.check(
    fc.property(
      fc.string({ unit: fc.oneof(edgy, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 6 }),
      (text) => {
        const taken = textProblem(text) === null && !isBlank(text);
        return visible.test(text) === taken || (!taken && astral.test(text));
      },
    ),
    { numRuns: 20_000 },
  );
  t.false(run.failed, fc.defaultReportMessage(run) ?? '');
});
