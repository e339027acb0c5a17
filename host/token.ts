// npm run token -- <userId> [--admin] [--ttl seconds]: prints a JWT signed with the configured secret.
import { loadConfig } from './config.ts';
import { signToken } from './tokens.ts';

const args = process.argv.slice(2);
const userId = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--ttl');
if (!userId) {
  console.error('usage: npm run token -- <userId> [--admin] [--ttl seconds]');
  process.exit(2);
}
const config = loadConfig();
if (!config.auth.secret) {
  console.error('JWKS_URL is configured: tokens come from your identity provider, not from tasklane');
  process.exit(2);
}
const ttlAt = args.indexOf('--ttl');
const ttl = ttlAt >= 0 ? Number(args[ttlAt + 1]) : undefined;
console.log(signToken(config.auth.secret, userId, { admin: args.includes('--admin'), ...(ttl ? { ttl } : {}) }));
