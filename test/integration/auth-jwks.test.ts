// Tokens from an identity provider (JWKS_URL: RS256 and ES256), the production shape of auth that the other
// tests, signing HS256 with JWT_SECRET, never take: a key published at the JWKS URL verifies tokens by
// `kid` over REST and the socket; a token of an unknown key, one whose signature another key made, and an
// HS256 token made with the provider's public key (algorithm confusion) are refused; a key the provider
// publishes later is accepted within JWKS_REFRESH_SEC, and one it withdraws is refused within it (plus the
// minute a verification is reused: api/verified-tokens.ts); while the provider is away, the keys read before
// keep verifying.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import Jwt from '@hapi/jwt';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { openClient } from '../helpers/socket.ts';
import { eventually } from '../helpers/eventually.ts';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function signingKey(alg: 'RS256' | 'ES256' = 'RS256'): SigningKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: `${alg}-${randomUUID()}`, alg, ...pair };
}

const jwk = (k: SigningKey) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' });

/** A JWKS endpoint on 127.0.0.1 serving `keys` as they are at each request. */
async function jwksServer(keys: SigningKey[]) {
  let reads = 0;
  let down = false;
  const server = http.createServer((_req, res) => {
    reads++;
    if (down) {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: keys.map(jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    reads: () => reads,
    /** The provider away (503) or back. */
    setDown: (value: boolean) => {
      down = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const token = (k: SigningKey, user: string, kid = k.kid) => {
  const now = Math.floor(Date.now() / 1000);
  return Jwt.token.generate(
    { sub: user, iat: now, exp: now + 600 },
    { key: k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), algorithm: k.alg },
    { header: { kid } },
  );
};

async function status(app: TestApp, bearer: string): Promise<number> {
  const res = await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${bearer}` } });
  await res.arrayBuffer();
  return res.status;
}

test('tokens of the keys at JWKS_URL are verified by kid; unknown, forged and HS256-confused tokens are refused; rotation is followed', async (t) => {
  const rsa = signingKey();
  const other = signingKey('ES256');
  const published = [rsa, other];
  const jwks = await jwksServer(published);
  const app = await startTestApp({
    database: 'pglite',
    env: { JWT_SECRET: '', JWKS_URL: jwks.url, JWKS_REFRESH_SEC: '1', AUTH_DEV: 'false' },
  });
  try {
    const user = `idp-${randomUUID()}`;
    t.is(await status(app, token(rsa, user)), 200, 'RS256, by its kid');
    t.is(await status(app, token(other, user)), 200, 'ES256, by its kid');
    const me = await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token(rsa, user)}` } });
    t.like(await me.json(), { id: user }, 'the token’s sub is the user');

    const socket = await openClient(app.url, token(other, user));
    t.pass('the socket accepts a provider token too');
    await socket.disconnect();

    const stranger = signingKey();
    t.is(await status(app, token(stranger, user)), 401, 'a key the provider never published');
    t.is(await status(app, token(stranger, user, rsa.kid)), 401, 'a published kid, signed by another key');
    const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const confused = Jwt.token.generate(
      { sub: user, exp: Math.floor(Date.now() / 1000) + 600 },
      { key: publicPem, algorithm: 'HS256' },
      { header: { kid: rsa.kid } },
    );
    t.is(await status(app, confused), 401, 'HS256 with the public key as its secret (algorithm confusion)');

    // The provider rotates: a new key appears, the first key goes. Within JWKS_REFRESH_SEC (plus one read in
    // the background) the new key's tokens pass; the withdrawn key's fresh tokens fail.
    const next = signingKey();
    published.splice(0, published.length, other, next);
    await eventually(async () => (await status(app, token(next, user))) === 200, {
      what: 'a key published later is accepted within JWKS_REFRESH_SEC',
    });
    await eventually(async () => (await status(app, token(rsa, `${user}-x`))) === 401, {
      what: 'a withdrawn key is refused within JWKS_REFRESH_SEC (a new token: none was verified before)',
    });
    t.is(await status(app, token(other, user)), 200, 'the key that stayed still verifies');
    t.true(jwks.reads() >= 2, 'the JWKS was read again');

    // The provider away: the refreshes fail, and the keys read before keep verifying fresh tokens (a dropped
    // copy would make every new token a 500 until the provider is back).
    jwks.setDown(true);
    const readsBefore = jwks.reads();
    await eventually(
      async () => {
        const answer = await status(app, token(other, `${user}-${randomUUID()}`));
        if (answer !== 200) throw new Error(`a fresh token was answered ${answer} while the JWKS endpoint was down`);
        return jwks.reads() >= readsBefore + 2;
      },
      { what: 'two failed refreshes of the JWKS while fresh tokens kept verifying' },
    );
    jwks.setDown(false);
  } finally {
    await app.stop();
    await jwks.close();
  }
});

test('with the provider away from the start, the app starts and answers 503 with Retry-After, then verifies once it is back', async (t) => {
  const key = signingKey();
  const jwks = await jwksServer([key]);
  jwks.setDown(true);
  const app = await startTestApp({
    database: 'pglite',
    env: { JWT_SECRET: '', JWKS_URL: jwks.url, JWKS_REFRESH_SEC: '1', AUTH_DEV: 'false' },
  });
  try {
    const user = `idp-${randomUUID()}`;
    const res = await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token(key, user)}` } });
    t.is(res.status, 503);
    t.is(res.headers.get('retry-after'), '5');
    t.regex(((await res.json()) as { message: string }).message, /identity provider's keys/);
    jwks.setDown(false);
    const readsWhileDown = jwks.reads();
    const answered = await eventually(
      async () => {
        const answer = await status(app, token(key, user));
        return answer === 200 ? answer : null;
      },
      { what: 'tokens verify once the provider is back' },
    );
    t.is(answered, 200, 'a token verifies once the provider is back');
    t.true(jwks.reads() > readsWhileDown, 'the JWKS was read again after the outage');
  } finally {
    await app.stop();
    await jwks.close();
  }
});
