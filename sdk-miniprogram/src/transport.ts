import type { Transport } from '@trail/sdk-core';
import type { NativeApi } from './native.ts';

/**
 * POSTs a batch as text/plain with the platform's request API (Alipay names headers and status
 * differently). A failure (offline, suspended after hide, too many requests) is status 0: kept, retried.
 */
export function transport(api: NativeApi, alipay: boolean): Transport {
  return {
    send: (url, data) =>
      new Promise((resolve) => {
        const header = { 'content-type': 'text/plain' };
        api.request({
          url,
          method: 'POST',
          data,
          ...(alipay ? { headers: header, dataType: 'text' } : { header }),
          timeout: 10_000,
          success: (r) => {
            const h = r.header ?? r.headers ?? {};
            const retry = Object.keys(h).find((k) => k.toLowerCase() === 'retry-after');
            resolve({ status: r.statusCode ?? r.status ?? 0, retryAfter: retry ? +(h[retry] ?? 0) || 0 : 0 });
          },
          fail: () => resolve({ status: 0 }),
        });
      }),
  };
}
