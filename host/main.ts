// The process: configuration from the environment, the app, graceful shutdown on SIGTERM/SIGINT.
import { loadConfig, ConfigError, shapeOf } from './config.ts';
import { startApp } from './app.ts';
import { signToken } from '../api/tokens.ts';
import { DataDirLockedError, PgliteOpenError } from './db/index.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`tasklane: configuration error: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

let app;
try {
  app = await startApp(config);
} catch (error) {
  // The embedded database's two ways to fail at start, told plainly instead of as a stack trace.
  if (error instanceof DataDirLockedError) {
    console.error(`tasklane: refusing to start: ${error.message}`);
    process.exit(75); // EX_TEMPFAIL: try again once the holder has stopped
  }
  if (error instanceof PgliteOpenError) {
    console.error(`tasklane: ${error.message}`);
    process.exit(74); // EX_IOERR
  }
  throw error;
}
if (shapeOf(config) === 'embedded' && config.auth.devSignIn && config.auth.secret) {
  const token = signToken(config.auth.secret, 'demo', { ttl: config.auth.maxLifetimeSec });
  // The address the README gives (http://localhost:3000): the sign-in is kept per origin, so the link printed
  // and the address typed must be the same one.
  const shown = app.url.replace('//127.0.0.1:', '//localhost:');
  process.stdout.write(
    `\n  tasklane is running (embedded: PGlite under ${config.dataDir}, ${app.runtime.mode} runtime)\n\n` +
      `  Dashboard:  ${shown}/#token=${token}\n  API docs:   ${shown}/docs\n` +
      `  Signed in as "demo"; another user: npm run token -- <userId>, or POST /auth/dev-token\n\n`,
  );
}

// Truth lives in PostgreSQL, not in this process: a stray rejection from a library is logged, not fatal.
process.on('unhandledRejection', (reason) => app.logger.error({ err: reason }, 'unhandled rejection'));

let signals = 0;
const shutdown = (signal: string) => {
  signals++;
  if (signals > 1) process.exit(1); // a second Ctrl-C: stop waiting
  app.logger.info({ signal }, 'signal received');
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      app.logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
