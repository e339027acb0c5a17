// The JWKS reader's choice of keys (api/jwks.ts signingKeys): RSA keys for RS256, EC P-256 / P-384 keys for
// ES256 / ES384, each by its kid; keys not for signatures, without a kid, of another type or that cannot be
// imported are left out (RFC 7517 §4: `use` is optional, `sig` when present).
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { signingKeys } from '../../api/jwks.ts';

const jwkOf = (pair: { publicKey: import('node:crypto').KeyObject }) => pair.publicKey.export({ format: 'jwk' });

test('signing keys by kid, each with the algorithm of its type', (t) => {
  const rsa = jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const p256 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const p384 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }));
  const p521 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-521' }));
  const keys = signingKeys({
    keys: [
      { ...rsa, kid: 'r', use: 'sig' },
      { ...p256, kid: 'e256' },
      { ...p384, kid: 'e384', use: 'sig' },
      { ...p521, kid: 'e521' },
      { ...rsa, kid: 'enc', use: 'enc' },
      { ...rsa },
      { kty: 'RSA', kid: 'broken', n: rsa.n },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
      null,
    ],
  });
  t.deepEqual(
    [...keys.values()].map((k) => [k.kid, k.algorithms]),
    [
      ['r', ['RS256']],
      ['e256', ['ES256']],
      ['e384', ['ES384']],
    ],
  );
  t.regex(keys.get('r')?.key ?? '', /^-----BEGIN PUBLIC KEY-----/);
  t.is(signingKeys({ nothing: true }).size, 0);
  t.is(signingKeys(null).size, 0);
});
