import { CONSENT_CATEGORIES } from '@trail/sdk-core/protocol';
import * as v from 'valibot';
import { isProxyNetwork, PROXY_HEADERS } from '../ingest/ip.ts';
import { DEFAULT_PII_EXEMPT_PATHS, EXEMPT_PATH } from '../ingest/exempt-paths.ts';

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

const rateLimitSchema = v.object({
  /** Average requests per second per write key and client address (IPv4, IPv6 /64); 0 is no limit. */
  perSecond: v.optional(v.pipe(v.number(), v.minValue(0)), 50),
  /** Requests such a client may send at once before the average applies. */
  burst: v.optional(positiveInt, 100),
});

const sourceSchema = v.object({
  /**
   * Public key the SDKs send; identifies the source. The browser and mini-program SDKs send it in
   * the URL as it is, so it is kept to characters that need no escaping there.
   */
  writeKey: v.pipe(
    v.string(),
    v.minLength(1),
    v.regex(/^[\w.~-]+$/, 'must hold only letters, digits and . _ ~ - (it is sent in URLs)'),
  ),
  /** Name stored with each event; defaults to the write key. */
  name: v.optional(v.string()),
  /** Origins browsers may send from; `*` allows any. */
  allowedOrigins: v.optional(v.array(v.string()), ['*']),
  /** `opt-in`: events that carry no consent decision are dropped (PIPL/GDPR audiences). */
  consentMode: v.optional(v.picklist(['opt-in', 'opt-out']), 'opt-out'),
  /**
   * Makes this a server-side source: every request must carry `X-Trail-Timestamp` and an
   * `X-Trail-Signature` HMAC of its body made with this secret (the webhook sink's scheme), so the
   * write key alone, public in every page that embeds it, cannot send as this source. Each event
   * must carry a messageId, so that a replayed or retried request is stored once.
   * `env:NAME` reads it from the environment, keeping it out of config files.
   */
  signingSecret: v.optional(v.pipe(v.string(), v.minLength(16, 'must be at least 16 characters'))),
  /** This source's own rate limit, e.g. higher for a signed server-side source. */
  rateLimit: v.optional(rateLimitSchema),
});

/** The name a source's events are stored under. */
const storedName = (source: { writeKey: string; name?: string }): string => source.name ?? source.writeKey;
const distinct = (values: readonly string[]): boolean => new Set(values).size === values.length;
const repeated = (values: readonly string[]): string | undefined =>
  values.find((value, i) => values.indexOf(value) !== i);

