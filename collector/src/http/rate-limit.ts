import { BoundedMap } from '../util/bounded-map.ts';

/** Requests allowed per second on average, and how many may come at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets by key (see admission.ts for the keys). The buckets live in a bounded map, so a
 * flood of addresses costs memory up to `capacity` buckets, no more.
 */
export class RateLimiter {
  private readonly buckets: BoundedMap<string, Bucket>;

  constructor(capacity = 100_000) {
    this.buckets = new BoundedMap(capacity);
  }

  /** Takes one token; returns 0 when allowed, else the whole seconds until a token is back. */
  take(key: string, limit: RateLimit, now: number): number {
    const bucket = this.refill(key, limit, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return secondsToToken(bucket, limit);
  }

  /** The whole seconds until `key` has a token, without taking one; 0 when it has one now. */
  wait(key: string, limit: RateLimit, now: number): number {
    const bucket = this.refill(key, limit, now);
    return bucket.tokens >= 1 ? 0 : secondsToToken(bucket, limit);
  }

  private refill(key: string, limit: RateLimit, now: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, updated: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updated) / 1000) * limit.perSecond);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    return bucket;
  }
}

const secondsToToken = (bucket: Bucket, limit: RateLimit) =>
  Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
