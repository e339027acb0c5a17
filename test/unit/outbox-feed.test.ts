// The outbox feed (realtime/feeds.ts) covering for the Kafka consumer: at its takeover it re-reads what
// was committed just before the consumer's last fetch, published or not, so an event the relay published
// right before the broker went away — gone from the outbox, never fetched by this instance — still
// reaches the sockets while Kafka is away (a CI run lost one on the other instance's socket until the
// broker was back). The database is a table in memory; the clock is injected.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../actors/events.ts';
import { OutboxFeed, TAKEOVER_MARGIN_MS } from '../../realtime/feeds.ts';

interface Row {
  event: EventEnvelope;
  published: boolean;
}

function world(start = Date.parse('2026-11-30T12:00:00Z')) {
  let now = start;
  let live = true;
  let lastFetch = 0;
  let failing = false;
  const rows: Row[] = [];
  const delivered: EventEnvelope[] = [];
  const reads = { committed: [] as string[], unpublished: 0 };
  const commit = (user: string, published: boolean): EventEnvelope => {
    const seq = rows.filter((r) => r.event.user_id === user).length + 1;
    const event: EventEnvelope = {
      event_id: randomUUID(),
      event_type: 'task.updated',
      user_id: user,
      aggregate_type: 'task',
      aggregate_id: 't1',
      version: seq,
      seq,
      timestamp: new Date(now).toISOString(),
      correlation_id: randomUUID(),
      causation_id: null,
      data: {},
    };
    rows.push({ event, published });
    return event;
  };
  const feed = new OutboxFeed({
    unpublishedSince: async (since) => {
      if (failing) throw new Error('database away');
      reads.unpublished++;
      return rows.filter((r) => !r.published && r.event.timestamp > since).map((r) => r.event);
    },
    committedSince: async (since, limit) => {
      if (failing) throw new Error('database away');
      reads.committed.push(since);
      return rows
        .filter((r) => r.event.timestamp > since)
        .slice(-limit)
        .map((r) => r.event);
    },
    deliver: async (events) => {
      delivered.push(...events);
    },
    active: () => !live,
    primaryLastFetch: () => lastFetch,
    now: () => now,
  });
  return {
    feed,
    rows,
    delivered,
    reads,
    commit,
    advance: (ms: number) => {
      now += ms;
    },
    fetched: () => {
      lastFetch = now;
    },
    set live(value: boolean) {
      live = value;
    },
    set failing(value: boolean) {
      failing = value;
    },
    get now() {
      return now;
    },
  };
}

test('an event published just before the broker went away, never fetched here, is delivered at the takeover', async (t) => {
  const w = world();
  w.fetched();
  w.advance(50);
  const published = w.commit('alice', true); // acknowledged by the broker, not in this consumer's last fetch
  w.advance(3000); // the consumer goes stale
  w.live = false;
  const during = w.commit('alice', false); // the relay cannot publish: it waits in the outbox
  await w.feed.poll();
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [published.event_id, during.event_id],
  );
  t.deepEqual(w.reads.committed, [new Date(w.now - 3050 - TAKEOVER_MARGIN_MS).toISOString()]);
});

test('while it covers, polls read only the outbox; each row is handed once', async (t) => {
  const w = world();
  w.fetched();
  w.live = false;
  w.commit('alice', false);
  await w.feed.poll();
  w.advance(250);
  w.commit('alice', false);
  await w.feed.poll();
  await w.feed.poll();
  t.is(w.reads.committed.length, 1, 'one re-read per takeover');
  t.is(w.reads.unpublished, 3);
  t.deepEqual(
    w.delivered.map((e) => e.seq),
    [1, 2],
  );
});

test('each takeover re-reads; none while the consumer is live', async (t) => {
  const w = world();
  w.fetched();
  await w.feed.poll();
  t.deepEqual(w.reads, { committed: [], unpublished: 0 }, 'the consumer is live: the feed reads nothing');
  w.live = false;
  await w.feed.poll();
  w.live = true;
  for (let i = 0; i < 20; i++) {
    w.advance(250);
    w.fetched();
    await w.feed.poll();
  }
  t.is(w.reads.committed.length, 1, 'one takeover so far');
  w.live = false;
  w.advance(250);
  await w.feed.poll();
  t.is(w.reads.committed.length, 2, 'the consumer went away again: a second takeover');
});

test('a consumer that never fetched had nothing to miss: at start-up old events are not sent to new sockets', async (t) => {
  const w = world();
  w.commit('alice', true);
  w.live = false;
  await w.feed.poll();
  t.deepEqual(w.reads.committed, []);
  t.deepEqual(w.delivered, []);
});

test('a takeover the database was away for is read at the next poll', async (t) => {
  const w = world();
  w.fetched();
  const published = w.commit('alice', true);
  w.live = false;
  w.failing = true;
  await w.feed.poll();
  t.deepEqual(w.delivered, []);
  w.failing = false;
  await w.feed.poll();
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [published.event_id],
  );
});

test("a poll after a stall of this process does not take over: the consumer's answers may be queued behind it", async (t) => {
  const w = world();
  w.fetched();
  w.commit('alice', true);
  await w.feed.poll();
  w.advance(4000); // the process was stalled: the consumer's last answer looks 4 s old
  w.live = false;
  await w.feed.poll();
  t.deepEqual(w.reads, { committed: [], unpublished: 0 }, 'no takeover on the tick right after the stall');
  w.advance(250);
  await w.feed.poll();
  t.is(w.reads.committed.length, 1, 'still stale a tick later: Kafka is away, the feed takes over');
});
