import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/miniprogram_dist/**',
      'bench/results/**',
      'data/**',
      'test-results/**',
      '**/.wrangler/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Mini-program code (the demo app, test fixtures) is CommonJS run by the WeChat/Alipay client.
    files: ['examples/miniprogram/**/*.js', 'tests/miniprogram/fixtures/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: Object.fromEntries(
        ['wx', 'my', 'tt', 'swan', 'qq', 'App', 'Page', 'Component', 'Behavior', 'getApp', 'getCurrentPages']
          .concat(['require', 'module', 'exports', 'console', 'setTimeout', 'clearTimeout', 'Promise'])
          .map((name) => [name, name === 'module' || name === 'exports' ? 'writable' : 'readonly']),
      ),
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['tests/**', '**/*.test.ts', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
