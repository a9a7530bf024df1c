import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// Workspace packages export `"shuiyun-source": "./src/index.ts"` ahead of `types`/`default`, so
// with this condition a test imports `@shuiyun/*` straight from source: no build before `vitest`.
// Vitest runs Node tests in Vite's `ssr` environment, which (Vite 6+) reads `ssr.resolve.conditions`
// and does not fall back to `resolve.conditions`; Vitest also forwards the ssr list to the worker
// processes as `--conditions`. Vitest's own plugin appends Vite's default server conditions
// (`node`, `development|production`) to both lists, so only our extra condition is named here.
const sourceConditions = ['shuiyun-source'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['**/src/**/*.test.ts'],
    // bench/ holds benchmarks (`npm run bench`), never tests; dist/ holds compiled copies.
    exclude: [...configDefaults.exclude, '**/dist/**', 'bench/**', 'data/**'],
    globalSetup: [fileURLToPath(new URL('./vitest.global-setup.ts', import.meta.url))],
    // Tests use real PostgreSQL, PGlite, chDB and brokers: generous limits, and process isolation
    // because native/WASM engines do not share a thread well.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    // The machines have 2 cores; more workers only add contention with PostgreSQL itself.
    maxWorkers: 2,
  },
});
