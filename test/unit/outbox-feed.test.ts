// The outbox feed (realtime/feeds.ts) covering for the Kafka consumer: when the consumer is away it
// re-reads, once per absence, what was published since the consumer may have missed it, so an event the
// relay published right before the broker went away — gone from the outbox, never fetched by this
// instance — still reaches the sockets while Kafka is away (a CI run lost one on the other instance's
// socket until the broker was back). The database is a table in memory; the clock is injected.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../actors/events.ts';
import { OutboxFeed, TAKEOVER_MARGIN_MS, missedFrom, noteBatch } from '../../realtime/feeds.ts';

interface Row {
  event: EventEnvelope;
  published: boolean;
}

function world(start = Date.parse('2026-11-30T12:00:00Z')) {
  let now = start;
  let live = true;
  let relayHealthy = true;
  let lastFetch = 0;
  let startedAt = start;
  let failing = false;
  const rows: Row[] = [];
  const delivered: EventEnvelope[] = [];
  const reads = { published: [] as string[], unpublished: 0 };
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
    publishedSince: async (since, limit) => {
      if (failing) throw new Error('database away');
      reads.published.push(since);
      return rows
        .filter((r) => r.published && r.event.timestamp > since)
        .slice(-limit)
        .map((r) => r.event);
    },
    deliver: async (events) => {
      delivered.push(...events);
    },
    primaryLive: () => live,
    relayHealthy: () => relayHealthy,
    primaryMissedFrom: () => missedFrom(lastFetch, startedAt),
    now: () => now,
  });
  return {
    feed,
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
    set relayHealthy(value: boolean) {
      relayHealthy = value;
    },
    set failing(value: boolean) {
      failing = value;
    },
    set startedAt(value: number) {
      startedAt = value;
    },
    get now() {
      return now;
    },
  };
}

/** Polls every 250 ms (the feed's period) `times` times. */
async function tick(w: ReturnType<typeof world>, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    w.advance(250);
    await w.feed.poll();
  }
}

test('missedFrom: the margin before the last fetch; before any fetch, the start; before a start, nothing', (t) => {
  t.is(missedFrom(1_000_000, 5), 1_000_000 - TAKEOVER_MARGIN_MS);
  t.is(missedFrom(0, 123_456), 123_456);
  t.is(missedFrom(0, 0), 0);
});

test('missedFrom: a consumer lagging on a partition may have missed what was published there after the last message it handled', (t) => {
  const lagging = new Map<number, number>();
  // Partition 2 is handled up to a message published at 940,000 with more behind it; partition 0 caught up.
  noteBatch(lagging, 2, '1500', '940000', 5);
  noteBatch(lagging, 0, '0', '999000', 5);
  t.is(missedFrom(1_000_000, 5, lagging.values()), 940_000 - TAKEOVER_MARGIN_MS);
  // A later batch there still behind moves it on; one that catches up clears it.
  noteBatch(lagging, 2, '3', '990000', 5);
  t.is(missedFrom(1_000_000, 5, lagging.values()), 990_000 - TAKEOVER_MARGIN_MS);
  noteBatch(lagging, 2, '0', '995000', 5);
  t.is(missedFrom(1_000_000, 5, lagging.values()), 1_000_000 - TAKEOVER_MARGIN_MS);
  // A message without a usable time keeps what was known, else the fallback (the consumer's start).
  noteBatch(lagging, 1, '7', undefined, 5);
  t.is(lagging.get(1), 5);
  noteBatch(lagging, 3, '7', '970000', 5);
  noteBatch(lagging, 3, '6', '-1', 5);
  t.is(lagging.get(3), 970_000);
});

test('an event published just before the broker went away, never fetched here, is delivered when the consumer is away', async (t) => {
  const w = world();
  w.fetched();
  const fetchedAt = w.now;
  w.advance(50);
  const published = w.commit('alice', true); // acknowledged by the broker, not in this consumer's last fetch
  await w.feed.poll();
  w.live = false; // the consumer went stale
  const during = w.commit('alice', false); // the relay cannot publish: it waits in the outbox
  await tick(w);
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [published.event_id, during.event_id],
  );
  t.deepEqual(w.reads.published, [new Date(fetchedAt - TAKEOVER_MARGIN_MS).toISOString()]);
});

test('while it covers, polls read only the outbox; each row is handed once', async (t) => {
  const w = world();
  w.fetched();
  w.live = false;
  w.commit('alice', false);
  await tick(w);
  w.commit('alice', false);
  await tick(w, 2);
  t.is(w.reads.published.length, 1, 'one re-read per absence');
  t.is(w.reads.unpublished, 3);
  t.deepEqual(
    w.delivered.map((e) => e.seq),
    [1, 2],
  );
});

test('each absence of the consumer is re-read once; nothing is read while it is live', async (t) => {
  const w = world();
  w.fetched();
  await tick(w);
  t.deepEqual(w.reads, { published: [], unpublished: 0 }, 'the consumer is live: the feed reads nothing');
  w.live = false;
  await tick(w, 3);
  w.live = true;
  await tick(w, 20);
  t.is(w.reads.published.length, 1, 'one absence so far');
  w.live = false;
  await tick(w);
  t.is(w.reads.published.length, 2, 'the consumer went away again: a second re-read');
});

test('while only the relay fails, the consumer missed nothing: the feed reads the outbox and re-reads nothing', async (t) => {
  const w = world();
  w.fetched();
  w.commit('alice', true);
  w.relayHealthy = false;
  const waiting = w.commit('alice', false);
  await tick(w, 3);
  t.deepEqual(w.reads.published, []);
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [waiting.event_id],
  );
});

test('a consumer that never fetched re-reads from its start, not before: older events are not sent to new sockets', async (t) => {
  const w = world();
  w.commit('alice', true); // published before the consumer started: not its to miss
  w.advance(1000);
  w.startedAt = w.now;
  w.advance(1000);
  const afterStart = w.commit('alice', true); // published after its start, never fetched
  w.live = false;
  await tick(w);
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [afterStart.event_id],
  );
});

test('a re-read the database was away for is done at the next poll', async (t) => {
  const w = world();
  w.fetched();
  const published = w.commit('alice', true);
  w.live = false;
  w.failing = true;
  await tick(w);
  t.deepEqual(w.delivered, []);
  w.failing = false;
  await tick(w);
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [published.event_id],
  );
});

test("a poll after a stall of this process does not re-read: the consumer's answers may be queued behind it", async (t) => {
  const w = world();
  w.fetched();
  w.commit('alice', true);
  await tick(w);
  w.advance(4000); // the process was stalled: the consumer's last answer looks 4 s old
  w.live = false;
  await w.feed.poll();
  t.deepEqual(w.reads, { published: [], unpublished: 0 }, 'no re-read on the tick right after the stall');
  await tick(w);
  t.is(w.reads.published.length, 1, 'still away a tick later: the feed covers');
});

test('a loop that lags all the time still gets covered: never two ticks in a row are skipped', async (t) => {
  const w = world();
  w.fetched();
  w.live = false;
  const waiting = w.commit('alice', false);
  for (let i = 0; i < 2; i++) {
    w.advance(1500); // every tick comes late
    await w.feed.poll();
  }
  t.deepEqual(
    w.delivered.map((e) => e.event_id),
    [waiting.event_id],
  );
});
