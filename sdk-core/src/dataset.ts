/**
 * Event properties from an element's dataset: `data-track-plan="pro"` (dataset `trackPlan`) gives
 * `plan: "pro"`. Shared by web clicks and mini-program taps.
 */
export function datasetProps(dataset: Record<string, unknown>): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dataset)) {
    if (/^track[^]/.test(k)) props[k.charAt(5).toLowerCase() + k.slice(6)] = v;
  }
  return props;
}
