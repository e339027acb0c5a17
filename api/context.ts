// Per-request context: the correlation id (from X-Correlation-Id or generated) and the caller.
import { randomUUID } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, Server } from '@hapi/hapi';
import type { Credentials } from './auth.ts';
import type { CommandMeta } from '../actors/ports.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    correlationId: string;
  }
}

export function registerCorrelation(server: Server): void {
  server.ext('onRequest', (request, h) => {
    const raw: unknown = request.headers['x-correlation-id'];
    const header = typeof raw === 'string' ? raw : undefined;
    if (raw !== undefined && (header === undefined || !UUID.test(header))) {
      throw Boom.badRequest('header x-correlation-id must be a UUID');
    }
    request.app.correlationId = header ? header.toLowerCase() : randomUUID();
    return h.continue;
  });
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    const id = request.app.correlationId;
    if (!id) return h.continue;
    if ('isBoom' in response && response.isBoom) response.output.headers['x-correlation-id'] = id;
    else if ('header' in response) response.header('x-correlation-id', id);
    return h.continue;
  });
}

export const userOf = (request: Request): string => (request.auth.credentials as unknown as Credentials).user;
export const metaOf = (request: Request): CommandMeta => ({ correlationId: request.app.correlationId, causationId: null });
