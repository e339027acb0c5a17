// Correctly signed tokens that still lie are 401 on REST and on sockets: an absurd or future `iat`,
// a non-finite or future `nbf`, a `crit` header (RFC 7515 §4.1.11), a `sub` that breaks the one rule
// for user ids. The dev sign-in refuses the same ids (400 naming user_id) and admits the same ones.
import test from 'ava';
import { createHmac, randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { openClient } from '../helpers/socket.ts';
import { eventually } from '../helpers/eventually.ts';
import { call as callAt } from '../helpers/time-scenarios.ts';

let t0: TestApp;
test.before(async () => {
  t0 = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await t0?.stop();
});

/** An HS256 JWT over the given header and payload JSON text, as written (so `1e999` stays in it). */
function signRaw(header: string, payload: string): string {
  const secret = t0.app.config.auth.secret ?? '';
  const body = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const HEADER = '{"alg":"HS256","typ":"JWT"}';
const me = (token: string) => fetch(`${t0.url}/me`, { headers: { authorization: `Bearer ${token}` } });

test('absurd or future iat and nbf, a crit header and ids outside the rule are 401 on REST and sockets', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const refused: Array<[string, string]> = [
    ['iat 1e308', signRaw(HEADER, `{"sub":"u","iat":1e308,"exp":${now + 600}}`)],
    ['iat one hour ahead', signRaw(HEADER, `{"sub":"u","iat":${now + 3600},"exp":${now + 4200}}`)],
    ['iat 1e999 (Infinity once parsed)', signRaw(HEADER, `{"sub":"u","iat":1e999,"exp":${now + 600}}`)],
    [
      'nbf -1e999 (minus Infinity once parsed)',
      signRaw(HEADER, `{"sub":"u","iat":${now},"nbf":-1e999,"exp":${now + 600}}`),
    ],
    ['exp 1e999', signRaw(HEADER, `{"sub":"u","iat":${now},"exp":1e999}`)],
    [
      'crit header',
      signRaw('{"alg":"HS256","typ":"JWT","crit":["exp"]}', `{"sub":"u","iat":${now},"exp":${now + 600}}`),
    ],
    ...[' ', '..', '.', '\u202eadmin', 'ad\u200bmin', ' admin'].map((sub): [string, string] => [
      `sub ${JSON.stringify(sub)}`,
      signRaw(HEADER, JSON.stringify({ sub, iat: now, exp: now + 600 })),
    ]),
  ];
  for (const [name, token] of refused) {
    const res = await me(token);
    t.is(res.status, 401, name);
    await res.arrayBuffer();
    await t.throwsAsync(openClient(t0.url, token, 3000), undefined, `${name} (socket)`);
  }
  // The same signing, with honest claims, is accepted: the refusals above are the claims'. A slash is
  // no path here: the id is stored and answered as it is (actor ids are encoded whole, see
  // test/integration/actor-id-dapr.test.ts).
  for (const user of [`auth0|${randomUUID()}`, `../admin-${randomUUID()}`]) {
    const good = signRaw(HEADER, JSON.stringify({ sub: user, iat: now, nbf: now, exp: now + 600 }));
    const res = await me(good);
    t.is(res.status, 200, user);
    t.is(((await res.json()) as { id: string }).id, user);
    const client = await openClient(t0.url, good, 3000);
    await client.disconnect();
  }
});

test('the dev sign-in refuses the ids the JWT check refuses, and issues tokens for provider-style ids', async (t) => {
  const devToken = (user_id: unknown) =>
    fetch(`${t0.url}/auth/dev-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id }),
    });
  for (const id of [' ', '.', '..', '\u202eadmin', 'a\u0000b', 'x'.repeat(129)]) {
    const res = await devToken(id);
    t.is(res.status, 400, JSON.stringify(id));
    t.is(((await res.json()) as { field?: string }).field, 'user_id', JSON.stringify(id));
  }
  for (const id of [
    `auth0|${randomUUID()}`,
    `google-oauth2|${Date.now()}`,
    `user-${randomUUID()}@x.y`,
    randomUUID(),
    `a.b-${randomUUID()}`,
  ]) {
    const res = await devToken(id);
    t.is(res.status, 200, id);
    const { token } = (await res.json()) as { token: string };
    t.is((await me(token)).status, 200, `${id}: the issued token is accepted`);
  }
});

// Tokens verified once are reused for a minute (api/verified-tokens.ts); what a user notices must not change.
test('a token accepted before is refused the moment it expires, and a refused one is accepted once it becomes valid', async (t) => {
  const skew = t0.app.config.auth.clockSkewSec ?? 30;
  const now = Math.floor(Date.now() / 1000);
  const user = `cache-${randomUUID()}`;
  // In force for about five more seconds (exp + skew): accepted now, from the cache on the second call.
  const ending = signRaw(HEADER, JSON.stringify({ sub: user, iat: now - 60, exp: now - skew + 5 }));
  t.is((await me(ending)).status, 200, 'accepted while in force');
  t.is((await me(ending)).status, 200, 'accepted again (verified before)');
  await eventually(async () => (await me(ending)).status === 401, {
    what: 'the verified token refused after exp + skew',
    timeoutMs: 15_000,
  });
  // Not yet valid for about five seconds (nbf - skew): refused, and the refusal is not kept.
  const later = Math.floor(Date.now() / 1000);
  const starting = signRaw(HEADER, JSON.stringify({ sub: user, iat: later, nbf: later + skew + 5, exp: later + 600 }));
  t.is((await me(starting)).status, 401, 'refused before nbf');
  await eventually(async () => (await me(starting)).status === 200, {
    what: 'the once refused token accepted after nbf - skew',
    timeoutMs: 15_000,
  });
  const client = await openClient(t0.url, starting, 3000);
  await client.disconnect();
});

test('a user id written decomposed in the token is the same user an invitation, an assignment and a removal name', async (t) => {
  const suffix = randomUUID().slice(0, 8);
  const decomposed = `Rene\u0301-${suffix}`; // "René" as some systems write it: e + a combining acute
  const composed = decomposed.normalize('NFC');
  const rene = t0.token(decomposed);
  const owner = t0.token(`owner-${suffix}`);
  const call = (token: string, method: string, path: string, body?: unknown) =>
    callAt({ url: t0.url, token: (u: string) => t0.token(u), label: 'pglite' }, token, method, path, body);
  t.is((await call(rene, 'GET', '/me')).body.id, composed, 'the user is the composed id');
  const list = (await call(owner, 'POST', '/lists', { name: 'Shared' })).body;
  t.is((await call(owner, 'POST', `/lists/${list.id}/members`, { user_id: decomposed })).status, 201);
  const invitations = (await call(rene, 'GET', '/invitations')).body.invitations as { list_id: string }[];
  t.true(
    invitations.some((i) => i.list_id === list.id),
    'the invitation reaches them',
  );
  t.is((await call(rene, 'POST', `/invitations/${list.id}/accept`)).status, 200);
  const task = await call(owner, 'POST', '/tasks', { title: 'x', list_id: list.id, assignee: decomposed });
  t.is(task.status, 201, JSON.stringify(task.body));
  t.is(task.body.assignee, composed);
  // Removed by the owner (the id as either form in the path), and they no longer see the list.
  t.is((await call(owner, 'DELETE', `/lists/${list.id}/members/${encodeURIComponent(decomposed)}`)).status, 204);
  t.is((await call(rene, 'GET', `/tasks/${task.body.id}`)).status, 404);
});
