import { type Client, warn } from '@trail/sdk-core';
import { createWebClient, type WebConfig } from './web.ts';

type Call = [string, ...unknown[]];
type Trail = ((method: string, ...args: unknown[]) => unknown) & { q?: Call[] } & Partial<Client>;

const w = window as unknown as { trail?: Trail };
const script = document.currentScript as HTMLScriptElement | null;
const stub = w.trail;
let client: Client | undefined;
/** Calls made before `init`, each with how to settle the promise it returned. */
const early: [string, unknown[], (result: unknown) => void][] = [];

/**
 * Methods of the client, callable as `trail('track', …)` or `trail.track(…)`; never throws into the
 * page. Before `init`, calls wait (100 at most) and run once it has.
 */
const trail: Trail = (method, ...args) => {
  if (method === 'init') {
    try {
      client ??= createWebClient(args[0] as WebConfig);
    } catch (error) {
      warn(`${error}`);
    }
    if (client) for (const [m, a, settle] of early.splice(0)) settle(trail(m, ...a));
    return client;
  }
  if (!client)
    return new Promise((settle) => {
      if (early.push([method, args, settle]) > 100) {
        early.pop();
        warn('over 100 calls before init');
        settle(undefined);
      }
    });
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn === 'function') return fn.apply(client, args);
  warn(`trail.${String(method)} is not a method`);
};
// Every method reachable as a property too, without listing them: the list would cost bytes.
w.trail = new Proxy(trail, {
  // `then` stays undefined so that awaiting `trail` does not call it.
  get: (target, m) => (m !== 'then' ? (...a: unknown[]) => target(m as string, ...a) : undefined),
});

const d = script?.dataset;
if (d?.writeKey) {
  // data-* attributes are the config's keys in kebab case; numbers are read as numbers, "false" as
  // false, anything else ("true") as the truthy string it is.
  const config: Record<string, unknown> = { endpoint: new URL((script as HTMLScriptElement).src).origin };
  for (const [k, v = ''] of Object.entries(d)) {
    config[k] = k !== 'writeKey' && /^\d+$/.test(v) ? +v : v !== 'false' && v;
  }
  const auto = d.autocapture;
  if (auto && auto !== 'false')
    config.autocapture = {
      pageviews: /pageviews/.test(auto),
      clicks: /clicks/.test(auto),
      forms: /forms/.test(auto),
    };
  trail('init', config);
}
// Calls queued by the snippet before this script loaded, replayed in order once `init` has run.
const queued = stub?.q ?? [];
for (const call of [...queued.filter((c) => c[0] === 'init'), ...queued]) trail(...call);
