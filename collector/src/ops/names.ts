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
    'Requests refused with 503 because maxInFlight were in progress',
  ],
  sinkFailures: ['trail_sink_failures_total', 'Batches a sink failed to store (answered 503)'],
  sinkLatency: ['trail_sink_write_seconds', 'Time a sink took to acknowledge a batch'],
} as const;
