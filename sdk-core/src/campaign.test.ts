import { describe, expect, it } from 'vitest';
import { campaignOf } from './campaign.ts';

/** What the browser SDK does with `location.search` (sdk-web/src/web.ts). */
const fromSearch = (search: string) => campaignOf(Object.fromEntries(new URLSearchParams(search)));

describe('campaignOf', () => {
  it('maps utm_* to the Segment campaign fields', () => {
    expect(
      fromSearch(
        '?utm_campaign=spring&utm_source=google&utm_medium=cpc&utm_term=green+tea&utm_content=banner%201',
      ),
    ).toEqual({ name: 'spring', source: 'google', medium: 'cpc', term: 'green tea', content: 'banner 1' });
  });

  it('keeps other utm_* parameters under their own name', () => {
    expect(fromSearch('utm_id=42&utm_source_platform=ads')).toEqual({ id: '42', source_platform: 'ads' });
  });

  it('collects every known ad click id into clickIds', () => {
    expect(
      fromSearch('gclid=G&fbclid=F&msclkid=M&bd_vid=B&gdt_vid=T&qz_gdt=Q&clickid=C&utm_source=mix'),
    ).toEqual({
      source: 'mix',
      clickIds: {
        gclid: 'G',
        fbclid: 'F',
        msclkid: 'M',
        bd_vid: 'B',
        gdt_vid: 'T',
        qz_gdt: 'Q',
        clickid: 'C',
      },
    });
  });

  it('gives a campaign with click ids alone', () => {
    expect(fromSearch('?gclid=abc123')).toEqual({ clickIds: { gclid: 'abc123' } });
  });

  it('is undefined when the query has no campaign parameter', () => {
    expect(fromSearch('')).toBeUndefined();
    expect(fromSearch('?q=tea&page=2&ref=home')).toBeUndefined();
    expect(campaignOf({})).toBeUndefined();
  });

  it('ignores parameters that only look like campaign ones', () => {
    expect(fromSearch('?UTM_SOURCE=x&gclid_extra=y&xutm_source=z')).toBeUndefined();
  });

  it('adds the named channel keys (e.g. a QR live code) and nothing else', () => {
    expect(campaignOf({ ch: 'qr-7', store: 'sh-01', other: 'x' }, ['ch', 'store'])).toEqual({
      ch: 'qr-7',
      store: 'sh-01',
    });
    expect(campaignOf({ ch: 'qr-7' })).toBeUndefined();
  });

  it('takes the last value of a repeated parameter, as URLSearchParams → fromEntries does', () => {
    expect(fromSearch('utm_source=a&utm_source=b')).toEqual({ source: 'b' });
  });
});
