import { maskPii, maskPiiDeep } from '@trail/sdk-core/pii';
import type { BatchResponse, EventContext, RejectedEvent } from '@trail/sdk-core/protocol';
import type { Config, SourceConfig } from '../config/config.ts';
import type { IngestOutcome } from '../debugger/bus.ts';
import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import { METRIC } from '../ops/names.ts';
import { consentAllows } from '../policy/consent.ts';
import type { FailedEvent, Sink, StoredEvent } from '../sinks/sink.ts';
import { BoundedMap } from '../util/bounded-map.ts';
import { enrich, type RequestFacts } from './enrich.ts';
import { utf8Length } from './size.ts';
import { validateEvent } from './validate.ts';

/** Batch-level fields that apply to every event in it. */
export interface Envelope {
  sentAt?: string;
  context?: EventContext;
}

/** Everything one request asks the collector to store. */
export interface IngestRequest extends Omit<RequestFacts, 'source'> {
  source: SourceConfig;
  events: readonly unknown[];
  envelope: Envelope;
}

/** Result of ingesting a request; `rejected` lists every invalid event. */
export type IngestResult = BatchResponse;

const FAILED_PAYLOAD_LIMIT = 64 * 1024;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A failed event's payload as text, cut short so one hostile event cannot bloat the store. */
function failedPayload(raw: unknown, text?: string): string {
  const full = text ?? String(raw);
  return full.length > FAILED_PAYLOAD_LIMIT ? full.slice(0, FAILED_PAYLOAD_LIMIT) : full;
}

/** What becomes of one event before deduplication. */
type Verdict =
  | { kind: 'keep'; event: StoredEvent }
  | { kind: 'reject'; reason: string; text?: string }
  | { kind: 'consent'; event: unknown };

/** Who hears about each event's outcome (the debugger's bus); `active` false means nobody listens. */
export interface OutcomeObserver {
  readonly active: boolean;
  publish(outcome: IngestOutcome): void;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** An outcome for the debugger, its ids read from whatever shape the event had. */
function outcomeOf(
  kind: IngestOutcome['kind'],
  source: string,
  receivedAt: string,
  payload: unknown,
  reason?: string,
): IngestOutcome {
  const e = isObject(payload) ? payload : {};
  return {
    kind,
    source,
    receivedAt,
    messageId: str(e.messageId),
    type: str(e.type),
    event: str(e.event) ?? str(e.name),
    anonymousId: str(e.anonymousId),
    userId: str(e.userId),
    reason,
    payload,
  };
}

/**
 * The collector's core: validates, filters by consent, enriches, masks and deduplicates events,
 * then hands them to the sink and only reports success once the sink acknowledged them.
 */
export class Ingestor {
  private readonly recent: BoundedMap<string, true>;
  private readonly exempt: ReadonlySet<string>;

  constructor(
    private readonly config: Config,
    private readonly sink: Sink,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly observer?: OutcomeObserver,
  ) {
    this.recent = new BoundedMap(config.dedupCacheSize);
    this.exempt = new Set(config.pii.exemptKeys);
  }

  /** Stores what is valid in a request. Throws (a SinkError) only when the sink failed. */
  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { source, envelope } = request;
    const facts: RequestFacts = {
      ...request,
      source: source.name ?? source.writeKey,
      sentAt: envelope.sentAt,
      userAgent: request.userAgent && this.config.pii.mask ? maskPii(request.userAgent) : request.userAgent,
    };
    const receivedAt = new Date(request.receivedAt).toISOString();
    const rejected: RejectedEvent[] = [];
    const failed: FailedEvent[] = [];
    const events: StoredEvent[] = [];
    const inBatch = new Set<string>();
    let droppedByConsent = 0;
    let duplicates = 0;
    const observing = this.observer?.active === true;
    const outcomes: IngestOutcome[] = [];

    for (const [index, raw] of request.events.entries()) {
      const verdict = this.judge(raw, source, facts, envelope);
      if (verdict.kind === 'reject') {
        const messageId = isObject(raw) && typeof raw.messageId === 'string' ? raw.messageId : undefined;
        rejected.push({ index, messageId, reason: verdict.reason });
        const payload = failedPayload(raw, verdict.text);
        failed.push({ receivedAt, source: facts.source, messageId, reason: verdict.reason, payload });
        if (observing) outcomes.push(outcomeOf('rejected', facts.source, receivedAt, raw, verdict.reason));
      } else if (verdict.kind === 'consent') {
        droppedByConsent++;
        if (observing)
          outcomes.push(outcomeOf('consent', facts.source, receivedAt, verdict.event, 'no consent'));
      } else if (this.recent.has(verdict.event.messageId) || inBatch.has(verdict.event.messageId)) {
        duplicates++;
        if (observing) outcomes.push(outcomeOf('duplicate', facts.source, receivedAt, verdict.event));
      } else {
        inBatch.add(verdict.event.messageId);
        events.push(verdict.event);
        if (observing) outcomes.push(outcomeOf('accepted', facts.source, receivedAt, verdict.event));
      }
    }

    const labels = { source: facts.source };
    let alreadyStored = 0;
    if (events.length > 0 || failed.length > 0) {
      try {
        const result = await this.sink.write({ events, failed });
        alreadyStored = result?.duplicates ?? 0;
      } catch (error) {
        this.metrics.inc(...METRIC.sinkFailures, labels);
        this.logger.log('error', 'sink write failed', {
          source: facts.source,
          events: events.length,
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
      // Remember ids only once stored: remembering a failed write's ids would drop its retry.
      for (const event of events) this.recent.set(event.messageId, true);
    }
    for (const outcome of outcomes) this.observer?.publish(outcome);
    const accepted = events.length - alreadyStored;
    duplicates += alreadyStored;
    this.metrics.inc(...METRIC.accepted, labels, accepted);
    this.metrics.inc(...METRIC.rejected, labels, rejected.length);
    this.metrics.inc(...METRIC.deduplicated, labels, duplicates);
    this.metrics.inc(...METRIC.droppedByConsent, labels, droppedByConsent);
    return { success: true, accepted, duplicates, droppedByConsent, rejected };
  }

  /** Size, shape and consent checks, then enrichment and masking of one event. */
  private judge(raw: unknown, source: SourceConfig, facts: RequestFacts, envelope: Envelope): Verdict {
    let text: string | undefined;
    try {
      text = JSON.stringify(raw);
    } catch {
      return { kind: 'reject', reason: 'event cannot be serialized' };
    }
    const bytes = utf8Length(text ?? '');
    const limit = this.config.limits.eventBytes;
    if (bytes > limit)
      return { kind: 'reject', reason: `event is ${bytes} bytes; the limit is ${limit}`, text };
    const merged =
      isObject(raw) && envelope.context
        ? { ...raw, context: { ...envelope.context, ...(isObject(raw.context) ? raw.context : {}) } }
        : raw;
    const validation = validateEvent(merged);
    if (!validation.ok) return { kind: 'reject', reason: validation.reason, text };
    if (!consentAllows(validation.event, source, this.config.consent))
      return { kind: 'consent', event: validation.event };
    // Masked before enrichment: what the server adds (times, parsed user agent, IP) holds no PII
    // the client sent, and scanning it would cost a third more.
    const event = this.config.pii.mask ? maskPiiDeep(validation.event, this.exempt) : validation.event;
    return { kind: 'keep', event: enrich(event, facts) };
  }
}
