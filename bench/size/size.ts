import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, transform, version as esbuildVersion } from 'esbuild';
import { buildSdkIfStale } from '../../tests/support/build-sdk.ts';
import { type Section, type Table, kb } from '../lib/report.ts';
import budgets from '../../scripts/size-budgets.json';

const ROOT = resolve(import.meta.dirname, '../..');
const PEERS = resolve(import.meta.dirname, '../node_modules');

/** The 5 KB target for sdk-web and the mini-program's own 6 KB: the budgets the rollup build enforces. */
const WEB_TARGET = budgets.tagGzip;
const MINIPROGRAM_TARGET = budgets.miniprogramGzip;

/**
 * How a row's bytes are obtained. `shipped`: the file as published. `minify`: a self-contained but
 * unminified file, minified as any site would serve it. `bundle`: an ESM entry with its imports
 * inlined and minified, which is what a user's bundler produces.
 */
type Method = 'shipped' | 'minify' | 'bundle';

interface Entry {
  sdk: string;
  /** Folder of the package.json whose version is shown. */
  dir: string;
  /** Path inside `dir`. */
  file: string;
  method: Method;
  /** What the figure covers, beside the path: which build, what was done to it. */
  label: string;
  includes: string;
  /** Imports left out of a `bundle`: code the SDK only fetches on demand. */
  external?: string[];
}

const web = join(ROOT, 'sdk-web');
const peer = (name: string) => join(PEERS, name);

const OURS: Entry[] = [
  {
    sdk: 'trail sdk-web (script tag)',
    dir: web,
    file: 'dist/trail.js',
    method: 'shipped',
    label: 'IIFE, minified',
    includes: 'offline queue (IndexedDB), consent, autocapture (pageviews, clicks, forms), e-commerce v2',
  },
  {
    sdk: 'trail sdk-web (npm)',
    dir: web,
    file: 'dist/index.js',
    method: 'shipped',
    label: 'ESM as published: not minified, idb-keyval left as an import',
    includes: 'same as the script tag, without idb-keyval',
  },
  {
    sdk: 'trail sdk-web (npm, in an app bundle)',
    dir: web,
    file: 'dist/index.js',
    method: 'bundle',
    label: 'ESM + idb-keyval, bundled and minified by us with esbuild',
    includes: 'same as the script tag',
  },
  {
    sdk: 'trail sdk-miniprogram',
    dir: join(ROOT, 'sdk-miniprogram'),
    file: 'miniprogram_dist/index.js',
    method: 'shipped',
    label: 'CommonJS for WeChat "build npm", minified',
    includes: 'offline queue (storage), consent, page/tap/share autocapture, e-commerce v2',
  },
];

