import { randomUUID } from 'node:crypto';
import type { Database } from '@shuiyun/db';
import { errorHandler, mountRoutes, openApiDocument, AppError, routeNotFound } from '@shuiyun/http';
import express, { type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AnalyticsStore } from '@shuiyun/analytics';
import { auditRoutes } from './audit/routes.js';
import { joinCluster } from './cluster/cluster-news.js';
import type { RuntimeConfig } from './config/config.js';
import { deviceRegistryRoutes } from './devices/index.js';
import { directoryRoutes } from './directory/routes.js';
import { userRoutes } from './directory/user-routes.js';
import { contextFactory } from './http/context.js';
import { guardFactory } from './http/guard.js';
import { route, type RuntimeRoute } from './http/route.js';
import { OidcSignIn } from './identity/oidc.js';
import { oidcRoutes } from './identity/oidc-routes.js';
import { identityRoutes } from './identity/routes.js';
import { IotRuntime } from './iot/ingestion.js';
import { readingsRoutes } from './iot/readings-routes.js';
import { alarmRoutes } from './iot/alarm-routes.js';
import { deviceCommandRoutes } from './iot/command-routes.js';
import { modbusRoutes } from './iot/modbus-routes.js';
import { statisticsRoutes } from './iot/statistics-routes.js';
import { alarmRuleRoutes } from './iot/alarm-rule-routes.js';
import { pushEndpointRoutes } from './iot/push-endpoint-routes.js';
import { PushIngestion } from './iot/push-ingestion.js';
import { PUSH_PATH_PREFIX, pushBodyParser, pushRoutes } from './iot/push-routes.js';
import { SignInService } from './identity/sign-in.js';
import { TokenSigner } from './identity/tokens.js';
import { operationsRoutes, createMetrics } from './observability/routes.js';
import { PermissionModel } from './permissions/permission-model.js';
import { roleRoutes } from './permissions/routes.js';
import { tenantRoutes } from './tenancy/routes.js';
import { EmbeddedWorkflowEngine, type WorkflowEngine } from './workflow/engine.js';
import { processRoutes } from './workflow/process-routes.js';
import { taskRoutes } from './workflow/task-routes.js';
import { bridgeAlarmsToWorkflow } from './workflow/alarm-bridge.js';
import { designRoutes, registerBuiltinWorkers } from './design/index.js';
import { serveWebApps } from './web/static-apps.js';
import { packRoutes } from './packs/routes.js';
import { PackRegistry } from './packs/registry.js';
import { EXT_PUBLIC_BODY_LIMIT, EXT_PUBLIC_PREFIX, packExtRoutes, packPublicRoutes } from './packs/ext-routes.js';
import { PackEventDispatcher } from './packs/events.js';
import { deployPack, packWorker } from './packs/deploy.js';
import { installDemoPacks } from './packs/demo.js';
import type { ServiceDeps } from './packs/services.js';
import type { Pack } from '@shuiyun/sdk';
import { createMailer, createReportService, notificationRoutes, ReportExportRunner, ReportScheduler, reportRoutes } from './reports/index.js';

export interface Runtime {
  app: Express;
  /** Every route the runtime serves, each with its declared permission. */
  routes: RuntimeRoute[];
  database: Database;
  permissions: PermissionModel;
  signIn: SignInService;
  logger: Logger;
  /** Device ingestion; present when the runtime has an analytics store. */
  iot: IotRuntime | undefined;
  /** BPMN processes, job workers and the task list. */
  workflow: WorkflowEngine;
  /** The domain packs this runtime carries (`deployPack` puts a newer version in place). */
  packs: PackRegistry;
  /** Puts a newer version of a pack in place while the runtime runs: its new workers start, and its new migrations run if a tenant has it installed. */
  deployPack(pack: Pack): Promise<string[]>;
  /** Delivers pack events to the packs that consume them (tests call `drain`). */
  packEvents: PackEventDispatcher;
  /** Installs every pack in the demo utility's companies with the packs' demo data (first start only). */
  installDemoPacks(tenantCodes: readonly string[]): Promise<{ tenant: string; pack: string }[]>;
  /** Report schedules: fires due ones (tests call `fireDue`). */
  reportSchedules: ReportScheduler;
  /** Background report exports (tests call `recoverInterrupted`, `sweep`). */
  reportExports: ReportExportRunner;
  /** Stops ingestion and writes what is buffered; the caller closes the databases. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  database: Database;
  config: RuntimeConfig;
  logger?: Logger;
  /** The analytics store readings go to; without one the runtime serves no device data. */
  analytics?: AnalyticsStore | undefined;
  /** For tests: the workflow engine's timer and job polling period; 0 runs no background loops. */
  workflowTickMs?: number | undefined;
  /** For tests: how often report schedules are looked at; 0 runs no background loop (call `reportSchedules.fireDue`). */
  reportScheduleTickMs?: number | undefined;
  /** The domain packs this runtime carries: tenants install them through `/api/packs`; their workers run here. */
  packs?: readonly Pack[] | undefined;
}

