// WebSocket messages are bounded in size before anything parses them (realtime/nes.ts): a message
// over MAX_PAYLOAD_BYTES closes that socket with 1009 ("message too big") as it arrives, no login
// needed to try it; the server keeps answering, and other sockets keep working.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { MAX_PAYLOAD_BYTES } from '../../api/schemas.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectSocket, wsUrl } from '../helpers/socket.ts';

let t0: TestApp;
test.before(async () => {
  t0 = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await t0?.stop();
});

const rawSocket = async (): Promise<WebSocket> => {
  const ws = new WebSocket(wsUrl(t0.url));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
};
const closeOf = (ws: WebSocket, timeoutMs: number) =>
  new Promise<{ code: number } | 'still open'>((resolve) => {
    const timer = setTimeout(() => resolve('still open'), timeoutMs);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
/** The first reply nes sends on `ws` other than its heartbeat, parsed. */
const replyOf = (ws: WebSocket, timeoutMs: number) =>
  new Promise<Record<string, unknown> | 'no reply'>((resolve) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      resolve('no reply');
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.type === 'ping') return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(message);
    };
    ws.on('message', onMessage);
  });

test('a 1 MB message closes its socket (1009) unparsed; /health answers meanwhile and other sockets keep working', async (t) => {
  const user = `limits-${randomUUID()}`;
  const token = t0.token(user);
  const other = await connectSocket(t0.url, token);
  const attacker = await rawSocket();
  try {
    const half = 512 * 1024;
    const closed = closeOf(attacker, 5000);
    // Nested brackets: the input that is costliest for JSON.parse per byte.
    attacker.send(`{"type":"ping","id":1,"x":${'['.repeat(half)}${']'.repeat(half)}}`);
    // 1009 comes from the frame's size, before any parsing (how long /health takes is the bench's business).
    const health = await fetch(`${t0.url}/health`);
    t.is(health.status, 200, '/health answers while the big message arrives');
    t.deepEqual(await closed, { code: 1009 }, 'the socket is closed as "message too big"');

    // The other socket still gets its user's events.
    await fetch(`${t0.url}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'after the big message' }),
    });
    await other.waitFor(1);
    t.is(other.messages[0]?.type, 'task.created');
    t.false(other.closed);
  } finally {
    attacker.terminate();
    await other.close();
  }
});

test('a message within the limit is still read (nes answers it)', async (t) => {
  const ws = await rawSocket();
  try {
    const reply = replyOf(ws, 5000);
    // Just under the limit: padding in a field nes ignores; no hello yet, so nes answers "not initialized".
    const padding = 'a'.repeat(MAX_PAYLOAD_BYTES - 200);
    ws.send(JSON.stringify({ type: 'request', id: 7, method: 'GET', path: '/health', padding }));
    const answer = await reply;
    t.not(answer, 'no reply');
    t.like(
      answer,
      { type: 'request', id: 7, payload: { message: 'Connection is not initialized' } },
      'nes parsed the message and answered its id',
    );
    t.is(ws.readyState, WebSocket.OPEN);
  } finally {
    ws.terminate();
  }
});