// Each peer's file was picked by reading its package (package.json, dist/, README): the one a
// website loads from a script tag or CDN where the package ships it, else what a bundler makes.
const PEER_ENTRIES: Entry[] = [
  {
    sdk: 'Segment analytics-next',
    dir: peer('@segment/analytics-next'),
    file: 'dist/umd/standalone.js',
    method: 'shipped',
    label: 'CDN analytics.js, minified; lazy chunks not counted',
    includes:
      'Segment API, plugins, device-mode destinations from workspace settings, load held until consent',
  },
  {
    sdk: 'PostHog',
    dir: peer('posthog-js'),
    file: 'dist/array.js',
    method: 'shipped',
    label: 'CDN array.js, minified; lazy extensions not counted',
    includes: 'autocapture, heatmaps, feature flags, web experiments, consent opt-in/out',
  },
  {
    sdk: 'PostHog (full)',
    dir: peer('posthog-js'),
    file: 'dist/array.full.js',
    method: 'shipped',
    label: 'array.full.js, minified: array.js with its extensions inlined',
    includes: 'array.js + session replay, surveys, logs, error tracking, web vitals, dead clicks',
  },
  {
    sdk: 'Snowplow browser-tracker',
    dir: peer('@snowplow/browser-tracker'),
    file: 'dist/index.umd.min.js',
    method: 'shipped',
    label: 'UMD, minified',
    includes:
      'page views, activity pings, structured and self-describing events, sessions, local-storage event store; form/link tracking etc. are separate plugin packages',
  },
  {
    sdk: 'RudderStack analytics-js',
    dir: peer('@rudderstack/analytics-js'),
    file: 'dist/npm/modern/umd/index.js',
    method: 'minify',
    label:
      'UMD of the default build, plugins from CDN v3 modern; minified by us with esbuild; lazy plugins not counted',
    includes: 'Segment-style API, sessions; event queue, consent managers, destinations are lazy plugins',
  },
  {
    sdk: 'RudderStack analytics-js (bundled)',
    dir: peer('@rudderstack/analytics-js'),
    file: 'dist/npm/modern/bundled/umd/index.js',
    method: 'minify',
    label: 'UMD of the "bundled" build, minified by us with esbuild',
    includes: 'the default build with its 14 plugins inlined (XHR/beacon queue, consent managers, …)',
  },
  {
    sdk: 'Sensors Data (sa-sdk-javascript)',
    dir: peer('sa-sdk-javascript'),
    file: 'dist/web/sensorsdata.js',
    method: 'shipped',
    label: 'the package main, script-tag build, minified; lazy scripts not counted',
    includes: 'custom events, autocapture (全埋点); heatmap and visual tagging fetched on demand',
  },
  {
    sdk: 'Plausible tracker',
    dir: peer('@plausible-analytics/tracker'),
    file: 'plausible.js',
    // ESM only, so an app bundle is the only way a site gets it; it ships minified with no imports.
    method: 'bundle',
    label: 'ESM only, bundled and minified by us with esbuild',
    includes: 'page views (SPA), custom events and goals, revenue; outbound links, downloads, forms opt-in',
  },
  {
    sdk: 'OpenPanel web (script tag)',
    dir: peer('@openpanel/web'),
    file: 'dist/src/tracker.global.js',
    method: 'shipped',
    label: 'IIFE, minified; replay script not counted',
    includes:
      'screen views, outgoing links, data-attribute events, revenue; session replay fetched on demand',
  },
  {
    sdk: 'OpenPanel web (npm)',
    dir: peer('@openpanel/web'),
    file: 'dist/index.js',
    method: 'bundle',
    label: 'ESM + @openpanel/sdk, bundled and minified by us with esbuild; replay chunk left out',
    includes: 'same as the script tag',
    // The entry imports its rrweb replay chunk dynamically; without this esbuild would inline it.
    external: ['./replay-*'],
  },
];

interface Measured extends Entry {
  version: string;
  raw: number;
  gzip: number;
  brotli: number;
}