/** Schema of the collector configuration, with every default filled in. */
export const configSchema = v.object({
  host: v.optional(v.string(), '127.0.0.1'),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)), 8080),
  sources: v.optional(
    v.pipe(
      v.array(sourceSchema),
      v.minLength(1),
      v.check(
        (sources) => distinct(sources.map((s) => s.writeKey)),
        (issue) => `write key "${repeated(issue.input.map((s) => s.writeKey))}" is given to two sources`,
      ),
      // Events are stored and deduplicated under this name: two sources sharing it would be one.
      v.check(
        (sources) => distinct(sources.map(storedName)),
        (issue) =>
          `two sources are stored as "${repeated(issue.input.map(storedName))}" (its name, or its write key when it has no name): give each source its own name`,
      ),
    ),
    [{ writeKey: 'demo', name: 'demo' }],
  ),
  /** Sink URLs, all written for every batch, e.g. `sqlite:./data/events.db`. */
  sinks: v.optional(v.pipe(v.array(v.string()), v.minLength(1)), ['sqlite:./data/events.db']),
  sinkTimeoutMs: v.optional(positiveInt, 5000),
  /** Seconds a client is told to wait after a sink failure. */
  retryAfterSeconds: v.optional(positiveInt, 5),
  limits: v.optional(
    v.object({
      /** Largest request body, compressed or not, and largest decompressed body. */
      batchBytes: v.optional(positiveInt, 500 * 1024),
      eventBytes: v.optional(positiveInt, 32 * 1024),
      batchEvents: v.optional(positiveInt, 500),
      /**
       * Oldest an event time may be, after skew correction, in days before its receipt; an older
       * (or a future) time is stored as the receipt time, the client's kept as `originalTimestamp`.
       */
      maxEventAgeDays: v.optional(v.pipe(positiveInt, v.maxValue(36_500)), 30),
    }),
    {},
  ),
  ip: v.optional(
    v.object({
      /**
       * Proxies (CIDRs or addresses, e.g. `10.0.0.0/8`, `127.0.0.1`) whose `proxyHeader` is believed:
       * from such a peer the client is the rightmost address in it that is not a trusted proxy.
       * From any other peer it is ignored.
       */
      trustedProxies: v.optional(
        v.array(v.pipe(v.string(), v.check(isProxyNetwork, 'must be a CIDR (10.0.0.0/8) or an address'))),
        [],
      ),
      /**
       * The one header the trusted proxies name the client in; no other is read, so a client cannot
       * slip in one the proxy passes through unchanged.
       */
      proxyHeader: v.optional(v.picklist(PROXY_HEADERS), 'x-forwarded-for'),
      /** Replaced by `trustedProxies`: believing headers from anyone let any client forge its address. */
      trustProxy: v.optional(
        v.never(
          'ip.trustProxy was replaced by ip.trustedProxies: list the CIDRs of your proxies, e.g. ["10.0.0.0/8"]',
        ),
      ),
      /** Keep only the network part: IPv4 /24, IPv6 /48. */
      anonymize: v.optional(v.boolean(), true),
    }),
    {},
  ),
  consent: v.optional(
    v.object({
      /** Category of events not listed in `events`. */
      defaultCategory: v.optional(v.picklist(CONSENT_CATEGORIES), 'analytics'),
      /** Category by track event name or by event type (`identify`, `page`, …). */
      events: v.optional(v.record(v.string(), v.picklist(CONSENT_CATEGORIES)), {}),
    }),
    {},
  ),
  pii: v.optional(
    v.object({
      mask: v.optional(v.boolean(), true),
      /**
       * Where ids live that are never masked: keys joined by `.`, `[]` for each item of an array,
       * e.g. `properties.products[].sku`. Only that path: the same key elsewhere is masked.
       */
      exemptPaths: v.optional(
        v.array(v.pipe(v.string(), v.regex(EXEMPT_PATH, 'must be a path like properties.products[].sku'))),
        [...DEFAULT_PII_EXEMPT_PATHS],
      ),
      /** Replaced by `exemptPaths`: a bare key name exempted its values at any depth. */
      exemptKeys: v.optional(
        v.never('pii.exemptKeys was replaced by pii.exemptPaths: name each path, e.g. "properties.order_id"'),
      ),
    }),
    {},
  ),
  rateLimit: v.optional(rateLimitSchema, {}),
  /**
   * Requests being stored at once, each counted from when its body is in (reading is bounded by
   * `http`); more are answered 503 with Retry-After, so a slow sink cannot make memory grow
   * without bound.
   */
  maxInFlight: v.optional(positiveInt, 256),
  /** Deadlines and bounds on reading requests, so slow senders cannot hold the collector. */
  http: v.optional(
    v.object({
      /** Time to send the request line and headers (Node; Bun closes connections idle this long). */
      headersTimeoutMs: v.optional(positiveInt, 10_000),
      /** Time to send the whole body once the headers are in; past it the answer is 408. */
      bodyTimeoutMs: v.optional(positiveInt, 10_000),
      /** Bodies received at once from one client address; more are answered 429 at once. */
      maxReadsPerClient: v.optional(positiveInt, 8),
      /**
       * Bodies received at once from all clients. When all are taken, a new request takes the slot
       * of the oldest body still arriving after `readGraceMs` from an address holding at least two
       * more slots than the newcomer's (that body gets 408); failing that it is answered 503.
       */
      maxReads: v.optional(positiveInt, 512),
      /** How long a body keeps its read slot for sure; a real body arrives in milliseconds. */
      readGraceMs: v.optional(positiveInt, 1000),
    }),
    {},
  ),
  metrics: v.optional(
    v.object({
      /**
       * Bearer token /metrics requires. Unset, /metrics is open when the collector listens on
       * loopback only, and closed otherwise (and always on Workers).
       */
      token: v.optional(v.pipe(v.string(), v.minLength(16, 'must be at least 16 characters'))),
    }),
    {},
  ),
  /** How many recent messageIds the collector remembers to drop duplicates early. */
  dedupCacheSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 100_000),
  logLevel: v.optional(v.picklist(['debug', 'info', 'warn', 'error']), 'info'),
  /** How long shutdown waits for requests in flight before it closes the sinks. */
  shutdownTimeoutMs: v.optional(positiveInt, 10_000),
  /** The /debugger page; unset `enabled` means on outside NODE_ENV=production (server runtimes). */
  debugger: v.optional(
    v.object({
      enabled: v.optional(v.boolean()),
      /** Admin token for /debugger; generated at startup when unset. */
      token: v.optional(v.pipe(v.string(), v.minLength(8))),
    }),
    {},
  ),
  /**
   * Serve the examples next to the API (Node runtime only): `/shop/`, `/spa/` and `/trail.js`. On by
   * default so that `npm start` shows them; `TRAIL_DEMO=0` or `NODE_ENV=production` turns it off.
   */
  demo: v.optional(v.boolean(), true),
});

/** Collector configuration as written in a config file (every field optional). */
export type ConfigInput = v.InferInput<typeof configSchema>;
/** Collector configuration with every default filled in. */
export type Config = v.InferOutput<typeof configSchema>;
/** A configured source (write key). */
export type SourceConfig = Config['sources'][number];

/** Types a config file: `export default defineConfig({ … })`. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}

/** Validates a config and fills in defaults; throws one readable error listing every problem. */
export function parseConfig(input: unknown): Config {
  const result = v.safeParse(configSchema, input);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`);
  throw new Error(`invalid trail config:\n  ${problems.join('\n  ')}`);
}
