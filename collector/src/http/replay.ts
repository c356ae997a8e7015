import { BoundedMap } from '../util/bounded-map.ts';
import { HttpError } from './errors.ts';
import type { VerifiedSignature } from './signature.ts';

/**
 * The signed requests this process accepted, each remembered until its timestamp leaves the
 * tolerance (after which the signature check refuses it anyway), so that a replay is refused
 * before any work. A request is claimed while it is being stored and remembered only once stored:
 * a request whose write failed may be sent again as it was. Memory is bounded by `capacity`
 * entries (past it the oldest are forgotten first) and per process: what it misses (a replay to
 * another process or after a restart) the store's dedup stops, since a signed source's events
 * must carry a messageId.
 */
export class ReplayGuard {
  /** MAC → until when it is remembered (ms); 0 while the request is being stored. */
  private readonly seen: BoundedMap<string, number>;

  constructor(capacity = 100_000) {
    this.seen = new BoundedMap(capacity);
  }

  /** Claims a verified signature for one request, or refuses it with 401 `replayed`. */
  claim(signature: VerifiedSignature, now: number): void {
    this.forgetExpired(now);
    const until = this.seen.get(signature.mac);
    if (until !== undefined && (until === 0 || until > now)) {
      throw new HttpError(
        401,
        'replayed',
        'this signed request was already received; sign each request anew (a new timestamp)',
      );
    }
    this.seen.set(signature.mac, 0);
  }

  /** Ends a claim: remembered for its window when the request was stored, else released. */
  settle(signature: VerifiedSignature, stored: boolean): void {
    if (stored) this.seen.set(signature.mac, signature.expiresAt);
    else this.seen.delete(signature.mac);
  }

  private forgetExpired(now: number): void {
    // Entries come in roughly in time order, so the expired ones sit at the old end.
    for (const [mac, until] of this.seen) {
      if (until === 0 || until > now) break;
      this.seen.delete(mac);
    }
  }
}
