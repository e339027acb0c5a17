// JWT auth with @hapi/jwt: HS256 with JWT_SECRET, or RS256/ES256 keys from JWKS_URL. `exp` is
// required, `sub` is the user; `role: admin` opens /admin routes. nes uses the same strategy.
import Jwt from '@hapi/jwt';
import type { Server } from '@hapi/hapi';

export interface AuthConfig {
  secret: string | undefined;
  jwksUrl: string | undefined;
}

export interface Credentials {
  user: string;
  role: 'admin' | 'user';
  [key: string]: unknown;
}

const MAX_SUBJECT = 128;

export async function registerAuth(server: Server, config: AuthConfig): Promise<void> {
  await server.register(Jwt);
  const keys = config.secret
    ? { key: config.secret, algorithms: ['HS256'] as ('HS256')[] }
    : { uri: config.jwksUrl as string, algorithms: ['RS256', 'ES256'] as ('RS256' | 'ES256')[] };
  server.auth.strategy('jwt', 'jwt', {
    keys,
    verify: { aud: false, iss: false, sub: false, nbf: true, exp: true, timeSkewSec: 30 },
    validate: (artifacts: { decoded: { payload: Record<string, unknown> } }) => {
      const { sub, exp, role } = artifacts.decoded.payload;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT || typeof exp !== 'number') return { isValid: false };
      const credentials: Credentials = { user: sub, role: role === 'admin' ? 'admin' : 'user' };
      return { isValid: true, credentials };
    },
  });
  server.auth.default('jwt');
}
