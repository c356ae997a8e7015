import { DEFAULT_PII_EXEMPT_KEYS } from '@trail/sdk-core/pii';
import { CONSENT_CATEGORIES } from '@trail/sdk-core/protocol';
import * as v from 'valibot';

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

const rateLimitSchema = v.object({
  /** Average requests per second per write key and client address (IPv4, IPv6 /64); 0 is no limit. */
  perSecond: v.optional(v.pipe(v.number(), v.minValue(0)), 50),
  /** Requests such a client may send at once before the average applies. */
  burst: v.optional(positiveInt, 100),
});

const sourceSchema = v.object({
  /** Public key the SDKs send; identifies the source. */
  writeKey: v.pipe(v.string(), v.minLength(1)),
  /** Name stored with each event; defaults to the write key. */
  name: v.optional(v.string()),
  /** Origins browsers may send from; `*` allows any. */
  allowedOrigins: v.optional(v.array(v.string()), ['*']),
  /** `opt-in`: events that carry no consent decision are dropped (PIPL/GDPR audiences). */
  consentMode: v.optional(v.picklist(['opt-in', 'opt-out']), 'opt-out'),
  /**
   * Makes this a server-side source: every request must carry `X-Trail-Timestamp` and an
   * `X-Trail-Signature` HMAC of its body made with this secret (the webhook sink's scheme), so the
   * write key alone, public in every page that embeds it, cannot send as this source.
   * `env:NAME` reads it from the environment, keeping it out of config files.
   */
  signingSecret: v.optional(v.pipe(v.string(), v.minLength(16, 'must be at least 16 characters'))),
  /** This source's own rate limit, e.g. higher for a signed server-side source. */
  rateLimit: v.optional(rateLimitSchema),
});

/** Schema of the collector configuration, with every default filled in. */
export const configSchema = v.object({
  host: v.optional(v.string(), '127.0.0.1'),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)), 8080),
  sources: v.optional(v.pipe(v.array(sourceSchema), v.minLength(1)), [{ writeKey: 'demo' }]),
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
    }),
    {},
  ),
  ip: v.optional(
    v.object({
      /** Read the client IP from proxy headers (X-Forwarded-For, X-Real-IP, CF-Connecting-IP). */
      trustProxy: v.optional(v.boolean(), false),
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
      /** Keys whose values are ids, never masked. */
      exemptKeys: v.optional(v.array(v.string()), [...DEFAULT_PII_EXEMPT_KEYS]),
    }),
    {},
  ),
  rateLimit: v.optional(rateLimitSchema, {}),
  /**
   * Requests read and stored at once; more are answered 503 with Retry-After before their body is
   * read, so a slow sink cannot make memory grow without bound.
   */
  maxInFlight: v.optional(positiveInt, 256),
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
