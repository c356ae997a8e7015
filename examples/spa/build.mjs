// Bundles the SPA with esbuild: src/main.ts (which imports @trail/sdk-web) → dist/app.js.
// `node examples/spa/build.mjs`; `npm start` runs it first. Needs the SDK built (`npm run build`).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds dist/app.js; resolves to its path. */
export async function buildSpa() {
  const outfile = join(here, 'dist/app.js');
  await build({
    entryPoints: [join(here, 'src/main.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildSpa();
