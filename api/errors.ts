// Errors, mapped once (DESIGN: "Errors mapped once"): one onPreResponse extension turns whatever a
// route, an extension or a dependency threw into @hapi/boom JSON ({statusCode, error, message, field?}),
// never a stack trace. Domain errors → 4xx by their code; SQLSTATE classes 22 and 54 (bad or oversized
// data that slipped past validation) → 400; the database or the Dapr sidecar away, or a write that lost
// to concurrent writes on every attempt → 503 with Retry-After, on reads as on writes; anything else → a
// plain 500 whose cause is only logged.
import Boom from '@hapi/boom';
import type { Request, ResponseToolkit, Lifecycle, Server } from '@hapi/hapi';
import type { ValidationError } from 'joi';
import { DomainError } from '../actors/errors.ts';
import { RecurrenceError } from '../actors/recurrence/index.ts';
import { causeChain as chain, sidecarAway } from '../actors/runtime/dapr-errors.ts';

export { sidecarAway };

/** Seconds a client should wait before retrying after a 503 for a dependency that is away. */
export const RETRY_AFTER_SECONDS = 2;

const STATUS: Record<DomainError['code'], number> = {
  validation: 400,
  unsupported: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  version_mismatch: 412,
  key_reused: 422,
};

const withField = (boom: Boom.Boom, field: string | undefined): Boom.Boom => {
  if (field) (boom.output.payload as unknown as Record<string, unknown>).field = field;
  return boom;
};

/** A 400 that names the field it is about (`field` in the payload), for checks made in a handler. */
export const badRequest = (field: string, message: string): Boom.Boom => withField(Boom.badRequest(message), field);

/** A 415 that names the part of the request it is about. */
export const unsupportedMediaType = (field: string, message: string): Boom.Boom =>
  withField(Boom.unsupportedMediaType(message), field);

const retryLater = (message: string): Boom.Boom => {
  const boom = Boom.serverUnavailable(message);
  boom.output.headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  return boom;
};

/**
 * PostgreSQL (or the embedded PGlite) is away. Through the Dapr actor call only the message survives
 * (no SQLSTATE), hence the messages PostgreSQL and the drivers give while it starts, stops or restarts.
 */
const DB_AWAY =
  /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|not queryable|after calling end on the pool|terminating connection|server closed the connection|the database system is (starting up|shutting down|in recovery mode|not (yet )?accepting connections)|sorry, too many clients|PGlite is closed|Connection ended unexpectedly/i;

export function databaseAway(error: unknown): boolean {
  return chain(error).some(
    ({ code, message }) =>
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300'].includes(code) ||
      code.startsWith('08') ||
      DB_AWAY.test(message),
  );
}

/**
 * Concurrent writes kept failing this one's checks until its attempts were spent: a serialization
 * failure (40001: a guard, `tasklane_guard`, or a lock that came too late) or a deadlock (40P01). Each
 * attempt was rolled back whole, so nothing of it was written, and the same request can succeed a moment
 * later: a 503 with Retry-After, as for a dependency away, never a 500.
 */
export function contended(error: unknown): boolean {
  return chain(error).some(({ code }) => code === '40001' || code === '40P01');
}

/**
 * Data PostgreSQL refused (SQLSTATE class 22, data exception; class 54, program limit exceeded): input
 * that validation should have caught. A 400, never a 500; `column` names the field when PostgreSQL says.
 * Message-only forms cover errors that crossed the Dapr actor call.
 */
const DATA_MESSAGE =
  /invalid byte sequence for encoding|unsupported Unicode escape sequence|date\/time field value out of range|time zone displacement out of range|value too long for type|out of range for type|invalid input syntax for type|numeric field overflow|index row size .* exceeds|stack depth limit exceeded/i;

function dataException(error: unknown): { field: string | undefined } | null {
  const code = (error as { code?: unknown }).code;
  const column = (error as { column?: unknown }).column;
  if (typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code))
    return { field: typeof column === 'string' ? column : undefined };
  if (code === undefined && error instanceof Error && DATA_MESSAGE.test(error.message)) return { field: undefined };
  return null;
}

/**
 * What a failure means for the client, as a Boom: the one mapping (the onPreResponse extension of
 * `registerErrors` applies it to every route). A Boom made on purpose is returned as it is.
 */