/** SDK bytes on the wire, ours beside the peers'. */
const sdkSize: Section = async () => {
  const buildError = await buildSdkIfStale();
  if (buildError) throw new Error(buildError);

  const ours = await Promise.all(OURS.map(measure));
  const peers = (await Promise.all(PEER_ENTRIES.map(measure))).sort((a, b) => a.gzip - b.gzip);
  const snowplow = peers.find((p) => p.sdk.startsWith('Snowplow'))!;

  const sizes: Table = {
    id: 'size',
    title: 'SDK size',
    notes: [
      `Target: sdk-web ≤ ${kb(WEB_TARGET)} KB (${WEB_TARGET.toLocaleString('en-US')} B) gzip with offline queue, consent, autocapture and e-commerce; the smallest full-featured peer, Snowplow, is ${kb(snowplow.gzip)} KB.`,
      `Measured: each file is read from its npm package (peers pinned in bench/package.json, ours rebuilt by rollup when stale), then compressed in Node: gzip with zlib level 9, brotli at quality 11; KB = 1024 B. "By us with esbuild" (esbuild ${esbuildVersion}, \`minify: true\`; bundles also \`format: 'esm', platform: 'browser'\`) is for packages that ship no minified browser file, or only ESM that an app bundles: what a site gets from them.`,
      'Lazy loading, not counted: Segment fetches its settings, then webpack chunks on demand (classic destinations, routing middleware, schema filter, link/form auto-track, query-string) and each device-mode destination script; PostHog fetches its remote config and, when enabled, session replay, surveys, web vitals, error tracking, etc. (array.full.js inlines them); RudderStack fetches rsa-plugins.js and one chunk per plugin — its event queue (XhrQueue) among them, so every page loads more than the default row (the bundled row inlines them); Sensors Data fetches heatmap.min.js / vtrack.min.js for heatmaps and visual tagging; OpenPanel fetches its replay script (rrweb) only with sessionReplay on. Ours, Snowplow and Plausible load nothing else.',
    ],
    headers: ['SDK', 'version', 'file', 'raw KB', 'gzip KB', 'brotli KB', 'gzip bytes', 'what it includes'],
    rows: [...ours, ...peers].map((m) => [
      m.sdk,
      m.version,
      `\`${m.file}\` (${m.label})`,
      kb(m.raw),
      kb(m.gzip),
      kb(m.brotli),
      m.gzip,
      m.includes,
    ]),
  };

  const [tag, , bundled, miniprogram] = ours as [Measured, Measured, Measured, Measured];
  const targets: [Measured, number][] = [
    [tag, WEB_TARGET],
    [bundled, WEB_TARGET],
    [miniprogram, MINIPROGRAM_TARGET],
  ];
  const versus: Table = {
    id: 'size-targets',
    title: 'SDK size against the target and Snowplow',
    notes: [
      `gzip bytes. sdk-web is held to the issue's ${WEB_TARGET.toLocaleString('en-US')} B; the mini-program to its own ${MINIPROGRAM_TARGET.toLocaleString('en-US')} B budget. Snowplow: ${snowplow.gzip.toLocaleString('en-US')} B (\`${snowplow.file}\`).`,
    ],
    headers: ['ours', 'gzip bytes', 'target bytes', 'against the target', 'against Snowplow'],
    rows: targets.map(([m, target]) => [
      m.sdk,
      m.gzip,
      target,
      m.gzip <= target ? `${target - m.gzip} B under` : `${m.gzip - target} B over`,
      `${(snowplow.gzip / m.gzip).toFixed(1)}× smaller`,
    ]),
  };
  return [sizes, versus];
};

export default sdkSize;

async function measure(entry: Entry): Promise<Measured> {
  const { code, inlined } = await load(entry);
  const packages = [entry.dir, ...inlined].map(
    (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string },
  );
  return {
    ...entry,
    // A bundle's figure covers the packages it inlined, so their versions are shown too.
    version: packages.map((p, i) => (i ? `${p.name} ${p.version}` : p.version)).join(' + '),
    raw: code.byteLength,
    gzip: gzipSync(code, { level: 9 }).byteLength,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength,
  };
}

/** The bytes to measure, and the folders of the other packages a bundle inlined. */
async function load({
  dir,
  file,
  method,
  external,
}: Entry): Promise<{ code: Uint8Array; inlined: string[] }> {
  const path = join(dir, file);
  if (method === 'shipped') return { code: readFileSync(path), inlined: [] };
  if (method === 'minify') {
    const { code } = await transform(readFileSync(path, 'utf8'), { minify: true });
    return { code: Buffer.from(code), inlined: [] };
  }
  const result = await build({
    entryPoints: [path],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    external: external ?? [],
    metafile: true,
    absWorkingDir: ROOT,
    logLevel: 'silent',
  });
  const packageDirs = Object.keys(result.metafile.inputs).flatMap(
    (input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? [],
  );
  const inlined = [...new Set(packageDirs.map((d) => join(ROOT, d)))].filter((d) => d !== dir);
  return { code: result.outputFiles[0]!.contents, inlined };
}
