import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Cross-process tests start collectors and browsers; a slow CI machine needs the headroom.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds the browser SDK bundles once (skipped while they are newer than their sources).
    globalSetup: ['tests/support/build-sdk.ts'],
  },
});
