// Builds the hapi server: auth, correlation ids, logging, validation, rate limit, routes, docs,
// metrics, and (when given) the realtime plugin. No I/O beyond what deps do.
import Hapi from '@hapi/hapi';
import HapiPino from 'hapi-pino';
import Boom from '@hapi/boom';
import type { ApiDeps } from './deps.ts';
import { registerAuth } from './auth.ts';
import { registerCorrelation } from './context.ts';
import { failAction, registerErrors } from './errors.ts';
import { MAX_PAYLOAD_BYTES } from './schemas.ts';
import { registerMetrics } from './metrics.ts';
import { registerRateLimit } from './rate-limit.ts';
import { registerDocs } from './docs.ts';
import { taskRoutes } from './routes/tasks.ts';
import { listRoutes } from './routes/lists.ts';
import { sharingRoutes } from './routes/sharing.ts';
import { reminderRoutes } from './routes/reminders.ts';
import { quickAddRoutes } from './routes/quick-add.ts';
import { feedRoutes, maskFeedSecret } from './feed/routes.ts';
import { eventRoutes, meRoutes, recurrenceRoutes, adminRoutes, healthRoutes, devTokenRoutes } from './routes/misc.ts';
import { registerCostlyReads } from './costly-reads.ts';
import { registerClientAddress } from './client-address.ts';
import { registerDotSegmentRefusal } from './dot-segments.ts';
import { registerCharsetRefusal } from './charset.ts';

declare module '@hapi/hapi' {
  interface ServerApplicationState {
    /** Set when shutdown begins: requests not yet started are refused before they run. */
    draining?: boolean;
  }
}

/** How long an idle keep-alive connection stays open, in ms. */
export const KEEP_ALIVE_MS = 65_000;

export interface ServerOptions {
  port: number;
  host: string;
  version?: string;
}

export async function createServer(deps: ApiDeps, options: ServerOptions): Promise<Hapi.Server> {
  const server = Hapi.server({
    port: options.port,
    host: options.host,
    routes: {
      validate: { failAction, options: { abortEarly: true, errors: { wrap: { label: false } } } },
      payload: { maxBytes: MAX_PAYLOAD_BYTES, allow: ['application/json'] },
      response: { emptyStatusCode: 204 },
    },
    router: { stripTrailingSlash: true },
  });
  // Idle keep-alive connections live 65 s (Node's default is 5 s). A client reuses an idle connection
  // until shortly before the server's advertised timeout (undici: 1 s before); on a busy machine that
  // margin is overrun and a request meets a connection the server just closed ("fetch failed"). Longer
  // than the usual 60 s of load balancers and proxies, so they close first, as they expect to.
  server.listener.keepAliveTimeout = KEEP_ALIVE_MS;
  server.listener.headersTimeout = KEEP_ALIVE_MS + 1000;
  // During shutdown hapi ends keep-alive connections that are not processing; a request already
  // buffered on one may still be parsed. It must not run (its answer could not be delivered): refuse it.
  server.ext('onRequest', (_request, h) => {
    if (!server.app.draining) return h.continue;
    const boom = Boom.serverUnavailable('shutting down; retry on another instance');
    boom.output.headers.connection = 'close';
    boom.output.headers['retry-after'] = '1';
    throw boom;
  });
  registerDotSegmentRefusal(server);
  registerCharsetRefusal(server);
  // Errors are mapped once, for every route (domain → 4xx, dependency away → 503, the rest a plain
  // 500); registered before the correlation extension so the mapped answer carries the id.
  registerErrors(server);
  registerCorrelation(server);
  await server.register({
    plugin: HapiPino,
    options: {
      instance: deps.logger,
      logRequestComplete: (request: Hapi.Request) =>
        request.route.path !== '/health' && request.route.path !== '/metrics',
      getChildBindings: (request: Hapi.Request) => ({ correlation_id: request.app.correlationId }),
      // A calendar feed's path holds its secret: masked in the request line and in the logged `req`.
      customRequestCompleteMessage: (request: Hapi.Request, responseTime: number) =>
        `[response] ${request.method} ${maskFeedSecret(request.path)} ${request.raw.res.headersSent ? request.raw.res.statusCode : '-'} (${responseTime}ms)`,
      serializers: { req: (req: { url?: string }) => (req.url ? { ...req, url: maskFeedSecret(req.url) } : req) },
      // A client's malformed bytes (bad header characters, a broken request line) are the client's
      // problem, answered 400 by node: logged at debug below, never as a server error.
      // hapi-pino 13 reads `{log, request}` (index.js) while its index.d.ts says object[].
      ignoredEventTags: { log: ['client'] } as unknown as object[],
    },
  });
  server.events.on({ name: 'log', channels: 'internal' }, (event, tags) => {
    if (tags.client) deps.logger.debug({ err: event.error, tags: event.tags }, 'malformed request from a client');
  });
  await registerAuth(server, deps.auth);
  if (deps.rateLimiter) registerRateLimit(server, deps.rateLimiter);
  registerCostlyReads(server);
  registerClientAddress(server, deps.trustProxyHops ?? 0);

  registerMetrics(server, deps.metrics);
  healthRoutes(server, deps);
  devTokenRoutes(server, deps);
  taskRoutes(server, deps);
  listRoutes(server, deps);
  sharingRoutes(server, deps);
  reminderRoutes(server, deps);
  quickAddRoutes(server, deps);
  eventRoutes(server, deps);
  meRoutes(server, deps);
  recurrenceRoutes(server, deps);
  adminRoutes(server, deps);
  feedRoutes(server, deps);
  await registerDocs(server, options.version ?? '0.0.0');
  if (deps.realtime) await deps.realtime(server);
  return server;
}
