// The WebSocket over real connections: same JWT as REST, /events only, each event to its user's
// sockets only, and recovery of what a closed socket missed through GET /events?after=. A socket
// follows its token: it stays with its user, closes when the token in force expires, and per-user
// socket counts never leak.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import Jwt from '@hapi/jwt';
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventuallyValue } from '../helpers/eventually.ts';
import { bearer, connectSocket, openClient, wsUrl } from '../helpers/socket.ts';

let t0: TestApp;
// No clock skew on this app, so "the token expired" is the instant `exp` names.
test.before(async () => {
  t0 = await startTestApp({ env: { JWT_CLOCK_SKEW_SEC: '0' } });
});
test.after.always(async () => {
  await t0?.stop();
});

const post = (token: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t0.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).then((r) => r.json() as Promise<{ id: string }>);

test('two sockets of one user both get each event; a socket of another user gets none', async (t) => {
  const alice = t0.token(`alice-${randomUUID()}`);
  const bob = t0.token(`bob-${randomUUID()}`);
  const [a1, a2, b1] = await Promise.all([
    connectSocket(t0.url, alice),
    connectSocket(t0.url, alice),
    connectSocket(t0.url, bob),
  ]);
  try {
    const correlation = randomUUID();
    const task = await post(
      alice,
      '/tasks',
      { title: 'shared', due_date: new Date(Date.now() + 7_200_000).toISOString(), reminders: [{ before: 'PT1H' }] },
      { 'x-correlation-id': correlation },
    );
    await post(alice, `/tasks/${task.id}/complete`, {});
    await Promise.all([a1.waitFor(4), a2.waitFor(4)]);
    for (const socket of [a1, a2]) {
      t.deepEqual(
        socket.messages.map((m) => m.type),
        ['task.created', 'reminder.scheduled', 'task.completed', 'reminder.cancelled'],
      );
      t.deepEqual(
        socket.messages.map((m) => m.seq),
        [1, 2, 3, 4],
      );
      t.is(socket.messages[0]?.correlation_id, correlation);
    }
    await post(bob, '/tasks', { title: 'bob only' });
    await b1.waitFor(1);
    // "Alice never gets Bob's event" is decided by a marker of Alice's own, written after Bob's event
    // reached Bob: it comes through the same hub after Bob's, so nothing of Bob's can arrive once it has.
    await post(alice, '/tasks', { title: 'alice marker' });
    await a1.waitFor(5);
    t.deepEqual(
      b1.messages.map((m) => m.data.task && (m.data.task as { title: string }).title),
      ['bob only'],
      'bob saw only his own event',
    );
    t.deepEqual(
      a1.messages.slice(4).map((m) => [m.type, (m.data.task as { title?: string } | undefined)?.title]),
      [['task.created', 'alice marker']],
      'alice saw nothing of bob before her own next event',
    );
    t.true(
      a1.messages.every((m) => m.user_id !== b1.messages[0]?.user_id),
      "no event of bob on alice's socket",
    );
  } finally {
    await Promise.all([a1.close(), a2.close(), b1.close()]);
  }
});

