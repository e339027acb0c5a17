// Signing tokens for development and tests with the configured HS256 secret.
import Jwt from '@hapi/jwt';

export interface TokenOptions {
  admin?: boolean;
  /** Lifetime in seconds (default 7 days). */
  ttl?: number;
}

export function signToken(secret: string, userId: string, options: TokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { sub: userId, iat: now, exp: now + (options.ttl ?? 7 * 86_400) };
  if (options.admin) payload.role = 'admin';
  return Jwt.token.generate(payload, { key: secret, algorithm: 'HS256' });
}
