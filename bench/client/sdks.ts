import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventCounter } from './endpoint.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PEERS = join(ROOT, 'bench/node_modules');

/** The event every SDK tracks in the burst, with the same properties. */
export const EVENT = 'Product Added';
export const PROPERTIES = { product_id: 'longjing-250g', price: 168, currency: 'CNY', quantity: 1 };

/** Where the page is served from and where the SDK is told to send. */
export interface Urls {
  site: string;
  endpoint: string;
}

/** A file on disk or a JSON document, served by the site at some path. */
export type Asset = { file: string } | { json: unknown };

/**
 * An SDK as a site would embed it. Its page defines `window.bench = { ready(), track(event, properties) }`:
 * `ready()` is the SDK's own "loaded and initialised" signal, `track` is the one call a site makes.
 */
export interface Sdk {
  /** Short name, also the page's path (`/<id>.html`). */
  id: string;
  name: string;
  version: string;
  /** What was set beyond its defaults and the endpoint, for the table's notes. */
  setup: string;
  /** Paths the site serves for it (script, lazy chunks, settings), besides the page. */
  assets(urls: Urls): Record<string, Asset>;
  /** The page's `<body>`: the SDK's script tag and its init, as its docs give them. */
  body(urls: Urls): string;
  /** Burst events in a request the endpoint received. */
  count: EventCounter;
}

