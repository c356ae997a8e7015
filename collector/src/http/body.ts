import { HttpError } from './errors.ts';

const tooLarge = (limit: number, what: string) =>
  new HttpError(413, 'payload_too_large', `${what} exceeds the limit of ${limit} bytes`);

/**
 * Reads a stream into one buffer, failing as soon as it passes `limit` bytes or, with a `stop`
 * signal, once that signal aborts (with the error to throw as its reason: a deadline, or the read
 * slot taken for another request).
 */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  what: string,
  stop?: AbortSignal,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let onAbort: (() => void) | undefined;
  const stopped =
    stop &&
    new Promise<never>((_, fail) => {
      onAbort = () => fail(stop.reason);
      if (stop.aborted) onAbort();
      else stop.addEventListener('abort', onAbort, { once: true });
    });
  try {
    for (;;) {
      const { done, value } = await (stopped ? Promise.race([reader.read(), stopped]) : reader.read());
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit, what);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    if (onAbort) stop?.removeEventListener('abort', onAbort);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A request body: the bytes as sent (what a signature covers) and the JSON they hold. */
export interface JsonBody {
  sent: Uint8Array;
  json: unknown;
}

/**
 * Reads a request body as JSON: plain or gzip, JSON or text/plain (sendBeacon). Both the body as
 * sent and the body once decompressed are capped at `limit`, so a gzip bomb stops early; the
 * reading stops with the reason of `stop` once it aborts (see read-slots.ts).
 */
export async function readJsonBody(request: Request, limit: number, stop: AbortSignal): Promise<JsonBody> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw tooLarge(limit, 'request body');
  if (!request.body) throw new HttpError(400, 'invalid_body', 'request body is empty');
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate') {
    throw new HttpError(
      415,
      'unsupported_encoding',
      `Content-Encoding ${encoding} is not supported; use gzip`,
    );
  }
  const sent = await readCapped(request.body, limit, 'request body', stop);
  let bytes = sent;
  if (encoding !== 'identity') {
    const inflated = new Blob([sent as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream(encoding));
    try {
      bytes = await readCapped(inflated, limit, 'decompressed body');
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, 'invalid_body', `body is not valid ${encoding}`);
    }
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body is not valid UTF-8');
  }
  if (text.trim() === '') throw new HttpError(400, 'invalid_body', 'request body is empty');
  try {
    return { sent, json: JSON.parse(text) };
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `body is not JSON: ${(error as Error).message}`);
  }
}
