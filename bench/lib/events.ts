import { randomUUID } from 'node:crypto';

const PRODUCTS = ['longjing-250g', 'tieguanyin-100g', 'puer-cake-357g', 'dianhong-200g', 'baimudan-150g'];
const EVENTS = ['Product Viewed', 'Product Added', 'Cart Viewed', 'Checkout Started', 'Order Completed'];

/**
 * A batch as sdk-web sends it: page and e-commerce track events with the context a browser
 * fills in, about 700 bytes of JSON each, every one with a fresh messageId.
 */
export function realisticBatch(
  size: number,
  now = Date.now(),
): { batch: Record<string, unknown>[]; sentAt: string } {
  const batch = Array.from({ length: size }, (_, i) => {
    const product = PRODUCTS[i % PRODUCTS.length]!;
    const base = {
      messageId: randomUUID(),
      anonymousId: `anon-${(i * 7919) % 5000}`,
      timestamp: new Date(now - (size - i) * 150).toISOString(),
      context: {
        library: { name: 'trail-web', version: '0.1.0' },
        page: {
          path: `/shop/product.html`,
          url: `https://shop.example.cn/shop/product.html?sku=${product}&utm_source=wechat&utm_medium=social`,
          referrer: 'https://shop.example.cn/shop/',
          title: 'West Lake Longjing · Trail Tea',
        },
        userAgent:
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50',
        locale: 'zh-CN',
        timezone: 'Asia/Shanghai',
        screen: { width: 390, height: 844 },
        campaign: { source: 'wechat', medium: 'social', name: 'spring-tea' },
        consent: { analytics: true, marketing: false },
        sessionId: 'sess-1732350000000',
      },
    };
    if (i % 5 === 0)
      return { ...base, type: 'page', name: 'Product', properties: { path: '/shop/product.html' } };
    return {
      ...base,
      type: 'track',
      event: EVENTS[i % EVENTS.length],
      properties: {
        product_id: product,
        name: 'West Lake Longjing',
        category: 'green-tea',
        price: 168,
        quantity: 1 + (i % 3),
        currency: 'CNY',
        ...(i % EVENTS.length === 4 ? { order_id: `order-${i}`, total: 336, revenue: 336 } : {}),
      },
    };
  });
  return { batch, sentAt: new Date(now).toISOString() };
}
