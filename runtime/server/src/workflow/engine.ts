import type { Db, Tx } from '@shuiyun/db';
import { AppError, type Locale } from '@shuiyun/http';
import type { WorkerDefinition } from '@shuiyun/sdk';
import { and, eq } from 'drizzle-orm';
import { workflowDefinitions } from '@shuiyun/db';
import type { Logger } from 'pino';
import { DefinitionCache, type DeployedForm, type DeployedProcess, type DeployResource, deployResources, latestDefinition } from './definitions.js';
import { type InstanceRow, InstanceRunner } from './instance-runner.js';
import { type ActivateRequest, type JobRow, JobService } from './jobs.js';
import { type Correlation, publishMessage, type PublishedMessage } from './messages.js';
import { type TaskActor, type TaskRow, TaskService } from './tasks.js';
import { TimerScheduler } from './timers.js';
import { WorkerHost } from './worker-host.js';

export interface Deployer {
  tenantId: number;
  tenantPath: string;
  userId: number | null;
}

export interface StartInstance {
  tenantId: number;
  processId: string;
  /** Newest when absent. */
  version?: number | undefined;
  variables: Record<string, unknown>;
  businessKey?: string | null | undefined;
  startedBy: number | null;
}

/**
 * The workflow port the API and the packs use. The embedded adapter below runs BPMN in-process with its
 * state in the system-of-record database; a Zeebe adapter would implement the same operations over
 * gRPC and feed the same task store (see the README on why it is not built yet).
 */
export interface WorkflowEngine {
  readonly kind: 'embedded' | 'zeebe';
  deploy(tx: Tx, deployer: Deployer, resources: DeployResource[]): Promise<{ processes: DeployedProcess[]; forms: DeployedForm[] }>;
  startInstance(tx: Tx, request: StartInstance): Promise<InstanceRow>;
  publishMessage(tx: Tx, message: PublishedMessage): Promise<Correlation>;
  cancelInstance(tx: Tx, instanceId: number): Promise<InstanceRow>;
  retryIncident(tx: Tx, incidentId: number, options: { retries: number; variables?: Record<string, unknown> | undefined }, userId: number | null): Promise<void>;
  readonly tasks: Pick<TaskService, 'load' | 'claim' | 'unclaim' | 'assign'> & {
    complete(tx: Tx, taskId: number, variables: Record<string, unknown>, actor: TaskActor, locale?: Locale): Promise<TaskRow>;
  };
  readonly jobs: Pick<JobService, 'complete' | 'fail' | 'throwError'> & { activate(tx: Tx, request: ActivateRequest): Promise<JobRow[]> };
  /** Registers a job worker (packs do this through the SDK's `defineWorker`). */
  registerWorker(worker: WorkerDefinition): void;
  /** The job workers registered in this runtime (the designer's element templates come from them). */
  registeredWorkers(): WorkerDefinition[];
  /** Job types a worker outside the runtime polled for recently (the API's activate). */
  noteExternalWorker(type: string): void;
  close(): Promise<void>;
}

export interface EmbeddedEngineOptions {
  db: Db;
  logger: Logger;
  /** This node's worker name. */
  nodeName: string;
  /** For tests: the timer scheduler's and worker host's polling periods; 0 stops the background loops. */
  tickMs?: number;
  now?: () => Date;
}

/** How long a job type counts as served after an outside worker last polled for it. */
const EXTERNAL_WORKER_MEMORY_MS = 10 * 60_000;

/** The embedded adapter: `@shuiyun/workflow`'s step executor over the runtime's database. */
export class EmbeddedWorkflowEngine implements WorkflowEngine {
  readonly kind = 'embedded' as const;
  readonly runner: InstanceRunner;
  readonly tasks: TaskService;
  readonly jobs: JobService;
  readonly workers: WorkerHost;
  readonly timers: TimerScheduler;
  private readonly cache = new DefinitionCache();
  private readonly external = new Map<string, number>();

  constructor(private readonly options: EmbeddedEngineOptions) {
    const now = options.now ?? (() => new Date());
    this.runner = new InstanceRunner(
      this.cache,
      {
        jobsCreated: (types) => this.workers.poke(types),
        served: (type) => this.workers.serves(type) || (this.external.get(type) ?? 0) > Date.now() - EXTERNAL_WORKER_MEMORY_MS,
        timersChanged: (at) => this.timers.dueAt(at),
      },
      now,
    );
    this.jobs = new JobService(this.runner);
    this.jobs.retried = (type) => this.workers.poke([type]);
    this.tasks = new TaskService(this.runner, this.cache);
    this.workers = new WorkerHost({ db: options.db, jobs: this.jobs, logger: options.logger, name: options.nodeName, pollMs: options.tickMs });
    this.timers = new TimerScheduler({ db: options.db, runner: this.runner, logger: options.logger, tickMs: options.tickMs, now });
    if (options.tickMs !== 0) {
      this.workers.start();
      this.timers.start();
    }
  }

  deploy(tx: Tx, deployer: Deployer, resources: DeployResource[]) {
    return deployResources(tx, this.cache, deployer, resources, (this.options.now ?? (() => new Date()))());
  }

  async startInstance(tx: Tx, request: StartInstance): Promise<InstanceRow> {
    const definition =
      request.version === undefined
        ? await latestDefinition(tx, request.tenantId, request.processId)
        : (
            await tx
              .select()
              .from(workflowDefinitions)
              .where(and(eq(workflowDefinitions.tenantId, request.tenantId), eq(workflowDefinitions.processId, request.processId), eq(workflowDefinitions.version, request.version)))
          )[0];
    if (!definition) {
      throw new AppError('not_found', { details: [{ path: 'body.processId', message: `process ${request.processId}${request.version ? ` version ${request.version}` : ''} is not deployed in this tenant` }] });
    }
    return this.runner.start(tx, { definition, variables: request.variables, businessKey: request.businessKey, startedBy: request.startedBy });
  }

  publishMessage(tx: Tx, message: PublishedMessage) {
    return publishMessage(tx, this.runner, message);
  }

  cancelInstance(tx: Tx, instanceId: number) {
    return this.runner.cancel(tx, instanceId);
  }

  retryIncident(tx: Tx, incidentId: number, options: { retries: number; variables?: Record<string, unknown> | undefined }, userId: number | null): Promise<void> {
    return this.jobs.retry(tx, incidentId, options, userId);
  }

  registerWorker(worker: WorkerDefinition): void {
    this.workers.register(worker);
  }

  registeredWorkers(): WorkerDefinition[] {
    return this.workers.registered();
  }

  noteExternalWorker(type: string): void {
    this.external.set(type, Date.now());
  }

  async close(): Promise<void> {
    await this.timers.stop();
    await this.workers.stop();
  }
}
