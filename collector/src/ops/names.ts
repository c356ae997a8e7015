import type { SourceConfig } from '../config/config.ts';
import { sha256Hex } from '../sinks/batch-id.ts';

/** Names and help texts of the collector's metrics, so every call site reports the same series. */
export const METRIC = {
  accepted: ['trail_events_accepted_total', 'Events stored by the sinks'],
  rejected: ['trail_events_rejected_total', 'Events refused as invalid (kept in the failed-events store)'],
  deduplicated: ['trail_events_deduplicated_total', 'Events dropped as duplicates of an earlier messageId'],
  droppedByConsent: [
    'trail_events_dropped_consent_total',
    'Events dropped because consent did not allow them',
  ],
  requests: ['trail_requests_total', 'HTTP requests by route and status'],
  rateLimited: [
    'trail_requests_rate_limited_total',
    'Requests refused with 429 by the per-client rate limit',
  ],
  overloaded: [
    'trail_requests_overloaded_total',
    'Requests refused with 503 because maxInFlight were in progress or http.maxReads bodies were being received',
  ],
  sinkFailures: ['trail_sink_failures_total', 'Batches a sink failed to store (answered 503)'],
  sinkLatency: ['trail_sink_write_seconds', 'Time a sink took to acknowledge a batch'],
} as const;

const labels = new WeakMap<SourceConfig, Promise<string>>();

/**
 * How metrics name a source: its name, else `key:` and the first 8 hex digits of the SHA-256 of
 * its write key. Never the key itself: /metrics is read by more people and tools than the config.
 */
export function sourceLabel(source: SourceConfig): Promise<string> {
  let label = labels.get(source);
  if (!label) {
    label =
      source.name !== undefined
        ? Promise.resolve(source.name)
        : sha256Hex(source.writeKey).then((hex) => `key:${hex.slice(0, 8)}`);
    labels.set(source, label);
  }
  return label;
}
