// Turns of costly reads per caller (api/costly-reads.ts): at most `inFlight` running, the next ones
// waiting in order up to `maxWaiting`, and none beyond; one caller's turns never hold another's.
import test from 'ava';
import Hapi from '@hapi/hapi';
import { Turns, costly, registerCostlyReads } from '../../api/costly-reads.ts';
import { eventually } from '../helpers/eventually.ts';

test('a caller runs at most two at once; the waiting go in order as turns end; more than eight waiting are refused', async (t) => {
  const turns = new Turns(2, 8);
  const ran: number[] = [];
  const releases: (() => void)[] = [];
  const entered = Array.from({ length: 11 }, (_, i) =>
    turns.enter('alice').then((release) => {
      if (release) {
        ran.push(i);
        releases.push(release);
      }
      return release;
    }),
  );
  const refused = await entered[10];
  t.is(refused, null, 'the eleventh: two running, eight waiting');
  await Promise.resolve();
  t.deepEqual(ran, [0, 1]);
  // Another caller is not held by alice's turns.
  const bob = await turns.enter('bob');
  t.not(bob, null);
  bob?.();
  for (let done = 0; done < 10; done++) {
    const release = releases[done];
    release?.();
    release?.(); // releasing twice frees one turn only
    await new Promise((resolve) => setImmediate(resolve));
    t.deepEqual(
      ran,
      Array.from({ length: Math.min(10, done + 3) }, (_, i) => i),
      `after ${done + 1} ended`,
    );
  }
  t.is(turns.size, 0, 'nothing is kept for a caller with no turn running');
});

test('on a server: a handler runs inside its turn until its work ends, whatever the client does; clients gone while waiting leave no turn taken', async (t) => {
  const server = Hapi.server({ host: '127.0.0.1', port: 0 });
  const turns = registerCostlyReads(server);
  let running = 0;
  let most = 0;
  let ran = 0;
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  server.route({
    method: 'GET',
    path: '/slow',
    options: costly({
      auth: false,
      handler: async () => {
        ran++;
        running++;
        most = Math.max(most, running);
        await gate;
        running--;
        return 'done';
      },
    }),
  });
  await server.start();
  try {
    const url = `${server.info.uri}/slow`;
    // Two hold the turns (both handlers running before anyone else comes: on a busy machine the two
    // requests may take longer to arrive than the others take to give up); six more wait, and each of
    // those clients gives up after 50 ms.
    const held = [fetch(url), fetch(url)];
    await eventually(() => running === 2, { what: 'both holders running', intervalMs: 5 });
    const gone = Array.from({ length: 6 }, () => fetch(url, { signal: AbortSignal.timeout(50) }).catch(() => null));
    await Promise.all(gone);
    // Two of the holders' clients give up too: their handlers still hold their turns until their work ends.
    const alsoGone = Array.from({ length: 2 }, () => fetch(url, { signal: AbortSignal.timeout(50) }).catch(() => null));
    await Promise.all(alsoGone);
    t.is(most, 2, 'never more than two handlers of one caller at once');
    open();
    t.deepEqual(
      (await Promise.all(held)).map((r) => r.status),
      [200, 200],
    );
    gate = Promise.resolve();
    // Every turn came back: a new read runs at once, and nothing is kept for the caller afterwards.
    t.is((await fetch(url)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 0));
    t.is(turns.size, 0, 'no turn left taken');
    t.is(most, 2);
    t.true(ran >= 3, 'the holders and the new read ran');
  } finally {
    await server.stop();
  }
});
