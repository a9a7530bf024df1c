import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import express, { type Express } from 'express';
import helmet from 'helmet';

/** The repository root, from `runtime/server/{src,dist}/web/`. */
const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The browser apps the runtime serves: built by `npm run build` (Vite) into each package's `dist/`. */
export const webApps = [
  { mount: '/designer', dir: join(root, 'designer/web/dist'), name: 'designer' },
  { mount: '/app', dir: join(root, 'runtime/app-shell/dist'), name: 'app shell' },
] as const;

const csp = helmet.contentSecurityPolicy({
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    // antd, ECharts, bpmn-js and GrapesJS set styles at run time.
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    workerSrc: ["'self'", 'blob:'],
    frameSrc: ["'self'", 'about:'],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    frameAncestors: ["'self'"],
  },
});

/**
 * Serves each built web app under its mount with its own content security policy; every path that is not
 * a file gets the app's index.html (client-side routes), and hashed assets are cached for a year. An app
 * that was not built answers 503 saying how to build it, rather than a blank page.
 */
export function serveWebApps(app: Express, options: { dirs?: Partial<Record<'designer' | 'app shell', string>> } = {}): void {
  app.get('/', (_req, res) => res.redirect(302, '/app/'));
  for (const web of webApps) {
    const dir = options.dirs?.[web.name] ?? web.dir;
    const index = join(dir, 'index.html');
    const router = express.Router();
    router.use((req, res, next) => {
      if (req.originalUrl.split('?')[0] === web.mount) res.redirect(301, `${web.mount}/`);
      else next();
    });
    router.use(csp);
    // The modeler alone is megabytes of JavaScript: gzip roughly quarters what a first load transfers.
    router.use(compression());
    router.use(
      express.static(dir, {
        index: false,
        fallthrough: true,
        setHeaders: (res, path) => {
          res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      }),
    );
    router.get('/{*rest}', (req, res) => {
      if (/\.[a-z0-9]+$/i.test(req.path) && req.path !== '/index.html') {
        res.status(404).type('text/plain').send('not found');
        return;
      }
      if (!existsSync(index)) {
        res.status(503).type('text/plain; charset=utf-8').send(`The ${web.name} is not built yet: run \`npm run build\` (or \`npm start\`, which builds first).\n`);
        return;
      }
      res.setHeader('cache-control', 'no-cache');
      res.sendFile(index);
    });
    app.use(web.mount, router);
  }
}
