// The WebSocket over real connections: same JWT as REST, /events only, each event to its user's
// sockets only, and recovery of what a closed socket missed through GET /events?after=.
import test from 'ava';
import { randomUUID } from 'node:crypto';
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectSocket, wsUrl } from '../helpers/socket.ts';

let t0: TestApp;
test.before(async () => { t0 = await startTestApp(); });
test.after.always(async () => { await t0?.stop(); });

const post = (token: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t0.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ id: string }>);

test('two sockets of one user both get each event; a socket of another user gets none', async (t) => {
  const alice = t0.token(`alice-${randomUUID()}`);
  const bob = t0.token(`bob-${randomUUID()}`);
  const [a1, a2, b1] = await Promise.all([connectSocket(t0.url, alice), connectSocket(t0.url, alice), connectSocket(t0.url, bob)]);
  try {
    const correlation = randomUUID();
    const task = await post(alice, '/tasks', { title: 'shared', due_date: new Date(Date.now() + 7_200_000).toISOString(), reminders: [{ before: 'PT1H' }] }, { 'x-correlation-id': correlation });
    await post(alice, `/tasks/${task.id}/complete`, {});
    await Promise.all([a1.waitFor(4), a2.waitFor(4)]);
    for (const socket of [a1, a2]) {
      t.deepEqual(socket.messages.map((m) => m.type), ['task.created', 'reminder.scheduled', 'task.completed', 'reminder.cancelled']);
      t.deepEqual(socket.messages.map((m) => m.seq), [1, 2, 3, 4]);
      t.is(socket.messages[0]?.correlation_id, correlation);
    }
    await post(bob, '/tasks', { title: 'bob only' });
    await b1.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    t.deepEqual(b1.messages.map((m) => m.data.task && (m.data.task as { title: string }).title), ['bob only'], 'bob saw only his own event');
    t.is(a1.messages.length, 4, 'alice saw nothing of bob');
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
    await fetch(`${t0.url}/tasks/${task.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: `v${i}` }) });
  }
  const missed = await fetch(`${t0.url}/events?after=${lastSeen}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json()) as { events: { seq: number; data: { changes: { title: { to: string } } } }[] };
  t.deepEqual(missed.events.map((e) => e.seq), [2, 3, 4, 5, 6]);
  t.deepEqual(missed.events.map((e) => e.data.changes.title.to), ['v2', 'v3', 'v4', 'v5', 'v6']);
});

test('the socket refuses expired and forged tokens, and any subscription but /events', async (t) => {
  const expired = t0.token('late', { ttl: -120 });
  const forged = `${t0.token('x').split('.').slice(0, 2).join('.')}.AAAA`;
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.`;
  for (const [name, token] of [['expired', expired], ['forged', forged], ['alg none', none]] as const) {
    const client = new Nes.Client(wsUrl(t0.url));
    const error = await t.throwsAsync(client.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false, timeout: 3000 }), undefined, name);
    t.regex(String((error as { message?: string })?.message ?? ''), /Unauthorized|Invalid|Missing|Bad|Expired|token/i, name);
    await client.disconnect();
  }
  const anonymous = new Nes.Client(wsUrl(t0.url));
  await t.throwsAsync(anonymous.connect({ reconnect: false, timeout: 3000 }), { message: /requires authentication/i }, 'no token, no connection');
  await anonymous.disconnect();
  const good = new Nes.Client(wsUrl(t0.url));
  await good.connect({ auth: { headers: { authorization: `Bearer ${t0.token('curious')}` } }, reconnect: false, timeout: 3000 });
  await t.throwsAsync(good.subscribe('/events/everyone', () => undefined), { message: /Not Found|Subscription not found/i });
  await t.throwsAsync(good.subscribe('/admin', () => undefined), { message: /Not Found|Subscription not found/i });
  await good.disconnect();
});
