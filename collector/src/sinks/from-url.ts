import type { Sink } from './sink.ts';

/** Builds a sink from its URL; each scheme's module loads only when a URL names it. */
export type SinkFactory = (url: string) => Promise<Sink>;

/** Sinks available on server runtimes (Node, Bun, Deno), by URL scheme. */
export const SERVER_SINKS: Record<string, SinkFactory> = {
  sqlite: async (url) => {
    const { sqliteSink, parseSqliteUrl } = await import('./sqlite.ts');
    return sqliteSink(parseSqliteUrl(url));
  },
};

/** Opens every sink a config names; an unknown scheme is a startup error, not a silent skip. */
export async function openSinks(
  urls: readonly string[],
  factories: Record<string, SinkFactory>,
): Promise<Sink[]> {
  return Promise.all(
    urls.map((url) => {
      const scheme = url.slice(0, url.indexOf(':'));
      const factory = factories[scheme];
      if (!factory) {
        const known = Object.keys(factories).join(', ');
        throw new Error(`unknown sink "${url}": the scheme must be one of ${known}`);
      }
      return factory(url);
    }),
  );
}
