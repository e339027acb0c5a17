// The dashboard's sendAction (realtime/public/client.js): one key per action, the same key on every retry
// of an ambiguous failure, no retry of an answer that is not ambiguous. Clock and randomness injected.
import test from 'ava';

// The browser module is plain JavaScript without declarations: its shape, as used here.
interface ClientModule {
  sendAction(
    url: string,
    init?: { method?: string; body?: string; headers?: Record<string, string> },
    options?: {
      attempts?: number;
      fetchFn?: (url: string, init: { headers: Record<string, string> }) => Promise<Response>;
      newKey?: () => string;
      sleep?: (ms: number) => Promise<void>;
      random?: () => number;
    },
  ): Promise<Response>;
  newIdempotencyKey(): string;
}
const modulePath = '../../realtime/public/client.js';
const { sendAction, newIdempotencyKey } = (await import(modulePath)) as ClientModule;

type Step = number | 'network';
function fakeFetch(steps: Step[], retryAfter?: string) {
  const seen: { url: string; key: string | undefined }[] = [];
  const fetchFn = async (url: string, init: { headers: Record<string, string> }): Promise<Response> => {
    seen.push({ url, key: init.headers['idempotency-key'] });
    const step = steps[seen.length - 1] ?? 200;
    if (step === 'network') throw new TypeError('fetch failed');
    return new Response(null, { status: step, headers: retryAfter ? { 'retry-after': retryAfter } : {} });
  };
  return { fetchFn, seen };
}

const noSleep = { sleep: async () => undefined, random: () => 0.5 };

test('a write retried after a network error and a 503 sends the same key each time', async (t) => {
  const { fetchFn, seen } = fakeFetch(['network', 503, 201]);
  let keys = 0;
  const response = await sendAction(
    '/tasks',
    { method: 'POST', body: '{}' },
    { fetchFn, newKey: () => `k${++keys}`, ...noSleep },
  );
  t.is(response.status, 201);
  t.deepEqual(
    seen.map((s) => s.key),
    ['k1', 'k1', 'k1'],
  );
  await sendAction(
    '/tasks',
    { method: 'POST', body: '{}' },
    { fetchFn: fakeFetch([201]).fetchFn, newKey: () => `k${++keys}`, ...noSleep },
  );
  t.is(keys, 2, 'the next action gets a fresh key');
});

test('answers that settle the outcome are not retried, reads carry no key, a key given is kept', async (t) => {
  for (const status of [200, 400, 409, 422, 500]) {
    const { fetchFn, seen } = fakeFetch([status, 201]);
    t.is((await sendAction('/tasks/x/complete', { method: 'POST' }, { fetchFn, ...noSleep })).status, status);
    t.is(seen.length, 1, String(status));
  }
  const read = fakeFetch([200]);
  await sendAction('/tasks', {}, { fetchFn: read.fetchFn, ...noSleep });
  t.is(read.seen[0]?.key, undefined);
  const given = fakeFetch([503, 200]);
  await sendAction(
    '/me',
    { method: 'PATCH', headers: { 'Idempotency-Key': 'mine' } },
    { fetchFn: given.fetchFn, ...noSleep },
  );
  t.is(given.seen.length, 2);
});

test('it gives up after the attempts, with the last answer or network error, waiting Retry-After between', async (t) => {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  const busy = fakeFetch([503, 503, 503], '2');
  t.is((await sendAction('/tasks', { method: 'POST' }, { fetchFn: busy.fetchFn, attempts: 3, sleep })).status, 503);
  t.deepEqual(waits, [2000, 2000]);
  const down = fakeFetch(['network', 'network']);
  await t.throwsAsync(sendAction('/tasks', { method: 'DELETE' }, { fetchFn: down.fetchFn, attempts: 2, ...noSleep }), {
    message: 'fetch failed',
  });
  t.regex(newIdempotencyKey(), /^[0-9a-f]{32}$/);
});
