import type { EventContext, TrailEvent } from '@trail/sdk-core/protocol';
import type { StoredEvent } from '../sinks/sink.ts';
import { correctSkew, type TimeWindow } from './clock.ts';
import { parseUserAgent } from './user-agent.ts';

/** What the collector knows about the request an event came in. */
export interface RequestFacts {
  source: string;
  receivedAt: number;
  /** The batch's `sentAt`, used when an event has none of its own. */
  sentAt?: string;
  /** User-Agent header, used when the event carries none. */
  userAgent?: string;
  /** Client IP, already anonymized when configured. */
  ip?: string;
  /** Where event times may lie around `receivedAt`; times outside become `receivedAt`. */
  window: TimeWindow;
}

/**
 * Adds server time, skew-corrected time, the parsed user agent and the IP. Fields the client
 * sent win over what the server derives, except time and IP, which the server owns.
 */
export function enrich(event: TrailEvent, facts: RequestFacts): StoredEvent {
  const context: EventContext = { ...event.context };
  const ua = typeof context.userAgent === 'string' ? context.userAgent : facts.userAgent;
  if (ua) {
    context.userAgent = ua;
    const parsed = parseUserAgent(ua);
    for (const key of ['browser', 'os', 'device'] as const) {
      if (parsed[key] && context[key] === undefined) context[key] = parsed[key];
    }
  }
  if (facts.ip) context.ip = facts.ip;
  else delete context.ip;
  const time = correctSkew(facts.receivedAt, facts.window, event.timestamp, event.sentAt ?? facts.sentAt);
  return {
    ...event,
    ...time,
    messageId: event.messageId || crypto.randomUUID(),
    context,
    receivedAt: new Date(facts.receivedAt).toISOString(),
    source: facts.source,
  };
}
