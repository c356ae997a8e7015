import type { Properties } from './client.ts';
import type { Identity } from './identity.ts';
import type { EventType, JsonObject, TrailEvent } from './protocol.ts';

/** Options of one call, as in Segment's analytics.js. */
export interface Options {
  /** Merged into the event's context, over what the SDK puts there. */
  context?: Properties;
  /** When it happened (a Date, an ISO 8601 string or epoch milliseconds), if not now. */
  timestamp?: Date | string | number;
  /** This event's anonymousId instead of the visitor's. */
  anonymousId?: string;
  /** Sent as the event's `integrations`, as given. */
  integrations?: Properties;
  /** The user's traits, sent as `context.traits`. */
  traits?: Properties;
}

/** Called with the event once the collector acknowledged it or `timeout` passed; with nothing when it was dropped. */
export type Callback = (event?: TrailEvent) => void;

/** A call read: its event's fields, options, callback, and what to keep once its event is accepted. */
type Call = [Properties, (Options | null)?, Callback?, ((e: TrailEvent) => void)?];

const isStr = (x: unknown): x is string => typeof x == 'string';
/** A plain object: how Segment tells properties and options from other arguments. */
export const isObj = (x: unknown): x is Properties => ({}).toString.call(x) == '[object Object]';
/** The first string, else the first number as text: Segment's user and group id. */
const idOf = (a: unknown[]) => a.find(isStr) ?? a.find(Number.isSafeInteger)?.toString();
const callback = (a: unknown[]) => a.find((x) => typeof x == 'function') as Callback | undefined;

/**
 * analytics.js's rule for what follows the names: the objects in order are the properties (or
 * traits), then the options, a null holding the first place once there is a name or id; the first
 * function is the callback.
 */
const call = (a: unknown[], named: unknown, fields: (o: Properties) => Properties, keep?: Call[3]): Call => {
  const [o, options] = a.filter((x) => isObj(x) || (x === null && named != null)) as (Properties | null)[];
  return [fields(o ?? {}), options, callback(a), keep];
};

/** page and screen: one string is the name, two are category and name. */
const page = (a: unknown[]) => {
  const [name, category] = a.filter(isStr).slice(0, 2).reverse();
  return call(a, name, (properties) => ({ category, name, properties }));
};

/** Reads each method's arguments as analytics.js does, into its event's fields. */
export const readers = (id: Identity): Record<EventType, (a: unknown[]) => Call> => ({
  track: ([event, ...a]) => call(a, 1, (properties) => ({ event, properties })),
  page,
  screen: page,
  identify(a) {
    // A null id is no id, as in analytics.js; a traits-only call is the current user's.
    if (a[0] === null) a = a.slice(1);
    const userId = idOf(a) ?? id._v.u;
    return call(
      a,
      userId,
      (traits) => ({ userId, traits: id._traits(userId, traits) }),
      (e) => id._set(e.userId, (e as { traits: JsonObject }).traits),
    );
  },
  group(a) {
    const groupId = idOf(a);
    return call(a, groupId, (traits) => ({ groupId, traits }));
  },
  alias(a) {
    const [userId, previousId = id._v.u ?? id._v.a] = a
      .map((x) => (typeof x == 'number' ? `${x}` : x))
      .filter(isStr);
    // The options are its first object.
    return [
      { userId, previousId },
      a.find(isObj),
      callback(a),
      (e) => id._set(e.userId, id._traits(e.userId)),
    ];
  },
});
