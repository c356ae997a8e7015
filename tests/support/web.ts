import { gunzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page, type Request } from 'playwright-core';
import { expect, inject } from 'vitest';
import type { ConfigInput } from '../../collector/src/config/config.ts';
import { type CollectorProcess, startCollector } from './collector-process.ts';
import { type StaticServer, startStaticServer } from './static-server.ts';
import { waitFor } from './wait-for.ts';

/** The system Chromium; Playwright's own browser downloads are not used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** A site on one origin, a collector on another (so every SDK request is cross-origin), and a browser. */
export interface WebEnv {
  site: StaticServer;
  collector: CollectorProcess;
  browser: Browser;
  close(): Promise<void>;
}

type Source = NonNullable<ConfigInput['sources']>[number];

/**
 * Starts the static site, then a collector whose sources accept only the site's origin, then Chromium.
 * Fails first, with the build output, when the global setup could not build the SDK.
 */
export async function startWebEnv(sources: Omit<Source, 'allowedOrigins'>[]): Promise<WebEnv> {
  const buildError = inject('sdkBuildError');
  if (buildError) throw new Error(buildError);
  const site = await startStaticServer();
  const started: { collector?: CollectorProcess; browser?: Browser } = {};
  const close = async () => {
    await started.browser?.close();
    await started.collector?.stop();
    await site.close();
  };
  try {
    started.collector = await startCollector({
      config: { sources: sources.map((s) => ({ ...s, allowedOrigins: [site.url] })) },
    });
    site.vars.endpoint = started.collector.url;
    started.browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    await close();
    throw error;
  }
  return { site, collector: started.collector, browser: started.browser, close };
}

/** A row of the collector's `events` table with its payload parsed. */
export interface StoredEvent {
  message_id: string;
  type: string;
  event: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  source: string;
  timestamp: string;
  received_at: string;
  payload: Record<string, any>;
}

/** Events stored for one source (write key), in the order they were stored; `event` filters by name. */
export function storedEvents(collector: CollectorProcess, source: string, event?: string): StoredEvent[] {
  const rows =
    event === undefined
      ? collector.query<StoredEvent & { payload: string }>(
          'SELECT * FROM events WHERE source = ? ORDER BY rowid',
          source,
        )
      : collector.query<StoredEvent & { payload: string }>(
          'SELECT * FROM events WHERE source = ? AND event = ? ORDER BY rowid',
          source,
          event,
        );
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, any> }));
}

/** Waits until the tag has loaded and replaced the snippet's stub (`trail.track` exists). */
export async function sdkReady(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as any).trail?.track === 'function', null, {
    timeout: 15_000,
  });
}

/** Opens a test page with placeholders filled from `params` and waits for the SDK. */
export async function openPage(
  page: Page,
  site: StaticServer,
  path: string,
  params: Record<string, string | number> = {},
): Promise<void> {
  const url = new URL(path, site.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  await page.goto(url.href);
  await sdkReady(page);
}

/** One request the SDK made to the collector, as the browser saw it. */
export interface SdkRequest {
  request: Request;
  page: Page | undefined;
  url: string;
  method: string;
  /** messageIds in the body, in batch order. */
  messageIds: string[];
  /** Event names (`event` for track, `name` for page, else the type), in batch order. */
  names: string[];
  /** Response status; undefined while pending or when no response came (see `failure`). */
  status?: number;
  failure?: string;
}

/**
 * Records every request to the collector's origin in a browser context (all its pages), with the
 * batch bodies parsed, plus each page's document loads, so that requests made while a page was
 * being unloaded (pagehide: keepalive fetch or sendBeacon) can be told apart from ordinary sends.
 * Chromium often does not report requests made during pagehide at all; those never count here.
 */
export class SdkTraffic {
  readonly requests: SdkRequest[] = [];
  private readonly byRequest = new Map<Request, SdkRequest>();
  private readonly documents: { page: Page | undefined; request: Request }[] = [];
  private readonly unloads: { page: Page; since: number }[] = [];

  constructor(context: BrowserContext, collectorUrl: string) {
    const origin = new URL(collectorUrl).origin;
    context.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame().parentFrame() === null) {
        this.documents.push({ page: pageOf(request), request });
      }
      if (new URL(request.url()).origin !== origin) return;
      const record: SdkRequest = {
        request,
        page: pageOf(request),
        url: request.url(),
        method: request.method(),
        ...parseBatch(request),
      };
      this.byRequest.set(request, record);
      this.requests.push(record);
    });
    // Status from the response headers: that is what the SDK's fetch resolves with, even when the
    // body is never read and the request later shows up as aborted.
    context.on('response', (response) => {
      const record = this.byRequest.get(response.request());
      if (record) record.status = response.status();
    });
    context.on('requestfailed', (request) => {
      const record = this.byRequest.get(request);
      if (record) record.failure = request.failure()?.errorText ?? 'failed';
    });
  }

  /** Call right before `page.reload()` / `page.close()`: the page's sends from now on are exit sends. */
  markUnload(page: Page): void {
    this.unloads.push({ page, since: Date.now() });
  }

  /** Whether a request left while its page was being unloaded (after markUnload, before the next document). */
  isExitSend(r: SdkRequest): boolean {
    const start = startTime(r.request);
    return this.unloads.some((u) => {
      if (u.page !== r.page || start < u.since) return false;
      const next = this.documents.find((d) => d.page === u.page && startTime(d.request) >= u.since);
      return next === undefined || start < startTime(next.request);
    });
  }

  /** POSTs the browser saw answered with 200. */
  delivered(): SdkRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.status === 200);
  }

  /** Waits until no recorded request is still pending. */
  async settled(): Promise<void> {
    await waitFor(() => this.requests.every((r) => r.status !== undefined || r.failure !== undefined));
  }
}

