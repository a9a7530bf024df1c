import type { z } from 'zod';
import type { PackServices } from './services.js';

/** What a job worker's handler learns about the job besides its input variables. */
export interface JobContext {
  /** Stable per service-task activation; the same across redeliveries of one job. */
  readonly jobKey: string;
  readonly type: string;
  readonly processId: string;
  readonly elementId: string;
  readonly instanceId: string;
  readonly tenantId: number;
  /** Attempts left, this one included. */
  readonly retries: number;
  /** `zeebe:taskHeaders` of the service task. */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the job's deadline passes or the runtime stops: stop working and return. */
  readonly signal: AbortSignal;
  /** For the workers a pack declares: the platform for the job's tenant (read it with `servicesOf(job)`). */
  readonly services?: PackServices;
}

/**
 * Thrown by a handler to raise a BPMN error (`errorCode`) that an error boundary event of the service
 * task (or an enclosing sub-process) catches; with no catcher the instance gets an incident.
 * Any other exception is a technical failure: the job is retried with back-off, then becomes an incident.
 */
export class BpmnError extends Error {
  override readonly name = 'BpmnError';
  constructor(
    readonly errorCode: string,
    message?: string,
    readonly variables: Record<string, unknown> = {},
  ) {
    super(message ?? errorCode);
  }
}

export interface WorkerDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** The `zeebe:taskDefinition type` the worker serves, e.g. `metering.freeze-readings`. */
  readonly type: string;
  /** What the designer calls the task in its element templates (“派发维修工单”), zh-CN and en; the type when absent. */
  readonly title?: { readonly 'zh-CN': string; readonly en: string };
  /** One sentence on what the worker does, shown beside the template. */
  readonly description?: { readonly 'zh-CN': string; readonly en: string };
  /** Checks the job's variables before the handler runs; a mismatch fails the job with no retries (an incident). */
  readonly input: I;
  /** Checks what the handler returns; the result becomes the job's completion variables. */
  readonly output: O;
  /** How long one attempt may run before another worker may take the job. Default 60 000 ms. */
  readonly timeoutMs?: number;
  /** Jobs of this type one runtime node works on at once. Default 8. */
  readonly concurrency?: number;
  /** Wait before retry `attempt` (1 = the first retry). Default 1 s, 2 s, 4 s … capped at 5 min. */
  readonly backOffMs?: (attempt: number) => number;
  readonly handler: (input: z.output<I>, job: JobContext) => Promise<z.input<O>>;
}

const JOB_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/**
 * A typed job worker. The same definition serves the embedded engine and Zeebe: the runtime activates
 * jobs of `type`, validates their variables with `input`, runs `handler` and validates its result with
 * `output` before completing the job.
 */
export function defineWorker<I extends z.ZodType, O extends z.ZodType>(definition: WorkerDefinition<I, O>): WorkerDefinition<I, O> {
  if (!JOB_TYPE.test(definition.type)) {
    throw new Error(`job type "${definition.type}": letters, digits and _ . : - only, at most 128, starting with a letter or digit`);
  }
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs >= 1_000)) throw new Error(`${definition.type}: timeoutMs must be at least 1000`);
  if (definition.concurrency !== undefined && !(Number.isInteger(definition.concurrency) && definition.concurrency >= 1)) {
    throw new Error(`${definition.type}: concurrency must be a positive integer`);
  }
  return Object.freeze({ ...definition });
}

/** Default retry back-off: 1 s, 2 s, 4 s, … at most 5 minutes. */
export function defaultBackOffMs(attempt: number): number {
  return Math.min(300_000, 1_000 * 2 ** Math.max(0, attempt - 1));
}
