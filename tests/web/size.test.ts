import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';

const TAG = join(resolve(import.meta.dirname, '../..'), 'sdk-web/dist/trail.js');
/** The script tag's budget, the same as the build's size plugin enforces. */
const GZIP_BUDGET = 5120;

describe('script tag bundle', () => {
  // Built by the global setup (tests/support/build-sdk.ts); a failed build leaves its output here.
  const read = () => {
    if (!existsSync(TAG)) throw new Error(inject('sdkBuildError') ?? `${TAG} was not built`);
    return readFileSync(TAG);
  };

  it(`is at most ${GZIP_BUDGET} bytes gzipped (level 9)`, () => {
    const gzip = gzipSync(read(), { level: 9 }).byteLength;
    expect(gzip).toBeLessThanOrEqual(GZIP_BUDGET);
  });

  it('is a self-contained, minified IIFE', () => {
    const code = read().toString('utf8');
    expect(code).toMatch(/^!?\(?function\s*\(|^\(\(\)\s*=>/);
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
    expect(code).not.toContain('idb-keyval');
    // Minified: a handful of very long lines, not source formatting.
    expect(code.split('\n').length).toBeLessThan(10);
  });
});
