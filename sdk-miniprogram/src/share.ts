import type { ShareChain } from '@trail/sdk-core';

/** Query parameters a tracked share adds to the shared path. */
const P = { id: 'tr_sid', by: 'tr_uid', depth: 'tr_d', root: 'tr_root' };

/** The share chain an open came from, read from its query; undefined for an open not from a share. */
export function chainOf(query: Record<string, string> | undefined): ShareChain | undefined {
  const id = query?.[P.id];
  if (!id) return undefined;
  return {
    shareId: id,
    sharerId: query[P.by],
    depth: Number(query[P.depth]) || 1,
    rootShareId: query[P.root] || id,
  };
}

/** Parameters of a new share by `sharer` from a visit that came through `from` (if any). */
export function shareParams(shareId: string, sharer: string, from: ShareChain | undefined): string {
  const depth = (from?.depth ?? 0) + 1;
  const root = from?.rootShareId ?? shareId;
  return `${P.id}=${shareId}&${P.by}=${encodeURIComponent(sharer)}&${P.depth}=${depth}&${P.root}=${root}`;
}

/** `path` with `params` appended to its query. */
export function withQuery(path: string, params: string): string {
  return path + (path.includes('?') ? '&' : '?') + params;
}

/** A page's own path with its query, the default path WeChat shares. */
export function pagePath(route: string | undefined, query: Record<string, string> | undefined): string {
  const q = Object.entries(query ?? {})
    .filter(([k]) => !Object.values(P).includes(k))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return `/${route ?? ''}${q ? `?${q}` : ''}`;
}

/** The product a shared path points at, by its usual query keys. */
export function productOf(path: string): string | undefined {
  const m = /[?&](?:product_id|productId|id)=([^&]+)/.exec(path);
  return m?.[1] && decodeURIComponent(m[1]);
}
