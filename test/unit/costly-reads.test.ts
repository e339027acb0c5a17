// Turns of costly reads per caller (api/costly-reads.ts): at most `inFlight` running, the next ones
// waiting in order up to `maxWaiting`, and none beyond; one caller's turns never hold another's.
import test from 'ava';
import { Turns } from '../../api/costly-reads.ts';

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
