import { HTTP_SINKS } from './http-sinks.ts';
import type { Sink, SinkContext } from './sink.ts';

/** Builds a sink from its URL; each scheme's module loads only when a URL names it. */
export type SinkFactory = (url: string, context?: SinkContext) => Promise<Sink>;

async function postgresFactory(url: string): Promise<Sink> {
  const { postgresSink, parsePostgresUrl } = await import('./postgres.ts');
  return postgresSink(parsePostgresUrl(url));
}

async function redisFactory(url: string): Promise<Sink> {
  const { redisSink, parseRedisUrl } = await import('./redis.ts');
  return redisSink(parseRedisUrl(url));
}

/** Sinks available on server runtimes (Node, Bun, Deno), by URL scheme. */
export const SERVER_SINKS: Record<string, SinkFactory> = {
  // clickhouse, webhook: fetch only, so they also run on edge runtimes.
  ...HTTP_SINKS,
  sqlite: async (url) => {
    const { sqliteSink, parseSqliteUrl } = await import('./sqlite.ts');
    return sqliteSink(parseSqliteUrl(url));
  },
  postgres: postgresFactory,
  postgresql: postgresFactory,
  nats: async (url) => {
    const { natsSink, parseNatsUrl } = await import('./nats.ts');
    return natsSink(parseNatsUrl(url));
  },
  redis: redisFactory,
  rediss: redisFactory,
};

/** Opens every sink a config names; an unknown scheme is a startup error, not a silent skip. */
export async function openSinks(
  urls: readonly string[],
  factories: Record<string, SinkFactory>,
  context: SinkContext = {},
): Promise<Sink[]> {
  return Promise.all(
    urls.map((url) => {
      const scheme = url.slice(0, url.indexOf(':'));
      const factory = factories[scheme];
      if (!factory) {
        const known = Object.keys(factories).join(', ');
        throw new Error(`unknown sink "${url}": the scheme must be one of ${known}`);
      }
      return factory(url, context).catch((error: unknown) => {
        throw new Error(`sink ${redact(url)} could not open: ${describe(error)}`, { cause: error });
      });
    }),
  );
}

/** A sink URL fit for a log line: scheme, host and path, never credentials or options. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host
      ? `${parsed.protocol}//${parsed.host}${parsed.pathname}`
      : parsed.protocol + parsed.pathname;
  } catch {
    return url.slice(0, url.indexOf(':') + 1);
  }
}

/** An error's message; connection errors from Node (AggregateError) may only have a code. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return error.message || (typeof code === 'string' ? code : error.name);
}
