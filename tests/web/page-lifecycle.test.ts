import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';
import { sleep, waitFor } from '../support/wait-for.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, sdkReady, storedEvents } from '../support/web.ts';

/**
 * Chromium driven over its DevTools pipe with browser-level commands only. Chromium does not
 * prerender for a page a DevTools client is attached to the way Playwright attaches
 * (`PrerenderingDisabledByDevTools`: sessions without tab-target support), so the prerender tests
 * open pages without attaching to them and watch what the pages send.
 */
class PipeBrowser {
  private next = 0;
  private readonly pending = new Map<number, (result: Record<string, unknown>) => void>();
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'trail-prerender-'));
  private readonly child: ChildProcess;

  constructor() {
    this.child = spawn(
      CHROMIUM_PATH,
      [...CHROMIUM_ARGS, '--headless', '--remote-debugging-pipe', `--user-data-dir=${this.dataDir}`],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    let buffered = '';
    (this.child.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
        const message = JSON.parse(buffered.slice(0, end)) as {
          id?: number;
          result?: Record<string, unknown>;
        };
        buffered = buffered.slice(end + 1);
        if (message.id !== undefined) this.pending.get(message.id)?.(message.result ?? {});
      }
    });
  }

  send(method: string, params: object = {}): Promise<Record<string, unknown>> {
    const id = ++this.next;
    (this.child.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params })}\0`);
    return new Promise((done) => this.pending.set(id, done));
  }

  async close(): Promise<void> {
    const exited = new Promise((done) => this.child.once('exit', done));
    await this.send('Browser.close');
    await exited;
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// A page restored from the back/forward cache was seen again: one more page view. A prerendered
// page counts its view when it is shown, never while the visitor has not seen it. The pages come
// through a proxy that drops the test server's `Cache-Control: no-store` (which keeps a page out
// of the back/forward cache) and answers `/go`, the prerendering page's cue to follow its link.
describe('browser SDK page views across bfcache and prerendering', { timeout: 90_000 }, () => {
  let site: StaticServer;
  let proxy: Server;
  let origin: string;
  let collector: CollectorProcess;
  let go = false;

  beforeAll(async () => {
    const buildError = inject('sdkBuildError');
    if (buildError) throw new Error(buildError);
    site = await startStaticServer();
    proxy = createServer((req, res) => {
      if (req.url === '/go') return void res.writeHead(go ? 204 : 404).end();
      void fetch(site.url + req.url).then(async (r) =>
        res
          .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' })
          .end(Buffer.from(await r.arrayBuffer())),
      );
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    collector = await startCollector({
      config: {
        sources: ['bfcache', 'prerender-hidden', 'prerender-shown'].map((writeKey) => ({
          writeKey,
          allowedOrigins: [origin],
        })),
      },
    });
    site.vars.endpoint = collector.url;
  });
  afterAll(async () => {
    await collector?.stop();
    proxy?.closeAllConnections();
    proxy?.close();
    await site?.close();
  });
  const views = (source: string) => storedEvents(collector, source).filter((r) => r.type === 'page');
  const tracked = (source: string, event: string) => storedEvents(collector, source, event);

  it('counts a page restored from the back/forward cache once more', async () => {
    // Playwright turns the back/forward cache off by default.
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      ignoreDefaultArgs: ['--disable-back-forward-cache'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/tag.html?writeKey=bfcache&autocapture=pageviews`);
      await sdkReady(page);
      await waitFor(() => expect(views('bfcache')).toHaveLength(1));
      await page.evaluate(() =>
        addEventListener('pageshow', (e) => ((window as any).restored = e.persisted)),
      );

      await page.goto(`${origin}/away.html`);
      await page.goBack({ waitUntil: 'commit' });
      const restored = await page
        .waitForFunction(() => (window as any).restored === true, null, { timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      const reasons = await page.evaluate(() =>
        JSON.stringify((performance.getEntriesByType('navigation')[0] as any)?.notRestoredReasons),
      );
      expect(restored, `restored from the back/forward cache (not restored because: ${reasons})`).toBe(true);

      await waitFor(() => expect(views('bfcache')).toHaveLength(2));
      await sleep(1_000);
      expect(views('bfcache').map((v) => v.payload.context.page.path)).toEqual(['/tag.html', '/tag.html']);
    } finally {
      await browser.close();
    }
  });

  describe('prerendered pages', () => {
    let browser: PipeBrowser;
    beforeAll(() => {
      browser = new PipeBrowser();
    });
    afterAll(async () => {
      await browser?.close();
    });
    let tab: unknown;
    afterEach(async () => {
      await browser.send('Target.closeTarget', { targetId: tab });
    });
    /** Opens a page that prerenders `/prerendered.html` for `source`; resolves once the SDK ran there. */
    const prerender = async (source: string) => {
      const target = `/prerendered.html?writeKey=${source}`;
      ({ targetId: tab } = await browser.send('Target.createTarget', {
        url: `${origin}/prerender-from.html?target=${encodeURIComponent(target)}`,
      }));
      const [loaded] = await waitFor(() => {
        const found = tracked(source, 'Loaded');
        expect(found).toHaveLength(1);
        return found;
      });
      expect(loaded!.payload.properties, 'the page was prerendered').toEqual({ prerendering: true });
      return loaded!;
    };

    it('counts no view of a prerendered page the visitor never sees', async () => {
      await prerender('prerender-hidden');
      await sleep(1_500); // seven flush intervals, past the longest wait for a title
      expect(views('prerender-hidden')).toEqual([]);
    });

    it('counts one view of a prerendered page when it is shown', async () => {
      const loaded = await prerender('prerender-shown');
      await sleep(500);
      expect(views('prerender-shown'), 'no view before it is shown').toEqual([]);
      go = true;
      const [activated] = await waitFor(() => {
        const found = tracked('prerender-shown', 'Activated');
        expect(found).toHaveLength(1);
        return found;
      });
      expect(activated!.payload.properties.activationStart).toBeGreaterThan(0);
      await waitFor(() => expect(views('prerender-shown')).toHaveLength(1));
      await sleep(1_000);
      const shown = views('prerender-shown');
      expect(shown).toHaveLength(1);
      expect(shown[0]!.payload.properties.path).toBe('/prerendered.html');
      expect(Date.parse(shown[0]!.timestamp)).toBeGreaterThan(Date.parse(loaded.timestamp));
    });
  });
});
