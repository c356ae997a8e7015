/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, if it is one and not empty. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const header = authorization?.trim() ?? '';
  // A prefix test and a slice: no pattern that could backtrack over a hostile header.
  return /^bearer\s/i.test(header) ? header.slice(7).trim() || undefined : undefined;
}
