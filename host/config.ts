// Configuration from the environment, read once at start-up. Production refuses to start without
// a signing secret or key set, and never enables the dev sign-in. NODE_ENV is read lower-cased:
// unset, `development` and `test` are the only non-production modes; any other value (`Production`,
// `staging`, a typo) is production-like, so a mistyped NODE_ENV can never open the dev sign-in.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type Shape = 'embedded' | 'local' | 'cluster';

export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  /** postgres://… ; undefined → embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  kafka: {
    brokers: string[];
    clientId: string;
    ssl: boolean;
    sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
    topic: string;
    /** Partitions of the topic when tasklane creates it (KAFKA_PARTITIONS, default 6). */
    partitions: number;
    /** Replication factor when tasklane creates the topic (KAFKA_REPLICATION_FACTOR); -1 = the broker's default.replication.factor. */
    replicationFactor: number;
  };
  redisUrl: string | undefined;
  auth: {
    /** HS256 secret, or undefined when keys come from jwksUrl. */
    secret: string | undefined;
    jwksUrl: string | undefined;
    /** How often, at most, the JWKS is read again while tokens arrive, in seconds (JWKS_REFRESH_SEC, default 300). */
    jwksRefreshSec: number;
    /** True when the secret was generated for development (kept under dataDir), never in production. */
    devSecret: boolean;
    devSignIn: boolean;
    /** Longest lifetime a token may claim, in seconds (JWT_MAX_LIFETIME_SEC, default 86400 = 24 h). */
    maxLifetimeSec: number;
    /** Clock skew allowed on a token's `exp`/`nbf`, in seconds (JWT_CLOCK_SKEW_SEC, default 30). */
    clockSkewSec: number;
  };
  dapr: {
    host: string;
    httpPort: number | undefined;
    grpcPort: number | undefined;
    appId: string;
    /** Where the actor routes listen for daprd (the sidecar's --app-port); users reach the API on `port`. */
    appPort: number;
    /** Loopback by default: the sidecar shares the app's host, pod or network namespace. */
    appHost: string;
    /** APP_API_TOKEN (the variable daprd reads too): the actor routes answer only to the sidecar. */
    appToken: string | undefined;
    /** DAPR_API_TOKEN: what daprd requires as `dapr-api-token` on its own API, when it is set there. */
    apiToken?: string | undefined;
    /** How long to wait for a sidecar named by DAPR_HTTP_PORT before running the direct runtime. */
    waitMs: number;
    /** Probe the default sidecar port when DAPR_HTTP_PORT is unset. */
    probeDefault: boolean;
  };
  logLevel: string;
  rateLimit: { perSecond: number; burst: number };
  /** TRUST_PROXY_HOPS (default 0): proxies in front of the app that append to X-Forwarded-For (api/client-address.ts). */
  trustProxyHops: number;
  instanceId: string;
  /** GROUP_COMMIT (default on): task turns ready together share one commit (host/tasks/group-commit.ts); off for comparison runs. */
  groupCommit?: boolean;
}

export class ConfigError extends Error {}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`expected true or false, got "${value}"`);
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = int(name, value, fallback);
  if (n < 1) throw new ConfigError(`${name} must be at least 1, got "${value}"`);
  return n;
}

