import { asSystem, type Db } from '@shuiyun/db';
import { BpmnError, defaultBackOffMs, type WorkerDefinition } from '@shuiyun/sdk';
import type { Logger } from 'pino';
import { AppError } from '@shuiyun/http';
import type { JobRow, JobService } from './jobs.js';

export interface WorkerHostOptions {
  db: Db;
  jobs: JobService;
  logger: Logger;
  /** This node's name in `workflow_jobs.worker`. */
  name: string;
  /** Longest wait between two looks for work when nothing announced any. Default 1000 ms. */
  pollMs?: number;
}

/**
 * Runs the job workers registered in this runtime (packs register theirs through the SDK's
 * `defineWorker`). Each type is polled when a step creates jobs of it (at once, on this node) and every
 * `pollMs` (jobs created by other nodes, retries whose back-off ended, deadlines that passed). A handler's
 * input and output are checked with the worker's zod schemas; an input that does not fit is an incident
 * (retrying cannot fix it), an exception is retried with back-off, a `BpmnError` is thrown into the process.
 */
export class WorkerHost {
  private readonly workers = new Map<string, WorkerDefinition>();
  private readonly running = new Map<string, number>();
  private readonly wanted = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: WorkerHostOptions) {}

  register(worker: WorkerDefinition): void {
    if (this.workers.has(worker.type)) throw new Error(`a worker for job type ${worker.type} is already registered`);
    this.workers.set(worker.type, worker);
    this.running.set(worker.type, 0);
    this.poke([worker.type]);
  }

  serves(type: string): boolean {
    return this.workers.has(type);
  }

  /** The workers registered on this node, in registration order. */
  registered(): WorkerDefinition[] {
    return [...this.workers.values()];
  }

  start(): void {
    const every = this.options.pollMs ?? 1_000;
    this.timer = setInterval(() => this.poke(this.workers.keys()), every);
    this.timer.unref();
  }

  /** Jobs of these types may be waiting: look now (after the current transaction commits). */
  poke(types: Iterable<string>): void {
    if (this.stopped) return;
    for (const type of types) if (this.workers.has(type)) this.wanted.add(type);
    if (this.wanted.size === 0) return;
    // setImmediate: the step that created the jobs is still inside its transaction.
    setImmediate(() => this.drain());
  }

  private drain(): void {
    for (const type of [...this.wanted]) {
      this.wanted.delete(type);
      const worker = this.workers.get(type)!;
      const free = (worker.concurrency ?? 8) - (this.running.get(type) ?? 0);
      if (free <= 0) {
        this.wanted.add(type); // retried when a running job of this type finishes
        continue;
      }
      this.track(this.fetch(worker, free));
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async fetch(worker: WorkerDefinition, free: number): Promise<void> {
    if (this.stopped) return;
    let jobs: JobRow[];
    try {
      jobs = await asSystem(this.options.db, (tx) =>
        this.options.jobs.activate(tx, { types: [worker.type], worker: this.options.name, maxJobs: free, timeoutMs: worker.timeoutMs ?? 60_000 }),
      );
    } catch (err) {
      this.options.logger.error({ err, type: worker.type }, 'activating jobs failed');
      return;
    }
    for (const job of jobs) {
      this.running.set(worker.type, (this.running.get(worker.type) ?? 0) + 1);
      this.track(
        this.work(worker, job).finally(() => {
          this.running.set(worker.type, (this.running.get(worker.type) ?? 1) - 1);
          this.poke([worker.type]);
        }),
      );
    }
    // A full batch: there may be more.
    if (jobs.length === free) this.poke([worker.type]);
  }

  private async work(worker: WorkerDefinition, job: JobRow): Promise<void> {
    const { db, jobs, logger, name } = this.options;
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error('the job deadline passed')), worker.timeoutMs ?? 60_000);
    try {
      const input = worker.input.safeParse(job.variables);
      if (!input.success) {
        const problems = input.error.issues.map((i) => `${i.path.join('.') || '(variables)'}: ${i.message}`).join('; ');
        await asSystem(db, (tx) => jobs.fail(tx, job.id, { retries: 0, errorMessage: `variables do not fit the worker's input: ${problems}` }, name));
        return;
      }
      let result: unknown;
      try {
        result = await worker.handler(input.data, {
          jobKey: job.key,
          type: job.type,
          processId: job.processId,
          elementId: job.elementId,
          instanceId: String(job.instanceId),
          tenantId: job.tenantId,
          retries: job.retries,
          headers: job.headers,
          signal: controller.signal,
        });
      } catch (error) {
        if (error instanceof BpmnError) {
          await asSystem(db, (tx) => jobs.throwError(tx, job.id, { errorCode: error.errorCode, message: error.message, variables: error.variables }, name));
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        const attempt = Math.max(1, job.retries);
        await asSystem(db, (tx) => jobs.fail(tx, job.id, { errorMessage: message, backOffMs: (worker.backOffMs ?? defaultBackOffMs)(attempt) }, name));
        return;
      }
      const output = worker.output.safeParse(result ?? {});
      if (!output.success) {
        const problems = output.error.issues.map((i) => `${i.path.join('.') || '(result)'}: ${i.message}`).join('; ');
        await asSystem(db, (tx) => jobs.fail(tx, job.id, { retries: 0, errorMessage: `the worker's result does not fit its output: ${problems}` }, name));
        return;
      }
      await asSystem(db, (tx) => jobs.complete(tx, job.id, (output.data ?? {}) as Record<string, unknown>, name));
    } catch (err) {
      // 404: the process no longer waits for the job (cancelled, interrupted) or the deadline passed.
      if (err instanceof AppError && err.code === 'not_found') logger.info({ job: job.id, type: job.type }, 'job result dropped: the job is no longer activated by this worker');
      else logger.error({ err, job: job.id, type: job.type }, 'recording a job outcome failed; the job is retried after its deadline');
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
    }
  }

  /** Stops looking for work, aborts running handlers and waits for them to record what they can. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const controller of this.controllers) controller.abort(new Error('the runtime is stopping'));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
