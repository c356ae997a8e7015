/** What became of one incoming event, as the Ingestor reports it to the debugger. */
export type OutcomeKind = 'accepted' | 'rejected' | 'consent' | 'duplicate';

/** One event's outcome: the event itself (or what was sent, for a rejected one) and why. */
export interface IngestOutcome {
  kind: OutcomeKind;
  /** Source name (the write key unless the source is named). */
  source: string;
  /** When the collector received it, ISO 8601. */
  receivedAt: string;
  messageId?: string;
  type?: string;
  event?: string;
  anonymousId?: string;
  userId?: string;
  /** Why a rejected event was refused. */
  reason?: string;
  /** The stored event, or the event as sent when it was rejected or dropped. */
  payload: unknown;
}

/** Receives outcomes; returns at once. */
export type OutcomeListener = (outcome: IngestOutcome) => void;

/** One subscriber's bounded queue; a full queue drops new outcomes and counts them. */
export class Subscription {
  private queue: IngestOutcome[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  /** Outcomes dropped because this subscriber was too slow, since the last `pull`. */
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly onClose: (s: Subscription) => void,
  ) {}

  /** Called by the bus; never blocks. */
  offer(outcome: IngestOutcome): void {
    if (this.closed) return;
    if (this.queue.length >= this.capacity) this.dropped++;
    else this.queue.push(outcome);
    this.wake();
  }

  /**
   * Waits until outcomes are queued (or `timeoutMs` passes, or the subscription closes) and takes
   * them all; an empty answer means the wait timed out.
   */
  async pull(timeoutMs: number): Promise<{ outcomes: IngestOutcome[]; dropped: number }> {
    if (this.queue.length === 0 && this.dropped === 0 && !this.closed) {
      await new Promise<void>((done) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          done();
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          done();
        };
      });
    }
    const outcomes = this.queue;
    const dropped = this.dropped;
    this.queue = [];
    this.dropped = 0;
    return { outcomes, dropped };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.wake();
    this.onClose(this);
  }

  private wake(): void {
    this.waiter?.();
  }
}

/**
 * In-process fan-out of ingest outcomes to debugger streams. Publishing costs one size check when
 * nobody listens, and never waits for a subscriber: each has a bounded queue that drops when full.
 */
export class EventBus {
  private readonly subscribers = new Set<Subscription>();
  private readonly listeners = new Set<OutcomeListener>();

  constructor(private readonly capacity = 1000) {}

  /** True when someone listens, so that publishers can skip building outcomes. */
  get active(): boolean {
    return this.subscribers.size > 0 || this.listeners.size > 0;
  }

  get size(): number {
    return this.subscribers.size + this.listeners.size;
  }

  publish(outcome: IngestOutcome): void {
    if (!this.active) return;
    for (const s of this.subscribers) s.offer(outcome);
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch {
        // a listener's failure must never reach ingestion
      }
    }
  }

  /** A queue to pull from (what the SSE stream uses). */
  subscribe(capacity = this.capacity): Subscription {
    const subscription = new Subscription(capacity, (s) => this.subscribers.delete(s));
    this.subscribers.add(subscription);
    return subscription;
  }

  /** Ends every subscription (their streams finish), e.g. at shutdown. */
  closeAll(): void {
    for (const s of [...this.subscribers]) s.close();
  }

  /** A synchronous listener; returns the function that removes it. */
  listen(listener: OutcomeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
