// The one rule for user ids (token `sub`, dev sign-in `user_id`, `npm run token`), and the time and
// header rules every verified token passes (REST and WebSocket share api/auth.ts `claimProblem`).
import test from 'ava';
import { claimProblem } from '../../api/auth.ts';
import { devToken, subjectProblem } from '../../api/schemas.ts';
import { signToken } from '../../api/tokens.ts';

const now = 1_800_000_000;
const check = (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) =>
  claimProblem(payload, now, 3600, 30, header);

const ACCEPTED = [
  'auth0|5f7c8ec7c33c6c004bbafe82',
  'google-oauth2|109876543210987654321',
  'samlp|corp|E+Ab/Cd==',
  'user@x.y',
  'émile.dupont@example.com',
  '3f2a7c1e-9b4d-4e8a-a1c2-0d6b5e7f8a90',
  '001234.abcdef0123456789.1234',
  'a.b',
  'x..y',
  '...',
  '.hidden',
  'Jane Doe',
  '😀',
  'x'.repeat(128),
];
const REFUSED: Array<[string, unknown, RegExp]> = [
  ['empty', '', /1-128/],
  ['too long', 'x'.repeat(129), /1-128/],
  ['not a string', 42, /1-128/],
  ['a space alone', ' ', /whitespace/],
  ['leading space', ' admin', /whitespace/],
  ['trailing no-break space', 'admin\u00a0', /whitespace/],
  ['dot', '.', /"\."/],
  ['dot dot', '..', /"\.\."/],
  ['right-to-left override', '\u202eadmin', /format characters \(U\+202E/],
  ['zero-width space', 'ad\u200bmin', /U\+200B/],
  ['zero-width joiner', 'admin\u200d', /U\+200D/],
  ['byte order mark', '\ufeffadmin', /U\+FEFF/],
  ['soft hyphen', 'ad\u00admin', /U\+00AD/],
  ['NUL', 'a\u0000b', /NUL/],
  ['newline', 'a\nb', /control/],
  ['DEL', 'a\u007f', /control/],
  ['lone surrogate', '\ud800', /surrogate/],
];

test('user ids from identity providers keep the rule; blank, dot segments, format and control characters do not', (t) => {
  for (const id of ACCEPTED) t.is(subjectProblem(id), null, id);
  for (const [what, id, problem] of REFUSED) t.regex(subjectProblem(id) ?? '', problem, what);
});

test('the JWT check, the dev sign-in schema and signToken apply the same rule', (t) => {
  for (const id of ACCEPTED) {
    t.is(check({ sub: id, iat: now, exp: now + 60 }), undefined, id);
    t.is(devToken.validate({ user_id: id }).error, undefined, id);
    t.notThrows(() => signToken('s'.repeat(32), id), id);
  }
  for (const [what, id] of REFUSED) {
    t.regex(check({ sub: id, iat: now, exp: now + 60 }) ?? '', /^sub /, what);
    const error = devToken.validate({ user_id: id }).error;
    t.truthy(error, what);
    t.deepEqual(error?.details[0]?.path, ['user_id'], what);
    if (typeof id === 'string')
      t.throws(() => signToken('s'.repeat(32), id), { instanceOf: TypeError, message: /^user id / }, what);
  }
});

test('iat and nbf must be finite and no later than now plus the clock skew', (t) => {
  t.is(check({ sub: 'u', iat: now + 30, exp: now + 600 }), undefined, 'iat within the skew');
  t.is(check({ sub: 'u', iat: now, nbf: now + 30, exp: now + 600 }), undefined, 'nbf within the skew');
  t.regex(check({ sub: 'u', iat: now + 31, exp: now + 600 }) ?? '', /iat lies in the future/);
  t.regex(
    check({ sub: 'u', iat: 1e308, exp: 1e308 + 60 }) ?? '',
    /iat lies in the future/,
    'an absurd iat cannot satisfy the lifetime rule',
  );
  t.regex(check({ sub: 'u', iat: 1e308, exp: now + 600 }) ?? '', /iat/);
  t.regex(check({ sub: 'u', nbf: 1e308, exp: now + 600 }) ?? '', /nbf lies in the future/);
  for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, '1', null, true]) {
    t.regex(check({ sub: 'u', iat: bad, exp: now + 600 }) ?? '', /iat must be a number/, String(bad));
    t.regex(check({ sub: 'u', nbf: bad, exp: now + 600 }) ?? '', /nbf must be a number/, String(bad));
    t.regex(check({ sub: 'u', exp: bad }) ?? '', /exp/, String(bad));
  }
});

test('a token with a crit header is refused, whatever it lists', (t) => {
  for (const crit of [['exp'], ['b64'], [], 'anything']) {
    t.regex(check({ sub: 'u', iat: now, exp: now + 60 }, { alg: 'HS256', crit }) ?? '', /crit/, JSON.stringify(crit));
  }
  t.is(check({ sub: 'u', iat: now, exp: now + 60 }, { alg: 'HS256', typ: 'JWT', kid: 'k1' }), undefined);
});
