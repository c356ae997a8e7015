// The examples served next to the API by `npm start` (Node only): the demo shop, the SPA and the tag.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Where the served files live; `npm start` builds the tag and the SPA bundle first (prestart). */
export const DEMO_FILES = {
  tag: join(ROOT, 'sdk-web/dist/trail.js'),
  shop: join(ROOT, 'examples/web-shop'),
  spa: join(ROOT, 'examples/spa'),
};

/**
 * Mounts `/shop/` (examples/web-shop), `/spa/` (examples/spa, any unknown path under it answered
 * with its index.html for client routing), `/trail.js` (the built tag) and a redirect from `/`.
 */
export function mountDemo(app: Hono): void {
  const under = (prefix: string) => (path: string) => path.slice(prefix.length) || '/';
  app.get('/', (c) => c.redirect('/shop/'));
  app.get('/shop', (c) => c.redirect('/shop/'));
  app.get('/spa', (c) => c.redirect('/spa/'));
  app.get('/trail.js', serveStatic({ path: DEMO_FILES.tag }));
  app.get('/shop/*', serveStatic({ root: DEMO_FILES.shop, rewriteRequestPath: under('/shop') }));
  app.get(
    '/spa/*',
    serveStatic({ root: DEMO_FILES.spa, rewriteRequestPath: under('/spa') }),
    serveStatic({ path: join(DEMO_FILES.spa, 'index.html') }),
  );
}

/** Files the demo needs that are missing (the tag or the SPA bundle not built yet). */
export function missingDemoFiles(): string[] {
  return [DEMO_FILES.tag, join(DEMO_FILES.spa, 'dist/app.js')].filter((f) => !existsSync(f));
}
