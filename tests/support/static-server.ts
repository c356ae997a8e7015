import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** Test pages, served at the site root. */
export const PAGES_DIR = join(ROOT, 'tests/web/pages');
/** The script-tag bundle, served at `/trail.js`. */
export const TAG_FILE = join(ROOT, 'sdk-web/dist/trail.js');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};
/** Values put into pages are URLs, write keys, numbers and lists: nothing that needs escaping. */
const PLAIN = /^[\w\-.:/,#?=&% ]*$/;

/** A static web site on its own origin, serving the test pages and the SDK tag. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT`, also the page origin. */
  url: string;
  /** Values of the `{{name}}` placeholders in pages; a query parameter of the same name wins. */
  vars: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Serves `tests/web/pages/*` with `{{name}}` / `{{name|default}}` placeholders filled from the page's
 * query string, then `vars`, then the default; and `/trail.js` from `sdk-web/dist` (`?delay=ms` holds
 * the answer back, to test calls made before the tag loads). Nothing is cached.
 */
export async function startStaticServer(vars: Record<string, string> = {}): Promise<StaticServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = { 'cache-control': 'no-store' };
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, headers).end();
          return;
        }
        if (url.pathname === '/trail.js') {
          const delay = Number(url.searchParams.get('delay') ?? 0);
          if (delay > 0) await new Promise((done) => setTimeout(done, delay));
          const body = await readFile(TAG_FILE);
          res.writeHead(200, { ...headers, 'content-type': TYPES['.js'] }).end(body);
          return;
        }
        const file = resolve(PAGES_DIR, `.${decodeURIComponent(url.pathname)}`);
        if (!file.startsWith(PAGES_DIR + sep) || !(extname(file) in TYPES)) {
          res.writeHead(404, headers).end('not found');
          return;
        }
        const type = TYPES[extname(file)];
        const text = await readFile(file, 'utf8');
        const body = type === TYPES['.html'] ? fill(text, url.searchParams, vars) : text;
        res.writeHead(200, { ...headers, 'content-type': type }).end(body);
      } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        res.writeHead(missing ? 404 : 500, headers).end(String(error));
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    vars,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function fill(template: string, query: URLSearchParams, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)(?:\|([^}]*))?\}\}/g, (_, name: string, fallback?: string) => {
    const value = query.get(name) ?? vars[name] ?? fallback ?? '';
    if (!PLAIN.test(value)) throw new Error(`page variable ${name} is not plain: ${value}`);
    return value;
  });
}
