// Flat config for ESLint 9 + typescript-eslint 8. Non type-checked rules only: `npm test`
// already runs `tsc`, and type-aware linting would roughly double the lint time on 2 cores.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// `_`-prefixed names mark a deliberately unused binding (an Express error handler's `_next`,
// a destructured field dropped on purpose).
const unusedVars = [
  'error',
  {
    args: 'after-used',
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
    ignoreRestSiblings: true,
  },
];

export default defineConfig(
  globalIgnores([
    '**/dist/**',
    '**/node_modules/**',
    'data/**',
    '**/migrations/**',
    '**/coverage/**',
    '**/.turbo/**',
  ]),

  {
    name: 'shuiyun/javascript',
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      'no-unused-vars': unusedVars,
    },
  },

  {
    name: 'shuiyun/typescript',
    files: ['**/*.{ts,tsx,mts,cts}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },

  {
    // Tests may reach into untyped shapes (raw driver rows, deliberately malformed payloads).
    name: 'shuiyun/tests',
    files: ['**/*.test.{ts,tsx,mts,cts}', '**/src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
