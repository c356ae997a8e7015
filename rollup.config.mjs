// SDK bundles: the browser script tag (IIFE, minified), the npm modules (ESM) with bundled types, and
// the mini-program package (CommonJS for WeChat's "build npm", minified).
import { readFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';
import { sizeReport } from './scripts/size-plugin.mjs';

const root = import.meta.dirname;
const web = (path) => `${root}/sdk-web/${path}`;
const mp = (path) => `${root}/sdk-miniprogram/${path}`;

/** gzip budgets, shared with tests/size.test.ts and the bench. */
const budgets = JSON.parse(readFileSync(`${root}/scripts/size-budgets.json`, 'utf8'));

/** Packages the npm build leaves to the app's bundler; @trail/sdk-core ships TypeScript, so it is bundled. */
const external = (id) => id === 'idb-keyval' || id.startsWith('idb-keyval/');

const resolve = () =>
  nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js', '.json'], exportConditions: ['browser'] });
const compile = (target = 'es2020') =>
  esbuild({ target, tsconfig: `${root}/tsconfig.json`, sourceMap: false });
const minify = () =>
  terser({
    ecma: 2020,
    // inline: 1 inlines only simple functions: smaller after gzip than the default (3) for this code.
    compress: { passes: 3, unsafe: true, unsafe_arrows: true, pure_getters: true, inline: 1 },
    mangle: { properties: { regex: /^_/ } },
    format: { comments: false },
  });

/** Turns the warnings that mean a broken bundle into errors. */
function onwarn(warning, warn) {
  const fatal = [
    'UNRESOLVED_IMPORT',
    'MISSING_GLOBAL_NAME',
    'MISSING_NAME_OPTION_FOR_IIFE_EXPORT',
    'MISSING_EXPORT',
  ];
  if (fatal.includes(warning.code)) throw new Error(warning.message);
  warn(warning);
}

export default [
  {
    input: web('src/tag.ts'),
    onwarn,
    plugins: [resolve(), compile()],
    output: {
      file: web('dist/trail.js'),
      format: 'iife',
      plugins: [minify(), sizeReport({ gzipLimit: budgets.tagGzip })],
    },
  },
  {
    input: web('src/index.ts'),
    onwarn,
    external,
    plugins: [resolve(), compile()],
    output: { file: web('dist/index.js'), format: 'es' },
  },
  {
    input: web('src/index.ts'),
    onwarn,
    external,
    plugins: [dts({ tsconfig: `${root}/tsconfig.json`, respectExternal: true })],
    output: { file: web('dist/index.d.ts'), format: 'es' },
  },
  {
    input: mp('src/index.ts'),
    onwarn,
    plugins: [resolve(), compile('es2020')],
    output: {
      file: mp('miniprogram_dist/index.js'),
      format: 'cjs',
      exports: 'named',
      plugins: [minify(), sizeReport({ gzipLimit: budgets.miniprogramGzip })],
    },
  },
  {
    input: mp('src/index.ts'),
    onwarn,
    plugins: [resolve(), compile('es2017')],
    output: { file: mp('dist/index.mjs'), format: 'es' },
  },
  {
    input: mp('src/index.ts'),
    onwarn,
    plugins: [dts({ tsconfig: `${root}/tsconfig.json`, respectExternal: true })],
    output: { file: mp('dist/index.d.ts'), format: 'es' },
  },
];
