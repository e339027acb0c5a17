// The one dispatcher of timer turns (actors/runtime/fire-queue.ts): however many timers fall due together,
// at most `limit` turns run at once, the rest start in due order with the event loop free between two
// starts, and each timer fires once.
import test from 'ava';
import { FireQueue, TIMER_TURNS_IN_FLIGHT } from '../../actors/runtime/fire-queue.ts';
import type { Timer } from '../../actors/task/timers.ts';

const timer = (i: number, dueAt: number): Timer => ({
  name: `remind:${i}`,
  taskId: `task-${i}`,
  userId: 'u',
  dueAt,
  command: { type: 'fire_reminder', reminder_id: `r-${i}` },
});

/** A turn that ends when the test says so. */
function controllable() {
  const started: Timer[] = [];
  const finish: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const fire = (t: Timer) =>
    new Promise<void>((resolve) => {
      started.push(t);
      running++;
      peak = Math.max(peak, running);
      finish.push(() => {
        running--;
        resolve();
      });
    });
  return { fire, started, finish, peak: () => peak };
}

const turnOfLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

test('never more than the limit in flight; the rest start in due order as turns end; each fires once', async (t) => {
  const turns = controllable();
  const queue = new FireQueue({ fire: turns.fire, limit: 3 });
  const base = 1_000_000;
  // Arrive out of order: due times descending.
  const timers = Array.from({ length: 20 }, (_, i) => timer(i, base - i * 1000));
  const done = Promise.all(timers.map((x) => queue.fire(x)));
  for (let i = 0; i < 10; i++) await turnOfLoop();
  t.is(turns.started.length, 3, 'the limit is reached and held');
  t.is(queue.inFlight, 3);
  t.is(queue.queued, 17);
  while (turns.finish.length > 0) {
    turns.finish.shift()?.();
    for (let i = 0; i < 3; i++) await turnOfLoop();
  }
  await done;
  t.is(turns.peak(), 3);
  t.is(queue.peak, 3);
  t.deepEqual(
    turns.started.map((x) => x.dueAt),
    timers.map((x) => x.dueAt).sort((a, b) => a - b),
    'oldest first',
  );
  t.is(new Set(turns.started.map((x) => x.name)).size, 20, 'each once');
});

test('a storm of instant turns starts at most one turn per turn of the event loop', async (t) => {
  let fired = 0;
  const queue = new FireQueue({ fire: async () => void fired++ });
  const done = Promise.all(Array.from({ length: 300 }, (_, i) => queue.fire(timer(i, 5000))));
  // A probe in the same loop: between two of its turns, how many timer turns ended.
  let worst = 0;
  let probing = true;
  const probe = (last: number) => {
    worst = Math.max(worst, fired - last);
    if (probing) setImmediate(probe, fired);
  };
  setImmediate(probe, fired);
  await done;
  probing = false;
  t.is(fired, 300);
  t.true(worst <= 1, `at most one timer turn between two turns of the loop (worst ${worst})`);
  t.true(queue.peak <= TIMER_TURNS_IN_FLIGHT);
});

test('a timer waiting or in flight is not queued twice; once it has run it can be queued again', async (t) => {
  const turns = controllable();
  const queue = new FireQueue({ fire: turns.fire, limit: 1 });
  const a = timer(1, 10);
  const first = queue.fire(a);
  const again = queue.fire({ ...a });
  t.is(again, first, 'shares the waiting fire');
  await turnOfLoop();
  t.is(turns.started.length, 1);
  t.is(queue.fire({ ...a }), first, 'shares the fire in flight');
  turns.finish.shift()?.();
  await first;
  const later = queue.fire({ ...a });
  t.not(later, first);
  await turnOfLoop();
  turns.finish.shift()?.();
  await later;
  t.is(turns.started.length, 2);
  // Same timer re-armed for another time is another fire.
  const moved = queue.fire({ ...a, dueAt: 20 });
  const original = queue.fire({ ...a });
  t.not(moved, original);
});

test('a turn that fails rejects its own fire only; the queue goes on', async (t) => {
  const queue = new FireQueue({
    fire: async (x) => {
      if (x.name === 'remind:1') throw new Error('database away');
    },
    limit: 1,
  });
  const results = await Promise.allSettled([0, 1, 2].map((i) => queue.fire(timer(i, i))));
  t.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  t.is(queue.inFlight, 0);
});

test('stop waits for the turns in flight and rejects the waiting ones (they stay due in the database)', async (t) => {
  const turns = controllable();
  const queue = new FireQueue({ fire: turns.fire, limit: 1 });
  const running = queue.fire(timer(1, 1));
  const waiting = queue.fire(timer(2, 2));
  await turnOfLoop();
  let stopped = false;
  const stopping = queue.stop().then(() => {
    stopped = true;
  });
  await t.throwsAsync(waiting, { message: /stopping/ });
  await turnOfLoop();
  t.false(stopped, 'waits for the turn in flight');
  turns.finish.shift()?.();
  await running;
  await stopping;
  t.is(turns.started.length, 1);
  await t.throwsAsync(queue.fire(timer(3, 3)), { message: /stopping/ });
});

test('the limit is a whole number of at least one', (t) => {
  t.throws(() => new FireQueue({ fire: async () => undefined, limit: 0 }), { instanceOf: RangeError });
});
