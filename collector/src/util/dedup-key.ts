/**
 * What makes an event a repeat: the same messageId from the same source. Ids are chosen by clients,
 * and a write key is public, so a messageId alone would let one source suppress another's events
 * by sending their ids first. JSON keeps the pair unambiguous whatever characters either holds.
 */
export function dedupKey(source: string, messageId: string): string {
  return JSON.stringify([source, messageId]);
}
