// Requests through hapi's `server.inject`: the whole request lifecycle (routing, auth, validation,
// the error mapping, response headers) without a socket. For API contract tests where the wire is not
// the point; tests of HTTP itself (malformed bytes, keep-alive, WebSockets, shutdown) stay on fetch.
import type { Server } from '@hapi/hapi';

export interface Reply {
  status: number;
  /** The JSON body parsed; `{text}` when the body is not JSON; `{}` when it is empty. */
  body: Record<string, unknown>;
  /** The body as sent. */
  text: string;
  /** The response headers as fetch would give them (lower-case names, repeated headers joined). */
  headers: Headers;
}

export interface CallOptions {
  /** Sent as `authorization: Bearer <token>`; null or absent sends none. */
  token?: string | null;
  /** Sent as JSON with `content-type: application/json`. */
  body?: unknown;
  /** Sent as is (content-type application/json unless `headers` name one). */
  raw?: string;
  headers?: Record<string, string>;
}

export type Call = (method: string, path: string, options?: CallOptions) => Promise<Reply>;

/** A `call(method, path, options)` bound to `server` (e.g. `startTestApp().app.server`). */
export function injector(server: Server): Call {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.raw !== undefined) {
      payload = options.raw;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await server.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    const text = res.payload;
    let body: Record<string, unknown> = {};
    if (text) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text };
      }
    }
    const out = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.append(name, String(v));
    }
    return { status: res.statusCode, body, text, headers: out };
  };
}
