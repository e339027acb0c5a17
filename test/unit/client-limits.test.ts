// What is counted per client (api/client-address.ts) and how the in-memory limiter stays bounded
// (api/rate-limit.ts): behind trusted proxies the client is the address X-Forwarded-For gives, counted
// from the right; without them no header is believed; a client making up keys never refills its own bucket.
import test from 'ava';
import type { Request } from '@hapi/hapi';
import { clientAddress, forwardedHeader, registerClientAddress } from '../../api/client-address.ts';
import { memoryLimiter, MAX_BUCKETS } from '../../api/rate-limit.ts';

/** A request to a server behind `hops` trusted proxies (each test its own server). */
const behind = (hops: number) => {
  const server = {};
  registerClientAddress(server as never, hops);
  return (remoteAddress: string, forwarded?: string) => requestTo(server, remoteAddress, forwarded);
};
const requestTo = (server: object, remoteAddress: string, forwarded?: string) =>
  ({
    server,
    info: { remoteAddress },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as Request;

test('with no trusted proxy the connection is the client, whatever X-Forwarded-For says', (t) => {
  const requestFrom = behind(0);
  t.is(clientAddress(requestFrom('10.0.0.1', '203.0.113.9')), '10.0.0.1');
});

test('behind one proxy the client is the address it appended; what the client wrote before it is not believed', (t) => {
  const requestFrom = behind(1);
  t.is(clientAddress(requestFrom('10.0.0.1', '203.0.113.9')), '203.0.113.9');
  t.is(clientAddress(requestFrom('10.0.0.1', '198.51.100.7, 203.0.113.9')), '203.0.113.9', 'a spoofed first entry');
  t.is(clientAddress(requestFrom('10.0.0.1')), '10.0.0.1', 'no header: the connection');
});

test('behind two proxies the client is the second address from the right, never further than the header goes', (t) => {
  const requestFrom = behind(2);
  t.is(clientAddress(requestFrom('10.0.0.1', '198.51.100.7, 203.0.113.9, 10.0.0.2')), '203.0.113.9');
  t.is(clientAddress(requestFrom('10.0.0.1', '203.0.113.9')), '203.0.113.9');
});

test("a proxy's X-Forwarded-Host and -Proto are believed only behind a trusted proxy (a feed URL is not the client's to choose)", (t) => {
  const headers = { 'x-forwarded-host': 'evil.example, inner.example', 'x-forwarded-proto': 'https' };
  const server = (hops: number) => {
    const s = {};
    registerClientAddress(s as never, hops);
    return { server: s, info: { remoteAddress: '10.0.0.2' }, headers } as unknown as Request;
  };
  t.is(forwardedHeader(server(0), 'x-forwarded-host'), undefined);
  t.is(forwardedHeader(server(0), 'x-forwarded-proto'), undefined);
  t.is(forwardedHeader(server(1), 'x-forwarded-host'), 'evil.example');
  t.is(forwardedHeader(server(1), 'x-forwarded-proto'), 'https');
});

test('a client making up new keys never refills its own spent bucket (the limiter drops the least recent ones)', async (t) => {
  const limiter = memoryLimiter(0.001, 2);
  t.is(await limiter.take('me'), 0);
  t.is(await limiter.take('me'), 0);
  t.true((await limiter.take('me')) > 0, 'spent');
  for (let i = 0; i < MAX_BUCKETS + 10; i++) {
    await limiter.take(`made-up-${i}`);
    if (i % 10_000 === 0) t.true((await limiter.take('me')) > 0, `still spent after ${i} made-up keys`);
  }
  t.true((await limiter.take('me')) > 0, 'still spent at the end');
});
