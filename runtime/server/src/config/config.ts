import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Everything the runtime reads from its environment; every value has an embedded default. */
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** `postgres://…` moves the system of record to PostgreSQL; unset keeps PGlite under the data dir. */
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SHUIYUN_DATA_DIR: z.string().default('./data'),
  /** `http(s)://…` moves analytics to a ClickHouse server; unset keeps chDB under the data dir. */
  CLICKHOUSE_URL: z.string().url().optional(),
  /**
   * The embedded MQTT broker's port for devices; 0 turns it off. Unset means 1883, or a free port
   * when something else (often a system Mosquitto) already holds 1883.
   */
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MQTT_HOST: z.string().default('0.0.0.0'),
  /**
   * The UDP port of CoAP for devices (NB-IoT meters: POST /devices/<key>/up, GET /devices/<key>/down); 0 turns
   * it off. Unset means 5683, or a free port when something else already holds 5683.
   */
  COAP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  COAP_HOST: z.string().default('0.0.0.0'),
  /** The NB-IoT platforms' open APIs that commands to devices behind them go to (a private deployment's, or a test's stand-in). */
  CTWING_API_URL: z.string().url().default('https://ag-api.ctwing.cn'),
  ONENET_API_URL: z.string().url().default('https://api.heclouds.com'),
  /**
   * `mqtt(s)://` or `ws(s)://` of an external broker (Mosquitto, EMQX): the embedded broker is not started
   * (MQTT_PORT is ignored); this node subscribes to the devices' uplinks as a client, in a shared group.
   */
  MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL')
    .optional(),
  /** The runtime's account on the external broker (its ACL lets it read devices/+/up and write devices/+/down). */
  MQTT_USERNAME: z.string().min(1).optional(),
  MQTT_PASSWORD: z.string().min(1).optional(),
  /**
   * The admin account of the external broker's dynamic-security plugin (Mosquitto 2): set, the runtime gives
   * the broker each device secret the registry issues, and revokes retired and deleted devices there. Unset,
   * the broker's device accounts are managed outside the runtime. It may be the MQTT_USERNAME account, if
   * that account holds the plugin's admin role; a separate account keeps the uplink account unprivileged.
   */
  MQTT_DYNSEC_USERNAME: z.string().min(1).optional(),
  MQTT_DYNSEC_PASSWORD: z.string().min(1).optional(),
  /** Runtime nodes of one shared-subscription group split the uplinks between them. */
  MQTT_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore')
    .default('shuiyun'),
  /**
   * This node's client id on the external broker: stable across restarts (the broker queues the node's
   * share under it while it is away) and unique per node. Unset means `shuiyun-<host name>`.
   */
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore')
    .optional(),
  /**
   * Polling of Modbus TCP devices (products with codec `modbus`): `on` by default, `off` turns it off on this
   * node. With several nodes on one PostgreSQL, one of those with it on polls (an advisory lock decides).
   */
  MODBUS_POLLING: z.enum(['on', 'off']).default('on'),
  /**
   * The domain packs this runtime carries: package names, comma-separated, loaded at start (tenants then
   * install them through /api/packs). Empty for none.
   */
  SHUIYUN_PACKS: z.string().default('@shuiyun/pack-metering,@shuiyun/pack-billing').transform((v) => v.split(',').map((name) => name.trim()).filter((name) => name.length > 0)),
  /** Simulated meters of the demo utility reporting over MQTT; 0 turns the simulator off. */
  SHUIYUN_DEMO_METERS: z.coerce.number().int().min(0).max(100_000).default(300),
  /** Seconds between two reports of one simulated meter. */
  SHUIYUN_DEMO_METER_INTERVAL: z.coerce.number().int().min(1).default(60),
  /** Seconds an access token lives. Short, because revocation is per node (see identity/sessions). */
  SHUIYUN_ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(3600).default(600),
  SHUIYUN_REFRESH_TOKEN_TTL: z.coerce.number().int().min(300).default(14 * 24 * 3600),
  SHUIYUN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).default(5),
  SHUIYUN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(15 * 60),
  /** Requests per minute per tenant on the API. */
  SHUIYUN_TENANT_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  /** Sign-in attempts per minute per client address. */
  SHUIYUN_LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
  SHUIYUN_BODY_LIMIT: z.string().default('256kb'),
  /** Demo admin password for first-run seeding; random (and printed once) when unset. */
  SHUIYUN_DEMO_PASSWORD: z.string().min(10).optional(),
  /** Public base URL, for OIDC redirect URIs. */
  SHUIYUN_PUBLIC_URL: z.string().url().optional(),
  /**
   * `embedded` runs BPMN in-process with its state in the database. `zeebe` is refused for now: the
   * adapter cannot be proven here (see the README, "Workflow").
   */
  WORKFLOW_ENGINE: z
    .enum(['embedded', 'zeebe'])
    .default('embedded')
    .refine((engine) => engine === 'embedded', 'zeebe is not available in this build: its broker cannot be run and tested here (README, "Workflow"); use embedded'),
  /** This node's name on the jobs it works (`workflow_jobs.worker`); unset means `<host>-<pid>`. */
  WORKFLOW_NODE_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash or underscore').default(`${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100)),
  /** Outgoing mail for report schedules (`smtp://user:pass@host:587`, `smtps://…:465`); unset: no e-mail recipients. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'an smtp:// or smtps:// URL')
    .optional(),
  /** The sender of those e-mails. */
  SMTP_FROM: z.string().min(3).default('水云 Shuiyun <noreply@shuiyun.local>'),
  /** Hours the file of a background report export (POST /api/reports/exports) stays downloadable; then it is deleted. */
  SHUIYUN_EXPORT_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  /** Background report exports that run at once on this node (an XLSX keeps a core busy); the rest wait in line. */
  SHUIYUN_EXPORT_CONCURRENCY: z.coerce.number().int().min(1).max(4).default(1),
  /** Days the files of report schedule deliveries stay downloadable from their notifications; then they are deleted. */
  SHUIYUN_REPORT_DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((config, ctx) => {
  if (config.MQTT_DYNSEC_USERNAME !== undefined && config.MQTT_DYNSEC_PASSWORD === undefined) {
    ctx.addIssue({ code: 'custom', path: ['MQTT_DYNSEC_PASSWORD'], message: 'MQTT_DYNSEC_USERNAME needs its password' });
  }
  if ((config.MQTT_DYNSEC_USERNAME !== undefined || config.MQTT_DYNSEC_PASSWORD !== undefined) && config.MQTT_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['MQTT_DYNSEC_USERNAME'], message: 'broker credentials are provisioned to an external broker: set MQTT_URL' });
  }
});

export type RuntimeConfig = z.output<typeof schema> & { dataDir: string };

export function loadConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.SHUIYUN_DATA_DIR) };
}
