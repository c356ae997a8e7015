/** A random RFC 4122 version 4 id; crypto where the platform has it (mini-programs may not). */
export function uuid(): string {
  // A free name, looked up with typeof: Alipay forbids `globalThis` in mini-program code.
  const c = typeof crypto == 'undefined' ? undefined : crypto;
  const r = new Uint8Array(32);
  if (c?.getRandomValues) c.getRandomValues(r);
  else r.forEach((_, i) => (r[i] = Math.random() * 256));
  let i = 0;
  // The template's 4 is the version; `y` takes the variant bits 10xx.
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (ch) => {
    const n = (r[i++] as number) & 15;
    return (ch === 'x' ? n : (n & 3) | 8).toString(16);
  });
}
