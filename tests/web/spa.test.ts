import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { waitFor } from '../support/wait-for.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, storedEvents } from '../support/web.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

// The SPA example (examples/spa): the npm package bundled by esbuild, served by the collector at
// /spa/; its History API routing gives one page event per view, with the view's title.
describe('SPA example', { timeout: 90_000 }, () => {
  let collector: CollectorProcess;
  let browser: Browser;

  beforeAll(async () => {
    const buildError = inject('sdkBuildError');
    if (buildError) throw new Error(buildError);
    execFileSync(process.execPath, [join(ROOT, 'examples/spa/build.mjs')], { cwd: ROOT });
    mkdirSync(SCREENSHOTS, { recursive: true });
    collector = await startCollector({ config: { demo: true } });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('records a page event for each route change', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${collector.url}/spa/`);
    await page.waitForSelector('main h1');
    const pages = () =>
      storedEvents(collector, 'demo')
        .filter((e) => e.type === 'page')
        .map((e) => ({
          path: e.payload.context.page.path as string,
          title: e.payload.context.page.title as string,
        }));
    await waitFor(() => expect(pages()).toHaveLength(1));

    await page.click('nav a[href="/spa/teas"]');
    await page.waitForURL(/\/spa\/teas$/);
    await page.click('nav a[href="/spa/about"]');
    await page.waitForURL(/\/spa\/about$/);
    await page.goBack();
    await page.waitForURL(/\/spa\/teas$/);
    expect(await page.textContent('main h1')).toBe('Teas');
    await page.screenshot({ path: join(SCREENSHOTS, 'spa-teas.png') });

    await waitFor(() =>
      expect(pages()).toEqual([
        { path: '/spa/', title: 'Home · SPA' },
        { path: '/spa/teas', title: 'Teas · SPA' },
        { path: '/spa/about', title: 'About · SPA' },
        { path: '/spa/teas', title: 'Teas · SPA' },
      ]),
    );
    // A deep link is answered with the app's index.html; the app renders the route itself.
    await page.goto(`${collector.url}/spa/about`);
    expect(await page.textContent('main h1')).toBe('About');
    await context.close();
  });
});
