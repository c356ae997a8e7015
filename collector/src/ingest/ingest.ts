import { maskPii } from '@trail/sdk-core/pii';
import type { BatchResponse, EventContext, RejectedEvent } from '@trail/sdk-core/protocol';
import type { Config, SourceConfig } from '../config/config.ts';
import type { IngestOutcome } from '../debugger/bus.ts';
import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import { METRIC, sourceLabel } from '../ops/names.ts';
import { consentAllows } from '../policy/consent.ts';
import type { FailedEvent, Sink, StoredEvent } from '../sinks/sink.ts';
import { BoundedMap } from '../util/bounded-map.ts';
import { dedupKey } from '../util/dedup-key.ts';
import { type TimeWindow, windowOfDays } from './clock.ts';
import { enrich, type RequestFacts } from './enrich.ts';
import { type ExemptNode, exemptTree } from './exempt-paths.ts';
import { scrub, wellFormed } from './mask.ts';
import {
  SHARED_BYTES_FREE,
  StorageBudget,
  STORED_BYTES_FACTOR,
  STORED_BYTES_PER_EVENT,
  utf8Length,
} from './size.ts';
import { validateEvent } from './validate.ts';

/** Batch-level fields that apply to every event in it. */
export interface Envelope {
  sentAt?: string;
  context?: EventContext;
}

/** Everything one request asks the collector to store. */
export interface IngestRequest extends Omit<RequestFacts, 'source' | 'window'> {
  source: SourceConfig;
  events: readonly unknown[];
  envelope: Envelope;
}

/** Result of ingesting a request; `rejected` lists every invalid event. */
export type IngestResult = BatchResponse;

const FAILED_PAYLOAD_LIMIT = 64 * 1024;

/** How deep objects and arrays may nest in an event, the event itself being level 1. */
export const MAX_EVENT_DEPTH = 64;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A failed event's payload as text, cut short so one hostile event cannot bloat the store. */
function failedPayload(text?: string): string {
  // No text when the event could not be serialized; String() of it could overflow the stack too.
  // The text is of the scrubbed event (masked, well-formed); a cut may split a surrogate pair.
  const full = text ?? '(not serializable)';
  return full.length > FAILED_PAYLOAD_LIMIT ? wellFormed(full.slice(0, FAILED_PAYLOAD_LIMIT)) : full;
}

/**
 * Whether objects and arrays nest deeper than `max` levels in a parsed JSON value. Iterative:
 * JSON.parse takes any depth, but what follows (JSON.stringify, PII masking, the sinks) recurses
 * and overflows the stack a few thousand levels down, and a 20 KB event nests 10,000.
 */
