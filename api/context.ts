// Per-request context: the correlation id (from X-Correlation-Id or generated), the caller, and the
// Idempotency-Key a write may carry (DESIGN: "Retries are safe").
import { createHash, randomUUID } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, Server } from '@hapi/hapi';
import type { Credentials } from './auth.ts';
import { badRequest } from './errors.ts';
import type { CommandMeta } from '../actors/ports.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Idempotency-Key: 1–255 printable ASCII characters (0x20–0x7E), as in draft-ietf-httpapi-idempotency-key-header. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

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
      throw badRequest('x-correlation-id', 'header x-correlation-id must be a UUID');
    }
    request.app.correlationId = header ? header.toLowerCase() : randomUUID();
    const key: unknown = request.headers['idempotency-key'];
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      const boom = Boom.badRequest('header idempotency-key must be 1 to 255 printable ASCII characters');
      (boom.output.payload as unknown as Record<string, unknown>).field = 'idempotency-key';
      throw boom;
    }
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

/**
 * The command's metadata: correlation id and, when the request carries an Idempotency-Key (checked in
 * onRequest above), the key with the request's fingerprint (method, path, If-Match and the validated
 * body as canonical JSON), so a retry is told apart from another request reusing the key.
 */
export const metaOf = (request: Request): CommandMeta => {
  const key: unknown = request.headers['idempotency-key'];
  if (typeof key !== 'string') return { correlationId: request.app.correlationId, causationId: null };
  const ifMatch: unknown = request.headers['if-match'];
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        request.method.toUpperCase(),
        request.path,
        typeof ifMatch === 'string' ? ifMatch : null,
        canonical(request.payload ?? null),
      ]),
    )
    .digest('hex');
  return { correlationId: request.app.correlationId, causationId: null, idempotency: { key, fingerprint } };
};

/** JSON with object keys sorted, so the same body sent with its keys in another order is the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, canonical(v)]),
  );
}

/**
 * The version If-Match asks for (RFC 9110 §13.1.1): the number in `"3"` (the ETags this API sends are
 * versions) or a bare `3`, or undefined with no header or with `*` (any current representation: the write
 * goes on whatever the version). If-Match compares strongly, so a weak tag (`W/"3"`) matches nothing: a
 * 412, thrown here. The header's form is checked by S.ifMatchHeaders (a 400 naming `if-match`).
 */
export function expectedVersion(request: Request): number | undefined {
  const header: unknown = request.headers['if-match'];
  if (typeof header !== 'string' || header.trim() === '*') return undefined;
  if (/^\s*W\//.test(header)) {
    const refused = Boom.preconditionFailed(
      'if-match: a weak entity tag never matches (If-Match compares strongly, RFC 9110 §13.1.1); send the ETag as given, e.g. "3"',
    );
    (refused.output.payload as unknown as Record<string, unknown>).field = 'if-match';
    throw refused;
  }
  return Number(header.replaceAll('"', ''));
}

/**
 * `command` with the version If-Match asks for (expectedVersion) as its `expected_version`: every write
 * on a resource with a version (a task and its own routes, a list, a label) passes its command through
 * this. Unchanged without the header or with `*`.
 */
export function conditional<C extends object>(request: Request, command: C): C & { expected_version?: number } {
  const expected = expectedVersion(request);
  return expected === undefined ? command : { ...command, expected_version: expected };
}
