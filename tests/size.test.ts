import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import budgets from '../scripts/size-budgets.json';

const ROOT = resolve(import.meta.dirname, '..');

/** Every shipped bundle with its gzip budget, the same the build's size plugin enforces. */
const BUNDLES = [
  { name: 'browser script tag', file: 'sdk-web/dist/trail.js', budget: budgets.tagGzip },
  {
    name: 'WeChat mini-program package',
    file: 'sdk-miniprogram/miniprogram_dist/index.js',
    budget: budgets.miniprogramGzip,
  },
];

describe.each(BUNDLES)('$name bundle', ({ file, budget }) => {
  // Built by the global setup (tests/support/build-sdk.ts); a failed build leaves its output here.
  const read = () => {
    const path = join(ROOT, file);
    if (!existsSync(path)) throw new Error(inject('sdkBuildError') ?? `${path} was not built`);
    return readFileSync(path);
  };

  it(`is at most ${budget} bytes gzipped (level 9)`, () => {
    expect(gzipSync(read(), { level: 9 }).byteLength).toBeLessThanOrEqual(budget);
  });

  it('is self-contained and minified', () => {
    const code = read().toString('utf8');
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/require\(/);
    expect(code).not.toContain('idb-keyval');
    // Minified: a handful of very long lines, not source formatting.
    expect(code.split('\n').length).toBeLessThan(10);
  });
});

describe('browser script tag', () => {
  it('is an IIFE', () => {
    expect(readFileSync(join(ROOT, BUNDLES[0]?.file ?? '')).toString('utf8')).toMatch(
      /^!?\(?function\s*\(|^\(\(\)\s*=>/,
    );
  });
});

describe('mini-program package', () => {
  it('is CommonJS exporting init, as WeChat build npm expects', () => {
    const code = readFileSync(join(ROOT, BUNDLES[1]?.file ?? '')).toString('utf8');
    expect(code).toMatch(/exports\.init\s*=/);
  });
});
