import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { applyEnv } from './env.ts';

describe('demo serving', () => {
  const demo = (env: Record<string, string>, base = {}) => parseConfig(applyEnv(base, env)).demo;

  it('is on without config, as for `npm start` from a fresh clone', () => {
    expect(demo({})).toBe(true);
  });
  it('is off with NODE_ENV=production or TRAIL_DEMO=0', () => {
    expect(demo({ NODE_ENV: 'production' })).toBe(false);
    expect(demo({ TRAIL_DEMO: '0' })).toBe(false);
    expect(demo({}, { demo: false })).toBe(false);
  });
  it('TRAIL_DEMO=1 turns it on even in production', () => {
    expect(demo({ NODE_ENV: 'production', TRAIL_DEMO: '1' })).toBe(true);
  });
});
