// A real nes WebSocket client for tests, collecting what /events delivers.
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';

export interface Collector {
  client: Nes.Client;
  messages: { seq: number; event_id: string; type: string; user_id: string; correlation_id: string; timestamp: string; data: Record<string, unknown> }[];
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** True once the connection is lost (closed by the server or by `close`). */
  readonly closed: boolean;
  /** Resolves when the connection is lost; rejects if it is still open after `timeoutMs`. */
  waitClosed(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const wsUrl = (httpUrl: string): `ws://${string}` => `ws://${httpUrl.replace(/^https?:\/\//, '')}`;

/** `{headers: {authorization: 'Bearer <token>'}}`, the auth nes' direct strategy passes to the JWT scheme. */
export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** A client connected (no reconnects) with `token`; rejects with nes' error when the server refuses it. */
export async function openClient(url: string, token: string, timeout = 5000): Promise<Nes.Client> {
  const client = new Nes.Client(wsUrl(url));
  try {
    await client.connect({ auth: bearer(token), reconnect: false, timeout });
  } catch (error) {
    await client.disconnect();
    throw error;
  }
  return client;
}

export async function connectSocket(url: string, token: string, path = '/events'): Promise<Collector> {
  const client = new Nes.Client(wsUrl(url));
  let closed = false;
  const closeWaiters: (() => void)[] = [];
  client.onDisconnect = () => { closed = true; for (const w of closeWaiters.splice(0)) w(); };
  await client.connect({ auth: bearer(token), reconnect: false, timeout: 5000 });
  const messages: Collector['messages'] = [];
  const waiters: (() => void)[] = [];
  await client.subscribe(path, (message: unknown) => {
    messages.push(message as Collector['messages'][number]);
    for (const w of waiters.splice(0)) w();
  });
  return {
    client,
    messages,
    get closed() { return closed; },
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`only ${messages.length}/${count} socket messages within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, Math.min(left, 100)); });
      }
    },
    async waitClosed(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!closed) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`socket still open after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => { closeWaiters.push(resolve); setTimeout(resolve, Math.min(left, 100)); });
      }
    },
    close: () => client.disconnect(),
  };
}
