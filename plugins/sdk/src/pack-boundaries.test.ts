import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackBoundaries, formatViolations } from './testing/pack-boundaries.js';

const domainPacks = fileURLToPath(new URL('../../../domain-packs/', import.meta.url));

describe('packs import the SDK only', () => {
  it('holds for every pack in domain-packs/', () => {
    expect(existsSync(path.join(domainPacks, 'README.md'))).toBe(true);
    const violations = checkPackBoundaries(domainPacks);
    expect(violations, `packs import @shuiyun/sdk only:\n${formatViolations(violations)}`).toEqual([]);
  });
});

describe('the pack boundary checker', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'shuiyun-pack-boundaries-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Writes `files` (path → text) under `<root>/<name>/domain-packs/`; answers that domain-packs folder. */
  function packsFolder(name: string, files: Record<string, string>): string {
    const folder = path.join(root, name, 'domain-packs');
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      writeFileSync(path.join(folder, file), text);
    }
    return folder;
  }

  const packageJson = (name: string, dependencies: Record<string, string> = { '@shuiyun/sdk': '0.1.0' }, more: Record<string, unknown> = {}) =>
    `${JSON.stringify({ name, version: '0.1.0', private: true, type: 'module', dependencies, ...more }, null, 2)}\n`;

  it('reports exactly the imports past the SDK, by file and line', () => {
    const folder = packsFolder('bad', {
      'fake-pack/package.json': packageJson('@shuiyun/fake-pack'),
      'fake-pack/index.ts': [
        "import { definePack } from '@shuiyun/sdk';",
        "import { createApp } from '../../runtime/server/src/app.js';",
        "import type { Runtime } from '@shuiyun/runtime';",
        '',
        "import { db } from '@shuiyun/db';",
        'export default definePack({ id: "fake-pack", version: "0.1.0", platform: "^0.1.0", name: { "zh-CN": "假", en: "Fake" } });',
        'export type T = [typeof createApp, Runtime, typeof db];',
      ].join('\n'),
    });
    const violations = checkPackBoundaries(folder);
    expect(violations.map(({ file, line, specifier }) => ({ file, line, specifier }))).toEqual([
      { file: 'domain-packs/fake-pack/index.ts', line: 2, specifier: '../../runtime/server/src/app.js' },
      { file: 'domain-packs/fake-pack/index.ts', line: 3, specifier: '@shuiyun/runtime' },
      { file: 'domain-packs/fake-pack/index.ts', line: 5, specifier: '@shuiyun/db' },
    ]);
    expect(violations[0]!.reason).toContain('into runtime/');
    expect(formatViolations(violations).split('\n')).toEqual([
      'domain-packs/fake-pack/index.ts:2  ../../runtime/server/src/app.js — escapes the pack into runtime/: packs import @shuiyun/sdk only',
      'domain-packs/fake-pack/index.ts:3  @shuiyun/runtime — imports @shuiyun/runtime: packs import @shuiyun/sdk only',
      'domain-packs/fake-pack/index.ts:5  @shuiyun/db — imports @shuiyun/db: packs import @shuiyun/sdk only',
    ]);
  });

  it('reports nothing for a pack that imports the SDK, its own files and other libraries', () => {
    const folder = packsFolder('clean', {
      'metering/package.json': packageJson('@shuiyun/metering', { '@shuiyun/sdk': '0.1.0', zod: '^4' }),
      'metering/src/index.ts': [
        "import { definePack, defineWorker } from '@shuiyun/sdk';",
        "import { z } from 'zod';",
        "import { entities } from './entities/index.js';",
        "export { entities } from './entities/index.js';",
        '// not an import: import { db } from "@shuiyun/db"; require("../../../runtime/server/src/app.js")',
        "const note = \"import x from '@shuiyun/runtime'\";",
        'export const pack = definePack({ id: "metering", version: "0.1.0", platform: "^0.1.0", name: { "zh-CN": "集抄", en: "Metering" }, entities });',
        'export const worker = defineWorker({ type: "metering.x", input: z.object({}), output: z.object({}), handler: async () => ({}) });',
        'export const lazy = () => import("./entities/index.js");',
        'export { note };',
      ].join('\n'),
      'metering/src/entities/index.ts': "import type { PackEntity } from '@shuiyun/sdk';\nexport const entities: PackEntity[] = [];\n",
      'metering/src/pack.test.ts': "import { definePack } from '@shuiyun/sdk';\nimport { fakeRuntime } from '@shuiyun/sdk/testing';\nimport { pack } from '@shuiyun/metering';\nexport { definePack, fakeRuntime, pack };\n",
      // dependencies and build output are not the pack's source
      'metering/node_modules/@shuiyun/db/index.js': "export * from '@shuiyun/runtime';\n",
      'metering/dist/index.js': "import '../../../runtime/server/dist/app.js';\n",
      'metering/README.md': "import { db } from '@shuiyun/db';\n",
    });
    expect(checkPackBoundaries(folder)).toEqual([]);
  });

  it('sees re-exports, dynamic imports, require() and import types, in every kind of source file', () => {
    const folder = packsFolder('forms', {
      'billing/package.json': packageJson('@shuiyun/billing'),
      'billing/src/a.ts': "export { tenants } from '@shuiyun/db';\nexport * from '@shuiyun/workflow';\n",
      'billing/src/b.mjs': "const server = await import('@shuiyun/server');\nexport default server;\n",
      'billing/src/c.js': "const { app } = require('../../../runtime/server/src/app.js');\nmodule.exports = app;\n",
      'billing/src/d.tsx': "export const load = () => import(`@shuiyun/web-kit`);\nexport type Db = typeof import('@shuiyun/db');\n",
      'billing/src/e.ts': "import pg = require('@shuiyun/db/client');\nexport { pg };\n",
      'billing/src/f.ts': "import '@shuiyun/sdk/testing';\nimport '@shuiyun/sdk/src/pack.js';\n",
      'billing/src/g.ts': "import '../../metering/src/index.js';\nimport 'shuiyun/runtime/server';\nimport '/work/main/runtime/db/src/index.ts';\n",
    });
    expect(checkPackBoundaries(folder).map((v) => `${v.file}:${v.line} ${v.specifier}`)).toEqual([
      'domain-packs/billing/src/a.ts:1 @shuiyun/db',
      'domain-packs/billing/src/a.ts:2 @shuiyun/workflow',
      'domain-packs/billing/src/b.mjs:1 @shuiyun/server',
      'domain-packs/billing/src/c.js:1 ../../../runtime/server/src/app.js',
      'domain-packs/billing/src/d.tsx:1 @shuiyun/web-kit',
      'domain-packs/billing/src/d.tsx:2 @shuiyun/db',
      'domain-packs/billing/src/e.ts:1 @shuiyun/db/client',
      'domain-packs/billing/src/f.ts:1 @shuiyun/sdk/testing',
      'domain-packs/billing/src/f.ts:2 @shuiyun/sdk/src/pack.js',
      'domain-packs/billing/src/g.ts:1 ../../metering/src/index.js',
      'domain-packs/billing/src/g.ts:2 shuiyun/runtime/server',
      'domain-packs/billing/src/g.ts:3 /work/main/runtime/db/src/index.ts',
    ]);
  });

  it('lets test files, and only test files, import a pack the package lists in devDependencies', () => {
    const folder = packsFolder('dependent', {
      'billing/package.json': packageJson('@shuiyun/pack-billing', { '@shuiyun/sdk': '0.1.0' }, { devDependencies: { '@shuiyun/pack-metering': '1.0.0' } }),
      'billing/src/index.ts': "import { metering } from '@shuiyun/pack-metering';\nexport { metering };\n",
      'billing/src/run.test.ts': "import { metering } from '@shuiyun/pack-metering';\nimport { x } from '@shuiyun/pack-metering/src/x.js';\nimport { y } from '@shuiyun/pack-repair';\nexport { metering, x, y };\n",
      'billing/src/testing/fixtures.ts': "export { metering } from '@shuiyun/pack-metering';\n",
    });
    expect(checkPackBoundaries(folder).map((v) => `${v.file}:${v.line} ${v.specifier}`)).toEqual([
      'domain-packs/billing/src/index.ts:1 @shuiyun/pack-metering',
      'domain-packs/billing/src/run.test.ts:2 @shuiyun/pack-metering/src/x.js',
      'domain-packs/billing/src/run.test.ts:3 @shuiyun/pack-repair',
    ]);
  });

  it("reads each pack's package.json: no @shuiyun/* dependency but the SDK", () => {
    const folder = packsFolder('manifests', {
      'inspection/package.json': packageJson('@shuiyun/inspection', { '@shuiyun/sdk': '0.1.0', '@shuiyun/db': '0.1.0', zod: '^4' }, { devDependencies: { '@shuiyun/server': '0.1.0', vitest: '^4' } }),
      'inspection/src/index.ts': "export { definePack } from '@shuiyun/sdk';\n",
    });
    expect(checkPackBoundaries(folder)).toEqual([
      { file: 'domain-packs/inspection/package.json', line: 8, specifier: '@shuiyun/db', reason: expect.stringContaining('dependencies names @shuiyun/db') },
      { file: 'domain-packs/inspection/package.json', line: 12, specifier: '@shuiyun/server', reason: expect.stringContaining('devDependencies names @shuiyun/server') },
    ]);
  });
});
