import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built runtime, as production runs it (`npm test` builds it first, in its typecheck step). */
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface ChildRuntime {
  httpPort: number;
  dataDir: string;
  /** Starts `dist/main.js` on the data directory and waits until /readyz answers. */
  start(): Promise<void>;
  /** kill -9, no clean stop; resolves once the process is gone. */
  kill(): Promise<void>;
  /** A JSON API call that throws on a non-2xx answer. */
  api(method: string, path: string, token?: string, body?: unknown): Promise<any>;
  login(username: string): Promise<string>;
  /** Kills whatever runs and removes the data directory. */
  dispose(): void;
}

/**
 * The runtime in a process of its own on a temporary data directory (PGlite and chDB under it), for
 * tests that kill it: the crash test of ingestion and the restart test of workflows.
 */
export async function childRuntime(options: { password: string; env?: Record<string, string> }): Promise<ChildRuntime> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test builds it) before this test`);
  const dataDir = mkdtempSync(join(tmpdir(), 'shuiyun-child-'));
  const httpPort = await freePort();
  const output: string[] = [];
  let child: ChildProcess | undefined;

  const api: ChildRuntime['api'] = async (method, path, token, body) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  return {
    httpPort,
    dataDir,
    api,
    async start() {
      child = spawn(process.execPath, [main], {
        env: {
          ...process.env,
          PORT: String(httpPort),
          HOST: '127.0.0.1',
          MQTT_PORT: '0',
          COAP_PORT: '0',
          SHUIYUN_DATA_DIR: dataDir,
          SHUIYUN_DEMO_PASSWORD: options.password,
          SHUIYUN_DEMO_METERS: '0',
          // The platform alone: these tests kill and restart it, and the packs' demo data only slows the first start.
          SHUIYUN_PACKS: '',
          LOG_LEVEL: 'warn',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      // A first start migrates and seeds the demo utility; on a loaded 2-core machine that can take a while.
      const until = Date.now() + 120_000;
      while (Date.now() < until) {
        if (child.exitCode !== null) throw new Error(`the runtime exited: ${output.join('')}`);
        if (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`the runtime did not become ready: ${output.join('')}`);
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async login(username) {
      return ((await api('POST', '/api/auth/login', undefined, { username, password: options.password })) as { accessToken: string }).accessToken;
    },
    dispose() {
      child?.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
