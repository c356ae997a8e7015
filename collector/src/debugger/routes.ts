import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { bearerToken, constantTimeEqual } from '../http/admin-token.ts';
import type { EventBus, IngestOutcome } from './bus.ts';
import type { InsightsReader } from './insights.ts';
import { DEBUGGER_PAGE } from './page.ts';

/** What the debugger needs: its admin token, the outcome bus and, with SQLite, the insights. */
export interface DebuggerDeps {
  token: string;
  bus: EventBus;
  /** Absent when the primary sink is not the embedded SQLite store. */
  insights?: InsightsReader;
  /** Milliseconds between SSE heartbeat comments. */
  heartbeatMs?: number;
}

const COOKIE = 'trail_debugger';

/** The token a request presents: Bearer header, `?token=`, or the cookie set by the page. */
function presented(c: Context): { token?: string; fromQuery: boolean } {
  const bearer = bearerToken(c.req.header('authorization'));
  if (bearer) return { token: bearer, fromQuery: false };
  const query = c.req.query('token');
  if (query) return { token: query, fromQuery: true };
  return { token: getCookie(c, COOKIE), fromQuery: false };
}

/** Filters of the stream, from its query string. */
interface StreamFilter {
  source?: string;
  type?: string;
  event?: string;
  user?: string;
}

function matches(o: IngestOutcome, f: StreamFilter): boolean {
  if (f.source && o.source !== f.source) return false;
  if (f.type && o.type !== f.type) return false;
  if (f.event && !(o.event ?? '').toLowerCase().includes(f.event.toLowerCase())) return false;
  if (f.user && o.userId !== f.user && o.anonymousId !== f.user) return false;
  return true;
}

/** The JSON one SSE `outcome` message carries. */
function wire(o: IngestOutcome): string {
  return JSON.stringify({ ...o, flagged: o.kind === 'rejected' || o.kind === 'consent' });
}

const hoursParam = (value: string | undefined, fallback: number, max: number) => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
};

/** The /debugger routes, to mount under `/debugger`; every one requires the admin token. */
export function debuggerRoutes(deps: DebuggerDeps): Hono {
  const { token, bus, insights } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const app = new Hono();

  app.use('*', async (c, next) => {
    const { token: given, fromQuery } = presented(c);
    if (!given || !constantTimeEqual(given, token)) {
      return c.json(
        { success: false, error: 'unauthorized', message: 'the debugger needs its admin token' },
        401,
        { 'WWW-Authenticate': 'Bearer realm="trail debugger"' },
      );
    }
    if (fromQuery) {
      setCookie(c, COOKIE, given, { httpOnly: true, sameSite: 'Strict', path: '/debugger' });
    }
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
  });

  app.get('/', (c) =>
    c.html(DEBUGGER_PAGE, 200, {
      'Content-Security-Policy':
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
      'X-Frame-Options': 'DENY',
    }),
  );

  app.get('/stream', (c) => {
    const filter: StreamFilter = {
      source: c.req.query('source') || undefined,
      type: c.req.query('type') || undefined,
      event: c.req.query('event') || undefined,
      user: c.req.query('user') || undefined,
    };
    return streamSSE(c, async (stream) => {
      const subscription = bus.subscribe();
      stream.onAbort(() => subscription.close());
      await stream.write(': connected\n\n');
      while (!stream.aborted && !stream.closed && !subscription.isClosed) {
        const { outcomes, dropped } = await subscription.pull(heartbeatMs);
        if (stream.aborted || stream.closed) break;
        if (dropped > 0) await stream.writeSSE({ event: 'dropped', data: JSON.stringify({ dropped }) });
        const shown = outcomes.filter((o) => matches(o, filter));
        for (const o of shown) await stream.writeSSE({ event: 'outcome', data: wire(o) });
        if (outcomes.length === 0 && dropped === 0) await stream.write(': heartbeat\n\n');
      }
      subscription.close();
    });
  });

  app.get('/api/insights', (c) => {
    if (!insights) {
      return c.json(
        {
          success: false,
          error: 'not_implemented',
          message: 'insights need the embedded SQLite store as the first sink (sqlite:…) on Node',
        },
        501,
      );
    }
    const hours = hoursParam(c.req.query('hours'), 24, 24 * 90);
    const abandonHours = hoursParam(c.req.query('abandonHours'), 1, 24 * 30);
    return c.json(insights.compute({ hours, abandonHours }));
  });

  return app;
}
