// WebSocket messages are bounded in size and in number before anything parses them (realtime/nes.ts): a
// message over MAX_PAYLOAD_BYTES closes that socket with 1009 ("message too big") as it arrives, and a socket
// sending more than its budget (MESSAGE_BUDGET) is closed with 1008, the rest of what it sent unread; no
// login needed to try either; the server keeps answering, and other sockets keep working.
import test, { type ExecutionContext } from 'ava';
import type { Request } from '@hapi/hapi';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { MAX_PAYLOAD_BYTES } from '../../api/schemas.ts';
import { MESSAGE_BUDGET } from '../../realtime/nes.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectSocket, wsUrl } from '../helpers/socket.ts';
import { eventually } from '../helpers/eventually.ts';

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

/** The API still answers `token`'s user, and their socket `other` still gets their events, open. */
async function stillServed(
  t: ExecutionContext,
  token: string,
  other: Awaited<ReturnType<typeof connectSocket>>,
): Promise<void> {
  const created = await fetch(`${t0.url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'after the attack' }),
  });
  t.is(created.status, 201);
  await other.waitFor(1);
  t.is(other.messages[0]?.type, 'task.created');
  t.false(other.closed);
}

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

    await stillServed(t, token, other);
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

/** Says hello on `ws` with `token` and waits for nes' answer; then sends `count` times the messages `message(i)`, at once. */
async function flood(ws: WebSocket, token: string, count: number, message: (i: number) => object[]): Promise<void> {
  const auth = { headers: { authorization: `Bearer ${token}` } };
  const hello = replyOf(ws, 10_000);
  ws.send(JSON.stringify({ type: 'hello', id: 'h', version: '2', auth }));
  const answer = await hello;
  if (answer === 'no reply' || answer.type !== 'hello') throw new Error(`no hello: ${JSON.stringify(answer)}`);
  for (let i = 0; i < count; i++) for (const m of message(i)) ws.send(JSON.stringify(m));
}

for (const kind of ['reauth', 'sub and unsub', 'request', 'ping'] as const) {
  test(`a flood of ${kind} messages closes its socket (1008); the user's other socket keeps working`, async (t) => {
    const user = `flood-${randomUUID()}`;
    const token = t0.token(user);
    const other = await connectSocket(t0.url, token);
    const attacker = await rawSocket();
    try {
      const closed = closeOf(attacker, 20_000);
      const auth = { headers: { authorization: `Bearer ${token}` } };
      await flood(attacker, token, MESSAGE_BUDGET.burst * 20, (i) =>
        kind === 'reauth'
          ? [{ type: 'reauth', id: `m${i}`, auth }]
          : kind === 'request'
            ? [{ type: 'request', id: `m${i}`, method: 'GET', path: '/me' }]
            : kind === 'ping'
              ? [{ type: 'ping', id: `m${i}` }]
              : [
                  { type: 'sub', id: `m${i}`, path: '/events' },
                  { type: 'unsub', id: `u${i}`, path: '/events' },
                ],
      );
      t.deepEqual(await closed, { code: 1008 }, 'closed as a policy violation');

      await stillServed(t, token, other);
    } finally {
      attacker.terminate();
      await other.close();
    }
  });
}