export function toBoom(error: unknown): Boom.Boom {
  if (error instanceof DomainError)
    // A version mismatch is always about If-Match, the one way a client names the version it expects
    // (api/context.ts): the deciders of tasks, lists and labels need not know the header's name.
    return withField(
      new Boom.Boom(error.message, { statusCode: STATUS[error.code] }),
      error.field ?? (error.code === 'version_mismatch' ? 'if-match' : undefined),
    );
  if (error instanceof RecurrenceError) {
    // Only /recurrence/preview meets these directly (task commands wrap them as DomainErrors).
    const field = error.code === 'invalid_timezone' ? 'timezone' : error.code === 'invalid_start' ? 'start' : 'rule';
    return withField(
      Boom.badRequest(`${field}: ${error.message.replace(/^(recurrence_rule|rule|timezone|start):\s*/, '')}`),
      field,
    );
  }
  if (Boom.isBoom(error) && error.output.statusCode < 500) return error;
  if (sidecarAway(error)) return retryLater('the actor sidecar (Dapr) is unavailable; retry shortly');
  if (databaseAway(error)) return retryLater('the database is unavailable; retry shortly');
  if (contended(error))
    return retryLater(
      'concurrent changes to the same data kept this one from being written; nothing was written, retry',
    );
  const data = dataException(error);
  if (data)
    return withField(
      Boom.badRequest(`${data.field ?? 'a value'} is malformed or out of range for storage`),
      data.field,
    );
  if (Boom.isBoom(error)) return error;
  return Boom.badImplementation(error instanceof Error ? error.message : String(error));
}

/**
 * The part of the request one of hapi's own refusals of a body is about (@hapi/subtext: 400, 413, 415),
 * by its status and message: the `content-type` (unsupported, or multipart without a boundary), the
 * `content-encoding` (a body that does not decompress), or the `payload` (not JSON, too large).
 * Undefined for any other answer.
 */
function bodyPartOf(status: number, message: string): string | undefined {
  if (status === 415 || (status === 400 && /content-type|multipart/i.test(message))) return 'content-type';
  if (status === 400 && /compressed payload|content-encoding/i.test(message)) return 'content-encoding';
  if (status === 413 || (status === 400 && /request payload/i.test(message))) return 'payload';
  return undefined;
}

/**
 * The onPreResponse extension that maps every error response once (see toBoom), logs 5xx (503 as a
 * warning, others as errors with their stack) and hides a 500's cause from the client. The mapped
 * answer replaces the error's output in place, so the extensions after this one (correlation id,
 * metrics) see and decorate the answer the client gets.
 */
export function registerErrors(server: Server): void {
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (!('isBoom' in response) || !response.isBoom) return h.continue;
    const mapped = toBoom(response);
    const status = mapped.output.statusCode;
    // A request refused before hapi-pino's own onRequest (draining at shutdown) has no request logger yet.
    const logger = (request.logger as typeof request.logger | undefined) ?? server.logger;
    if (status === 503) logger.warn({ err: response }, 'request refused: dependency unavailable');
    else if (status >= 500) logger.error({ err: response }, 'request failed');
    else if (mapped !== response && dataException(response))
      logger.warn({ err: response }, 'the database refused input that validation let through');
    // hapi's own refusals of a body, before any validation, name the part of the request they are about.
    if ((mapped.output.payload as unknown as { field?: unknown }).field === undefined) {
      const part = bodyPartOf(status, String(mapped.output.payload.message));
      if (part) {
        if (status === 415) mapped.output.payload.message = 'content-type: a body must be application/json';
        (mapped.output.payload as unknown as Record<string, unknown>).field = part;
      }
    }
    // hapi's router answers a path parameter that is not percent-encoded UTF-8 (`%ED%A0%80`) with a bare
    // 400 from its special `badRequest` route, before any route (and its parameter names) is known.
    if (
      status === 400 &&
      (request.route.method as string) === '_special' &&
      mapped === response &&
      mapped.output.payload.message === 'Bad Request'
    ) {
      const refused = Boom.badRequest('path: a segment is not valid percent-encoded UTF-8 (RFC 3986)');
      (refused.output.payload as unknown as Record<string, unknown>).field = 'path';
      response.output = refused.output;
      return h.continue;
    }
    const output = status === 500 ? Boom.internal().output : mapped.output;
    if (output !== response.output) {
      response.output = output;
      response.isServer = status >= 500;
    }
    return h.continue;
  });
}

/**
 * joi failures: 400 with the first problem, its field path first ("reminders[0].before must …"), and
 * that path as `field`; a problem with the whole object (xor of two keys at the top, not an object at
 * all) names its source (`payload`, `query`, `params`, `headers`).
 */
export const failAction: Lifecycle.Method = (_request: Request, _h: ResponseToolkit, err?: Error) => {
  const details = (err as ValidationError | undefined)?.details;
  const first = details?.[0];
  if (!first) throw Boom.badRequest(err?.message ?? 'invalid request');
  const source = (err as unknown as { output?: { payload?: { validation?: { source?: string } } } }).output?.payload
    ?.validation?.source;
  const message = first.message.replace(/^"([^"]+)"/, '$1');
  const boom = Boom.badRequest(source === 'headers' ? `header ${message}` : message);
  // A key that needs a peer, or must not have one (object.with, object.without), is the field at fault:
  // joi puts the problem on the object that holds both, so it named no field.
  const main = first.type === 'object.with' || first.type === 'object.without' ? first.context?.main : undefined;
  const keys = typeof main === 'string' ? [...first.path, main] : first.path;
  const path = keys.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  throw withField(boom, path || source || 'payload');
};
