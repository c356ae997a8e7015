import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { type CountingProxy, startCountingProxy } from '../support/counting-proxy.ts';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import { sleep, waitFor } from '../support/wait-for.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, sdkReady } from '../support/web.ts';

// Exactly-once sending within one browser, counted where it matters: at an HTTP proxy between the
// browser and a real collector, per messageId, whatever the store deduplicates. Pages leave with
// events pending (a flush interval longer than the test): by a same-site link, a reload from the
// browser, two tabs reloading at once, and on an origin without Web Locks. Each event must reach
// the network once, and be stored, also when the request sent on the way out is refused.

/** A shop page whose events stay queued: the flush interval is longer than the test. */
const PAGE = '/tag.html?writeKey=once&flushInterval=600000&autocapture=false';

/** Web Locks exist only in secure contexts: a name that is not localhost makes an insecure origin. */
const INSECURE_HOST = 'trail.test';

describe('exactly-once sending within one browser', { timeout: 120_000 }, () => {
  let collector: CollectorProcess;
  let proxy: CountingProxy;
  let site: StaticServer;
  let browser: Browser;
  let insecure = '';
  let tracked = 0;
  /** The event name of the running test: the store is shared by all of them. */
  let name = '';

  beforeAll(async () => {
    const buildError = inject('sdkBuildError');
    if (buildError) throw new Error(buildError);
    site = await startStaticServer();
    insecure = site.url.replace('127.0.0.1', INSECURE_HOST);
    collector = await startCollector({
      config: { sources: [{ writeKey: 'once', allowedOrigins: [site.url, insecure] }] },
    });
    proxy = await startCountingProxy(collector.url);
    site.vars.endpoint = proxy.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await collector?.stop();
    await site?.close();
  });
  beforeEach((test) => {
    tracked = 0;
    name = test.task.name;
    proxy.sends.clear();
    proxy.refused.clear();
    proxy.log.length = 0;
  });

  const open = async (page: Page, origin = site.url) => {
    await page.goto(`${origin}${PAGE}`);
    await sdkReady(page);
  };
  /** Leaves by a link the visitor clicks, to `href`, and waits for the next page's SDK. */
  const follow = async (page: Page, href: string) => {
    await page.evaluate((to) => {
      const a = document.createElement('a');
      a.href = to;
      a.id = 'next';
      a.textContent = 'next';
      document.body.append(a);
    }, href);
    await page.click('#next');
    await page.waitForURL((url) => url.href.endsWith(href));
    await sdkReady(page);
  };
  /** Tracks `n` events that stay queued: the flush interval is longer than the test. */
  const track = async (page: Page, n: number) => {
    await page.evaluate(
      ([event, k]) => {
        for (let i = 0; i < k; i++) (window as any).trail.track(event, { i });
      },
      [name, n] as const,
    );
    tracked += n;
  };
  const storedIds = () =>
    collector
      .query<{ message_id: string }>('SELECT message_id FROM events WHERE event = ?', name)
      .map((r) => r.message_id);
  const receivedOf = (answer: string): string[] => {
    try {
      return (JSON.parse(answer) as { received?: string[] }).received ?? [];
    } catch {
      return [];
    }
  };
  /** The traffic as the proxy saw it; `marked` ids are counted per request. */
  const timeline = (marked: Set<string>) => {
    const start = proxy.log[0]?.at ?? 0;
    const line = (l: CountingProxy['log'][number]) =>
      `+${l.at - start}ms ${l.path} ${l.status} ids=${l.ids.length} marked=${l.ids.filter((i) => marked.has(i)).length}` +
      (l.answer
        ? ` received=${receivedOf(l.answer).length} marked_received=${receivedOf(l.answer).filter((i) => marked.has(i)).length}`
        : '');
    return proxy.log.map(line).join('\n');
  };
  /** Waits for every tracked event to be stored, then for late copies; checks each was sent once. */
  const expectEachSentOnce = async () => {
    await waitFor(() => expect(storedIds()).toHaveLength(tracked), { timeout: 30_000 }).catch((error) => {
      const stored = new Set(storedIds());
      console.log(timeline(new Set([...proxy.sends.keys()].filter((id) => !stored.has(id)))));
      throw error;
    });
    await sleep(1_500);
    const ids = storedIds();
    expect(new Set(ids).size).toBe(tracked);
    const extra = ids
      .map((id) => ({ id, sends: proxy.sends.get(id) ?? 0, refused: proxy.refused.get(id) ?? 0 }))
      .filter((s) => s.sends !== 1 + s.refused);
    if (extra.length) console.log(timeline(new Set(extra.map((e) => e.id))));
    expect(extra, 'events sent more than once (or refused and not sent again)').toEqual([]);
  };

  it('hands pending events over to the next page of the site instead of sending them twice', async () => {
    const page = await (await browser.newContext()).newPage();
    await open(page);
    for (let round = 0; round < 5; round++) {
      await track(page, 3);
      await follow(page, `${PAGE}&round=${round}`);
    }
    await page.evaluate(() => (window as any).trail.flush());
    await expectEachSentOnce();
    await page.context().close();
  });

  it('sends each pending event once across reloads, and again only what the collector refused', async () => {
    const page = await (await browser.newContext()).newPage();
    await open(page);
    for (let round = 0; round < 6; round++) {
      await track(page, 3);
      // The request sent on the way out of round 2 is refused: those events must go again.
      if (round === 2) proxy.failNext(1);
      await page.reload();
      await sdkReady(page);
    }
    await page.evaluate(() => (window as any).trail.flush());
    await expectEachSentOnce();
    await page.context().close();
  });

  it('keeps an event tracked right before the page leaves, by the page or by the browser', async () => {
    const page = await (await browser.newContext()).newPage();
    await open(page);
    for (let round = 0; round < 6; round++) {
      // A backlog first, so that the last event is far from the front of the queue.
      await track(page, 150);
      if (round % 2) {
        tracked++;
        await page.evaluate((event) => {
          (window as any).trail.track(event, { last: true });
          location.reload();
        }, name);
        await page.waitForLoadState('load');
      } else {
        await track(page, 1);
        await page.reload();
      }
      await sdkReady(page);
    }
    await page.evaluate(() => (window as any).trail.flush());
    await expectEachSentOnce();
    await page.context().close();
  });

  it.each(['with Web Locks', 'on an origin without Web Locks'])(
    'strands nothing when a page that is taking a queue over is left at once (%s)',
    async (how) => {
      const origin = how === 'with Web Locks' ? site.url : insecure;
      const page = await (await browser.newContext()).newPage();
      for (let round = 0; round < 3; round++) {
        await open(page, origin);
        await track(page, 3);
        await follow(page, `${PAGE}&next=${round}`);
        await track(page, 3);
        // Back, and away again before the page shown has finished taking the queue over.
        await page.goBack();
        await page.goto(`${origin}${PAGE}&again=${round}`);
      }
      await sdkReady(page);
      await page.evaluate(() => (window as any).trail.flush());
      await expectEachSentOnce();
      await page.context().close();
    },
  );

  it.each([
    ['with Web Locks', 10],
    ['on an origin without Web Locks', 5],
  ])('sends each event once when two tabs reload at the same time, %s', async (how, rounds) => {
    const origin = how === 'with Web Locks' ? site.url : insecure;
    const context = await browser.newContext();
    const tabs = [await context.newPage(), await context.newPage()];
    for (const tab of tabs) await open(tab, origin);
    const locks = await tabs[0]!.evaluate(() => isSecureContext && 'locks' in navigator);
    expect(locks, 'the origin has Web Locks').toBe(origin === site.url);
    for (let round = 0; round < rounds; round++) {
      for (const tab of tabs) await track(tab, 3);
      await Promise.all(tabs.map((tab) => tab.reload().then(() => sdkReady(tab))));
    }
    for (const tab of tabs) await tab.evaluate(() => (window as any).trail.flush());
    await expectEachSentOnce();
    await context.close();
  });
});