// Serial: it counts every POST /tasks the server receives while it runs.
test.serial(
  'what a socket sends past its budget is not handled: of 2,000 creates sent at once, at most the budget is made',
  async (t) => {
    const token = t0.token(`flood-${randomUUID()}`);
    // The server's own count of the creates it received and answered (an onRequest extension and hapi's
    // "response" event): all the flood's creates are done once the two agree.
    const server = t0.app.server;
    const creates = { received: 0, answered: 0 };
    let counting = true;
    const isCreate = (request: Request) => counting && request.method === 'post' && request.path === '/tasks';
    server.ext('onRequest', (request, h) => {
      if (isCreate(request)) creates.received++;
      return h.continue;
    });
    const onResponse = (request: Request) => {
      if (isCreate(request)) creates.answered++;
    };
    server.events.on('response', onResponse);
    t.teardown(() => {
      counting = false; // an extension stays registered: it counts nothing after this test
      server.events.removeListener('response', onResponse);
    });
    const attacker = await rawSocket();
    try {
      const closed = closeOf(attacker, 20_000);
      const sent = MESSAGE_BUDGET.burst * 20;
      await flood(attacker, token, sent, (i) => [
        { type: 'request', id: `c${i}`, method: 'POST', path: '/tasks', payload: { title: `flood ${i}` } },
      ]);
      t.deepEqual(await closed, { code: 1008 });
      // What was let through is handled to the end (the socket's close does not cut a write in half): at
      // least the burst less the hello's token was let through, and each of those is answered.
      await eventually(
        async () =>
          creates.received >= MESSAGE_BUDGET.burst - 1 && creates.answered === creates.received ? true : undefined,
        { what: 'the creates let through, all answered', timeoutMs: 30_000 },
      );
      const made = (
        (await (
          await fetch(`${t0.url}/tasks?limit=200`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as {
          tasks: unknown[];
        }
      ).tasks.length;
      t.true(made > 0, 'the first ones were handled');
      // The hello took one token; a few more refill while the flood arrives.
      t.true(made <= MESSAGE_BUDGET.burst + MESSAGE_BUDGET.perSecond, `${made} of ${sent} made`);
    } finally {
      attacker.terminate();
    }
  },
);

test('a socket within its budget is never closed: more messages than the burst, at the rate it refills, each answered', async (t) => {
  const token = t0.token(`steady-${randomUUID()}`);
  const ws = await rawSocket();
  try {
    const answered = new Set<string>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: string };
      if (message.id) answered.add(message.id);
    });
    const auth = { headers: { authorization: `Bearer ${token}` } };
    ws.send(JSON.stringify({ type: 'hello', id: 'h', version: '2', auth }));
    const total = MESSAGE_BUDGET.burst + 20;
    const gapMs = 1000 / MESSAGE_BUDGET.perSecond + 5;
    for (let i = 0; i < total; i++) {
      ws.send(JSON.stringify({ type: 'request', id: `r${i}`, method: 'GET', path: '/health' }));
      await new Promise((r) => setTimeout(r, gapMs));
    }
    await eventually(async () => answered.size === total + 1 || undefined, {
      what: `every message answered (${answered.size} of ${total + 1})`,
      timeoutMs: 20_000,
    });
    t.is(ws.readyState, WebSocket.OPEN, 'still open');
  } finally {
    ws.terminate();
  }
});

test('a frame of a shape nes does not handle is answered 400 naming the field, and the socket stays reaped by its heartbeat', async (t) => {
  const token = t0.token(`frames-${randomUUID()}`);
  const ws = await rawSocket();
  try {
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const hello = replyOf(ws, 10_000);
    ws.send(JSON.stringify({ type: 'hello', id: 'h', version: '2', auth }));
    t.like(await hello, { type: 'hello', id: 'h' });
    const answers: [unknown, RegExp][] = [
      [{ type: 'request', id: 2, method: {}, path: '/tasks' }, /^method must be a string$/],
      [{ type: 'request', id: 3, method: 'GET', path: ['/tasks'] }, /^path must be a string$/],
      [{ type: 'sub', id: 4, path: null }, /^path must be a string$/],
      [{ type: 'sub', id: 5, path: {} }, /^path must be a string$/],
      [null, /^a message must be a JSON object$/],
    ];
    for (const [frame, message] of answers) {
      const reply = replyOf(ws, 10_000);
      ws.send(JSON.stringify(frame));
      const answer = await reply;
      t.not(answer, 'no reply', JSON.stringify(frame));
      if (answer === 'no reply') continue;
      t.is((answer.payload as { statusCode?: unknown; error?: unknown }).error, 'Bad Request', JSON.stringify(frame));
      t.regex(String((answer.payload as { message?: unknown }).message), message);
      if (frame !== null)
        t.like(answer, { id: (frame as { id: unknown }).id }, 'the answer names the frame it answers');
    }
    // This client answers none of nes' pings: with nothing of it under way, the heartbeat closes it.
    const closed = await closeOf(ws, 60_000);
    t.not(closed, 'still open', 'closed by the heartbeat');
  } finally {
    ws.terminate();
  }
});

test('a hello of a shape nes does not handle is answered 400 naming the field, without echoing its token', async (t) => {
  const token = t0.token(`hello-${randomUUID()}`);
  for (const [hello, message] of [
    [
      {
        type: 'hello',
        id: 1,
        version: '2',
        auth: { headers: { authorization: `Bearer ${token}` } },
        subs: [{}, null, 5],
      },
      /^subs\[0\] must be a string$/,
    ],
    [{ type: 'hello', id: 1, version: '2', auth: `Bearer ${token}` }, /^auth must be of type object$/],
    [
      { type: 'hello', id: 1, version: '2', auth: { headers: { authorization: 5 } } },
      /^auth\.headers\.authorization must be a string$/,
    ],
  ] as const) {
    const ws = await rawSocket();
    try {
      const reply = replyOf(ws, 10_000);
      ws.send(JSON.stringify(hello));
      const answer = await reply;
      t.not(answer, 'no reply');
      if (answer === 'no reply') continue;
      t.like(answer, { type: 'hello', id: 1, payload: { error: 'Bad Request' } });
      t.regex(String((answer.payload as { message?: unknown }).message), message);
      t.false(JSON.stringify(answer).includes(token.slice(-20)), 'the token is not in the answer');
    } finally {
      ws.terminate();
    }
  }
});
