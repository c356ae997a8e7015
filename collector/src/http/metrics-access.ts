import { bearerToken, constantTimeEqual } from './admin-token.ts';
import { HttpError } from './errors.ts';

/**
 * Who may read /metrics: with `metrics.token`, whoever sends `Authorization: Bearer <token>` (what
 * Prometheus sends with `authorization: { credentials: … }`); without one, anyone only when the
 * collector listens on loopback alone (nobody else can connect), and nobody otherwise.
 * Throws 401 for a refused request.
 */
export function metricsAccess(
  token: string | undefined,
  loopbackOnly: boolean,
): (authorization: string | undefined) => void {
  const refuse = (message: string) =>
    new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
  if (token === undefined) {
    return () => {
      if (!loopbackOnly)
        throw refuse(
          '/metrics is closed: set metrics.token (TRAIL_METRICS_TOKEN) and send it as a Bearer token',
        );
    };
  }
  return (authorization) => {
    const given = bearerToken(authorization);
    if (!given || !constantTimeEqual(given, token))
      throw refuse('/metrics needs Authorization: Bearer <metrics.token>');
  };
}