/** A development signing secret, generated once and kept beside the embedded data (never in code). */
function devSecret(dataDir: string): string {
  const file = path.join(dataDir, '.dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** NODE_ENV lower-cased: unset/empty → development; `development`, `test` as named; anything else → production. */
export function modeOf(nodeEnv: string | undefined): Config['env'] {
  const value = (nodeEnv ?? '').trim().toLowerCase();
  if (value === '' || value === 'development') return 'development';
  if (value === 'test') return 'test';
  return 'production';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = modeOf(env.NODE_ENV);
  const production = mode === 'production';
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const databaseUrl = env.DATABASE_URL || undefined;
  const jwksUrl = env.JWKS_URL || undefined;
  let secret = env.JWT_SECRET || undefined;
  if (production && !secret && !jwksUrl)
    throw new ConfigError(
      `NODE_ENV=${env.NODE_ENV} runs as production and needs JWT_SECRET (HS256) or JWKS_URL (RS256/ES256): refusing to start without a way to verify tokens`,
    );
  if (secret && secret.length < 32 && production)
    throw new ConfigError('JWT_SECRET must be at least 32 characters in production');
  let generated = false;
  if (!secret && !jwksUrl) {
    secret = devSecret(dataDir);
    generated = true;
  }
  // The dev sign-in (POST /auth/dev-token) is the embedded shape's default outside production.
  const devSignIn = production ? false : (bool(env.AUTH_DEV) ?? databaseUrl === undefined);
  const maxLifetimeSec = int('JWT_MAX_LIFETIME_SEC', env.JWT_MAX_LIFETIME_SEC, 86_400);
  if (maxLifetimeSec === 0) throw new ConfigError('JWT_MAX_LIFETIME_SEC must be at least 1 (seconds)');
  const clockSkewSec = int('JWT_CLOCK_SKEW_SEC', env.JWT_CLOCK_SKEW_SEC, 30);
  const jwksRefreshSec = int('JWKS_REFRESH_SEC', env.JWKS_REFRESH_SEC, 300);
  if (jwksRefreshSec === 0 || jwksRefreshSec >= 7 * 86_400)
    throw new ConfigError(
      'JWKS_REFRESH_SEC must be from 1 to 604799 seconds (under a week: a key the provider withdrew is refused within it)',
    );
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism))
    throw new ConfigError(`KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`);
  const daprHttp = env.DAPR_HTTP_PORT ? int('DAPR_HTTP_PORT', env.DAPR_HTTP_PORT, 3500) : undefined;
  const port = int('PORT', env.PORT, 3000);
  return {
    env: mode,
    port,
    host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    databaseUrl,
    dataDir,
    kafka: {
      brokers: (env.KAFKA_BROKERS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      clientId: env.KAFKA_CLIENT_ID ?? 'tasklane',
      ssl: bool(env.KAFKA_SSL) ?? false,
      sasl: mechanism
        ? {
            mechanism: mechanism as 'plain',
            username: env.KAFKA_SASL_USERNAME ?? '',
            password: env.KAFKA_SASL_PASSWORD ?? '',
          }
        : undefined,
      topic: env.KAFKA_TOPIC ?? 'task-events',
      partitions: positive('KAFKA_PARTITIONS', env.KAFKA_PARTITIONS, 6),
      replicationFactor: env.KAFKA_REPLICATION_FACTOR
        ? positive('KAFKA_REPLICATION_FACTOR', env.KAFKA_REPLICATION_FACTOR, 1)
        : -1,
    },
    redisUrl: env.REDIS_URL || undefined,
    auth: { secret, jwksUrl, jwksRefreshSec, devSecret: generated, devSignIn, maxLifetimeSec, clockSkewSec },
    dapr: {
      host: env.DAPR_HOST ?? '127.0.0.1',
      httpPort: daprHttp,
      grpcPort: env.DAPR_GRPC_PORT ? int('DAPR_GRPC_PORT', env.DAPR_GRPC_PORT, 50001) : undefined,
      appId: env.APP_ID ?? 'tasklane',
      appPort: int('DAPR_APP_PORT', env.DAPR_APP_PORT, port + 1),
      appHost: env.DAPR_APP_HOST ?? '127.0.0.1',
      appToken: env.APP_API_TOKEN || undefined,
      apiToken: env.DAPR_API_TOKEN || undefined,
      waitMs: int('DAPR_WAIT_MS', env.DAPR_WAIT_MS, 30_000),
      probeDefault: mode !== 'test' && bool(env.DAPR_PROBE) !== false,
    },
    logLevel: env.LOG_LEVEL ?? (mode === 'test' ? 'warn' : 'info'),
    rateLimit: {
      perSecond: int('RATE_LIMIT_PER_SEC', env.RATE_LIMIT_PER_SEC, 50),
      burst: int('RATE_LIMIT_BURST', env.RATE_LIMIT_BURST, 200),
    },
    trustProxyHops: int('TRUST_PROXY_HOPS', env.TRUST_PROXY_HOPS, 0),
    instanceId: env.INSTANCE_ID ?? randomBytes(4).toString('hex'),
    groupCommit: bool(env.GROUP_COMMIT) ?? true,
  };
}

export function shapeOf(config: Config): Shape {
  if (config.databaseUrl === undefined) return 'embedded';
  return config.env === 'production' ? 'cluster' : 'local';
}
