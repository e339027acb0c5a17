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
  // The page has no inline script or style, so it runs under a strict policy; titles are text nodes.
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (!request.route.settings.tags?.includes('dashboard') || ('isBoom' in response && response.isBoom)) return h.continue;
    if ('header' in response) {
      response.header('content-security-policy', CSP);
      response.header('x-content-type-options', 'nosniff');
      response.header('referrer-policy', 'no-referrer');
    }
    return h.continue;
  });
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
