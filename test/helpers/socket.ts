// A real nes WebSocket client for tests, collecting what /events delivers.
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import { eventually } from './eventually.ts';

export interface Collector {
  client: Nes.Client;
  messages: {
    seq: number;
    event_id: string;
    type: string;
    user_id: string;
    correlation_id: string;
    timestamp: string;
    data: Record<string, unknown>;
  }[];
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
  client.onDisconnect = () => {
    closed = true;
  };
  await client.connect({ auth: bearer(token), reconnect: false, timeout: 5000 });
  const messages: Collector['messages'] = [];
  await client.subscribe(path, (message: unknown) => {
    messages.push(message as Collector['messages'][number]);
  });
  return {
    client,
    messages,
    get closed() {
      return closed;
    },
    async waitFor(count, timeoutMs = 30_000) {
      await eventually(() => messages.length >= count, { what: `${count} socket messages`, timeoutMs, intervalMs: 20 });
    },
    async waitClosed(timeoutMs = 5000) {
      await eventually(() => closed, { what: 'the socket closed', timeoutMs, intervalMs: 20 });
    },
    close: () => client.disconnect(),
  };
}