test('a socket that missed events recovers exactly those through GET /events?after=', async (t) => {
  const user = `recover-${randomUUID()}`;
  const token = t0.token(user);
  const socket = await connectSocket(t0.url, token);
  const task = await post(token, '/tasks', { title: 'v1' });
  await socket.waitFor(1);
  const lastSeen = socket.messages.at(-1)?.seq ?? 0;
  await socket.close();
  for (let i = 2; i <= 6; i++) {
    await fetch(`${t0.url}/tasks/${task.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `v${i}` }),
    });
  }
  const missed = (await fetch(`${t0.url}/events?after=${lastSeen}`, {
    headers: { authorization: `Bearer ${token}` },
  }).then((r) => r.json())) as { events: { seq: number; data: { changes: { title: { to: string } } } }[] };
  t.deepEqual(
    missed.events.map((e) => e.seq),
    [2, 3, 4, 5, 6],
  );
  t.deepEqual(
    missed.events.map((e) => e.data.changes.title.to),
    ['v2', 'v3', 'v4', 'v5', 'v6'],
  );
});

test('the socket refuses expired and forged tokens, any subscription but /events, and messages', async (t) => {
  const expired = t0.token('late', { ttl: -120 });
  const forged = `${t0.token('x').split('.').slice(0, 2).join('.')}.AAAA`;
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.`;
  for (const [name, token] of [
    ['expired', expired],
    ['forged', forged],
    ['alg none', none],
  ] as const) {
    const client = new Nes.Client(wsUrl(t0.url));
    const error = await t.throwsAsync(
      client.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false, timeout: 3000 }),
      undefined,
      name,
    );
    t.regex(
      String((error as { message?: string })?.message ?? ''),
      /Unauthorized|Invalid|Missing|Bad|Expired|token/i,
      name,
    );
    await client.disconnect();
  }
  const anonymous = new Nes.Client(wsUrl(t0.url));
  await t.throwsAsync(
    anonymous.connect({ reconnect: false, timeout: 3000 }),
    { message: /requires authentication/i },
    'no token, no connection',
  );
  await anonymous.disconnect();
  const good = new Nes.Client(wsUrl(t0.url));
  await good.connect({
    auth: { headers: { authorization: `Bearer ${t0.token('curious')}` } },
    reconnect: false,
    timeout: 3000,
  });
  await t.throwsAsync(
    good.subscribe('/events/everyone', () => undefined),
    { message: /Not Found|Subscription not found/i },
  );
  await t.throwsAsync(
    good.subscribe('/admin', () => undefined),
    { message: /Not Found|Subscription not found/i },
  );
  // A `message` frame is the client's mistake (commands go through REST): a 400 saying so, not nes' 501.
  const refused = (await t.throwsAsync(good.message({ a: 1 }))) as Error & { statusCode?: number };
  t.is(refused.statusCode, 400);
  t.regex(refused.message, /takes no messages/);
  await good.disconnect();
});

const expOf = (token: string): number =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp;
const sign = (payload: Record<string, unknown>) => Jwt.token.generate(payload, { key: t0.secret, algorithm: 'HS256' });
/** Resolves once the wall clock has passed `epochMs` (an instant, not a margin). */
const passed = async (epochMs: number) => {
  while (Date.now() <= epochMs) await new Promise((r) => setTimeout(r, Math.min(100, epochMs - Date.now() + 1)));
};

test("a reauth with another user's token is refused and the socket closed", async (t) => {
  const alice = t0.token(`alice-${randomUUID()}`);
  const bob = t0.token(`bob-${randomUUID()}`);
  const socket = await connectSocket(t0.url, alice);
  try {
    await t.throwsAsync(socket.client.reauthenticate(bearer(bob)), { message: /stays with the user/ });
    await socket.waitClosed(5000);
    t.true(socket.closed);
  } finally {
    await socket.close();
  }
});

test('after its token expires a socket receives no event and is closed', async (t) => {
  const user = `expiring-${randomUUID()}`;
  // Long enough to connect and see one event on a busy machine; the test then waits for it to pass.
  const short = t0.token(user, { ttl: 10 });
  const exp = expOf(short) * 1000;
  const [socket, control] = await Promise.all([connectSocket(t0.url, short), connectSocket(t0.url, t0.token(user))]);
  try {
    await post(t0.token(user), '/tasks', { title: 'before expiry' });
    await Promise.all([socket.waitFor(1), control.waitFor(1)]);
    t.true(
      Date.now() < exp,
      'the first event arrived while the token was valid (else the machine is too slow for this test)',
    );
    await passed(exp);
    await post(t0.token(user), '/tasks', { title: 'after expiry' });
    await control.waitFor(2);
    await socket.waitClosed(5000);
    t.deepEqual(
      socket.messages.map((m) => (m.data.task as { title: string }).title),
      ['before expiry'],
      'nothing published after exp reached the expired socket',
    );
  } finally {
    await Promise.all([socket.close(), control.close()]);
  }
});

test('a reauth for the same user replaces the token: expiry follows the token in force', async (t) => {
  const user = `renewing-${randomUUID()}`;
  // Lifetimes long enough that each reauth lands while the token it replaces is in force, on a busy machine.
  const first = t0.token(user, { ttl: 10 });
  const socket = await connectSocket(t0.url, first);
  try {
    await socket.client.reauthenticate(bearer(t0.token(user, { ttl: 600 })));
    await passed(expOf(first) * 1000 + 1000);
    await post(t0.token(user), '/tasks', { title: 'after the first token expired' });
    await socket.waitFor(1);
    t.false(socket.closed, 'the renewed socket outlived its first token');
    const shorter = t0.token(user, { ttl: 8 });
    await socket.client.reauthenticate(bearer(shorter));
    await socket.waitClosed(expOf(shorter) * 1000 + 5000 - Date.now());
    t.true(socket.closed, 'a shorter token in force closes the socket at its expiry');
  } finally {
    await socket.close();
  }
});