function versionOf(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

const json = (value: unknown) => JSON.stringify(value);
const named = (events: unknown[]) => events.filter((e) => (e as { event?: unknown }).event === EVENT).length;

const trail: Sdk = {
  id: 'trail',
  name: 'trail (us)',
  version: versionOf(join(ROOT, 'sdk-web')),
  setup:
    'script tag with `data-consent="opt-out"` (the default: nothing waits for consent) and `data-autocapture="false"`',
  assets: () => ({ '/sdk/trail.js': { file: join(ROOT, 'sdk-web/dist/trail.js') } }),
  body: ({ endpoint }) => `
    <script src="/sdk/trail.js" data-write-key="bench" data-endpoint="${endpoint}"
      data-consent="opt-out" data-autocapture="false"></script>
    <script>
      window.bench = {
        ready: () => typeof trail.anonymousId() === 'string',
        track: (event, properties) => trail.track(event, properties),
      };
    </script>`,
  count: (path, body) => (path === '/v1/batch' ? named((JSON.parse(body) as { batch: unknown[] }).batch) : 0),
};

const SEGMENT = join(PEERS, '@segment/analytics-next');
const SEGMENT_CHUNKS = join(SEGMENT, 'dist/umd');
const segment: Sdk = {
  id: 'segment',
  name: 'Segment analytics-next',
  version: versionOf(SEGMENT),
  setup:
    'the analytics.js snippet (`_writeKey`, `_cdn` = the local site, no initial `page()`) loading `dist/umd/standalone.js`; ' +
    'the site plays cdn.segment.com: source settings with only the Segment.io destination and `metrics.sampleRate` 0.1, ' +
    'lazy chunks from `/analytics-next/bundles/`; `integrations["Segment.io"]` `apiHost`/`protocol: "http"` point it at the endpoint',
  assets: () => ({
    '/sdk/segment.js': { file: join(SEGMENT_CHUNKS, 'standalone.js') },
    // The CDN's settings for the write key; a source with no device-mode destinations.
    '/v1/projects/bench/settings': {
      json: {
        integrations: { 'Segment.io': { apiKey: 'bench' } },
        metrics: { sampleRate: 0.1 },
        remotePlugins: [],
      },
    },
    // Webpack's public path is `${_cdn}/analytics-next/bundles/`: its lazy chunks load from the site.
    ...Object.fromEntries(
      readdirSync(SEGMENT_CHUNKS)
        .filter((f) => f.endsWith('.js'))
        .map((f) => [`/analytics-next/bundles/${f}`, { file: join(SEGMENT_CHUNKS, f) }]),
    ),
  }),
  body: ({ site, endpoint }) => `
    <script>
      // What the snippet's analytics.load() leaves for the script: the stub, the key, the CDN, the options.
      window.analytics = [];
      analytics._writeKey = 'bench';
      analytics._cdn = ${json(site)};
      analytics._loadOptions = {
        integrations: { 'Segment.io': { apiHost: ${json(`${new URL(endpoint).host}/v1`)}, protocol: 'http' } },
      };
    </script>
    <script src="/sdk/segment.js"></script>
    <script>
      window.bench = {
        ready: () => !Array.isArray(window.analytics) && analytics.initialized === true,
        track: (event, properties) => analytics.track(event, properties),
      };
    </script>`,
  count: (path, body) => (path === '/v1/t' ? named([JSON.parse(body)]) : 0),
};

const POSTHOG = join(PEERS, 'posthog-js');
const posthog: Sdk = {
  id: 'posthog',
  name: 'PostHog posthog-js',
  version: versionOf(POSTHOG),
  setup:
    '`dist/array.js` + `posthog.init` with `api_host` = the endpoint, `advanced_disable_flags` (no remote config or flags: ' +
    'nothing serves them), `disable_session_recording`, `disable_surveys`, `autocapture`/`capture_pageview`/`capture_pageleave` false; ' +
    '`opt_out_useragent_filter` (it drops every event from automated Chromium as a bot; its own warning says to set this in tests); ' +
    'its client rate limit (10 events/s, bursts of 100) left at the default',
  assets: () => ({ '/sdk/posthog.js': { file: join(POSTHOG, 'dist/array.js') } }),
  body: ({ endpoint }) => `
    <script src="/sdk/posthog.js"></script>
    <script>
      posthog.init('phc_bench', {
        api_host: ${json(endpoint)},
        advanced_disable_flags: true,
        disable_session_recording: true,
        disable_surveys: true,
        autocapture: false,
        capture_pageview: false,
        capture_pageleave: false,
        opt_out_useragent_filter: true,
      });
      window.bench = {
        ready: () => posthog.__loaded === true,
        track: (event, properties) => posthog.capture(event, properties),
      };
    </script>`,
  count: (path, body) => {
    if (!/^\/(e|i\/v0\/e|batch)\/?$/.test(path)) return 0;
    const parsed = JSON.parse(body) as unknown;
    return named(Array.isArray(parsed) ? parsed : ((parsed as { batch?: unknown[] }).batch ?? [parsed]));
  },
};

const SNOWPLOW = join(PEERS, '@snowplow/browser-tracker');
/** Snowplow events carry a schema instead of a name: the burst is a self-describing `product_added`. */
const SNOWPLOW_SCHEMA = 'iglu:com.example.trail/product_added/jsonschema/1-0-0';
const snowplow: Sdk = {
  id: 'snowplow',
  name: 'Snowplow browser-tracker',
  version: versionOf(SNOWPLOW),
  setup:
    '`dist/index.umd.min.js` + `newTracker("sp", endpoint, { appId, eventMethod: "post" })`; the burst is ' +
    '`trackSelfDescribingEvent` with the properties as its data (Snowplow events have a schema, not a name)',
  assets: () => ({ '/sdk/snowplow.js': { file: join(SNOWPLOW, 'dist/index.umd.min.js') } }),
  body: ({ endpoint }) => `
    <script src="/sdk/snowplow.js"></script>
    <script>
      const sp = snowplowBrowserTracking;
      const tracker = sp.newTracker('sp', ${json(endpoint)}, { appId: 'bench', eventMethod: 'post' });
      window.bench = {
        ready: () => tracker != null,
        track: (_event, properties) =>
          sp.trackSelfDescribingEvent({ event: { schema: ${json(SNOWPLOW_SCHEMA)}, data: properties } }),
      };
    </script>`,
  count: (path, body) => {
    if (path !== '/com.snowplowanalytics.snowplow/tp2') return 0;
    const events = (JSON.parse(body) as { data: { e?: string; ue_pr?: string }[] }).data;
    return events.filter((e) => e.e === 'ue' && e.ue_pr?.includes(SNOWPLOW_SCHEMA)).length;
  },
};

/** Us first, then the peers the issue names. */
export const SDKS: Sdk[] = [trail, segment, posthog, snowplow];
