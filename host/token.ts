// npm run token -- <userId> [--admin] [--ttl seconds]: prints a JWT signed with the configured secret.
// The lifetime defaults to, and may not exceed, the server's JWT_MAX_LIFETIME_SEC (default 24 h).
import { loadConfig, ConfigError } from './config.ts';
import { signToken } from '../api/tokens.ts';
import { subjectProblem } from '../api/schemas.ts';

const usage = 'usage: npm run token -- <userId> [--admin] [--ttl seconds]';
const args = process.argv.slice(2);
const userId = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--ttl');
if (!userId) {
  console.error(usage);
  process.exit(2);
}
const idProblem = subjectProblem(userId);
if (idProblem !== null) {
  console.error(`user id ${JSON.stringify(userId)} ${idProblem}\n${usage}`);
  process.exit(2);
}
let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`configuration error: ${error.message}`);
  process.exit(78); // EX_CONFIG, as npm start
}
if (!config.auth.secret) {
  console.error('JWKS_URL is configured: tokens come from your identity provider, not from tasklane');
  process.exit(2);
}
const max = config.auth.maxLifetimeSec;
const ttlAt = args.indexOf('--ttl');
const ttl = ttlAt >= 0 ? Number(args[ttlAt + 1]) : max;
if (!Number.isInteger(ttl) || ttl < 1 || ttl > max) {
  console.error(
    `--ttl must be a whole number of seconds from 1 to ${max} (JWT_MAX_LIFETIME_SEC), got "${args[ttlAt + 1] ?? ''}"\n${usage}`,
  );
  process.exit(2);
}
console.log(signToken(config.auth.secret, userId, { admin: args.includes('--admin'), ttl }));
