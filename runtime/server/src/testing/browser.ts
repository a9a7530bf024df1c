import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The web apps the runtime serves, with the sources each build reads. */
const apps = [
  { dir: join(root, 'designer/web'), sources: ['designer/web/src', 'designer/web/index.html', 'designer/web/vite.config.ts', 'runtime/web-kit/src'] },
  { dir: join(root, 'runtime/app-shell'), sources: ['runtime/app-shell/src', 'runtime/app-shell/index.html', 'runtime/app-shell/vite.config.ts', 'runtime/web-kit/src'] },
];

function newest(path: string): number {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(full).map((name) => newest(join(path, name))));
}

/**
 * Builds the designer and the app shell with Vite when their `dist/` is missing or older than their
 * sources (`npm test` runs on a fresh clone without `npm run build`). Type checks are `tsc`'s job.
 */
export async function ensureWebAppsBuilt(): Promise<void> {
  for (const app of apps) {
    const index = join(app.dir, 'dist', 'index.html');
    if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...app.sources.map(newest))) continue;
    // The app's own Vite (npm nests it under the package when the root holds another version), else the root's.
    const vite = [join(app.dir, 'node_modules/vite/bin/vite.js'), join(root, 'node_modules/vite/bin/vite.js')].find((path) => existsSync(path));
    if (!vite) throw new Error(`no Vite to build ${app.dir}: run npm install`);
    await run(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app.dir, maxBuffer: 16 * 1024 * 1024 });
  }
}

/** Debian's Chromium, headless, without the background traffic this closed network refuses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Screenshots of a browser test, one per step, in the git-ignored `.e2e-screenshots/<suite>/`. */
export function screenshots(suite: string) {
  const dir = join(root, '.e2e-screenshots', suite);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let step = 0;
  return async (page: Page, name: string) => {
    step += 1;
    await page.screenshot({ path: join(dir, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: false });
  };
}
