// Per-user token bucket: in Redis when REDIS_URL is set (shared by every instance), in memory otherwise.
// Over the limit → 429 with Retry-After.
import Boom from '@hapi/boom';
import type { Server } from '@hapi/hapi';
import type { Credentials } from './auth.ts';

export interface RateLimiter {
  /** Takes one token; returns 0 when allowed, else the seconds to wait. */
  take(key: string): Promise<number>;
  close(): Promise<void>;
}

/** Buckets one in-memory limiter keeps at most (memoryLimiter). */
export const MAX_BUCKETS = 100_000;

export function memoryLimiter(perSecond: number, burst: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async take(key) {
      const now = Date.now();
      const b = buckets.get(key) ?? { tokens: burst, at: now };
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
      b.at = now;
      // Bounded memory: the bucket used longest ago goes (it starts full if it comes back). Not all of them
      // at once: a client making up new keys (addresses) must not refill everyone's bucket, its own included.
      buckets.delete(key);
      buckets.set(key, b);
      if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value as string);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - b.tokens) / perSecond);
    },
    async close() {},
  };
}

const SCRIPT = `
local rate = tonumber(ARGV[1]); local burst = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst; local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait`;

export async function redisLimiter(
  url: string,
  perSecond: number,
  burst: number,
  onError: (error: unknown) => void,
): Promise<RateLimiter> {
  const { createClient } = await import('redis');
  const client = createClient({ url, socket: { reconnectStrategy: (retries) => Math.min(retries * 200, 5000) } });
  client.on('error', onError);
  await client.connect();
  const fallback = memoryLimiter(perSecond, burst);
  return {
    async take(key) {
      if (!client.isReady) return fallback.take(key); // Redis down: limit per instance rather than not at all
      try {
        return Number(
          await client.eval(SCRIPT, {
            keys: [`tasklane:rate:${key}`],
            arguments: [String(perSecond), String(burst), String(Date.now())],
          }),
        );
      } catch (error) {
        onError(error);
        return fallback.take(key);
      }
    },
    async close() {
      await client.quit().catch(() => undefined);
    },
  };
}

export function registerRateLimit(server: Server, limiter: RateLimiter): void {
  server.ext('onPostAuth', async (request, h) => {
    if (!request.auth.isAuthenticated) return h.continue;
    const wait = await limiter.take((request.auth.credentials as unknown as Credentials).user);
    if (wait > 0) {
      const boom = Boom.tooManyRequests(`rate limit exceeded: retry after ${wait} s`);
      boom.output.headers['retry-after'] = String(wait);
      throw boom;
    }
    return h.continue;
  });
}
