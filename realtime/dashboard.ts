// Serves the dashboard (realtime/public: native ES modules, no build step), the nes browser client,
// and lit-html's ES modules straight from node_modules (/vendor/lit-html/…, JavaScript files only).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import Boom from '@hapi/boom';
import type { Server } from '@hapi/hapi';

const PUBLIC = path.join(import.meta.dirname, 'public');

/**
 * What the page needs from the server's own rules: `searchFold`, each character search folds and what to
 * (host/reads.ts Reads.searchFold), served as the module /assets/search-fold.js the page folds with.
 */
export interface DashboardOptions {
  searchFold: () => Promise<Record<string, string>>;
}

export function registerDashboard(server: Server, options: DashboardOptions): void {
  const require = createRequire(import.meta.url);
  const nesClient = require.resolve('@hapi/nes/lib/client.js');
  // The package's browser build sits at its root (lit-html.js, directives/*.js, relative imports);
  // Node resolves the package to its node/ build, one level down.
  const litHtml = path.dirname(path.dirname(require.resolve('lit-html')));
  const files = { auth: false as const, tags: ['dashboard'] };
  server.route({
    method: 'GET',
    path: '/',
    options: { ...files, handler: { file: { path: path.join(PUBLIC, 'index.html'), confine: false } } },
  });
  server.route({
    method: 'GET',
    path: '/assets/nes.js',
    options: { ...files, handler: { file: { path: nesClient, confine: false } } },
  });
  // Read once, on the first page that asks. Should the database not answer, the page folds nothing (its
  // search still shows what the server matched) and the next page asks again: the page never fails to load.
  let foldModule: Promise<{ text: string; etag: string }> | undefined;
  server.route({
    method: 'GET',
    path: '/assets/search-fold.js',
    options: {
      ...files,
      handler: async (request, h) => {
        foldModule ??= options.searchFold().then((table) => {
          const text = `// Each character search folds, and what to: PostgreSQL's unaccent dictionary (host/reads.ts searchFold).\nexport const FOLD = ${JSON.stringify(table)};\n`;
          return { text, etag: createHash('sha256').update(text).digest('base64url').slice(0, 22) };
        });
        let module: { text: string; etag: string };
        try {
          module = await foldModule;
        } catch (error) {
          foldModule = undefined;
          request.logger?.warn(
            { err: error },
            'search fold table not read: the page folds nothing until a page asks again',
          );
          return h
            .response('export const FOLD = {};\n')
            .type('text/javascript; charset=utf-8')
            .header('cache-control', 'no-store');
        }
        return h.response(module.text).type('text/javascript; charset=utf-8').etag(module.etag);
      },
    },
  });
  server.route({
    method: 'GET',
    path: '/assets/{file*}',
    options: {
      ...files,
      // Only a name the dashboard's files can have reaches the file system: anything else (a path, a
      // name too long for it) is a 404, never the file system's own error (ENAMETOOLONG was a 500).
      handler: (request, h) => {
        const file = String(request.params.file ?? '');
        if (!ASSET_FILE.test(file)) throw Boom.notFound();
        return h.file(path.join(PUBLIC, file), { confine: PUBLIC });
      },
    },
  });
  server.route({
    method: 'GET',
    path: '/vendor/lit-html/{file*}',
    options: {
      ...files,
      handler: (request, h) => {
        const file = String(request.params.file ?? '');
        if (!VENDOR_FILE.test(file)) throw Boom.notFound();
        return h.file(path.join(litHtml, file), { confine: litHtml });
      },
    },
  });
  // The page has no inline script or style, so it runs under a strict policy; titles are text nodes.
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (!request.route.settings.tags?.includes('dashboard') || ('isBoom' in response && response.isBoom))
      return h.continue;
    if ('header' in response) {
      response.header('content-security-policy', CSP);
      response.header('x-content-type-options', 'nosniff');
      response.header('referrer-policy', 'no-referrer');
    }
    return h.continue;
  });
}

/** A file of realtime/public: a flat name of at most 64 characters, a script, a style sheet or a page. */
const ASSET_FILE = /^[a-z][a-z0-9-]{0,58}\.(?:js|css|html)$/;

/** A module of the package's browser build: `name.js` or `directives/name.js`, nothing else (no maps, no node/ or development/ builds). */
const VENDOR_FILE = /^(?:directives\/)?[a-z][a-z-]*\.js$/;

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
