import type { Sink, SinkContext } from './sink.ts';

/**
 * Sinks that need nothing but fetch and Web Crypto, by URL scheme, so that every runtime can use
 * them, Cloudflare Workers included. Each module loads only when a URL names it.
 */
export const HTTP_SINKS: Record<string, (url: string, context?: SinkContext) => Promise<Sink>> = {
  clickhouse: clickhouseFactory,
  'clickhouse+http': clickhouseFactory,
  'clickhouse+https': clickhouseFactory,
  'webhook+http': webhookFactory,
  'webhook+https': webhookFactory,
};

async function clickhouseFactory(url: string, context?: SinkContext): Promise<Sink> {
  const { clickhouseSink, parseClickHouseUrl } = await import('./clickhouse.ts');
  return clickhouseSink(parseClickHouseUrl(url, context));
}

async function webhookFactory(url: string, context?: SinkContext): Promise<Sink> {
  const { webhookSink, parseWebhookUrl } = await import('./webhook.ts');
  return webhookSink(parseWebhookUrl(url, context));
}
