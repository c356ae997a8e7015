/**
 * Insights computed from the embedded SQLite store: funnel, abandoned carts, channels, share chains
 * and top pages. Every query is bounded by a time window on the indexed `timestamp` (or `event,
 * timestamp`) columns. Driver-free: any synchronous driver whose statements have `all` fits.
 */

/** What the queries need of a SQLite driver; better-sqlite3 fits. */
export interface QueryDatabase {
  prepare(sql: string): { all(...params: (string | number)[]): unknown[] };
}

/** Options of one insights computation. */
export interface InsightsOptions {
  /** Window, in hours back from now. */
  hours: number;
  /** A cart is abandoned when its last add is older than this and no order followed. */
  abandonHours: number;
  /** Now, for tests. */
  now?: number;
}

export interface FunnelStep {
  step: string;
  /** Distinct visitors (anonymous id, else user id) who did this step and every earlier one. */
  visitors: number;
  /** Percent of the previous step's visitors (100 for the first). */
  conversion: number;
  /** Percent of the first step's visitors. */
  overall: number;
}

export interface AbandonedCart {
  anonymousId: string | null;
  userId: string | null;
  products: { product_id: string | null; name: string | null; price: number | null; quantity: number }[];
  value: number;
  lastActivity: string;
}

export interface ChannelRow {
  kind: 'utm' | 'click_id' | 'scene';
  /** `source / medium`, the click-id network (gclid, …), or the scene number. */
  channel: string;
  events: number;
  visitors: number;
  orders: number;
}

export interface ShareRow {
  sharerId: string;
  shareIds: string[];
  shares: number;
  maxDepth: number;
  opens: number;
  orders: number;
}

export interface PageRow {
  path: string;
  views: number;
  visitors: number;
}

export interface Insights {
  since: string;
  until: string;
  funnel: FunnelStep[];
  abandonedCarts: AbandonedCart[];
  channels: ChannelRow[];
  shares: ShareRow[];
  topPages: PageRow[];
}

/** Reads insights; what the debugger routes are given. */
export interface InsightsReader {
  compute(options: InsightsOptions): Insights;
}

/** Funnel steps: a page (or screen) view, then the e-commerce v2 events. */
export const FUNNEL_STEPS = [
  'Page Viewed',
  'Product Viewed',
  'Product Added',
  'Checkout Started',
  'Order Completed',
] as const;

const ROW_LIMIT = 100;
const pct = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1000) / 10 : 0);
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0) || 0);
const strOrNull = (v: unknown) => (typeof v === 'string' ? v : v == null ? null : String(v));

