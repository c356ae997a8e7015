import { toHex } from '../sinks/batch-id.ts';
import { HttpError } from './errors.ts';

/**
 * One signing scheme both ways, for signed sources sending to the collector and for the webhook
 * sink sending from it: `X-Trail-Timestamp: <unix seconds>` and
 * `X-Trail-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<METHOD>.<path>." + the body as sent>`.
 * Method and path are signed so that a body signed for one endpoint is refused at another.
 */
export const TIMESTAMP_HEADER = 'X-Trail-Timestamp';
export const SIGNATURE_HEADER = 'X-Trail-Signature';

/** How far a signature's timestamp may be from the collector's clock before it counts as a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** What a signature covers besides its timestamp. */
export interface SignedRequest {
  /** Upper case, e.g. `POST`. */
  method: string;
  /** The URL path the request is sent to, without the query, e.g. `/v1/batch`. */
  path: string;
  /** The body exactly as sent: compressed when it is sent compressed. */
  body: Uint8Array | string;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

const keyFor = (secret: string): Promise<CryptoKey> => {
  let key = keys.get(secret);
  if (!key) {
    const usages: KeyUsage[] = ['sign', 'verify'];
    key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      usages,
    );
    keys.set(secret, key);
  }
  return key;
};

const signedBytes = (timestamp: string, request: SignedRequest): Uint8Array<ArrayBuffer> => {
  const prefix = encoder.encode(`${timestamp}.${request.method.toUpperCase()}.${request.path}.`);
  const bytes = typeof request.body === 'string' ? encoder.encode(request.body) : request.body;
  const data = new Uint8Array(prefix.length + bytes.length);
  data.set(prefix);
  data.set(bytes, prefix.length);
  return data;
};

/** The two headers that sign a request with a secret. */
export async function signatureHeaders(
  secret: string,
  request: SignedRequest,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now / 1000));
  const mac = await crypto.subtle.sign('HMAC', await keyFor(secret), signedBytes(timestamp, request));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${toHex(mac)}` };
}

/** A signature that passed: its MAC (lower-case hex) and until when its timestamp is accepted. */
export interface VerifiedSignature {
  mac: string;
  expiresAt: number;
}

/**
 * Refuses with 401 unless the headers sign exactly this request with `secret`, within the
 * tolerance. Replays within the tolerance pass here: the caller remembers accepted signatures.
 */
export async function verifySignature(
  headers: Headers,
  secret: string,
  request: SignedRequest,
  now: number,
): Promise<VerifiedSignature> {
  const refuse = (why: string) => new HttpError(401, 'invalid_signature', why);
  const timestamp = headers.get(TIMESTAMP_HEADER) ?? '';
  const signature = headers.get(SIGNATURE_HEADER);
  if (!signature) throw refuse(`this source is signed: send ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}`);
  const mac = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim())?.[1]?.toLowerCase();
  if (!mac) throw refuse(`${SIGNATURE_HEADER} must be sha256=<hex HMAC-SHA256>`);
  if (!/^\d{1,12}$/.test(timestamp))
    throw refuse(`${TIMESTAMP_HEADER} must be the signing time in unix seconds`);
  if (Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) {
    throw refuse(
      `${TIMESTAMP_HEADER} is more than ${SIGNATURE_TOLERANCE_SECONDS} s from the collector's clock`,
    );
  }
  const bytes = new Uint8Array(mac.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
  // subtle.verify compares in constant time, so a refusal tells nothing about the right MAC.
  if (!(await crypto.subtle.verify('HMAC', await keyFor(secret), bytes, signedBytes(timestamp, request)))) {
    throw refuse('signature does not match the method, path and body');
  }
  return { mac, expiresAt: (Number(timestamp) + SIGNATURE_TOLERANCE_SECONDS) * 1000 };
}
