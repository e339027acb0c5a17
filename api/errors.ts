// Errors as @hapi/boom JSON ({statusCode, error, message}); never a stack trace. Domain errors map to
// 4xx by their code; joi failures name the field.
import Boom from '@hapi/boom';
import type { Request, ResponseToolkit, Lifecycle } from '@hapi/hapi';
import type { ValidationError } from 'joi';
import { DomainError } from '../actors/errors.ts';
import { RecurrenceError } from '../actors/recurrence.ts';

const STATUS: Record<DomainError['code'], number> = {
  validation: 400,
  unsupported: 400,
  not_found: 404,
  conflict: 409,
  version_mismatch: 412,
  key_reused: 422,
};

export function toBoom(error: unknown): Boom.Boom {
  if (Boom.isBoom(error)) return error;
  if (error instanceof DomainError) {
    const boom = new Boom.Boom(error.message, { statusCode: STATUS[error.code] });
    if (error.field) (boom.output.payload as unknown as Record<string, unknown>).field = error.field;
    return boom;
  }
  if (error instanceof RecurrenceError) {
    // Only /recurrence/preview meets these directly (task commands wrap them as DomainErrors).
    const field = error.code === 'invalid_timezone' ? 'timezone' : error.code === 'invalid_start' ? 'start' : 'rule';
    const boom = Boom.badRequest(`${field}: ${error.message.replace(/^(recurrence_rule|rule|timezone|start):\s*/, '')}`);
    (boom.output.payload as unknown as Record<string, unknown>).field = field;
    return boom;
  }
  if (unavailable(error)) {
    const boom = Boom.serverUnavailable('the database is unavailable; retry shortly');
    boom.output.headers['retry-after'] = '2';
    return boom;
  }
  return Boom.badImplementation(error instanceof Error ? error.message : String(error));
}

/**
 * PostgreSQL (or the sidecar) is away: a 503 the client may retry, not a 500. Through the Dapr actor call
 * only the message survives (no SQLSTATE), hence the messages PostgreSQL sends while it starts or stops.
 */
function unavailable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('08')
    || /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|not queryable|terminating connection|server closed the connection|the database system is (starting up|shutting down|in recovery mode|not (yet )?accepting connections)/i.test(message);
}

/** joi failures: 400 with the first problem, its field path first ("reminders[0].before must …"). */
export const failAction: Lifecycle.Method = (_request: Request, _h: ResponseToolkit, err?: Error) => {
  const details = (err as ValidationError | undefined)?.details;
  const first = details?.[0];
  if (!first) throw Boom.badRequest(err?.message ?? 'invalid request');
  const source = (err as unknown as { output?: { payload?: { validation?: { source?: string } } } }).output?.payload?.validation?.source;
  const message = first.message.replace(/^"([^"]+)"/, '$1');
  const boom = Boom.badRequest(source === 'headers' ? `header ${message}` : message);
  (boom.output.payload as unknown as Record<string, unknown>).field = first.path.join('.');
  throw boom;
};