/** Insights over a database holding the collector's `events` table. */
export function sqliteInsights(db: QueryDatabase): InsightsReader {
  const funnelSql = `SELECT COALESCE(anonymous_id, user_id) AS id,
    CASE WHEN type IN ('page', 'screen') THEN 'Page Viewed' ELSE event END AS step
  FROM events
  WHERE timestamp >= ? AND timestamp <= ? AND COALESCE(anonymous_id, user_id) IS NOT NULL
    AND (type IN ('page', 'screen')
      OR (type = 'track' AND event IN ('Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed')))
  GROUP BY id, step`;

  const cartsSql = `WITH adds AS (
    SELECT anonymous_id, user_id, timestamp,
      json_extract(payload, '$.properties.product_id') AS product_id,
      json_extract(payload, '$.properties.name') AS name,
      json_extract(payload, '$.properties.price') AS price,
      COALESCE(json_extract(payload, '$.properties.quantity'), 1) AS quantity
    FROM events
    WHERE event = 'Product Added' AND timestamp >= ? AND timestamp <= ? AND anonymous_id IS NOT NULL
  ), carts AS (
    SELECT anonymous_id, MAX(user_id) AS user_id, MAX(timestamp) AS last_add,
      json_group_array(json_object('product_id', product_id, 'name', name, 'price', price,
        'quantity', quantity)) AS products,
      SUM(COALESCE(price, 0) * quantity) AS value
    FROM adds GROUP BY anonymous_id
  )
  SELECT c.anonymous_id, c.user_id, c.products, c.value,
    (SELECT MAX(e.timestamp) FROM events e
      WHERE e.timestamp >= c.last_add AND e.anonymous_id = c.anonymous_id) AS last_activity
  FROM carts c
  WHERE c.last_add <= ?
    AND NOT EXISTS (SELECT 1 FROM events o
      WHERE o.event = 'Order Completed' AND o.timestamp >= c.last_add
        AND (o.anonymous_id = c.anonymous_id OR (c.user_id IS NOT NULL AND o.user_id = c.user_id)))
  ORDER BY c.value DESC, c.last_add DESC
  LIMIT ${ROW_LIMIT}`;

  const utmSql = `SELECT
      COALESCE(json_extract(payload, '$.context.campaign.source'), '(none)') || ' / ' ||
        COALESCE(json_extract(payload, '$.context.campaign.medium'), '(none)') AS channel,
      COUNT(*) AS events, COUNT(DISTINCT COALESCE(anonymous_id, user_id)) AS visitors,
      SUM(event = 'Order Completed') AS orders
    FROM events
    WHERE timestamp >= ? AND timestamp <= ?
      AND (json_extract(payload, '$.context.campaign.source') IS NOT NULL
        OR json_extract(payload, '$.context.campaign.medium') IS NOT NULL)
    GROUP BY channel ORDER BY events DESC LIMIT ${ROW_LIMIT}`;

  const clickSql = `SELECT k.key AS channel,
      COUNT(*) AS events, COUNT(DISTINCT COALESCE(e.anonymous_id, e.user_id)) AS visitors,
      SUM(e.event = 'Order Completed') AS orders
    FROM events e, json_each(e.payload, '$.context.campaign.clickIds') k
    WHERE e.timestamp >= ? AND e.timestamp <= ?
    GROUP BY k.key ORDER BY events DESC LIMIT ${ROW_LIMIT}`;

  const sceneSql = `SELECT CAST(json_extract(payload, '$.context.miniprogram.scene') AS TEXT) AS channel,
      COUNT(*) AS events, COUNT(DISTINCT COALESCE(anonymous_id, user_id)) AS visitors,
      SUM(event = 'Order Completed') AS orders
    FROM events
    WHERE timestamp >= ? AND timestamp <= ?
      AND json_extract(payload, '$.context.miniprogram.scene') IS NOT NULL
    GROUP BY channel ORDER BY events DESC LIMIT ${ROW_LIMIT}`;

  // Shares made (by the sharer's user id, else anonymous id) and opens/orders that came from them.
  const sharesMadeSql = `SELECT COALESCE(user_id, anonymous_id) AS sharer,
      json_extract(payload, '$.properties.share_id') AS share_id,
      COALESCE(json_extract(payload, '$.context.miniprogram.share.depth'), 0) AS depth
    FROM events
    WHERE event IN ('Product Shared', 'Page Shared', 'Cart Shared') AND timestamp >= ? AND timestamp <= ?
    LIMIT 10000`;
  const sharedOpensSql = `SELECT json_extract(payload, '$.context.miniprogram.share.sharerId') AS sharer,
      json_extract(payload, '$.context.miniprogram.share.shareId') AS share_id,
      COALESCE(json_extract(payload, '$.context.miniprogram.share.depth'), 1) AS depth,
      COUNT(DISTINCT COALESCE(anonymous_id, user_id)) AS opens,
      SUM(event = 'Order Completed') AS orders
    FROM events
    WHERE timestamp >= ? AND timestamp <= ?
      AND json_extract(payload, '$.context.miniprogram.share') IS NOT NULL
    GROUP BY sharer, share_id, depth
    LIMIT 10000`;

  const pagesSql = `SELECT COALESCE(json_extract(payload, '$.context.page.path'),
        json_extract(payload, '$.properties.path'), json_extract(payload, '$.context.miniprogram.path'),
        name, '(unknown)') AS path,
      COUNT(*) AS views, COUNT(DISTINCT COALESCE(anonymous_id, user_id)) AS visitors
    FROM (SELECT *, json_extract(payload, '$.name') AS name FROM events
      WHERE timestamp >= ? AND timestamp <= ? AND type IN ('page', 'screen'))
    GROUP BY path ORDER BY views DESC LIMIT 20`;

  const statements = {
    funnel: db.prepare(funnelSql),
    carts: db.prepare(cartsSql),
    utm: db.prepare(utmSql),
    click: db.prepare(clickSql),
    scene: db.prepare(sceneSql),
    sharesMade: db.prepare(sharesMadeSql),
    sharedOpens: db.prepare(sharedOpensSql),
    pages: db.prepare(pagesSql),
  };

  return {
    compute({ hours, abandonHours, now = Date.now() }) {
      const until = new Date(now).toISOString();
      // Events stamped a little ahead (client clocks) still count.
      const upTo = new Date(now + 10 * 60_000).toISOString();
      const since = new Date(now - hours * 3_600_000).toISOString();
      const abandonedBefore = new Date(now - abandonHours * 3_600_000).toISOString();

      // Funnel: a visitor counts at a step when they did it and every step before it.
      const stepsById = new Map<string, Set<string>>();
      for (const row of statements.funnel.all(since, upTo) as { id: string; step: string }[]) {
        const steps = stepsById.get(row.id) ?? new Set<string>();
        steps.add(row.step);
        stepsById.set(row.id, steps);
      }
      const counts = FUNNEL_STEPS.map(() => 0);
      for (const steps of stepsById.values()) {
        for (const [i, step] of FUNNEL_STEPS.entries()) {
          if (!steps.has(step)) break;
          counts[i] = (counts[i] ?? 0) + 1;
        }
      }
      const first = counts[0] ?? 0;
      const funnel = FUNNEL_STEPS.map((step, i) => {
        const visitors = counts[i] ?? 0;
        return {
          step,
          visitors,
          conversion: i === 0 ? (first > 0 ? 100 : 0) : pct(visitors, counts[i - 1] ?? 0),
          overall: pct(visitors, first),
        };
      });

      const abandonedCarts = (
        statements.carts.all(since, upTo, abandonedBefore) as Record<string, unknown>[]
      ).map((row) => {
        const products = JSON.parse(String(row.products ?? '[]')) as Record<string, unknown>[];
        return {
          anonymousId: strOrNull(row.anonymous_id),
          userId: strOrNull(row.user_id),
          products: products.map((p) => ({
            product_id: strOrNull(p.product_id),
            name: strOrNull(p.name),
            price: p.price == null ? null : num(p.price),
            quantity: num(p.quantity) || 1,
          })),
          value: Math.round(num(row.value) * 100) / 100,
          lastActivity: String(row.last_activity ?? ''),
        };
      });

      const channelRows = (kind: ChannelRow['kind'], rows: unknown[]): ChannelRow[] =>
        (rows as Record<string, unknown>[]).map((row) => ({
          kind,
          channel: String(row.channel),
          events: num(row.events),
          visitors: num(row.visitors),
          orders: num(row.orders),
        }));
      const channels = [
        ...channelRows('utm', statements.utm.all(since, upTo)),
        ...channelRows('click_id', statements.click.all(since, upTo)),
        ...channelRows('scene', statements.scene.all(since, upTo)),
      ];

      const sharers = new Map<string, ShareRow & { ids: Set<string> }>();
      const sharerRow = (id: string) => {
        let row = sharers.get(id);
        if (!row) {
          row = { sharerId: id, shareIds: [], ids: new Set(), shares: 0, maxDepth: 0, opens: 0, orders: 0 };
          sharers.set(id, row);
        }
        return row;
      };
      for (const r of statements.sharesMade.all(since, upTo) as Record<string, unknown>[]) {
        if (r.sharer == null) continue;
        const row = sharerRow(String(r.sharer));
        row.shares++;
        if (r.share_id != null) row.ids.add(String(r.share_id));
        // A share made by someone who arrived through a share sits one level deeper.
        row.maxDepth = Math.max(row.maxDepth, num(r.depth) + 1);
      }
      for (const r of statements.sharedOpens.all(since, upTo) as Record<string, unknown>[]) {
        const row = sharerRow(r.sharer == null ? '(unknown)' : String(r.sharer));
        if (r.share_id != null) row.ids.add(String(r.share_id));
        row.maxDepth = Math.max(row.maxDepth, num(r.depth));
        row.opens += num(r.opens);
        row.orders += num(r.orders);
      }
      const shares = [...sharers.values()]
        .map(({ ids, ...row }) => ({ ...row, shareIds: [...ids].slice(0, 20) }))
        .sort((a, b) => b.orders - a.orders || b.opens - a.opens || b.shares - a.shares)
        .slice(0, ROW_LIMIT);

      const topPages = (statements.pages.all(since, upTo) as Record<string, unknown>[]).map((row) => ({
        path: String(row.path),
        views: num(row.views),
        visitors: num(row.visitors),
      }));

      return { since, until, funnel, abandonedCarts, channels, shares, topPages };
    },
  };
}
