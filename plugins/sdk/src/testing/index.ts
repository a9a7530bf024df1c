/**
 * `@shuiyun/sdk/testing` — the pack test kit. A pack's tests start a real runtime in-process (embedded
 * PGlite or PostgreSQL, chDB, the embedded BPMN engine), with a tenant that has the pack installed, and
 * drive it through its HTTP API and the platform's ports. Only tests import this; the runtime behind it
 * is loaded when a test starts the kit, so the SDK itself depends on nothing of the runtime.
 */
import type { Page } from 'playwright-core';
import type { Pack } from '../pack.js';
import type { PackServices } from '../services.js';

export interface KitResponse {
  status: number;
  body: any;
  headers: Headers;
}

export interface KitTenant {
  id: number;
  path: string;
  /** The tenant's code: what names it in a public route's address (`/api/ext-public/<code>/…`). */
  code: string;
  /** A token of the tenant's administrator (holds every permission of the tenant, the packs' own too). */
  token: string;
  username: string;
}

export interface KitReading {
  /** The device code (meter address, IMEI) as the IoT registry knows it. */
  device: string;
  metric: string;
  at: Date;
  /** Thousandths of the metric's unit: litres × 1000 for `cumulative_volume`. */
  milli: bigint;
}

export interface KitTask {
  id: number;
  elementId: string;
  processId: string;
  instanceId: number;
  variables: Record<string, unknown>;
}

export interface KitAppOptions {
  /** The viewport, 1440 × 900 unless told (375 × 812 is a phone: the app shell's drawer menu and bottom bar). */
  width?: number;
  height?: number;
  /** The app's language (and the browser's), zh-CN unless told. */
  locale?: 'zh-CN' | 'en';
  /** Signs in with this access token instead of as the tenant's administrator (no refresh token: it must outlive the test). */
  token?: string;
}

export interface KitApp {
  /** The browser page, at `/app/` and signed in (playwright-core's `Page`). */
  page: Page;
  /** Closes the browser (the kit's `close()` closes any still open). */
  close(): Promise<void>;
  /** A screenshot of the viewport into `.e2e-screenshots/<test file>/NN-<name>.png` (numbered in the order taken). */
  screenshot(name: string): Promise<void>;
}

export interface PackTestKit {
  readonly baseUrl: string;
  /** The tenant the pack is installed in (a county water company of the demo group). */
  readonly tenant: KitTenant;
  /** A second company of the same group, for isolation tests: the pack is installed there too, unless `install: false`. */
  readonly otherTenant: KitTenant;
  /** fetch against the runtime, as `token` (the tenant's administrator when absent; `null` for none). */
  request(method: string, path: string, options?: { token?: string | null; body?: unknown; locale?: 'zh-CN' | 'en'; headers?: Record<string, string> }): Promise<KitResponse>;
  /** Signs a user in (created with `createUser`, or a demo user) and answers the token. */
  login(username: string, password?: string): Promise<string>;
  /** A user of the tenant with the given roles (codes, the packs' roles too: `metering-reader`); answers its token. */
  createUser(options: { username: string; roles: string[]; tenant?: 'tenant' | 'other' }): Promise<string>;
  /** Installs a pack (one of `packs`, or another version) in the tenant through the API; throws on refusal. */
  install(packId: string, options?: { tenant?: 'tenant' | 'other' }): Promise<KitResponse>;
  /**
   * Puts a version of a pack in place in the running runtime, as a release of the runtime would (its new
   * workers start; its new migrations run if a tenant has it installed); answers the migrations applied.
   */
  deploy(pack: Pack): Promise<string[]>;
  /** Puts a newer version of a pack in place in the running runtime (its migrations run), then upgrades the tenant. */
  upgrade(pack: Pack, options?: { tenant?: 'tenant' | 'other' }): Promise<KitResponse>;
  /** The platform as the pack's handlers get it, for the tenant: to read or write the pack's tables in a test. */
  services(packId: string, options?: { tenant?: 'tenant' | 'other' }): PackServices;
  /** Registers the devices (if new) and writes readings into the analytics store for the tenant, durably. */
  publishReadings(readings: KitReading[], options?: { tenant?: 'tenant' | 'other' }): Promise<void>;
  /** Starts a deployed process of the tenant; answers the instance id. */
  startProcess(processId: string, variables?: Record<string, unknown>, options?: { businessKey?: string }): Promise<number>;
  /** Waits (up to `timeoutMs`, 10 s) for an open user task of the tenant that matches, and answers it. */
  waitForTask(match: { processId?: string; elementId?: string; instanceId?: number }, options?: { timeoutMs?: number; token?: string }): Promise<KitTask>;
  /** Completes a user task as `token` (the administrator when absent). */
  completeTask(taskId: number, variables: Record<string, unknown>, options?: { token?: string }): Promise<void>;
  /** Waits for an instance to reach a state (`completed` by default) and answers its variables. */
  waitForInstance(instanceId: number, options?: { state?: string; timeoutMs?: number }): Promise<Record<string, unknown>>;
  /** Runs a saved report template of the tenant by code with parameters; answers the report's rows. */
  runReport(code: string, parameters?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  /** Waits until `check` answers something truthy (polling), and answers it. */
  until<T>(check: () => Promise<T | undefined | null | false>, options?: { timeoutMs?: number; what?: string }): Promise<T>;
  /**
   * Opens the runtime's app shell (`/app/`) in headless Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`),
   * signed in as the tenant's administrator (or with `token`), in the tenant's zone (Asia/Shanghai), and waits
   * until the shell shows the signed-in user. Builds the web apps first when their `dist/` is missing or older than their sources (a minute or
   * two on a fresh clone: give the hook a long timeout). Screenshots go to the git-ignored
   * `.e2e-screenshots/<package>-<test file>/`, emptied when a kit first opens the app.
   */
  openApp(options?: KitAppOptions): Promise<KitApp>;
  /** Stops the runtime, closing any app still open. */
  close(): Promise<void>;
}

export interface PackTestKitOptions {
  /** The packs the runtime carries; each is installed in both tenants unless `install` is false. */
  packs: readonly Pack[];
  install?: boolean;
  /** `pglite` (the default: in memory, no set-up) or `postgres` (the server in SHUIYUN_TEST_PG_URL, a fresh database). */
  driver?: 'pglite' | 'postgres';
  /** Runtime settings (environment variables) for this runtime, e.g. `CTWING_API_URL` pointing at a test's stand-in of the NB-IoT platform. */
  env?: Record<string, string>;
}

/** The runtime module that implements the kit, named by a variable so the SDK's build does not depend on it. */
const RUNTIME_KIT = '@shuiyun/runtime/testing';

/** Starts a runtime with the packs and a tenant that has them installed (see {@link PackTestKit}). */
export async function startPackTestKit(options: PackTestKitOptions): Promise<PackTestKit> {
  const runtime = (await import(RUNTIME_KIT)) as { startPackTestKit(options: PackTestKitOptions): Promise<PackTestKit> };
  return runtime.startPackTestKit(options);
}
