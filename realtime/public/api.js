// The REST client of the dashboard: one call per user action (sendAction gives a write its
// Idempotency-Key and retries it when the outcome is unknown), JSON in and out, errors as ApiError.
import { sendAction } from './client.js';
import { getState } from './store.js';
import { setBusy, isBusy } from './a11y.js';
import { toast } from './toasts.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let unauthorized = () => {};
/** What happens when the server answers 401 (the session module signs out). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/**
 * The answer prefetch.js already asked for `path` with the session's token, once (null when there is
 * none, it failed, or the server answered 5xx: then api() asks again, with sendAction's retries).
 */
async function takeEarly(path) {
  const early = globalThis.__tasklaneEarly;
  if (!early || early.token !== getState().token) return null;
  const pending = early.responses.get(path);
  if (!pending) return null;
  early.responses.delete(path);
  const response = await pending.catch(() => null);
  return response && response.status < 500 ? response : null;
}

/** `method path` with the session's token; resolves with the parsed body, rejects with ApiError (status 0: no answer). */
export async function api(method, path, body, headers = {}) {
  let response = method === 'GET' && body === undefined ? await takeEarly(path) : null;
  if (!response) {
    try {
      response = await sendAction(path, {
        method,
        headers: {
          authorization: `Bearer ${getState().token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, { message: 'The server cannot be reached. Check the connection and try again.' });
    }
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 200) };
    }
  }
  if (response.status === 401) {
    unauthorized('The server rejected the sign-in token (it may have expired). Sign in again.');
    throw new ApiError(401, data);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Runs an action for a control: busy meanwhile (a second press is ignored), a failure in a toast. */
export async function act(button, fn, failure = 'That did not work') {
  if (isBusy(button)) return undefined;
  setBusy(button, true);
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401))
      toast({ title: failure, body: error.message, kind: 'error' });
    return undefined;
  } finally {
    setBusy(button, false);
  }
}
