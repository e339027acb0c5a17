// The relay's Dapr sink without daprd: a batch goes out through Dapr's bulk publish API in rounds that
// hold at most one event per user, each round only after the one before was accepted, each event as its
// envelope's JSON text with its key and headers as metadata. The real daprd and Kafka path is
// test/integration/events-dapr.test.ts.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { daprSink, perUserRounds } from '../../host/outbox/sinks.ts';
import { closeServer } from '../../actors/runtime/dapr-channel.ts';
import type { EventEnvelope } from '../../actors/events.ts';

const event = (user: string, seq: number): EventEnvelope => ({
  event_id: `${user}-${seq}`,
  event_type: 'task.updated',
  aggregate_type: 'task',
  aggregate_id: `task-${user}`,
  data: { title: `<b>"${seq}" & é</b>` },
  user_id: user,
  version: seq,
  seq,
  timestamp: '2026-01-02T03:04:05.000Z',
  correlation_id: `corr-${user}-${seq}`,
  causation_id: null,
});

interface BulkRequest {
  url: string;
  token: string | undefined;
  entries: Array<{ entryId: string; event: unknown; contentType: string; metadata: Record<string, string> }>;
}

/** A stand-in for daprd's bulk publish endpoint: records each request; `answer` says what it replies. */
async function fakeDaprd(t: { teardown: (fn: () => Promise<void>) => void }, answer: (n: number) => number) {
  const requests: BulkRequest[] = [];
  let open = 0;
  let overlapped = false;
  const server = http.createServer((req, res) => {
    open++;
    if (open > 1) overlapped = true;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // daprd reads the body as a JSON array of entries (dapr pkg/api/http onBulkPublish).
      const entries = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BulkRequest['entries'];
      const token = req.headers['dapr-api-token'];
      requests.push({ url: req.url ?? '', token: typeof token === 'string' ? token : undefined, entries });
      const status = answer(requests.length);
      // Answer later, so a round sent before this one was accepted would overlap it.
      setTimeout(() => {
        open--;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 204 ? '' : JSON.stringify({ failedEntries: [{ entryId: '0', error: 'broker away' }] }));
      }, 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => closeServer(server));
  return { port: (server.address() as AddressInfo).port, requests, overlapped: () => overlapped };
}

test('rounds hold each user at most once and keep each user’s order', (t) => {
  const batch = [event('a', 1), event('a', 2), event('a', 3), event('b', 7), event('c', 1), event('c', 2)];
  const rounds = perUserRounds(batch);
  t.deepEqual(
    rounds.map((r) => r.map((e) => e.event_id)),
    [['a-1', 'b-7', 'c-1'], ['a-2', 'c-2'], ['a-3']],
  );
  t.deepEqual(perUserRounds([]), []);
});

test('a batch goes out as bulk publishes, one round after another, each event as its JSON text', async (t) => {
  const daprd = await fakeDaprd(t, () => 204);
  const sink = daprSink('127.0.0.1', daprd.port, 'pubsub', 'task-events', 'api-token');
  t.teardown(() => sink.close());
  const batch = [event('a', 1), event('a', 2), event('b', 1)];
  await sink.publish(batch);

  t.is(daprd.requests.length, 2, 'two rounds: user a has two events');
  t.false(daprd.overlapped(), 'the second round waited for the first to be accepted');
  for (const r of daprd.requests) {
    t.is(r.url, '/v1.0-alpha1/publish/bulk/pubsub/task-events?metadata.rawPayload=true');
    t.is(r.token, 'api-token');
    t.is(new Set(r.entries.map((e) => e.entryId)).size, r.entries.length, 'entry ids are unique in a request');
  }
  const sent = daprd.requests.flatMap((r) => r.entries);
  t.deepEqual(
    sent.map((e) => e.event),
    [batch[0], batch[2], batch[1]].map((e) => JSON.stringify(e)),
    'the envelope as the kafkajs sink writes it, as text',
  );
  for (const [i, e] of [batch[0], batch[2], batch[1]].entries()) {
    t.is(sent[i]?.contentType, 'text/plain');
    t.deepEqual(sent[i]?.metadata, {
      partitionKey: e?.user_id,
      event_type: e?.event_type,
      correlation_id: e?.correlation_id,
    });
  }
});

test('a round daprd does not fully accept fails the batch, and no later round is sent', async (t) => {
  const daprd = await fakeDaprd(t, () => 500);
  const sink = daprSink('127.0.0.1', daprd.port, 'pubsub', 'task-events');
  t.teardown(() => sink.close());
  const failed = await t.throwsAsync(sink.publish([event('a', 1), event('a', 2)]));
  t.regex(failed?.message ?? '', /dapr publish: .*broker away/);
  t.is(daprd.requests.length, 1, 'the second round of user a waits for the relay to try the batch again');
  t.is(daprd.requests[0]?.token, undefined, 'no token header without a token');
});
