import { randomUUID } from 'node:crypto';
import type { TrailEvent } from '../../sdk-core/src/protocol.ts';

/** A valid track event with a fresh messageId; override any field. */
export function trackEvent(overrides: Record<string, unknown> = {}): TrailEvent & Record<string, unknown> {
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: randomUUID(),
    anonymousId: 'anon-1',
    timestamp: new Date().toISOString(),
    properties: { product_id: 'sku-1', price: 19.9, currency: 'CNY' },
    ...overrides,
  } as TrailEvent & Record<string, unknown>;
}

/** Posts JSON to the collector with the demo write key unless told otherwise. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const raw = typeof body === 'string' || body instanceof Uint8Array;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic('demo'), ...headers },
    body: raw ? (body as BodyInit) : JSON.stringify(body),
  });
}

/** HTTP Basic auth with the write key as user, as Segment clients send it. */
export function basic(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}
