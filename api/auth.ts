// JWT auth with @hapi/jwt: HS256 with JWT_SECRET, or RS256/ES256 keys from JWKS_URL. `exp` is
// required, `sub` is the user; `role: admin` opens /admin routes. nes uses the same strategy, and
// its sockets close when the token in force expires (realtime/nes.ts reads `expiresAt`).
import Jwt from '@hapi/jwt';
import type { Server } from '@hapi/hapi';
import { textProblem } from './schemas.ts';

export interface AuthConfig {
  secret: string | undefined;
  jwksUrl: string | undefined;
  /** Longest lifetime a token may claim, in seconds (JWT_MAX_LIFETIME_SEC; default 24 h). */
  maxLifetimeSec?: number;
  /** Clock skew allowed on `exp` and `nbf`, in seconds (JWT_CLOCK_SKEW_SEC; default 30). */
  clockSkewSec?: number;
}

export interface Credentials {
  user: string;
  role: 'admin' | 'user';
  /** Epoch milliseconds after which this token is refused (`exp` plus the allowed clock skew). */
  expiresAt: number;
  [key: string]: unknown;
}

export const DEFAULT_MAX_LIFETIME_SEC = 86_400;
export const DEFAULT_CLOCK_SKEW_SEC = 30;
const MAX_SUBJECT = 128;

/**
 * Why a verified token's claims are still refused, or undefined when they are acceptable.
 * Rules: `sub` a non-empty string of at most 128 characters that keeps the one rule for strings
 * (api/schemas.ts `textProblem`: no NUL, lone surrogate, control character or DEL); `exp` a number;
 * `iat`, when present, a number; lifetime `exp - iat` at most `maxLifetimeSec`; and, with or without
 * `iat`, `exp` no further than `maxLifetimeSec` (plus skew) ahead of `nowSec` (seconds), so a
 * token without `iat`, or with one in the future, cannot outlive the maximum.
 */
export function claimProblem(payload: Record<string, unknown>, nowSec: number, maxLifetimeSec: number, clockSkewSec: number): string | undefined {
  const { sub, exp, iat } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT) return 'sub must be a string of 1-128 characters';
  const text = textProblem(sub);
  if (text !== null) return `sub ${text}`;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp is required';
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return 'iat must be a number';
  if (typeof iat === 'number' && exp - iat > maxLifetimeSec) return `token lifetime exceeds ${maxLifetimeSec} s`;
  if (exp - nowSec > maxLifetimeSec + clockSkewSec) return `token expires more than ${maxLifetimeSec} s ahead`;
  return undefined;
}

export async function registerAuth(server: Server, config: AuthConfig): Promise<void> {
  await server.register(Jwt);
  const maxLifetimeSec = config.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC;
  const clockSkewSec = config.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC;
  const keys = config.secret
    ? { key: config.secret, algorithms: ['HS256'] as ('HS256')[] }
    : { uri: config.jwksUrl as string, algorithms: ['RS256', 'ES256'] as ('RS256' | 'ES256')[] };
  server.auth.strategy('jwt', 'jwt', {
    keys,
    verify: { aud: false, iss: false, sub: false, nbf: true, exp: true, timeSkewSec: clockSkewSec },
    validate: (artifacts: { decoded: { payload: Record<string, unknown> } }) => {
      const payload = artifacts.decoded.payload;
      if (claimProblem(payload, Date.now() / 1000, maxLifetimeSec, clockSkewSec) !== undefined) return { isValid: false };
      const credentials: Credentials = {
        user: payload.sub as string,
        role: payload.role === 'admin' ? 'admin' : 'user',
        expiresAt: ((payload.exp as number) + clockSkewSec) * 1000,
      };
      return { isValid: true, credentials };
    },
  });
  server.auth.default('jwt');
}
