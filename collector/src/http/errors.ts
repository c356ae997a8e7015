import type { ErrorResponse } from '@trail/sdk-core/protocol';

/** A request the collector refuses as a whole, with the status and reason the client sees. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 408 | 413 | 415 | 429 | 503,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON body sent with this error. */
  body(): ErrorResponse {
    return { success: false, error: this.code, message: this.message };
  }
}
