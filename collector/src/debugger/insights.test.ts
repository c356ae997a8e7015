import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../sinks/sink.ts';
import { sqliteSink } from '../sinks/sqlite.ts';
import { type Insights, sqliteInsights } from './insights.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * 3_600_000).toISOString();

function ev(fields: Record<string, unknown>): StoredEvent {
  const timestamp = (fields.timestamp as string | undefined) ?? at(2);
  return {
    messageId: randomUUID(),
    source: 'demo',
    receivedAt: timestamp,
    timestamp,
    ...fields,
  } as unknown as StoredEvent;
}
const page = (anonymousId: string, path: string, extra: Record<string, unknown> = {}) =>
  ev({ type: 'page', anonymousId, context: { page: { path } }, ...extra });
const track = (anonymousId: string, event: string, extra: Record<string, unknown> = {}) =>
  ev({ type: 'track', event, anonymousId, properties: {}, ...extra });

describe('sqliteInsights', () => {
  let dir: string;
  let insights: Insights;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trail-insights-'));
    const path = join(dir, 'events.db');
    const sink = sqliteSink({ path });
    const campaign = { source: 'google', medium: 'cpc', clickIds: { gclid: 'g-1' } };
    const share = { shareId: 's-1', sharerId: 'u-sharer', depth: 1 };
    const events: StoredEvent[] = [
      // a1 goes all the way, from a Google ad.
      page('a1', '/', { context: { page: { path: '/' }, campaign } }),
      track('a1', 'Product Viewed'),
      track('a1', 'Product Added', { properties: { product_id: 'p1', price: 10, quantity: 2 } }),
      track('a1', 'Checkout Started'),
      track('a1', 'Order Completed', { context: { campaign }, properties: { order_id: 'o1' } }),
      // a2 adds to cart 5 hours ago and leaves: abandoned.
      page('a2', '/'),
      track('a2', 'Product Viewed'),
      track('a2', 'Product Added', {
        userId: 'u2',
        timestamp: at(5),
        properties: { product_id: 'p2', name: 'Tea', price: 30 },
      }),
      // a3 only looks, from a shared link in the mini-program (scene 1007), and orders nothing.
      page('a3', '/product/p1', {
        context: { page: { path: '/product/p1' }, miniprogram: { platform: 'wechat', scene: 1007, share } },
      }),
      // a4 skips the product page: counts at the first step only.
      page('a4', '/cart'),
      track('a4', 'Product Added', { timestamp: at(30), properties: { product_id: 'old' } }),
      // the sharer's share, and an order that came through it.
      track('u-sharer', 'Product Shared', { userId: 'u-sharer', properties: { share_id: 's-1' } }),
      track('a5', 'Order Completed', {
        context: { miniprogram: { platform: 'wechat', scene: 1007, share } },
        properties: { order_id: 'o2' },
      }),
      // outside the window
      page('a9', '/', { timestamp: at(48) }),
    ];
    await sink.write({ events, failed: [] });
    await sink.close();
    const db = new Database(path, { readonly: true });
    insights = sqliteInsights(db).compute({ hours: 24, abandonHours: 1, now: NOW });
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the funnel by distinct visitors who did every earlier step', () => {
    expect(insights.funnel.map((s) => [s.step, s.visitors, s.conversion])).toEqual([
      ['Page Viewed', 4, 100],
      ['Product Viewed', 2, 50],
      ['Product Added', 2, 100],
      ['Checkout Started', 1, 50],
      ['Order Completed', 1, 100],
    ]);
    expect(insights.funnel[4]?.overall).toBe(25);
  });

  it('lists carts with no order after their last add, older than abandonHours', () => {
    expect(insights.abandonedCarts).toHaveLength(1);
    expect(insights.abandonedCarts[0]).toMatchObject({
      anonymousId: 'a2',
      userId: 'u2',
      value: 30,
      products: [{ product_id: 'p2', name: 'Tea', price: 30, quantity: 1 }],
    });
    // Last activity is the visitor's latest event (a2 kept browsing after the add).
    expect(insights.abandonedCarts[0]?.lastActivity).toBe(at(2));
  });

  it('breaks down channels: utm, click ids and scenes, with orders', () => {
    expect(insights.channels).toEqual(
      expect.arrayContaining([
        { kind: 'utm', channel: 'google / cpc', events: 2, visitors: 1, orders: 1 },
        { kind: 'click_id', channel: 'gclid', events: 2, visitors: 1, orders: 1 },
        { kind: 'scene', channel: '1007', events: 2, visitors: 2, orders: 1 },
      ]),
    );
  });

  it('follows share chains: sharer, share ids, depth, opens and orders', () => {
    expect(insights.shares).toEqual([
      { sharerId: 'u-sharer', shareIds: ['s-1'], shares: 1, maxDepth: 1, opens: 2, orders: 1 },
    ]);
  });

  it('ranks top pages', () => {
    expect(insights.topPages[0]).toEqual({ path: '/', views: 2, visitors: 2 });
    expect(insights.topPages.map((p) => p.path)).toEqual(expect.arrayContaining(['/cart', '/product/p1']));
  });
});
