import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Asset, Sdk, Urls } from './sdks.ts';

/** The web site the SDKs are embedded in, on its own origin (so every send is cross-origin, as in production). */
export interface Site {
  /** The page that embeds `sdk`. */
  pageOf(sdk: Sdk): string;
  /** Paths asked for that the site does not have: an SDK reaching for something not served. */
  misses: string[];
  close(): Promise<void>;
}

/**
 * Serves one page per SDK (`/<id>.html`) and each SDK's assets. The page is empty but for the SDK, so
 * the figures are the SDK's alone. Started before the pages are made, since they name its own URL.
 */
export async function startSite(sdks: Sdk[], endpoint: string): Promise<Site> {
  const routes = new Map<string, Asset | { html: string }>();
  const misses: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (path === '/favicon.ico') {
        res.writeHead(204).end(); // the browser's own request, not an SDK's
        return;
      }
      const route = routes.get(path);
      if (!route) {
        misses.push(path);
        res.writeHead(404).end();
        return;
      }
      const [type, body] =
        'html' in route
          ? ['text/html; charset=utf-8', route.html]
          : 'json' in route
            ? ['application/json', JSON.stringify(route.json)]
            : ['text/javascript; charset=utf-8', await readFile(route.file)];
      res.writeHead(200, { 'content-type': type }).end(body);
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const urls: Urls = { site: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, endpoint };
  for (const sdk of sdks) {
    for (const [path, asset] of Object.entries(sdk.assets(urls))) routes.set(path, asset);
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${sdk.name}</title></head><body>${sdk.body(urls)}</body></html>`;
    routes.set(`/${sdk.id}.html`, { html });
  }
  return {
    pageOf: (sdk) => `${urls.site}/${sdk.id}.html`,
    misses,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
