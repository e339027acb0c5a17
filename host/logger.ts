// Structured logs (pino). Asynchronous writes outside tests, so logging never blocks a request.
import pino from 'pino';
import type { Config } from './config.ts';

export function createLogger(config: Pick<Config, 'logLevel' | 'env' | 'instanceId'>): pino.Logger {
  return pino(
    {
      level: config.logLevel,
      base: { app: 'tasklane', instance: config.instanceId },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    config.env === 'test' ? pino.destination({ sync: true }) : pino.destination({ sync: false, minLength: 4096 }),
  );
}
