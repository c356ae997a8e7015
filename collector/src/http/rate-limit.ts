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
 * Token buckets keyed by write key and client address. Write keys ship in every page, so a key
 * alone proves nothing; the bucket caps what one address can send under it. The buckets live in
 * a bounded map, so a flood of addresses costs memory up to `capacity` buckets, no more.
 */
export class RateLimiter {
  private readonly buckets: BoundedMap<string, Bucket>;

  constructor(capacity = 100_000) {
    this.buckets = new BoundedMap(capacity);
  }

  /** Takes one token; returns 0 when allowed, else the whole seconds until a token is back. */
  take(key: string, limit: RateLimit, now: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, updated: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updated) / 1000) * limit.perSecond);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
  }
}
