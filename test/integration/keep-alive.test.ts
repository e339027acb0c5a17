// Idle keep-alive connections outlive a busy client's reuse margin: the server advertises 65 s, so a client
// that reuses a connection it believes alive never meets one the server closed a moment before.
import test from 'ava';
import http from 'node:http';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { KEEP_ALIVE_MS } from '../../api/server.ts';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await app?.stop();
});

test('the server keeps idle connections 65 s and says so in Keep-Alive', async (t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const get = () =>
      new Promise<{ header: string; socket: unknown }>((resolve, reject) => {
        const req = http.get(`${app.url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ header: String(res.headers['keep-alive']), socket: req.socket }));
        });
        req.on('error', reject);
      });
    const first = await get();
    const second = await get();
    t.is(first.header, `timeout=${KEEP_ALIVE_MS / 1000}`);
    t.is(second.socket, first.socket, 'the second request reused the first connection');
  } finally {
    agent.destroy();
  }
});
