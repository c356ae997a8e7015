// Browser SDK bundles: the script tag (IIFE, minified), the npm module (ESM) and its bundled types.
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';
import { sizeReport } from './scripts/size-plugin.mjs';

const root = import.meta.dirname;
const web = (path) => `${root}/sdk-web/${path}`;

/** gzip budget of the script tag, also asserted by tests/web/size.test.ts. */
export const TAG_GZIP_BUDGET = 5120;

/** Packages the npm build leaves to the app's bundler; @trail/sdk-core ships TypeScript, so it is bundled. */
const external = (id) => id === 'idb-keyval' || id.startsWith('idb-keyval/');

const resolve = () =>
  nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js', '.json'], exportConditions: ['browser'] });
const compile = () => esbuild({ target: 'es2020', tsconfig: `${root}/tsconfig.json`, sourceMap: false });

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
      plugins: [
        terser({
          ecma: 2020,
          compress: { passes: 3, unsafe: true, unsafe_arrows: true, pure_getters: true },
          mangle: { properties: { regex: /^_/ } },
          format: { comments: false },
        }),
        sizeReport({ gzipLimit: TAG_GZIP_BUDGET }),
      ],
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
];
