// The cache of verified tokens (api/verified-tokens.ts): a hit only while the token is in force and
// within the TTL, the oldest dropped first, and credentials a request cannot change for the next.
import test from 'ava';
import { VerifiedTokens, bearerToken, inForce, type VerifiedToken } from '../../api/verified-tokens.ts';

const T0 = Date.UTC(2026, 10, 30, 12);
const verified = (expSec: number, nbfSec?: number, skew = 30): VerifiedToken => ({
  credentials: { user: 'u', role: 'user', expiresAt: (expSec + skew) * 1000 } as VerifiedToken['credentials'],
  artifacts: { decoded: { payload: { sub: 'u', exp: expSec, ...(nbfSec === undefined ? {} : { nbf: nbfSec }) } } },
});

test('a verified token is reused until exp + skew, and not an instant longer', (t) => {
  const cache = new VerifiedTokens({ clockSkewSec: 30, ttlMs: 3_600_000 });
  const exp = T0 / 1000 + 10;
  cache.set('tok', verified(exp), T0);
  t.truthy(cache.get('tok', T0 + 39_999));
  t.is(cache.get('tok', T0 + 40_000), undefined);
  t.is(cache.size, 0, 'an expired entry is dropped');
});

test('an entry is verified again after the TTL, and a token before nbf - skew is not in force', (t) => {
  const cache = new VerifiedTokens({ clockSkewSec: 30, ttlMs: 60_000 });
  cache.set('tok', verified(T0 / 1000 + 3600), T0);
  t.truthy(cache.get('tok', T0 + 59_999));
  t.is(cache.get('tok', T0 + 60_000), undefined);
  t.false(inForce(verified(T0 / 1000 + 3600, T0 / 1000 + 31), T0, 30));
  t.true(inForce(verified(T0 / 1000 + 3600, T0 / 1000 + 30), T0, 30));
});

test('the oldest entry goes first when the cache is full', (t) => {
  const cache = new VerifiedTokens({ clockSkewSec: 30, max: 2 });
  const v = verified(T0 / 1000 + 3600);
  cache.set('a', v, T0);
  cache.set('b', v, T0);
  cache.set('c', v, T0);
  t.is(cache.size, 2);
  t.is(cache.get('a', T0), undefined);
  t.truthy(cache.get('b', T0));
  t.truthy(cache.get('c', T0));
});

test('a request changing its credentials does not change what the next request gets', (t) => {
  const cache = new VerifiedTokens({ clockSkewSec: 30 });
  cache.set('tok', verified(T0 / 1000 + 3600), T0);
  const first = cache.get('tok', T0) as VerifiedToken;
  (first.credentials as Record<string, unknown>).role = 'admin';
  t.is(((cache.get('tok', T0) as VerifiedToken).credentials as Record<string, unknown>).role, 'user');
});

test('bearerToken reads the Bearer scheme case-insensitively and nothing else', (t) => {
  t.is(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  t.is(bearerToken('bearer abc'), 'abc');
  t.is(bearerToken('Basic abc'), undefined);
  t.is(bearerToken('Bearer '), undefined);
  t.is(bearerToken(undefined), undefined);
  t.is(bearerToken(['Bearer a']), undefined);
});
