import type { Config, SourceConfig } from '../config/config.ts';
import type { Metrics } from '../ops/metrics.ts';
import { METRIC, sourceLabel } from '../ops/names.ts';
import { authenticate } from './auth.ts';
import { originAllowed } from './cors.ts';
import { HttpError } from './errors.ts';
import { RateLimiter } from './rate-limit.ts';
import { ReadSlots } from './read-slots.ts';

/** What the collector knows of a request before its body: who sends it and what key it carries. */
export interface Caller {
  /** The client as rate limits and read slots count it: its address, IPv6 /64 or hop (see ip.ts). */
  client: string;
  origin?: string;
  /** Reads the write key from the headers or the URL; may throw 401 for a malformed header. */
  key: () => string | undefined;
}

/** The label of refusals made before a request is tied to a source. */
const UNAUTHENTICATED = '(unauthenticated)';

/**
 * Decides whether a request may go on, in the order that spends the least on a request that will
 * be refused: the key from the headers or URL before the body is read; a body read only in a
 * read slot (bounded per client address and in all, shared fairly between addresses) and within
 * the body timeout; and the work of storing only in an in-flight slot, taken once the body is in,
 * so a slow sender never holds one.
 *
 * Each client address also has a bucket of its own, charged for every request whose key is not
 * known before its body (Segment's analytics.js sends it in the body) and for every failed
 * authentication; while it is empty the address is answered 429 before any key is looked at, so
 * that guessing keys is as slow as the rate limit.
 */
export class Admission {
  private readonly limiter = new RateLimiter();
  private readonly reads: ReadSlots;
  private inFlight = 0;

  constructor(
    private readonly config: Config,
    private readonly sources: ReadonlyMap<string, SourceConfig>,
    private readonly metrics: Metrics,
  ) {
    this.reads = new ReadSlots(config.http);
  }

  /**
   * Before the body: the source when the key came with the headers or the URL, undefined when it
   * must be read from the body. Throws 401, 403 or 429 without reading anything.
   */
  async beforeBody(caller: Caller, now: number): Promise<SourceConfig | undefined> {
    const bucket = this.clientBucket(caller.client);
    const limit = this.config.rateLimit;
    if (limit.perSecond > 0) {
      const wait = this.limiter.wait(bucket, limit, now);
      if (wait > 0) throw this.rateLimited(UNAUTHENTICATED, wait);
    }
    const key = this.charging(caller.client, now, caller.key);
    if (key === undefined) {
      if (limit.perSecond > 0) this.limiter.take(bucket, limit, now);
      return undefined;
    }
    return this.authenticate(caller, key, now);
  }

  /**
   * Looks a key up (before the body, or after it for a key inside it) and admits its source:
   * 401, charged to the client's bucket, 403 for the origin or 429 for the source's rate limit.
   */
  async authenticate(caller: Caller, key: string | undefined, now: number): Promise<SourceConfig> {
    return this.admit(
      caller,
      this.charging(caller.client, now, () => authenticate(this.sources, key)),
      now,
    );
  }

  /**
   * Reads a body in a read slot of the client's, taken at `now`; 429 or 503 at once when none is
   * free. `read` stops with the reason of the signal it is given (408 at the body deadline, or
   * when its slot goes to another client: see read-slots.ts).
   */
  async read<T>(
    caller: Caller,
    source: SourceConfig | undefined,
    now: number,
    read: (stop: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const slot = this.reads.take(caller.client, now);
    if (slot === 'client') {
      throw this.rateLimited(
        source ? await sourceLabel(source) : UNAUTHENTICATED,
        this.config.retryAfterSeconds,
        `${this.config.http.maxReadsPerClient} requests from this address are still sending their body; retry in ${this.config.retryAfterSeconds} s`,
      );
    }
    if (slot === 'total') throw this.overloaded('too many request bodies being received; retry later');
    try {
      return await read(slot.signal);
    } finally {
      slot.release();
    }
  }

  /** Stores in an in-flight slot: at most `maxInFlight` at once, else 503 at once. */
  async store<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.config.maxInFlight)
      throw this.overloaded('too many requests in progress; retry later');
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  /** The origin and the source's own rate limit, once the source is known. */
  private async admit(caller: Caller, source: SourceConfig, now: number): Promise<SourceConfig> {
    const { origin } = caller;
    if (origin && !originAllowed(source, origin)) {
      throw new HttpError(403, 'origin_not_allowed', `origin ${origin} is not allowed for this write key`);
    }
    const limit = source.rateLimit ?? this.config.rateLimit;
    if (limit.perSecond > 0) {
      const wait = this.limiter.take(`${source.writeKey}\n${caller.client}`, limit, now);
      if (wait > 0) throw this.rateLimited(await sourceLabel(source), wait);
    }
    return source;
  }

  /** Runs an authentication step; a 401 it throws takes a token from the client's bucket. */
  private charging<T>(client: string, now: number, step: () => T): T {
    try {
      return step();
    } catch (error) {
      const limit = this.config.rateLimit;
      if (error instanceof HttpError && error.status === 401 && limit.perSecond > 0)
        this.limiter.take(this.clientBucket(client), limit, now);
      throw error;
    }
  }

  /** The bucket of a client address alone; write keys are never empty, so it is no source's. */
  private clientBucket(client: string): string {
    return `\n${client}`;
  }

  private rateLimited(label: string, wait: number, message?: string): HttpError {
    this.metrics.inc(...METRIC.rateLimited, { source: label });
    return new HttpError(
      429,
      'rate_limited',
      message ?? `too many requests from this address; retry in ${wait} s`,
      { 'Retry-After': String(wait) },
    );
  }

  private overloaded(message: string): HttpError {
    this.metrics.inc(...METRIC.overloaded);
    return new HttpError(503, 'overloaded', message, {
      'Retry-After': String(this.config.retryAfterSeconds),
    });
  }
}
