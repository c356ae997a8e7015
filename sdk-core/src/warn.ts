const said = new Set<string>();

/** Tells the developer about a mistake in the console: once per kind, or every time with `debug`. */
export function warn(why: string, debug?: unknown): void {
  if (debug || !said.has(why)) console.warn('[trail] ' + why);
  said.add(why);
}