/** Wall-clock start of a request (ms since epoch), from the browser's own timing. */
function startTime(request: Request): number {
  return request.timing().startTime;
}

function pageOf(request: Request): Page | undefined {
  try {
    return request.frame().page();
  } catch {
    return undefined; // a service worker's request
  }
}

function parseBatch(request: Request): { messageIds: string[]; names: string[] } {
  let buffer = request.postDataBuffer();
  if (!buffer) return { messageIds: [], names: [] };
  if (buffer[0] === 0x1f && buffer[1] === 0x8b) buffer = gunzipSync(buffer);
  try {
    const body = JSON.parse(buffer.toString('utf8')) as Record<string, unknown>;
    const batch = (Array.isArray(body.batch) ? body.batch : [body]) as Record<string, unknown>[];
    return {
      messageIds: batch.map((e) => String(e.messageId)),
      names: batch.map((e) => String(e.type === 'track' ? e.event : e.type === 'page' ? e.name : e.type)),
    };
  } catch {
    return { messageIds: [], names: [] };
  }
}

/** Calls `trail(method, ...args)` in the page, as site code would. */
export async function callTrail(page: Page, method: string, ...args: unknown[]): Promise<void> {
  await page.evaluate(
    ([m, a]) => {
      (window as any).trail(m, ...(a as unknown[]));
    },
    [method, args] as const,
  );
}

/** Fires `count` track events named `event` with `{ i }` in the page, synchronously in one task. */
export async function trackMany(page: Page, event: string, count: number, from = 0): Promise<void> {
  await page.evaluate(
    ([name, n, start]) => {
      for (let i = start; i < start + n; i++) (window as any).trail('track', name, { i });
    },
    [event, count, from] as const,
  );
}

/** What the page has written to client-side storage: IndexedDB databases, localStorage, sessionStorage, cookies. */
export async function storageWrites(page: Page): Promise<{
  indexedDB: string[];
  localStorage: number;
  sessionStorage: number;
  cookie: string;
}> {
  return page.evaluate(async () => ({
    indexedDB: (await indexedDB.databases()).map((db) => db.name ?? ''),
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    cookie: document.cookie,
  }));
}

/**
 * Makes the site's pages load while the browser is offline, as a site with a service worker does:
 * registers `offline-sw.js` (network first, else the cached copy), then reloads once online so the
 * page and the tag are in its cache. (Fulfilling the page from a Playwright route instead makes
 * Chromium treat it as a public page and block its requests to the loopback collector.)
 */
export async function enableOfflinePages(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('/offline-sw.js');
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.reload();
  await sdkReady(page);
}

/**
 * Events (of `rows`) that two requests carried and the browser saw both answered 200, leaving out
 * requests sent while their page was unloading: a pagehide send cannot learn its outcome, so the
 * SDK keeps those events and sends them again (the collector deduplicates them).
 */
export function doubleSends(traffic: SdkTraffic, rows: { message_id: string }[]): string[] {
  const wanted = new Set(rows.map((r) => r.message_id));
  const seen = new Set<string>();
  const doubles = new Set<string>();
  for (const request of traffic.delivered()) {
    if (traffic.isExitSend(request)) continue;
    for (const id of request.messageIds) {
      if (!wanted.has(id)) continue;
      if (seen.has(id)) doubles.add(id);
      seen.add(id);
    }
  }
  return [...doubles];
}

/** Asserts that the SDK did not send any of `rows` twice (see {@link doubleSends}). */
export function expectNoDoubleSend(traffic: SdkTraffic, rows: { message_id: string }[]): void {
  const summary = traffic.requests.map(
    (r) =>
      `${r.method} ${r.status ?? r.failure ?? 'pending'}${traffic.isExitSend(r) ? ' (pagehide)' : ''}: ` +
      r.names.join(', '),
  );
  expect(
    doubleSends(traffic, rows),
    `sent twice, answered 200 twice; requests:\n${summary.join('\n')}`,
  ).toEqual([]);
  const carried = new Set(traffic.delivered().flatMap((r) => r.messageIds));
  expect(
    rows.some((r) => carried.has(r.message_id)),
    'the recorded requests carried the events',
  ).toBe(true);
}
