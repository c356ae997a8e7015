import { UAParser } from 'ua-parser-js';
import { BoundedMap } from '../util/bounded-map.ts';

/** Browser, OS and device read from a user agent string. */
export interface ParsedUserAgent {
  browser?: { name?: string; version?: string };
  os?: { name?: string; version?: string };
  device?: { type?: string; vendor?: string; model?: string };
}

const prune = <T extends Record<string, string | undefined>>(o: T): T | undefined =>
  Object.values(o).some(Boolean) ? o : undefined;

const cache = new BoundedMap<string, ParsedUserAgent>(1000);

/** Parses a user agent; results are cached because one client sends the same string all day. */
export function parseUserAgent(ua: string): ParsedUserAgent {
  const hit = cache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua).getResult();
  const parsed: ParsedUserAgent = {
    browser: prune({ name: r.browser.name, version: r.browser.version }),
    os: prune({ name: r.os.name, version: r.os.version }),
    device: prune({ type: r.device.type, vendor: r.device.vendor, model: r.device.model }),
  };
  cache.set(ua, parsed);
  return parsed;
}