test('100 cycles of connect-as-A, refused reauth-as-B, disconnect leave A able to connect', async (t) => {
  const alice = t0.token(`cycler-${randomUUID()}`);
  const bob = t0.token(`other-${randomUUID()}`);
  for (let i = 0; i < 100; i++) {
    const client = await openClient(t0.url, alice);
    await t.throwsAsync(client.reauthenticate(bearer(bob)), { message: /stays with the user/ }, `cycle ${i}`);
    await client.disconnect();
  }
  const again = await connectSocket(t0.url, alice);
  await post(alice, '/tasks', { title: 'still here' });
  await again.waitFor(1);
  t.is((again.messages[0]?.data.task as { title: string }).title, 'still here');
  await again.close();
});

const openSockets = async (): Promise<number> => {
  const text = await fetch(`${t0.url}/metrics`).then((r) => r.text());
  return Number(/^tasklane_open_sockets (\S+)$/m.exec(text)?.[1] ?? NaN);
};

test.serial(
  'after connect/disconnect storms a user still gets exactly the allowed 100 sockets, and the open-socket gauge returns to its start',
  async (t) => {
    const user = `storm-${randomUUID()}`;
    const token = t0.token(user);
    const before = await openSockets();
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const client = new Nes.Client(wsUrl(t0.url));
          const connecting = client
            .connect({ auth: bearer(i % 4 === 0 ? 'not-a-token' : token), reconnect: false, timeout: 5000 })
            .catch(() => undefined);
          if (i % 2 === 0) await connecting; // half leave at once, some before their hello is answered
          await client.disconnect();
          await connecting;
        }),
      );
    }
    const clients = await Promise.all(Array.from({ length: 100 }, () => openClient(t0.url, token)));
    try {
      await t.throwsAsync(openClient(t0.url, token), { message: /Too many connections/ }, 'the 101st is refused');
    } finally {
      await Promise.all(clients.map((c) => c.disconnect()));
    }
    t.is(
      await eventuallyValue(openSockets, (n) => n === before, {
        what: 'every socket counted closed',
        timeoutMs: 30_000,
      }),
      before,
    );
  },
);

test('tokens beyond the maximum lifetime, or with a control character in sub, are refused on REST and sockets', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const day = 86_400;
  const refused: [string, Record<string, unknown>][] = [
    ['lifetime over 24 h', { sub: 'long', iat: now, exp: now + day + 60 }],
    ['no iat, exp beyond 24 h ahead', { sub: 'long', exp: now + day + 3600 }],
    ['iat in the future to stretch the window', { sub: 'long', iat: now + day, exp: now + day + 600 }],
    ['sub with a NUL', { sub: 'a\u0000b', iat: now, exp: now + 600 }],
    ['sub with a newline', { sub: 'a\nb', iat: now, exp: now + 600 }],
    ['sub with DEL', { sub: 'a\u007fb', iat: now, exp: now + 600 }],
    ['sub with a lone surrogate', { sub: 'a\ud800b', iat: now, exp: now + 600 }],
  ];
  for (const [name, payload] of refused) {
    const token = sign(payload);
    const me = await fetch(`${t0.url}/me`, { headers: { authorization: `Bearer ${token}` } });
    t.is(me.status, 401, name);
    await t.throwsAsync(openClient(t0.url, token, 3000), undefined, `${name} (socket)`);
  }
  for (const [name, payload] of [
    ['exactly 24 h', { sub: `max-${randomUUID()}`, iat: now, exp: now + day }],
    ['no iat, 10 minutes', { sub: `noiat-${randomUUID()}`, exp: now + 600 }],
  ] as const) {
    const token = sign(payload);
    t.is((await fetch(`${t0.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200, name);
    const client = await openClient(t0.url, token, 3000);
    await client.disconnect();
  }
});
