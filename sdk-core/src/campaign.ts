import type { CampaignContext } from './protocol.ts';

/** Ad click ids by network: Google, Meta, Microsoft, Baidu, Tencent (GDT, Qzone), ByteDance. */
const CLICK_IDS = 'gclid fbclid msclkid bd_vid gdt_vid qz_gdt clickid'.split(' ');

/**
 * utm_* parameters, ad click ids and the named channel codes (e.g. a QR "live code") of a landing
 * query, or undefined when it has none.
 */
export function campaignOf(
  query: Record<string, string>,
  channelKeys: string[] = [],
): CampaignContext | undefined {
  const c: CampaignContext = {};
  const ids: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (k.startsWith('utm_')) c[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
    else if (CLICK_IDS.includes(k)) ids[k] = v;
    else if (channelKeys.includes(k)) c[k] = v;
  }
  if (Object.keys(ids).length) c.clickIds = ids;
  return Object.keys(c).length ? c : undefined;
}

/** A URL or query string without its ad click id parameters. */
export function withoutClickIds(url: string): string {
  const [base = '', ...hash] = url.split('#');
  const [path, ...query] = base.split('?');
  const kept = query
    .join('?')
    .split('&')
    .filter((p) => p && !CLICK_IDS.includes(p.split('=')[0] as string));
  return path + (kept.length ? `?${kept.join('&')}` : '') + (hash.length ? `#${hash.join('#')}` : '');
}
