/**
 * The fastest of `runs` timings of `work`, in ms: the one least disturbed by whatever else the
 * machine did. Tests compare such timings with each other, never with a fixed number.
 */
export async function fastest(work: () => unknown, runs = 5): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