const VERSION = '0.1.0';

/** Wires the runtime's HTTP API over an opened, migrated database. */
export async function createRuntime({ database, config, analytics, workflowTickMs, reportScheduleTickMs, packs = [], logger = pino({ level: config.LOG_LEVEL }) }: RuntimeOptions): Promise<Runtime> {
  const signer = await TokenSigner.load(database.db, config.SHUIYUN_ACCESS_TOKEN_TTL);
  const permissions = await PermissionModel.load(database.db);
  const signIn = new SignInService(database.db, signer, {
    refreshTtlSeconds: config.SHUIYUN_REFRESH_TOKEN_TTL,
    lockoutThreshold: config.SHUIYUN_LOCKOUT_THRESHOLD,
    lockoutSeconds: config.SHUIYUN_LOCKOUT_SECONDS,
  });
  await joinCluster(database, permissions, signIn, logger);
  const metrics = createMetrics();
  const iot = analytics ? await IotRuntime.create({ db: database.db, analytics, logger, metrics: metrics.registry, platformApi: { ctwing: config.CTWING_API_URL, onenet: config.ONENET_API_URL } }) : undefined;
  const workflow = new EmbeddedWorkflowEngine({ db: database.db, logger, nodeName: config.WORKFLOW_NODE_NAME, tickMs: workflowTickMs });
  registerBuiltinWorkers(workflow, database.db);
  const services: ServiceDeps = { db: database.db, analytics, workflow, permissions, commands: iot?.commands };
  const reloadAlarmRules = async () => iot?.alarms.reloadRules();
  // A pack's workers run on every node, with the platform for their job's tenant; a newer version
  // deployed later brings its new job types along.
  const registry = new PackRegistry([], (pack) => {
    const running = new Set(workflow.registeredWorkers().map((w) => w.type));
    for (const worker of pack.workers) if (!running.has(worker.type)) workflow.registerWorker(packWorker(services, registry, pack.id, worker));
    // Its device codecs decode from now on (a product of any tenant may name one).
    for (const codec of pack.codecs) if (iot && !iot.codecs.get(codec.id)) iot.codecs.register(codec);
  });
  for (const pack of packs) await deployPack(database.db, registry, pack);
  const packEvents = new PackEventDispatcher(database, registry, services, logger);
  const unbridge = iot ? bridgeAlarmsToWorkflow(iot.alarms, workflow, database.db, logger) : undefined;
  // Reports read the analytics store (absent: its datasets answer 503) and PostgreSQL; the count of durable readings keeps the result cache fresh.
  const reports = createReportService({ analytics, db: database.db, readingsWritten: () => iot?.pipeline.batcherStats.items ?? 0 });
  const reportSchedules = new ReportScheduler({
    db: database.db,
    service: reports,
    permissions,
    logger,
    dataDir: config.dataDir,
    mailer: createMailer(config.SMTP_URL, config.SMTP_FROM),
    tickMs: reportScheduleTickMs,
  });
  const reportExports = new ReportExportRunner({ db: database.db, service: reports, permissions, logger, dataDir: config.dataDir, nodeName: config.WORKFLOW_NODE_NAME, concurrency: config.SHUIYUN_EXPORT_CONCURRENCY, ttlMs: config.SHUIYUN_EXPORT_TTL_HOURS * 3_600_000, deliveryRetentionMs: config.SHUIYUN_REPORT_DELIVERY_RETENTION_DAYS * 86_400_000 });

  const routes: RuntimeRoute[] = [
    ...operationsRoutes(database, metrics.registry),
    ...identityRoutes(signIn, permissions),
    ...oidcRoutes(new OidcSignIn(database.db, signIn, permissions), config.SHUIYUN_PUBLIC_URL),
    ...tenantRoutes,
    ...directoryRoutes,
    ...userRoutes(permissions, signIn),
    ...roleRoutes(permissions),
    ...auditRoutes,
    ...deviceRegistryRoutes(() => iot?.brokerCredentials),
    ...readingsRoutes(analytics),
    ...alarmRoutes(iot?.alarms),
    ...alarmRuleRoutes(iot?.alarms),
    ...deviceCommandRoutes(iot?.commands),
    ...modbusRoutes(() => iot?.modbus),
    ...statisticsRoutes(analytics),
    ...pushEndpointRoutes,
    ...pushRoutes(new PushIngestion({ db: database.db, iot, logger, metrics: metrics.registry })),
    ...processRoutes(workflow),
    ...taskRoutes(workflow, permissions),
    ...reportRoutes(reports, reportSchedules, reportExports),
    ...notificationRoutes(database.db, config.dataDir),
    ...designRoutes({ workflow, reports }),
    ...packRoutes({ packs: registry, permissions, platformVersion: VERSION, deps: { workflow, reports, services, reloadAlarmRules } }),
    ...packExtRoutes(registry, services),
    ...packPublicRoutes(registry, services),
  ];
  const document = () => openApiDocument(routes, { title: 'Shuiyun 水云 runtime API', version: VERSION });
  routes.push(
    route({
      method: 'get',
      path: '/api/docs',
      permission: 'public',
      summary: 'This OpenAPI 3.1 document',
      tags: ['Operations 运维'],
      handler: () => document(),
    }),
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use(helmet());
  app.use(metrics.middleware);
  // NB-IoT platform push keeps its raw body (OneNET signs the bytes as sent); the JSON parser then skips it.
  app.use(PUSH_PATH_PREFIX, pushBodyParser());
  // A deployment carries whole BPMN files; every other request stays under the general limit.
  app.use('/api/workflow/deployments', express.json({ limit: '4mb', strict: true }));
  // A pack's public routes check their caller's signature over the exact bytes sent: kept raw, before the JSON parser.
  app.use(EXT_PUBLIC_PREFIX, express.raw({ type: () => true, limit: EXT_PUBLIC_BODY_LIMIT }));
  // Pack routes take field photos and concentrator files; each pack caps its own fields below this.
  app.use('/api/ext', express.json({ limit: '16mb', strict: true }));
  app.use('/api', express.json({ limit: config.SHUIYUN_BODY_LIMIT, strict: true }));
  app.use(
    // Sign-in by password and the start of single sign-on (each SSO start stores a state row).
    ['/api/auth/login', '/api/auth/oidc/:code/login'],
    rateLimit({
      windowMs: 60_000,
      limit: config.SHUIYUN_LOGIN_RATE_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: () => {
        throw new AppError('rate_limited');
      },
    }),
  );
  app.use(
    mountRoutes(routes, {
      guard: guardFactory({ signer, signIn, permissions, tenantRateLimit: config.SHUIYUN_TENANT_RATE_LIMIT }),
      context: contextFactory(database.db),
    }),
  );
  serveWebApps(app);
  app.use(routeNotFound);
  app.use(errorHandler(logger));
  reportSchedules.start();
  reportExports.start();
  if (workflowTickMs !== 0) await packEvents.start();

  return {
    app,
    routes,
    database,
    permissions,
    signIn,
    logger,
    iot,
    workflow,
    reportSchedules,
    packs: registry,
    deployPack: (pack) => deployPack(database.db, registry, pack),
    installDemoPacks: (tenantCodes) => installDemoPacks(registry.list(), tenantCodes, { deps: { workflow, reports, services, reloadAlarmRules }, permissions, analytics, platformVersion: VERSION, logger }),
    packEvents,
    reportExports,
    close: async () => {
      unbridge?.();
      await packEvents.stop();
      await reportSchedules.stop();
      await reportExports.stop();
      await iot?.close();
      await workflow.close();
    },
  };
}
