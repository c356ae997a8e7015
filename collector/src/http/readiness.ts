import type { Sink } from '../sinks/sink.ts';

/**
 * How long a failed write keeps /readyz at 503 while no write succeeds and the sink's own check
 * passes throughout. Not for ever: a load balancer that stops sending to an unready collector
 * would otherwise never let a write show that the store is back.
 */
export const FAILED_WRITE_HOLD_MS = 30_000;

/** A sink's readiness as its real writes show it, beside what its own check says. */
export interface Readiness {
  /** The sink, watched: hand this one to whatever writes. */
  sink: Sink;
  /** Whether the sink can take writes now, as its last write and its own check tell. */
  ready(now: number): Promise<boolean>;
}

/**
 * Watches the outcome of every write, since a sink's own check (SELECT 1, a ping) can pass while
 * every write fails: a locked or read-only store, a full disk, a receiver that refuses POSTs.
 * After a failed write the sink is unready until a write succeeds, or its own check has failed
 * and passed again since (it saw the outage end), or {@link FAILED_WRITE_HOLD_MS} has passed.
 */
export function watchWrites(sink: Sink): Readiness {
  let failedAt: number | undefined;
  /** Whether the sink's own check failed since the last failed write. */
  let checkFailed = false;
  const watched: Sink = {
    name: sink.name,
    async write(batch) {
      try {
        const result = await sink.write(batch);
        failedAt = undefined;
        return result;
      } catch (error) {
        failedAt = Date.now();
        checkFailed = false;
        throw error;
      }
    },
    ready: () => sink.ready(),
    close: () => sink.close(),
  };
  return {
    sink: watched,
    async ready(now) {
      const own = await sink.ready().catch(() => false);
      if (failedAt === undefined) return own;
      if (!own) {
        checkFailed = true;
        return false;
      }
      if (checkFailed || now - failedAt >= FAILED_WRITE_HOLD_MS) failedAt = undefined;
      return failedAt === undefined;
    },
  };
}
