// The Dapr channels without daprd: the app channel answers daprd's calls as the Dapr actor API says
// (config, methods, reminders, deactivation), and the sidecar channel's failures read as "sidecar away"
// to the API's error mapping, as the SDK's did. The real daprd path is test/integration/*-dapr*.test.ts.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  serveActors,
  closeServer,
  SidecarChannel,
  DaprCallError,
  DaprTransportError,
} from '../../actors/runtime/dapr-channel.ts';
import { sidecarAway } from '../../api/errors.ts';

const config = {
  actorIdleTimeout: '1h',
  actorScanInterval: '30s',
  drainOngoingCallTimeout: '30s',
  drainRebalancedActors: true,
};

async function appChannel(t: { teardown: (fn: () => Promise<void>) => void }) {
  const calls: unknown[] = [];
  const server = await serveActors({
    host: '127.0.0.1',
    port: 0,
    token: 'secret',
    config,
    keepAliveMs: 120_000,
    maxBodyBytes: 1024,
    types: {
      TaskActor: {
        methods: { execute: async (id, body) => ({ id, body }) },
        remind: async (id, name, data) => {
          calls.push({ id, name, data });
        },
      },
    },
  });
  t.teardown(() => closeServer(server));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = (method: string, path: string, body?: string) =>
    fetch(`${base}${path}`, {
      method,
      headers: { 'dapr-api-token': 'secret', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
  return { calls, send };
}

test('daprd reads the registered actor types and their runtime settings from /dapr/config', async (t) => {
  const { send } = await appChannel(t);
  const res = await send('GET', '/dapr/config');
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { entities: ['TaskActor'], ...config });
  t.is(await (await send('GET', '/healthz')).text(), 'ok');
});

test('an actor method gets its decoded id and parsed body, and answers JSON', async (t) => {
  const { send } = await appChannel(t);
  const res = await send(
    'PUT',
    `/actors/TaskActor/${encodeURIComponent('a b/c')}/method/execute`,
    JSON.stringify({ userId: 'u1' }),
  );
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { id: 'a b/c', body: { userId: 'u1' } });
});

test('a fired reminder hands over its registered data, parsed when it was registered as a JSON string', async (t) => {
  const { send, calls } = await appChannel(t);
  const data = JSON.stringify({ userId: 'u1', command: { type: 'spawn' } });
  const res = await send(
    'PUT',
    '/actors/TaskActor/t1/method/remind/spawn',
    JSON.stringify({ data, dueTime: '0s', period: '' }),
  );
  t.is(res.status, 200);
  t.deepEqual(calls, [{ id: 't1', name: 'spawn', data: { userId: 'u1', command: { type: 'spawn' } } }]);
});

test('deactivation is acknowledged; unknown types, methods and oversized bodies are refused', async (t) => {
  const { send } = await appChannel(t);
  t.is((await send('DELETE', '/actors/TaskActor/t1')).status, 200);
  t.is((await send('PUT', '/actors/NoSuchActor/t1/method/execute', '{}')).status, 404);
  const unknown = await send('PUT', '/actors/TaskActor/t1/method/toString', '{}');
  t.is(unknown.status, 500);
  t.regex(await unknown.text(), /ACTOR_METHOD_DOES_NOT_EXIST/);
  t.is(
    (await send('PUT', '/actors/TaskActor/t1/method/execute', JSON.stringify({ pad: 'x'.repeat(2048) }))).status,
    413,
  );
});

test('a non-2xx answer from daprd and a refused connection both read as the sidecar away', async (t) => {
  const daprd = http.createServer((req, res) => {
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ errorCode: 'ERR_ACTOR_INVOKE_METHOD', message: 'did not find address for actor TaskActor/x' }),
    );
  });
  await new Promise<void>((resolve) => daprd.listen(0, '127.0.0.1', resolve));
  const port = (daprd.address() as AddressInfo).port;
  const channel = new SidecarChannel({ host: '127.0.0.1', port });
  t.teardown(() => channel.close());
  const answered = await t.throwsAsync(channel.invoke('TaskActor', 'x', 'execute', '{}'), {
    instanceOf: DaprCallError,
  });
  t.true(sidecarAway(answered));

  await closeServer(daprd);
  // A fresh channel: the first one's kept-alive socket may still be closing (a reset, not a refusal).
  const gone = new SidecarChannel({ host: '127.0.0.1', port });
  t.teardown(() => gone.close());
  const refused = await t.throwsAsync(gone.invoke('TaskActor', 'x', 'execute', '{}'), {
    instanceOf: DaprTransportError,
  });
  t.is((refused as DaprTransportError).code, 'ECONNREFUSED');
  t.true(sidecarAway(refused));
});

test('a call that meets a closed channel (the app stopping) or no answer in time reads as the sidecar away', async (t) => {
  const daprd = http.createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => daprd.listen(0, '127.0.0.1', resolve));
  t.teardown(() => daprd.closeAllConnections());
  t.teardown(() => daprd.close());
  const port = (daprd.address() as AddressInfo).port;
  const slow = new SidecarChannel({ host: '127.0.0.1', port, timeoutMs: 200 });
  t.teardown(() => slow.close());
  const late = await t.throwsAsync(slow.invoke('TaskActor', 'x', 'execute', '{}'), { instanceOf: DaprTransportError });
  t.is((late as DaprTransportError).code, 'ETIMEDOUT');
  t.true(sidecarAway(late));

  const closed = new SidecarChannel({ host: '127.0.0.1', port });
  closed.close();
  const after = await t.throwsAsync(closed.invoke('TaskActor', 'x', 'execute', '{}'), {
    instanceOf: DaprTransportError,
  });
  t.true(sidecarAway(after), (after as Error).message);
});
