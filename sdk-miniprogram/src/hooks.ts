/** Options objects passed to App(), Page() and Component(), as seen by the SDK. */
export type Options = Record<string, unknown> & { methods?: Record<string, unknown> };
/** A page (or app) instance: `this` inside its handlers. */
export type Instance = { route?: string; options?: Record<string, string> };
type Fn = (this: Instance, ...args: unknown[]) => unknown;

/** Runs `before` ahead of the handler `name`, creating the handler if the options lack it. */
export function before(o: Options, name: string, fn: Fn): void {
  const original = o[name] as Fn | undefined;
  o[name] = function (this: Instance, ...args: unknown[]) {
    try {
      fn.apply(this, args);
    } catch {
      // Tracking must never break the app's own handler.
    }
    return original?.apply(this, args);
  };
}

/** Replaces the handler `name` (only when the options define it) with `wrap(original)`. */
export function around(o: Options, name: string, wrap: (original: Fn) => Fn): void {
  const original = o[name];
  if (typeof original === 'function') o[name] = wrap(original as Fn);
}
