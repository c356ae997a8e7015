import type { TrailEvent } from '@trail/sdk-core/protocol';

/** An event as the collector stores it: validated, enriched, masked. */
export type StoredEvent = TrailEvent & {
  /** Server time the collector received the event (ISO 8601). */
  receivedAt: string;
  /** Skew-corrected event time (ISO 8601). */
  timestamp: string;
  /** The client's own `timestamp`, kept when skew correction changed it. */
  originalTimestamp?: string;
  /** Name of the source (write key) that sent the event. */
  source: string;
};

/** An event the collector refused, kept so that nothing vanishes silently. */
export interface FailedEvent {
  receivedAt: string;
  source: string;
  messageId?: string;
  reason: string;
  /** The event as received, or a truncated prefix when it was too large to keep. */
  payload: string;
}

/** What one request hands to the sinks, written as one unit. */
export interface SinkBatch {
  events: StoredEvent[];
  failed: FailedEvent[];
}

/** What a sink may say about a write it acknowledged. */
export interface SinkResult {
  /** Events the sink already held (same messageId), so it did not store them again. */
  duplicates?: number;
}

/**
 * A storage backend. `write` resolves only once the batch is durably stored (the collector
 * answers 2xx after it) and must be idempotent on `messageId`, because clients retry.
 */
export interface Sink {
  readonly name: string;
  write(batch: SinkBatch): Promise<SinkResult | undefined>;
  /** Whether the backend can take writes now (for /readyz). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** What a runtime tells the sinks it opens, beyond their URLs. */
export interface SinkContext {
  /**
   * Environment variables (`process.env`, or a Worker's bindings), for secrets that are better
   * kept out of sink URLs and so out of config files and logs.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The collector's `sinkTimeoutMs`: how long one write may take, retries included. */
  timeoutMs?: number;
}
