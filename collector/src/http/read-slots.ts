/** Why a body could not be read now. */
export type ReadRefusal = 'client' | 'total';

/**
 * Counts the request bodies being read, per client address and in all, so that one address with
 * hundreds of slow connections holds at most `perClient` of them and cannot starve the others.
 */
export class ReadSlots {
  private readonly byClient = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perClient: number,
    private readonly max: number,
  ) {}

  /** Takes a slot for `client`; returns which bound refused it, or undefined when taken. */
  take(client: string): ReadRefusal | undefined {
    const held = this.byClient.get(client) ?? 0;
    if (held >= this.perClient) return 'client';
    if (this.total >= this.max) return 'total';
    this.byClient.set(client, held + 1);
    this.total++;
    return undefined;
  }

  /** Gives back a slot taken for `client`. */
  release(client: string): void {
    const held = this.byClient.get(client) ?? 0;
    // Deleted at zero, so the map holds only the addresses being read from right now.
    if (held <= 1) this.byClient.delete(client);
    else this.byClient.set(client, held - 1);
    this.total--;
  }
}
