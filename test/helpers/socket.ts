// A real nes WebSocket client for tests, collecting what /events delivers.
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';

export interface Collector {
  client: Nes.Client;
  messages: { seq: number; event_id: string; type: string; user_id: string; correlation_id: string; timestamp: string; data: Record<string, unknown> }[];
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const wsUrl = (httpUrl: string): `ws://${string}` => `ws://${httpUrl.replace(/^https?:\/\//, '')}`;

export async function connectSocket(url: string, token: string, path = '/events'): Promise<Collector> {
  const client = new Nes.Client(wsUrl(url));
  await client.connect({ auth: { headers: { authorization: `Bearer ${token}` } }, reconnect: false, timeout: 5000 });
  const messages: Collector['messages'] = [];
  const waiters: (() => void)[] = [];
  await client.subscribe(path, (message: unknown) => {
    messages.push(message as Collector['messages'][number]);
    for (const w of waiters.splice(0)) w();
  });
  return {
    client,
    messages,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`only ${messages.length}/${count} socket messages within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, Math.min(left, 100)); });
      }
    },
    close: () => client.disconnect(),
  };
}