function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth > max) return true;
    // for-in over parsed JSON (plain objects and arrays) sees exactly their own keys.
    for (const key in node) {
      const child = node[key];
      if (typeof child === 'object' && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** Why an event of a signed source without a messageId is refused. */
const SIGNED_NEEDS_ID =
  'messageId is required for a signed source: it is what keeps a replayed or retried request from being stored twice';

/** Why an event that would take its request past the {@link StorageBudget} is refused. */
const overBudget = (limit: number) =>
  `event would take the request past its storage budget of ${limit} bytes: ${STORED_BYTES_FACTOR}× ` +
  'what it sent (its events, batch context and User-Agent), plus per event ' +
  `${STORED_BYTES_PER_EVENT} bytes and up to ${SHARED_BYTES_FREE.context} of batch context and ` +
  `${SHARED_BYTES_FREE.userAgent} of User-Agent stored again`;

const serialize = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
};

/** The batch-level context, which goes into every event of the batch, measured once per request. */
interface SharedContext {
  value: EventContext;
  bytes: number;
  tooDeep: boolean;
}

function sharedContext(value: EventContext): SharedContext {
  // Its members sit one level lower in an event, under `context`.
  const tooDeep = nestedDeeperThan(value, MAX_EVENT_DEPTH - 1);
  return { value, tooDeep, bytes: tooDeep ? 0 : utf8Length(serialize(value) ?? '') };
}

/** What becomes of one event before deduplication. */
type Verdict =
  | { kind: 'keep'; event: StoredEvent; bytes: number }
  | { kind: 'reject'; reason: string }
  | { kind: 'consent'; event: unknown };

/** Who hears about each event's outcome (the debugger's bus); `active` false means nobody listens. */
export interface OutcomeObserver {
  readonly active: boolean;
  publish(outcome: IngestOutcome): void;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * An outcome for the debugger, its ids read from whatever shape the event had; `shown` replaces
 * the payload (a refused event is shown as the text kept in failed_events: it may nest too deep
 * for the stream to serialize).
 */
function outcomeOf(
  kind: IngestOutcome['kind'],
  source: string,
  receivedAt: string,
  payload: unknown,
  reason?: string,
  shown: unknown = payload,
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
    payload: shown,
  };
}

/**
 * The collector's core: validates, filters by consent, enriches, masks and deduplicates events,
 * then hands them to the sink and only reports success once the sink acknowledged them.
 */
export class Ingestor {
  /** Recently stored events by {@link dedupKey}. */
  private readonly recent: BoundedMap<string, true>;
  /** Writes in progress by the {@link dedupKey} of each event they carry. */
  private readonly writing = new Map<string, Promise<unknown>>();
  private readonly exempt: ExemptNode;
  private readonly window: TimeWindow;

  constructor(
    private readonly config: Config,
    private readonly sink: Sink,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly observer?: OutcomeObserver,
  ) {
    this.recent = new BoundedMap(config.dedupCacheSize);
    this.exempt = exemptTree(config.pii.exemptPaths);
    this.window = windowOfDays(config.limits.maxEventAgeDays);
  }

  /** Stores what is valid in a request. Throws (a SinkError) only when the sink failed. */
  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { source, envelope } = request;
    const facts: RequestFacts = {
      ...request,
      source: source.name ?? source.writeKey,
      sentAt: envelope.sentAt,
      window: this.window,
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
    const { mask } = this.config.pii;
    // The batch context is made fit to store once, for all the events it goes into.
    if (envelope.context) scrub(envelope.context, mask, this.exempt.keys?.get('context'));
    const shared = envelope.context ? sharedContext(envelope.context) : undefined;
    const budget = new StorageBudget(shared?.bytes ?? 0, utf8Length(facts.userAgent ?? ''));
    const refuse = (index: number, raw: unknown, reason: string, sentBytes: number) => {
      const messageId = isObject(raw) && typeof raw.messageId === 'string' ? raw.messageId : undefined;
      rejected.push({ index, messageId, reason });
      // Kept as the client sent it (masked): a merged batch context may be what did not fit.
      const payload = failedPayload(serialize(raw));
      budget.add(sentBytes, utf8Length(payload) + utf8Length(reason));
      failed.push({ receivedAt, source: facts.source, messageId, reason, payload });
      if (observing) outcomes.push(outcomeOf('rejected', facts.source, receivedAt, raw, reason, payload));
    };

    for (const [index, sent] of request.events.entries()) {
      // Measured as sent: the size limit is on what the client sent, not on what masking made of it
      // (a masked number is a longer string). Then made fit to store in place, a refused event too,
      // since it is kept in failed_events.
      const text = serialize(sent);
      const bytes = text === undefined ? undefined : utf8Length(text);
      const raw = scrub(sent, mask, this.exempt);
      const verdict = this.judge(raw, bytes, source, facts, shared, budget);
      if (verdict.kind === 'reject') {
        refuse(index, raw, verdict.reason, bytes ?? 0);
      } else if (verdict.kind === 'consent') {
        droppedByConsent++;
        if (observing)
          outcomes.push(outcomeOf('consent', facts.source, receivedAt, verdict.event, 'no consent'));
      } else if (
        this.recent.has(dedupKey(facts.source, verdict.event.messageId)) ||
        inBatch.has(verdict.event.messageId)
      ) {
        duplicates++;
        if (observing) outcomes.push(outcomeOf('duplicate', facts.source, receivedAt, verdict.event));
      } else {
        const stored = utf8Length(serialize(verdict.event) ?? '');
        if (!budget.fits(verdict.bytes, stored)) {
          refuse(index, raw, overBudget(budget.limitWith(verdict.bytes)), verdict.bytes);
          continue;
        }
        budget.add(verdict.bytes, stored);
        inBatch.add(verdict.event.messageId);
        events.push(verdict.event);
        if (observing) outcomes.push(outcomeOf('accepted', facts.source, receivedAt, verdict.event));
      }
    }

    const labels = { source: await sourceLabel(source) };
    let alreadyStored = 0;
    if (events.length > 0 || failed.length > 0) {
      const keys = events.map((event) => dedupKey(facts.source, event.messageId));
      const write = this.sink.write({ events, failed });
      for (const key of keys) this.writing.set(key, write);
      try {
        const result = await write;
        alreadyStored = result?.duplicates ?? 0;
      } catch (error) {
        this.metrics.inc(...METRIC.sinkFailures, labels);
        this.logger.log('error', 'sink write failed', {
          source: facts.source,
          events: events.length,
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        for (const key of keys) if (this.writing.get(key) === write) this.writing.delete(key);
      }
      // Remember ids only once stored: remembering a failed write's ids would drop its retry.
      for (const key of keys) this.recent.set(key, true);
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

  /**
   * Which of a source's messageIds this process stored recently, once writes in progress settle: a
   * client that lost the answer to a request (a page that unloaded) asks before sending again.
   */
  async received(source: SourceConfig, messageIds: string[]): Promise<string[]> {
    const keys = messageIds.map((id) => dedupKey(source.name ?? source.writeKey, id));
    await Promise.allSettled(keys.map((key) => this.writing.get(key)));
    return messageIds.filter((_, i) => this.recent.has(keys[i] as string));
  }

  /**
   * Serializability, depth, size, storage budget, shape and consent checks, then enrichment of one
   * scrubbed event; `bytes` is its size as sent, undefined when it cannot be serialized.
   */
  private judge(
    raw: unknown,
    bytes: number | undefined,
    source: SourceConfig,
    facts: RequestFacts,
    shared: SharedContext | undefined,
    budget: StorageBudget,
  ): Verdict {
    const tooDeep = `event is nested deeper than ${MAX_EVENT_DEPTH} levels`;
    if (nestedDeeperThan(raw, MAX_EVENT_DEPTH)) return { kind: 'reject', reason: tooDeep };
    if (bytes === undefined) return { kind: 'reject', reason: 'event cannot be serialized' };
    const limit = this.config.limits.eventBytes;
    if (bytes > limit) return { kind: 'reject', reason: `event is ${bytes} bytes; the limit is ${limit}` };
    // The batch's context goes into every event, so it counts against each: else 500 events under
    // 400 KB of shared context would store 200 MB from one request. (A single-event body's context
    // is the event's own.)
    const adds = isObject(raw) && shared !== undefined && shared.value !== raw.context;
    if (adds && shared.tooDeep) return { kind: 'reject', reason: `${tooDeep} with the batch context` };
    if (adds && bytes + shared.bytes > limit) {
      const reason = `event is ${bytes} bytes plus ${shared.bytes} of batch context; the limit is ${limit}`;
      return { kind: 'reject', reason };
    }
    // What it will store at least, checked before any work on it: once a crafted batch context has
    // filled the budget, each later event costs its own bytes, not the context's again.
    if (!budget.fits(bytes, bytes + (adds ? shared.bytes : 0)))
      return { kind: 'reject', reason: overBudget(budget.limitWith(bytes)) };
    const merged = adds
      ? { ...raw, context: { ...shared.value, ...(isObject(raw.context) ? raw.context : {}) } }
      : raw;
    const validation = validateEvent(merged);
    if (!validation.ok) return { kind: 'reject', reason: validation.reason };
    // A signed request can be replayed (to another process, after a restart) or retried after a
    // partial failure; only a client-chosen id lets the store's per-source dedup drop the copy.
    if (source.signingSecret && validation.event.messageId === undefined)
      return { kind: 'reject', reason: SIGNED_NEEDS_ID };
    if (!consentAllows(validation.event, source, this.config.consent))
      return { kind: 'consent', event: validation.event };
    return { kind: 'keep', event: enrich(validation.event, facts), bytes };
  }
}
