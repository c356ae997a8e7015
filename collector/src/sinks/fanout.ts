import type { Sink, SinkBatch, SinkResult } from './sink.ts';

/** Raised when a sink fails or times out; the collector answers 503 and the client retries. */
export class SinkError extends Error {
  constructor(
    readonly sink: string,
    cause: unknown,
  ) {
    super(`sink ${sink} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Per-sink write latency, reported to metrics. */
export type SinkTimer = (sink: string, seconds: number, ok: boolean) => void;

function withTimeout<T>(work: Promise<T>, ms: number, sink: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SinkError(sink, new Error(`timed out after ${ms} ms`))), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Writes every batch to all sinks at once, each under its own timeout. The batch counts as
 * stored only when every sink acknowledged it; a retry is safe because sinks are idempotent.
 */
export function fanOut(sinks: readonly Sink[], timeoutMs: number, onTimed?: SinkTimer): Sink {
  const [only] = sinks;
  if (sinks.length === 0 || !only) throw new Error('at least one sink is required');
  const timed = async (sink: Sink, batch: SinkBatch): Promise<SinkResult | undefined> => {
    const started = performance.now();
    try {
      const result = await withTimeout(sink.write(batch), timeoutMs, sink.name);
      onTimed?.(sink.name, (performance.now() - started) / 1000, true);
      return result;
    } catch (error) {
      onTimed?.(sink.name, (performance.now() - started) / 1000, false);
      throw error instanceof SinkError ? error : new SinkError(sink.name, error);
    }
  };
  return {
    name: sinks.map((s) => s.name).join('+'),
    async write(batch) {
      const results = await Promise.all(sinks.map((sink) => timed(sink, batch)));
      // The first sink is the system of record; its duplicate count is the one reported.
      return results[0];
    },
    async ready() {
      const states = await Promise.all(sinks.map((sink) => sink.ready().catch(() => false)));
      return states.every(Boolean);
    },
    async close() {
      await Promise.all(sinks.map((sink) => sink.close()));
    },
  };
}
