// The hub with shared lists (issue 17): one event reaches each member as their own copy (its user_id is
// the recipient, its seq theirs), so the hub tells deliveries apart by user and event id. A copy for a
// second user is delivered; the same user's copy coming twice (a feed switch) is still a duplicate.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../actors/events.ts';
import { Hub, type RealtimeMessage } from '../../realtime/hub.ts';

const event = (user_id: string, seq: number, event_id = randomUUID()): EventEnvelope => ({
  event_id,
  event_type: 'task.created',
  user_id,
  aggregate_type: 'task',
  aggregate_id: 'a1',
  version: 1,
  seq,
  timestamp: '2026-03-01T10:00:00.000Z',
  correlation_id: randomUUID(),
  causation_id: null,
  data: {},
});

function hub() {
  const h = new Hub();
  const sent: [string, RealtimeMessage][] = [];
  h.attach((user, message) => {
    sent.push([user, message]);
  });
  return { h, sent };
}

test("one event's copies reach each member once, in each member's seq order; a copy brought again is a duplicate", async (t) => {
  const { h, sent } = hub();
  const shared = randomUUID();
  await h.deliver([event('alice', 1, shared)], 'relay');
  await h.deliver([event('bob', 7, shared), event('bob', 6)], 'relay');
  t.deepEqual(
    sent.map(([user, m]) => [user, m.user_id, m.seq]),
    [
      ['alice', 'alice', 1],
      ['bob', 'bob', 6],
      ['bob', 'bob', 7],
    ],
  );
  await h.deliver([event('bob', 7, shared), event('alice', 1, shared)], 'outbox');
  t.is(sent.length, 3, 'nothing delivered twice');
  t.is(h.countsOf('outbox').duplicates, 2);
});

test("a member's copy published at commit is not published again by the feed, and does not hide another member's", async (t) => {
  const { h, sent } = hub();
  const shared = randomUUID();
  t.is(h.deliverLocal([event('alice', 1, shared), event('bob', 1, shared)]), 2);
  await h.deliver([event('alice', 1, shared), event('bob', 1, shared), event('carol', 1, shared)], 'kafka');
  t.deepEqual(
    sent.map(([user, m]) => [user, m.event_id === shared]),
    [
      ['alice', true],
      ['bob', true],
      ['carol', true],
    ],
  );
  t.is(h.countsOf('kafka').localCopies, 2);
  t.is(h.countsOf('kafka').duplicates, 0);
});
