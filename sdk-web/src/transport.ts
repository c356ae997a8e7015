import type { SendResult, Transport } from '@trail/sdk-core';

const KEEPALIVE_BYTES = 64_000;

/**
 * fetch with a text/plain body (a CORS "simple" request: no preflight). On exit, keepalive lets the
 * request outlive the page; past its 64 KB quota, sendBeacon takes over.
 */
export const transport: Transport = {
  async send(url, body, exiting) {
    const keepalive = exiting && body.length < KEEPALIVE_BYTES;
    try {
      const r = await fetch(url, { method: 'POST', body, keepalive });
      // A missing or non-numeric Retry-After counts as 0: the backoff alone decides.
      return {
        status: r.status,
        retryAfter: +(r.headers.get('retry-after') as string) || 0,
        body: await r.text(),
      };
    } catch {
      // The beacon's fate is unknown, so the events stay queued (status 0) and are resent later.
      if (exiting) navigator.sendBeacon?.(url, body);
      return { status: 0 } satisfies SendResult;
    }
  },
};
