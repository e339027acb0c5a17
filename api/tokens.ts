// Signing tokens for development and tests with the configured HS256 secret.
import Jwt from '@hapi/jwt';
import { DEFAULT_MAX_LIFETIME_SEC } from './auth.ts';
import { subjectProblem } from './text.ts';

export interface TokenOptions {
  admin?: boolean;
  /**
   * Lifetime in seconds (default 24 h, the default JWT_MAX_LIFETIME_SEC). The server refuses a token
   * whose lifetime exceeds its configured maximum, so callers that know a lower maximum pass it here.
   * A negative value mints an already expired token (tests).
   */
  ttl?: number;
}

/**
 * A JWT `{sub: userId, iat: now, exp: now + ttl, role?: 'admin'}` signed HS256 with `secret`.
 * Throws a TypeError when `userId` breaks the one rule for user ids (api/text.ts `subjectProblem`),
 * as the server would refuse such a token.
 */
export function signToken(secret: string, userId: string, options: TokenOptions = {}): string {
  const problem = subjectProblem(userId);
  if (problem !== null) throw new TypeError(`user id ${problem}`);
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    sub: userId,
    iat: now,
    exp: now + (options.ttl ?? DEFAULT_MAX_LIFETIME_SEC),
  };
  if (options.admin) payload.role = 'admin';
  return Jwt.token.generate(payload, { key: secret, algorithm: 'HS256' });
}
