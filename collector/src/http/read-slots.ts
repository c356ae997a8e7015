import { HttpError } from './errors.ts';

/** Why a body could not be read now. */
export type ReadRefusal = 'client' | 'total';

/** The bounds of {@link ReadSlots}, as `http` in the config names them. */
export interface ReadBounds {
  /** Bodies read at once from one client address. */
  maxReadsPerClient: number;
  /** Bodies read at once from all clients. */
  maxReads: number;
  /** Time a whole body may take to arrive. */
  bodyTimeoutMs: number;
  /** Time a body may take before, all slots taken, its slot may go to a request from a lighter client. */
  readGraceMs: number;
}

/** A body being read. Its signal aborts, with the {@link HttpError} to answer as its reason, when the read must stop. */
export interface ReadSlot {
  readonly signal: AbortSignal;
  /** Gives the slot back once the read is over; a slot already taken back is left alone. */
  release(): void;
}

interface Read {
  client: string;
  started: number;
  stop: AbortController;
  deadline: ReturnType<typeof setTimeout>;
}

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);

/**
 * The request bodies being read, each within its deadline (a timer of its own rather than the
 * server's timeouts, so that it holds on every runtime), at most `maxReadsPerClient` from one
 * client address and `maxReads` in all.
 *
 * When every slot is taken, a new request takes the slot of the read that began first among those
 * whose address holds at least two more slots than the newcomer's, provided it has gone on for
 * longer than `readGraceMs` (a real body arrives in milliseconds); that read is aborted with 408.
 * Each such move makes the shares of the addresses more even, so slow senders from a few dozen
 * addresses cannot keep out a client from another address, and cannot take slots from each other
 * back and forth. Past `maxReads` addresses holding one slot each, new requests get 503.
 */
export class ReadSlots {
  private readonly byClient = new Map<string, number>();
  /** The reads in the order they began (a Set keeps insertion order): the first is the oldest. */
  private readonly reads = new Set<Read>();

  constructor(private readonly bounds: ReadBounds) {}

  /** Takes a slot for `client`, if need be from a heavier client; else says which bound refused it. */
  take(client: string, now: number): ReadSlot | ReadRefusal {
    const held = this.byClient.get(client) ?? 0;
    if (held >= this.bounds.maxReadsPerClient) return 'client';
    if (this.reads.size >= this.bounds.maxReads) {
      const victim = this.evictable(held, now);
      if (!victim) return 'total';
      this.stop(
        victim,
        new HttpError(
          408,
          'body_timeout',
          `request body was still arriving after ${duration(now - victim.started)} while every read slot was taken; its slot went to another client`,
        ),
      );
    }
    const stop = new AbortController();
    const read: Read = {
      client,
      started: now,
      stop,
      deadline: setTimeout(() => {
        const { bodyTimeoutMs } = this.bounds;
        this.stop(
          read,
          new HttpError(408, 'body_timeout', `request body did not arrive within ${duration(bodyTimeoutMs)}`),
        );
      }, this.bounds.bodyTimeoutMs),
    };
    this.reads.add(read);
    this.byClient.set(client, held + 1);
    return { signal: stop.signal, release: () => this.end(read) };
  }

  /**
   * The oldest read past its grace whose client holds more than `held + 1` slots. Reads began in
   * order, so the walk ends at the first one still within its grace: it visits at most the reads
   * past their grace, `maxReads` at worst.
   */
  private evictable(held: number, now: number): Read | undefined {
    for (const read of this.reads) {
      if (now - read.started <= this.bounds.readGraceMs) return undefined;
      if ((this.byClient.get(read.client) ?? 0) > held + 1) return read;
    }
    return undefined;
  }

  private stop(read: Read, reason: HttpError): void {
    this.end(read);
    read.stop.abort(reason);
  }

  private end(read: Read): void {
    if (!this.reads.delete(read)) return;
    clearTimeout(read.deadline);
    const held = this.byClient.get(read.client) ?? 0;
    // Deleted at zero, so the map holds only the addresses being read from right now.
    if (held <= 1) this.byClient.delete(read.client);
    else this.byClient.set(read.client, held - 1);
  }
}
