import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import { openPage, sdkReady, startWebEnv, storedEvents, type WebEnv } from '../support/web.ts';

/** What a page reported while the test ran: console warnings, uncaught errors, request bodies to the collector. */
interface Watch {
  warnings: string[];
  errors: string[];
  bodies: string[];
}

// The public API in Chromium against a real collector: Segment's overloads, promises and callbacks,
// and misuse, which must warn in the console, never throw into the page and never reach the network.
describe('browser SDK public API', { timeout: 120_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  const stored = (source: string) => storedEvents(env.collector, source);
  const failed = (source: string) =>
    env.collector.query<{ reason: string }>('SELECT reason FROM failed_events WHERE source = ?', source);

  /** A fresh page watched from its first script on. */
  const watched = async (): Promise<{ page: Page; watch: Watch }> => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const watch: Watch = { warnings: [], errors: [], bodies: [] };
    const collector = new URL(env.collector.url).origin;
    context.on('request', (r) => {
      if (new URL(r.url()).origin === collector) watch.bodies.push(r.postData() ?? '');
    });
    const page = await context.newPage();
    page.on('console', (m) => void (m.type() === 'warning' && watch.warnings.push(m.text())));
    page.on('pageerror', (e) => void watch.errors.push(String(e)));
    return { page, watch };
  };

  beforeAll(async () => {
    env = await startWebEnv(
      ['overloads', 'traits-only', 'misuse', 'oversized', 'late-init', 'bad-init'].map((writeKey) => ({
        writeKey,
      })),
    );
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('takes every Segment overload; each promise and callback settles once the collector has the event', async () => {
    const { page, watch } = await watched();
    // A timeout past the test's own: a promise that waited for it instead of the answer fails the test.
    await openPage(page, env.site, '/api.html', { writeKey: 'overloads', timeout: 600_000 });
    const calls = await page.evaluate(async () => {
      const t = (window as any).trail;
      const called: string[] = [];
      const cb = (name: string) => (e?: { messageId: string }) => void called.push(`${name}:${e?.messageId}`);
      const results = await Promise.all([
        t.track('Plain'),
        t.track('With Props', { plan: 'pro' }),
        t.track('With Callback', cb('track')),
        t.track(
          'With Options',
          { n: 1 },
          { context: { app: 'shop' }, integrations: { All: false } },
          cb('track4'),
        ),
        t.page(),
        t.page('Home'),
        t.page('Docs', 'Install', { step: 1 }),
        t.page({ step: 2 }, cb('page-props')),
        t.page('Docs', 'API', null, { timestamp: '2024-04-30T08:00:00.000Z' }),
        t.screen('Shop', 'Cart', { items: 2 }),
        t.identify({ plan: 'free' }),
        t.identify('user-1', { name: 'Ada' }, { traits: { via: 'options' } }, cb('identify')),
        t.identify({ plan: 'pro' }),
        t.group('acme', { size: 10 }, cb('group')),
        t.group(7),
        t.alias('user-2', 'user-1', { context: { app: 'signup' } }),
        t.alias(3),
        t.productAdded({ product_id: 'p-1', price: 5 }),
      ]);
      return { ids: results.map((e: { messageId?: string } | undefined) => e?.messageId), called };
    });
    // Settled means acknowledged: every event is stored already, none is missing.
    const rows = stored('overloads');
    const byId = new Map(rows.map((r) => [r.message_id, r.payload]));
    expect(
      calls.ids.every((id) => typeof id === 'string' && byId.has(id)),
      JSON.stringify(calls.ids),
    ).toBe(true);
    expect(calls.called).toHaveLength(5);
    for (const c of calls.called) expect(byId.has(c.slice(c.indexOf(':') + 1)), c).toBe(true);

    const sent = calls.ids.map((id) => byId.get(id as string)!);
    // Page events also carry Segment's page fields (path, referrer, search, title, url) in properties.
    const PAGE_FIELDS = ['path', 'referrer', 'search', 'title', 'url'];
    const given = (e: Record<string, any>) =>
      e.type === 'page'
        ? Object.fromEntries(Object.entries(e.properties).filter(([k]) => !PAGE_FIELDS.includes(k)))
        : (e.properties ?? e.traits);
    const shape = (e: Record<string, any>) => [
      e.type,
      e.event ?? e.category,
      e.name,
      given(e),
      e.userId,
      e.groupId ?? e.previousId,
    ];
    expect(sent.map(shape)).toEqual([
      ['track', 'Plain', undefined, {}, undefined, undefined],
      ['track', 'With Props', undefined, { plan: 'pro' }, undefined, undefined],
      ['track', 'With Callback', undefined, {}, undefined, undefined],
      ['track', 'With Options', undefined, { n: 1 }, undefined, undefined],
      ['page', undefined, undefined, {}, undefined, undefined],
      ['page', undefined, 'Home', {}, undefined, undefined],
      ['page', 'Docs', 'Install', { step: 1 }, undefined, undefined],
      ['page', undefined, undefined, { step: 2 }, undefined, undefined],
      ['page', 'Docs', 'API', {}, undefined, undefined],
      ['screen', 'Shop', 'Cart', { items: 2 }, undefined, undefined],
      ['identify', undefined, undefined, { plan: 'free' }, undefined, undefined],
      ['identify', undefined, undefined, { plan: 'free', name: 'Ada' }, 'user-1', undefined],
      // identify(traits) keeps the userId.
      ['identify', undefined, undefined, { plan: 'pro', name: 'Ada' }, 'user-1', undefined],
      ['group', undefined, undefined, { size: 10 }, 'user-1', 'acme'],
      ['group', undefined, undefined, {}, 'user-1', '7'],
      ['alias', undefined, undefined, undefined, 'user-2', 'user-1'],
      ['alias', undefined, undefined, undefined, '3', 'user-2'],
      ['track', 'Product Added', undefined, { product_id: 'p-1', price: 5 }, '3', undefined],
    ]);
    expect(sent[3]?.context.app).toBe('shop');
    expect(sent[3]?.integrations).toEqual({ All: false });
    // The collector keeps the client's time as originalTimestamp (and this old one replaced by the receipt time).
    expect(sent[8]?.originalTimestamp).toBe('2024-04-30T08:00:00.000Z');
    expect(sent[11]?.context.traits).toEqual({ via: 'options' });
    expect(sent[15]?.context.app).toBe('signup');
    expect(failed('overloads')).toEqual([]);
    expect(watch.errors).toEqual([]);
  });

  it('identify({ traits }) keeps the visitor sendable, across a reload too', async () => {
    const { page, watch } = await watched();
    await openPage(page, env.site, '/api.html', { writeKey: 'traits-only' });
    await page.evaluate(() => {
      const t = (window as any).trail;
      t.identify({ traits: { plan: 'pro' } });
      t.track('After Traits');
    });
    await page.reload();
    await sdkReady(page);
    await page.evaluate(() => (window as any).trail.track('After Reload'));
    const rows = await waitFor(() => {
      const found = stored('traits-only').filter((r) => r.type !== 'page');
      expect(found.map((r) => r.event ?? r.type)).toEqual(['identify', 'After Traits', 'After Reload']);
      return found;
    });
    expect(rows[0]?.payload.traits).toEqual({ traits: { plan: 'pro' } });
    expect(rows.map((r) => r.user_id)).toEqual([null, null, null]);
    expect(failed('traits-only')).toEqual([]);
    expect(watch.errors).toEqual([]);
  });

  it('warns about each misuse, throws nothing into the page, sends none of it, and stores the valid events', async () => {
    const { page, watch } = await watched();
    await openPage(page, env.site, '/api.html', { writeKey: 'misuse' });
    const thrown = await page.evaluate(async () => {
      const t = (window as any).trail;
      const loop: Record<string, unknown> = { name: 'loop' };
      loop.self = loop;
      let deep: Record<string, unknown> = { m: 'bad-deep' };
      for (let i = 0; i < 70; i++) deep = { deep };
      const misuses: (() => unknown)[] = [
        () => t.track(undefined, { m: 'bad-no-name' }),
        () => t.track(42, { m: 'bad-number-name' }),
        () => t.track('', { m: 'bad-empty-name' }),
        () => t.track('n'.repeat(513), { m: 'bad-long-name' }),
        () => t.page('p'.repeat(513), { m: 'bad-long-page' }),
        () => t.identify('', { m: 'bad-empty-user' }),
        () => t.identify('u'.repeat(257), { m: 'bad-long-user' }),
        () => t.group(undefined, { m: 'bad-no-group' }),
        () => t.alias(undefined, { context: { m: 'bad-no-alias' } }),
        () => t.track('Bad Integrations', { m: 'bad-integrations' }, { integrations: 'all' }),
        () => t.track('Bad Time', { m: 'bad-time' }, { timestamp: 'yesterday' }),
        () =>
          t.track('Throwing toJSON', {
            m: 'bad-tojson',
            d: {
              toJSON: () => {
                throw new Error('no JSON');
              },
            },
          }),
        () => t.track('Too Deep', deep),
        () => t.track('Huge', { m: 'bad-huge', blob: 'x'.repeat(100_000) }),
        () => t.nonexistent('bad-method'),
      ];
      const errors: string[] = [];
      const results: unknown[] = [];
      t.track('Valid Before');
      for (const misuse of misuses) {
        try {
          results.push(misuse());
        } catch (error) {
          errors.push(String(error));
        }
      }
      // Accepted as Segment takes them: cut, converted or dropped, never thrown.
      t.track('Circular', loop);
      t.track('BigInt', { n: 10n });
      t.track('Function', { f: () => 1, kept: true });
      setTimeout(() => t.track('Circular From Timer', loop), 0);
      await new Promise((r) => setTimeout(r, 50));
      t.track('Valid After');
      await Promise.all(results);
      return errors;
    });
    expect(thrown).toEqual([]);
    const rows = await waitFor(() => {
      const found = stored('misuse');
      expect(found.map((r) => r.event)).toEqual([
        'Valid Before',
        'Circular',
        'BigInt',
        'Function',
        'Circular From Timer',
        'Valid After',
      ]);
      return found;
    });
    expect(rows[1]?.payload.properties).toEqual({ name: 'loop', self: '[Circular]' });
    expect(rows[2]?.payload.properties).toEqual({ n: '10' });
    expect(rows[3]?.payload.properties).toEqual({ kept: true });
    await sleep(500);
    expect(watch.bodies.filter((b) => b.includes('bad-'))).toEqual([]);
    expect(failed('misuse')).toEqual([]);
    for (const warning of [
      /track refused: event must be a string of 1 to 512 characters/,
      /page refused: name must be a string of 0 to 512 characters/,
      /identify refused: userId must be a string of 1 to 256 characters/,
      /group refused: groupId must be a string/,
      /alias refused: userId must be a string/,
      /track refused: integrations must be an object/,
      /track refused: Invalid time value/,
      /track refused: no JSON/,
      /track refused: event is nested deeper than 64 levels/,
      /track refused: event is over 32768 bytes/,
      /trail\.nonexistent is not a method/,
    ])
      expect(
        watch.warnings.some((w) => warning.test(w)),
        `${warning} in\n${watch.warnings.join('\n')}`,
      ).toBe(true);
    // Once per kind of mistake: three calls without a valid name warned once.
    expect(watch.warnings.filter((w) => w.includes('event must be a string of 1 to 512'))).toHaveLength(1);
    expect(watch.errors).toEqual([]);
  });

  it('refuses an oversized event at track(), so the queued events around it are all stored', async () => {
    const { page, watch } = await watched();
    await openPage(page, env.site, '/api.html', { writeKey: 'oversized', flushInterval: 2_000 });
    const result = await page.evaluate(async () => {
      const t = (window as any).trail;
      for (let i = 0; i < 3; i++) t.track('Good', { i });
      const huge = await t.track('Huge', { marker: 'huge-event', blob: 'x'.repeat(2_000_000) });
      for (let i = 3; i < 6; i++) t.track('Good', { i });
      return { huge: huge === undefined, stats: t.stats() };
    });
    expect(result.huge).toBe(true);
    expect(result.stats).toMatchObject({ queued: 6, dropped: 0 });
    await waitFor(() =>
      expect(stored('oversized').map((r) => r.payload.properties.i)).toEqual([0, 1, 2, 3, 4, 5]),
    );
    expect(watch.bodies.filter((b) => b.includes('huge-event'))).toEqual([]);
    expect(failed('oversized')).toEqual([]);
    expect(watch.warnings.some((w) => /track refused: event is over 32768 bytes/.test(w))).toBe(true);
  });

  it('keeps calls made before trail("init") when the tag has no write key, and replays them after', async () => {
    const { page, watch } = await watched();
    await page.goto(new URL('/late-init.html', env.site.url).href);
    await sdkReady(page);
    const early = page.evaluate(() => {
      const t = (window as any).trail;
      t.track('Early Property Call', { n: 1 });
      t('track', 'Early Function Call', { n: 2 });
      t.identify('early-user');
      // Settles once init has run and the collector has the event (or the timeout passed).
      return Promise.resolve(t.page('Early Page')).then((e?: { messageId: string }) => e?.messageId);
    });
    await sleep(300);
    expect(watch.bodies, 'nothing is sent before init').toEqual([]);
    await page.evaluate(
      ([endpoint]) =>
        (window as any).trail('init', {
          writeKey: 'late-init',
          endpoint,
          flushInterval: 200,
          autocapture: false,
        }),
      [env.collector.url],
    );
    await waitFor(() =>
      expect(stored('late-init').map((r) => r.event ?? r.type)).toEqual([
        'Queued Before Load',
        'Early Property Call',
        'Early Function Call',
        'identify',
        'Early Page',
      ]),
    );
    expect(stored('late-init').map((r) => r.user_id)).toEqual([null, null, null, 'early-user', 'early-user']);
    const earlyPage = stored('late-init').find((r) => r.event === 'Early Page');
    expect(await early).toBe(earlyPage?.message_id);
    expect(watch.errors).toEqual([]);
  });

  it('a trail("init") without a usable config warns, naming the option, and a later good init still works', async () => {
    const { page, watch } = await watched();
    await page.goto(new URL('/late-init.html', env.site.url).href);
    await sdkReady(page);
    const thrown = await page.evaluate(
      ([endpoint]) => {
        const t = (window as any).trail;
        const errors: string[] = [];
        for (const config of [
          undefined,
          {},
          { writeKey: 'bad-init' },
          { writeKey: 'bad-init', endpoint: 'no-scheme' },
        ]) {
          try {
            t('init', config);
          } catch (error) {
            errors.push(String(error));
          }
        }
        t('init', { writeKey: 'bad-init', endpoint, flushInterval: 200, autocapture: false });
        return errors;
      },
      [env.collector.url],
    );
    expect(thrown).toEqual([]);
    expect(watch.warnings.some((w) => w.includes('trail: config.writeKey is missing or invalid'))).toBe(true);
    expect(watch.warnings.some((w) => w.includes('trail: config.endpoint is missing or invalid'))).toBe(true);
    await waitFor(() => expect(stored('bad-init').map((r) => r.event)).toEqual(['Queued Before Load']));
    expect(watch.errors).toEqual([]);
  });
});
