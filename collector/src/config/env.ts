import type { ProxyHeader } from '../ingest/ip.ts';
import type { ConfigInput } from './config.ts';

/** Environment variables the collector reads; each overrides the config file. */
export type Env = Record<string, string | undefined>;

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const flag = (value: string) => /^(1|true|yes|on)$/i.test(value);

/**
 * Applies `TRAIL_*` variables over a config. Kept free of `process` so that edge runtimes can pass
 * their own bindings.
 */
export function applyEnv(base: ConfigInput, env: Env): ConfigInput {
  const config: ConfigInput = { ...base };
  if (env.TRAIL_HOST) config.host = env.TRAIL_HOST;
  if (env.TRAIL_PORT) config.port = Number(env.TRAIL_PORT);
  if (env.TRAIL_SINKS) config.sinks = list(env.TRAIL_SINKS);
  if (env.TRAIL_WRITE_KEYS) {
    const allowedOrigins = env.TRAIL_ALLOWED_ORIGINS ? list(env.TRAIL_ALLOWED_ORIGINS) : undefined;
    const consentMode = env.TRAIL_CONSENT_MODE === 'opt-in' ? 'opt-in' : undefined;
    config.sources = list(env.TRAIL_WRITE_KEYS).map((writeKey) => ({
      writeKey,
      allowedOrigins,
      consentMode,
    }));
  }
  if (env.TRAIL_RATE_LIMIT) {
    const [perSecond = 0, burst] = list(env.TRAIL_RATE_LIMIT).map(Number);
    config.rateLimit = { ...config.rateLimit, perSecond, ...(burst ? { burst } : {}) };
  }
  if (env.TRAIL_MAX_IN_FLIGHT) config.maxInFlight = Number(env.TRAIL_MAX_IN_FLIGHT);
  config.sources = config.sources?.map((source) => {
    const ref = /^env:(.+)$/.exec(source.signingSecret ?? '')?.[1];
    if (!ref) return source;
    const secret = env[ref];
    if (!secret)
      throw new Error(
        `source ${source.name ?? source.writeKey}: signingSecret names ${ref}, which is not set`,
      );
    return { ...source, signingSecret: secret };
  });
  if (env.TRAIL_SINK_TIMEOUT_MS) config.sinkTimeoutMs = Number(env.TRAIL_SINK_TIMEOUT_MS);
  if (env.TRAIL_RETRY_AFTER) config.retryAfterSeconds = Number(env.TRAIL_RETRY_AFTER);
  if (env.TRAIL_TRUST_PROXY) {
    throw new Error(
      'TRAIL_TRUST_PROXY was replaced by TRAIL_TRUSTED_PROXIES: list the CIDRs of your proxies, e.g. 10.0.0.0/8,127.0.0.1',
    );
  }
  if (env.TRAIL_TRUSTED_PROXIES || env.TRAIL_PROXY_HEADER || env.TRAIL_ANONYMIZE_IP) {
    config.ip = { ...config.ip };
    if (env.TRAIL_TRUSTED_PROXIES) config.ip.trustedProxies = list(env.TRAIL_TRUSTED_PROXIES);
    if (env.TRAIL_PROXY_HEADER) config.ip.proxyHeader = env.TRAIL_PROXY_HEADER.toLowerCase() as ProxyHeader;
    if (env.TRAIL_ANONYMIZE_IP) config.ip.anonymize = flag(env.TRAIL_ANONYMIZE_IP);
  }
  if (env.TRAIL_METRICS_TOKEN) config.metrics = { ...config.metrics, token: env.TRAIL_METRICS_TOKEN };
  if (env.TRAIL_DEDUP_CACHE) config.dedupCacheSize = Number(env.TRAIL_DEDUP_CACHE);
  if (env.TRAIL_DEMO) config.demo = flag(env.TRAIL_DEMO);
  else if (env.NODE_ENV === 'production') config.demo = false;
  if (env.TRAIL_DEBUGGER || env.TRAIL_ADMIN_TOKEN) {
    config.debugger = { ...config.debugger };
    if (env.TRAIL_DEBUGGER) config.debugger.enabled = flag(env.TRAIL_DEBUGGER);
    if (env.TRAIL_ADMIN_TOKEN) config.debugger.token = env.TRAIL_ADMIN_TOKEN;
  }
  if (env.TRAIL_LOG_LEVEL) config.logLevel = env.TRAIL_LOG_LEVEL as ConfigInput['logLevel'];
  return config;
}
