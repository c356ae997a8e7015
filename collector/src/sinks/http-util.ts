// Helpers of the HTTP sinks (ClickHouse, webhook): fetch only, so they run on edge runtimes too.

const MAX_ERROR_TEXT = 300;

/** The first line of an error answer's body, cut short: it goes into logs, which hold no payloads. */
export async function answerText(res: Response): Promise<string> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The body broke off; the status says enough.
  }
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > MAX_ERROR_TEXT ? `${line.slice(0, MAX_ERROR_TEXT)}…` : line;
}

/** Reads and drops a body so that the connection can be reused. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // Nothing to keep.
  }
}

/** Why a fetch threw, in words fit for a log line: the timeout, or the network error's code. */
export function fetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer in ${timeoutMs} ms`;
    const cause: unknown = error.cause;
    if (typeof cause === 'object' && cause !== null) {
      const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
      const message = 'message' in cause && typeof cause.message === 'string' ? cause.message : undefined;
      if (code || message) return `${error.message} (${code ?? message})`;
    }
    return error.message;
  }
  return String(error);
}

/** A yes/no option of a sink URL (`1`/`0`, `true`/`false`), or the default. */
export function flagParam(params: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`sink URL option ${name}=${raw} must be 1 or 0`);
}

/** Refuses options a sink does not know, so that a typo is a startup error, not a silent default. */
export function checkParams(sink: string, params: URLSearchParams, known: readonly string[]): void {
  for (const name of params.keys()) {
    if (!known.includes(name)) {
      throw new Error(`${sink} sink: unknown URL option "${name}"; known options are ${known.join(', ')}`);
    }
  }
}
