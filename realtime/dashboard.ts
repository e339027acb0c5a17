// Serves the dashboard (realtime/public, plain files: no build step) and the nes browser client.
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Server } from '@hapi/hapi';

const PUBLIC = path.join(import.meta.dirname, 'public');

export function registerDashboard(server: Server): void {
  const require = createRequire(import.meta.url);
  const nesClient = require.resolve('@hapi/nes/lib/client.js');
  const files = { auth: false as const, tags: ['dashboard'] };
  server.route({ method: 'GET', path: '/', options: { ...files, handler: { file: { path: path.join(PUBLIC, 'index.html'), confine: false } } } });
  server.route({ method: 'GET', path: '/assets/nes.js', options: { ...files, handler: { file: { path: nesClient, confine: false } } } });
  server.route({ method: 'GET', path: '/assets/{file*}', options: { ...files, handler: { directory: { path: PUBLIC, redirectToSlash: false, index: false, listing: false } } } });
}
