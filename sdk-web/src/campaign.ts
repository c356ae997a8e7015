import type { CampaignContext } from '@trail/sdk-core';

/** Ad click ids by network: Google, Meta, Microsoft, Baidu, Tencent (GDT, Qzone), ByteDance. */
const CLICK_IDS = 'gclid fbclid msclkid bd_vid gdt_vid qz_gdt clickid'.split(' ');

/** utm_* parameters and ad click ids of a landing URL's query, or undefined when it has none. */
export function campaignOf(search: string): CampaignContext | undefined {
  const q = new URLSearchParams(search);
  const c: CampaignContext = {};
  const ids: Record<string, string> = {};
  q.forEach((v, k) => {
    if (k.startsWith('utm_')) c[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
    else if (CLICK_IDS.includes(k)) ids[k] = v;
  });
  if (Object.keys(ids).length) c.clickIds = ids;
  return Object.keys(c).length ? c : undefined;
}
