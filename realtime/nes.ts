// nes on the app's own server and port: sockets authenticate with the same JWT strategy as REST; the
// only subscription is /events, and a publish reaches only the sockets of the event's user.
import Nes from '@hapi/nes';
import type { Server } from '@hapi/hapi';
import type { Publish } from './hub.ts';

export interface RealtimeOptions {
  /** Heartbeat tuned so a dead link is noticed within ~5 s (nes' default notices after ~20 s). */
  heartbeat?: { interval: number; timeout: number };
  maxConnectionsPerUser?: number;
  onSockets?: (open: number) => void;
}

export const EVENTS_PATH = '/events';

export async function registerNes(server: Server, options: RealtimeOptions = {}): Promise<Publish> {
  let open = 0;
  await server.register({
    plugin: Nes,
    options: {
      auth: { type: 'direct', index: true, maxConnectionsPerUser: options.maxConnectionsPerUser ?? 100 },
      heartbeat: options.heartbeat ?? { interval: 2500, timeout: 2000 },
      onConnection: () => { open++; options.onSockets?.(open); },
      onDisconnection: () => { open--; options.onSockets?.(open); },
    },
  });
  server.subscription(EVENTS_PATH, { auth: { mode: 'required', entity: 'user', index: true } });
  return (userId, message) => server.publish(EVENTS_PATH, message, { user: userId });
}
