import { readFileSync } from 'node:fs';

/** One element of a WXML template that reacts to a tap (`bindtap`/`catchtap`) or shares (`open-type="share"`). */
export interface WxmlElement {
  tag: string;
  /** Raw attribute values as written, mustache expressions included. */
  attrs: Record<string, string>;
  id?: string;
  /** Name of the page method `bindtap`/`catchtap` calls. */
  handler?: string;
}

const TAG = /<([a-zA-Z][\w-]*)((?:\s+[\w:.-]+(?:\s*=\s*"[^"]*")?)*)\s*\/?>/g;
const ATTR = /([\w:.-]+)(?:\s*=\s*"([^"]*)")?/g;

/**
 * The interactive elements of a WXML file: every element with `bindtap`/`catchtap` (or
 * `bind:tap`/`catch:tap`), `data-track`, or `open-type`. A deliberately small reader: enough to let a
 * test tap what the template really declares instead of restating its attributes.
 */
export function readWxml(file: string): WxmlElement[] {
  const source = readFileSync(file, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  const out: WxmlElement[] = [];
  for (const [, tag = '', rawAttrs = ''] of source.matchAll(TAG)) {
    const attrs: Record<string, string> = {};
    for (const [, name = '', value = ''] of rawAttrs.matchAll(ATTR)) attrs[name] = value;
    const handler = attrs.bindtap ?? attrs.catchtap ?? attrs['bind:tap'] ?? attrs['catch:tap'];
    if (!handler && !('data-track' in attrs) && !('open-type' in attrs)) continue;
    out.push({ tag, attrs, id: attrs.id, handler });
  }
  return out;
}

/**
 * The `dataset` WeChat builds from an element's `data-*` attributes: `data-track-product-id` becomes
 * `trackProductId` (a hyphen upper-cases the next letter, other capitals are lower-cased). A value
 * that is exactly one `{{expression}}` keeps its type; mustaches inside text are stringified.
 */
export function datasetOf(
  attrs: Record<string, string>,
  scope: Record<string, unknown> = {},
): Record<string, unknown> {
  const dataset: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(attrs)) {
    if (!name.startsWith('data-')) continue;
    dataset[datasetKey(name.slice(5))] = evaluate(raw, scope);
  }
  return dataset;
}

/** `track-product-id` → `trackProductId`, `elementType` → `elementtype`, as WeChat does. */
export function datasetKey(name: string): string {
  return name.toLowerCase().replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Fills `{{path}}` mustaches from `scope` (dotted paths and `[index]` only, as the demo needs). */
export function evaluate(raw: string, scope: Record<string, unknown>): unknown {
  const whole = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(raw);
  if (whole) return lookup(scope, whole[1] ?? '');
  return raw.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => String(lookup(scope, expr) ?? ''));
}

function lookup(scope: Record<string, unknown>, expr: string): unknown {
  const literal = /^'([^']*)'$|^"([^"]*)"$/.exec(expr);
  if (literal) return literal[1] ?? literal[2];
  if (/^-?\d+(\.\d+)?$/.test(expr)) return Number(expr);
  if (expr === 'true' || expr === 'false') return expr === 'true';
  let value: unknown = scope;
  for (const part of expr.replace(/\[(\w+)\]/g, '.$1').split('.')) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
