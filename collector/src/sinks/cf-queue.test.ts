import { describe, expect, it } from 'vitest';
import { cfQueueSink, type QueueMessage, splitForQueue } from './cf-queue.ts';
import type { StoredEvent } from './sink.ts';

const event = (pad = ''): StoredEvent =>
  ({
    type: 'track',
    event: 'Product Viewed',
    messageId: crypto.randomUUID(),
    anonymousId: 'a-1',
    timestamp: '2026-03-01T00:00:00.000Z',
    receivedAt: '2026-03-01T00:00:01.000Z',
    source: 'demo',
    properties: { pad },
  }) as StoredEvent;

describe('cfQueueSink', () => {
  it('sends each event as a JSON message carrying its messageId, at most 100 per call', async () => {
    const calls: QueueMessage<StoredEvent>[][] = [];
    const sink = cfQueueSink({ sendBatch: async (messages) => void calls.push([...messages]) });
    const events = Array.from({ length: 250 }, () => event());
    const failed = [{ receivedAt: 'now', source: 'demo', reason: 'bad', payload: '{}' }];
    expect(await sink.write({ events, failed })).toBeUndefined();
    expect(calls.map((call) => call.length)).toEqual([100, 100, 50]);
    expect(calls.flat().map((m) => m.body.messageId)).toEqual(events.map((e) => e.messageId));
    expect(calls[0]?.[0]?.contentType).toBe('json');
  });

  it('keeps each call under 256 KB', () => {
    const messages = Array.from({ length: 10 }, () => ({ body: event('é'.repeat(30 * 1024)) }));
    const chunks = splitForQueue(messages);
    expect(chunks.map((chunk) => chunk.length)).toEqual([4, 4, 2]);
    for (const chunk of chunks) {
      const bytes = chunk.reduce(
        (sum, m) => sum + new TextEncoder().encode(JSON.stringify(m.body)).length,
        0,
      );
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('fails the write when a send fails, so the client retries the batch', async () => {
    const sink = cfQueueSink({
      sendBatch: async () => {
        throw new Error('Queue send failed: 429');
      },
    });
    await expect(sink.write({ events: [event()], failed: [] })).rejects.toThrow(/429/);
  });
});
