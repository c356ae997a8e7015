// `npm start`'s prestart: builds the browser SDK when its bundles are missing or older than their
// sources (the same check as the test setup), then the SPA example's bundle, both served by the demo.
import { buildSdkIfStale } from '../tests/support/build-sdk.ts';
// @ts-expect-error -- a plain ESM script without types
import { buildSpa } from '../examples/spa/build.mjs';

const error = await buildSdkIfStale();
if (error) {
  console.error(error);
  process.exit(1);
}
await (buildSpa as () => Promise<string>)();
