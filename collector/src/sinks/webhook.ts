import { signatureHeaders, TIMESTAMP_HEADER } from '../http/signature.ts';
import { eventsBatchId, failedBatchId } from './batch-id.ts';
import { intParam, withoutParams } from './fields.ts';
import { answerText, discard, fetchFailure } from './http-util.ts';
import type { Sink, SinkContext } from './sink.ts';

// fetch and Web Crypto only (no node: imports), so that this sink runs on edge runtimes too.

/** Options of the webhook sink. */
export interface WebhookSinkOptions {
  /** Where batches are POSTed: the sink URL without `webhook+` and without trail's own options. */
  url: string;
  /** HMAC-SHA256 key of `X-Trail-Signature`; unsigned when absent. */
  secret?: string;
  /** Most attempts per request, the first included. */
  attempts: number;
  /** Timeout of one attempt. */
  attemptTimeoutMs: number;
  /** Time all attempts of one write share (the collector's sinkTimeoutMs). */
  budgetMs: number;
}

const OWN_PARAMS = ['secret', 'retries', 'timeout_ms'] as const;
/** Environment variable holding the signing secret; it wins over the URL's `secret` option. */
export const WEBHOOK_SECRET_ENV = 'TRAIL_WEBHOOK_SECRET';
/** First retry after about this long, doubling each time, never more than the cap. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2000;

/**
 * Parses `webhook+https://host/path?retries=3&timeout_ms=2000&secret=…`. The secret is better given as
 * `TRAIL_WEBHOOK_SECRET` (it then stays out of config files and logs); the variable wins when both are set.
 * Query parameters other than trail's own stay on the URL the batches go to.
 */
export function parseWebhookUrl(url: string, context: SinkContext = {}): WebhookSinkOptions {
  if (!/^webhook\+https?:\/\//.test(url)) {
    throw new Error('webhook sink: the URL must start with webhook+https:// or webhook+http://');
  }
  let parsed: URL;
  try {
    parsed = new URL(url.slice('webhook+'.length));
  } catch {
    // The URL may hold the secret: never echo it.
    throw new Error('webhook sink: the URL is not valid (webhook+https://host/path)');
  }
  const params = parsed.searchParams;
  const budgetMs = context.timeoutMs ?? 5000;
  return {
    url: withoutParams(parsed, OWN_PARAMS),
    secret: context.env?.[WEBHOOK_SECRET_ENV] || params.get('secret') || undefined,
    attempts: intParam(params, 'retries', 3),
    attemptTimeoutMs: intParam(params, 'timeout_ms', budgetMs),
    budgetMs,
  };
}

/** 408, 429 and 5xx may pass if tried again; any other refusal will not. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter: attempt 1 waits 50–100 ms, attempt 2 100–200 ms, … */
function backoff(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A refusal that retrying cannot fix: the write fails at once. */
class Refused extends Error {}

/** NDJSON: one JSON document per line, each line ending in `\n`. */
const ndjson = (items: readonly object[]) => items.map((item) => `${JSON.stringify(item)}\n`).join('');

/**
 * POSTs each batch as NDJSON to an HTTP endpoint: events in one request (`X-Trail-Kind: events`),
 * failed events in another (`X-Trail-Kind: failed`). `X-Trail-Batch-Id` is the hash of the batch's
 * sources and messageIds, the same on every retry, so the receiver can drop a batch it already stored. With a
 * secret, `X-Trail-Signature: sha256=<hex HMAC-SHA256 of "<X-Trail-Timestamp>.POST.<path>.<body>">`
 * (the scheme of signed sources, http/signature.ts).
 *
 * Network errors, 408, 429 and 5xx are retried with exponential backoff and jitter, never sooner
 * than `Retry-After`, all within the collector's sink timeout; any other status fails the write at
 * once. Either way the collector answers 503 and the client keeps its events: nothing is
 * acknowledged that the receiver did not accept.
 */
export async function webhookSink(options: WebhookSinkOptions): Promise<Sink> {
  const path = new URL(options.url).pathname;
  const headersFor = async (
    kind: string,
    batchId: string,
    body: string,
  ): Promise<Record<string, string>> => ({
    'Content-Type': 'application/x-ndjson',
    'User-Agent': 'trail-collector',
    'X-Trail-Kind': kind,
    'X-Trail-Batch-Id': batchId,
    ...(options.secret
      ? await signatureHeaders(options.secret, { method: 'POST', path, body })
      : { [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)) }),
  });

  /** Sends one body until it is accepted, refused, out of attempts or out of time. */
  const deliver = async (kind: string, batchId: string, body: string, deadline: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      const timeoutMs = Math.min(options.attemptTimeoutMs, remaining);
      let failure: Error;
      let notBefore = 0;
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          // Signed per attempt: a receiver may refuse old timestamps; the body and batch id stay the same.
          headers: await headersFor(kind, batchId, body),
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
        });
        if (res.ok) {
          await discard(res);
          return;
        }
        const text = await answerText(res);
        const message = `webhook ${kind}: HTTP ${res.status}${text ? `: ${text}` : ''}`;
        if (!retryable(res.status)) throw new Refused(message);
        failure = new Error(message);
        notBefore = retryAfterMs(res.headers.get('retry-after')) ?? 0;
      } catch (error) {
        if (error instanceof Refused) throw error;
        failure = new Error(`webhook ${kind}: ${fetchFailure(error, timeoutMs)}`);
      }
      if (attempt >= options.attempts) {
        throw new Error(`${failure.message} (after ${attempt} attempts)`, { cause: failure });
      }
      const wait = Math.max(notBefore, backoff(attempt));
      if (Date.now() + wait >= deadline) {
        throw new Error(`${failure.message} (no time left for attempt ${attempt + 1})`, { cause: failure });
      }
      await sleep(wait);
    }
  };

  return {
    name: 'webhook',
    async write(batch) {
      const deadline = Date.now() + options.budgetMs;
      const work: Promise<void>[] = [];
      if (batch.events.length > 0) {
        work.push(deliver('events', await eventsBatchId(batch.events), ndjson(batch.events), deadline));
      }
      if (batch.failed.length > 0) {
        work.push(deliver('failed', await failedBatchId(batch.failed), ndjson(batch.failed), deadline));
      }
      await Promise.all(work);
      // The receiver does not say which events it already had: the collector's own count stands.
      return undefined;
    },
    async ready() {
      // Any answer short of a server error means the receiver is there to take writes.
      try {
        const res = await fetch(options.url, {
          method: 'HEAD',
          redirect: 'manual',
          signal: AbortSignal.timeout(options.attemptTimeoutMs),
        });
        await discard(res);
        return res.status < 500;
      } catch {
        return false;
      }
    },
    async close() {
      // fetch keeps no connection of ours open.
    },
  };
}
