/**
 * messageIds of the SDK queues in a mini-program's storage (`rt.storage.snapshot()`), read the way
 * the next launch adopts them: `<key>` holds the chunk count, `<key>.N` the chunks. `only` limits
 * it to one queue key; otherwise every `trail_q_*` queue counts.
 */
export function storedQueueIds(storage: Record<string, unknown>, only?: string): string[] {
  const ids: string[] = [];
  for (const [key, chunks] of Object.entries(storage)) {
    if (only ? key !== only : !/^trail_q_[^.]+$/.test(key)) continue;
    for (let i = 0; i < Number(chunks); i++) {
      const chunk = storage[`${key}.${i}`];
      if (typeof chunk === 'string')
        ids.push(...(JSON.parse(chunk) as { messageId: string }[]).map((e) => e.messageId));
    }
  }
  return ids;
}
