import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWebApps } from './static-apps.js';

describe('the web apps the runtime serves', () => {
  let base: string;
  let close: () => void;
  beforeAll(async () => {
    const built = mkdtempSync(join(tmpdir(), 'shuiyun-web-'));
    mkdirSync(join(built, 'assets'));
    writeFileSync(join(built, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(built, 'assets', 'main-abc123.js'), `${'console.log("水云");\n'.repeat(2_000)}`);
    const app = express();
    serveWebApps(app, { dirs: { designer: built, 'app shell': join(built, 'missing') } });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close?.());

  it('serves index.html for client-side routes with a strict content security policy', async () => {
    for (const path of ['/designer/', '/designer/process/12', '/designer/form/3?x=1']) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const policy = res.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain('unsafe-eval');
    }
  });

  it('caches hashed assets for a year and answers 404 for a missing file, not the page', async () => {
    const asset = await fetch(`${base}/designer/assets/main-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // fetch asks for gzip and decodes it; the header says it travelled compressed.
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect((await asset.text()).length).toBe('console.log("水云");\n'.length * 2_000);
    expect((await fetch(`${base}/designer/assets/gone.js`)).status).toBe(404);
  });

  it('redirects the bare mount and the root, and says how to build an app that is missing', async () => {
    const bare = await fetch(`${base}/designer`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/designer/');
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/app/');
    const missing = await fetch(`${base}/app/tasks`);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('npm run build');
  });
});
