// JWT auth with @hapi/jwt: HS256 with JWT_SECRET, or RS256 / ES256 / ES384 with the signing keys of an identity
// provider's JWKS at JWKS_URL (api/jwks.ts: read on the first token, again every JWKS_REFRESH_SEC and for a
// new kid; a provider away is a 503 until a first read succeeds, and keeps the keys read before). `exp` is
// required, `sub` is the user; `role: admin` opens /admin routes. nes uses the same strategy, and
// its sockets close when the token in force expires (realtime/nes.ts reads `expiresAt`).
import Boom from '@hapi/boom';
import Jwt from '@hapi/jwt';
import type { Server } from '@hapi/hapi';
import { subjectProblem } from './text.ts';
import { VerifiedTokens, bearerToken, inForce, type VerifiedToken } from './verified-tokens.ts';
import { JwksKeys } from './jwks.ts';

export interface AuthConfig {
  secret: string | undefined;
  jwksUrl: string | undefined;
  /**
   * How often the JWKS is read again, in seconds (JWKS_REFRESH_SEC; default 300): a key the provider
   * withdrew is refused within this long; one it published since is read at once when a token names it.
   */
  jwksRefreshSec?: number;
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
export const DEFAULT_JWKS_REFRESH_SEC = 300;
/** A finite JSON number (a NumericDate, RFC 7519 §2), not NaN or ±Infinity. */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Why a verified token is still refused, or undefined when it is acceptable. `header` is the JOSE header,
 * `payload` the claims, `nowSec` the time in seconds since the epoch, `maxLifetimeSec` and `clockSkewSec`
 * in seconds. Rules:
 * - no `crit` header: RFC 7515 §4.1.11 says a recipient that does not understand a listed critical
 *   extension MUST reject the JWS, and tasklane understands none;
 * - `sub` a user id by the one rule for subjects (api/text.ts `subjectProblem`);
 * - `exp` a finite number; `iat` and `nbf`, when present, finite numbers no later than `nowSec` plus the
 *   skew (a token is not issued, nor valid from, the future: RFC 7519 §4.1.5-6);
 * - lifetime `exp - iat` at most `maxLifetimeSec`; and, with or without `iat`, `exp` no further than
 *   `maxLifetimeSec` (plus skew) ahead of `nowSec`, so no token outlives the maximum.
 */
export function claimProblem(
  payload: Record<string, unknown>,
  nowSec: number,
  maxLifetimeSec: number,
  clockSkewSec: number,
  header: Record<string, unknown> = {},
): string | undefined {
  if (Object.hasOwn(header, 'crit')) return 'crit header: no critical extension is understood (RFC 7515 §4.1.11)';
  const { sub, exp, iat, nbf } = payload;
  const subject = subjectProblem(sub);
  if (subject !== null) return `sub ${subject}`;
  if (!isNumericDate(exp)) return 'exp is required';
  if (iat !== undefined && !isNumericDate(iat)) return 'iat must be a number';
  if (nbf !== undefined && !isNumericDate(nbf)) return 'nbf must be a number';
  if (iat !== undefined && iat > nowSec + clockSkewSec) return 'iat lies in the future';
  if (nbf !== undefined && nbf > nowSec + clockSkewSec) return 'nbf lies in the future';
  if (iat !== undefined && exp - iat > maxLifetimeSec) return `token lifetime exceeds ${maxLifetimeSec} s`;
  if (exp - nowSec > maxLifetimeSec + clockSkewSec) return `token expires more than ${maxLifetimeSec} s ahead`;
  return undefined;
}

export async function registerAuth(server: Server, config: AuthConfig): Promise<void> {
  await server.register(Jwt);
  const maxLifetimeSec = config.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC;
  const clockSkewSec = config.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC;
  // HS256 with the secret, or the identity provider's keys read by api/jwks.ts (not @hapi/jwt's own JWKS
  // reader: RSA only, read at start-up so a provider away stops the start, a new kid waits an hour).
  const jwks = config.secret
    ? undefined
    : new JwksKeys(
        config.jwksUrl as string,
        (config.jwksRefreshSec ?? DEFAULT_JWKS_REFRESH_SEC) * 1000,
        Date.now,
        (error) => server.log(['auth', 'jwks', 'error'], error instanceof Error ? error.message : String(error)),
      );
  const keys = jwks
    ? (artifacts: { decoded: { header: Record<string, unknown> } }) => jwks.keysFor(artifacts.decoded.header.kid)
    : { key: config.secret as string, algorithms: ['HS256'] as 'HS256'[] };
  // The full check (@hapi/jwt, then the claim rules here) runs as strategy `jwt-verify`; the default
  // strategy `jwt` answers from the tokens it verified within the last minute (api/verified-tokens.ts) and
  // asks `jwt-verify` for any other. REST and nes (its `direct` auth injects through the default) share it.
  server.auth.strategy(VERIFY_STRATEGY, 'jwt', {
    keys,
    verify: { aud: false, iss: false, sub: false, nbf: true, exp: true, timeSkewSec: clockSkewSec },
    validate: (artifacts: { decoded: { header: Record<string, unknown>; payload: Record<string, unknown> } }) => {
      const { header, payload } = artifacts.decoded;
      if (claimProblem(payload, Date.now() / 1000, maxLifetimeSec, clockSkewSec, header) !== undefined)
        return { isValid: false };
      const credentials: Credentials = {
        // In Normalization Form C, as every id in a path or body is (api/schemas.ts): a `sub` written
        // decomposed ("Rene\u0301") is the user an invitation, an assignment or a removal names.
        user: (payload.sub as string).normalize('NFC'),
        role: payload.role === 'admin' ? 'admin' : 'user',
        expiresAt: ((payload.exp as number) + clockSkewSec) * 1000,
      };
      return { isValid: true, credentials };
    },
  });
  const verified = new VerifiedTokens({ clockSkewSec });
  server.auth.scheme('jwt-verified', () => ({
    authenticate: async (request, h) => {
      const token = bearerToken(request.headers.authorization);
      if (token !== undefined) {
        const hit = verified.get(token, Date.now());
        if (hit) return h.authenticated(hit);
      }
      let result: VerifiedToken;
      try {
        result = (await server.auth.test(VERIFY_STRATEGY, request)) as VerifiedToken;
      } catch (error) {
        // The keys could not be read at all (JWKS_URL away before any read succeeded): @hapi/jwt's 500 says
        // nothing of that; it is a dependency away, as for the database (503, retry).
        if (Boom.isBoom(error) && error.output.statusCode >= 500) {
          const away = Boom.serverUnavailable("the identity provider's keys (JWKS_URL) cannot be read; retry shortly");
          away.output.headers['retry-after'] = '5';
          throw away;
        }
        // @hapi/jwt's own answer (a missing token keeps its `Bearer` challenge), as if it ran directly.
        return h.unauthenticated(error instanceof Error ? error : Boom.unauthorized());
      }
      if (token !== undefined) verified.set(token, result, Date.now());
      return h.authenticated(result);
    },
    // nes re-checks a socket's token on its messages (minAuthVerifyInterval): the same instants as @hapi/jwt.
    verify: async (auth) => {
      if (!inForce(auth as unknown as VerifiedToken, Date.now(), clockSkewSec))
        throw Boom.unauthorized('Token expired');
    },
  }));
  server.auth.strategy('jwt', 'jwt-verified');
  server.auth.default('jwt');
}

/** The strategy that runs the full verification (signature, time claims, claim rules) of a token not verified lately. */
const VERIFY_STRATEGY = 'jwt-verify';
