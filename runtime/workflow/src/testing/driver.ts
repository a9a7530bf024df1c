/**
 * An in-memory stand-in for the runtime shell, for tests: it holds each instance's snapshot and
 * open waits, and does what the shell does with them — completes jobs and user tasks, correlates
 * published messages, moves a fake clock and fires due timers, starts children for call
 * activities and reports their completion back, fires timer start events.
 *
 * Every snapshot goes through JSON.stringify/JSON.parse between steps, as it would through a
 * jsonb column, and every step is timed.
 */
import { compileDefinition } from '../compile/compile.js';
import { step } from '../step/step.js';
import { firstDueAt, nextCycleDueAt, scheduleTimer } from '../timers/timer-spec.js';
import type {
  CompiledDefinition,
  HistoryEntry,
  Incident,
  InstanceState,
  JobWait,
  StepEvent,
  StepResult,
  UserTaskWait,
  Variables,
} from '../types.js';

export interface DriverInstance {
  id: string;
  processId: string;
  definition: CompiledDefinition;
  /** Serialized, as a database would hold it. */
  snapshotJson: string;
  last: StepResult;
  state: InstanceState;
  history: HistoryEntry[];
  jobsCreated: JobWait[];
  userTasksCreated: UserTaskWait[];
  parent?: { instanceId: string; callKey: string };
  /** Call keys for which a child was started. */
  startedCalls: Set<string>;
}

interface TimerStart {
  processId: string;
  elementId: string;
  dueAt: Date | undefined;
  repetitionsLeft?: number;
  interval?: string;
}

export class WorkflowTestDriver {
  clock: Date;
  readonly instances = new Map<string, DriverInstance>();
  /** Milliseconds per step, in order. */
  readonly stepTimings: number[] = [];
  private readonly definitions = new Map<string, CompiledDefinition>();
  private readonly timerStarts: TimerStart[] = [];
  private nextId = 1;

  constructor(start: Date = new Date('2025-03-01T08:00:00Z')) {
    this.clock = new Date(start);
  }

  /** Deploys BPMN documents; timer start events are scheduled from now on. */
  async deploy(...xmls: string[]): Promise<CompiledDefinition[]> {
    const compiled: CompiledDefinition[] = [];
    for (const xml of xmls) {
      const definition = compileDefinition(xml);
      compiled.push(definition);
      for (const process of definition.processes) {
        this.definitions.set(process.processId, definition);
        for (const start of process.startEvents) {
          if (start.kind !== 'timer' || !start.timer) continue;
          const schedule = firstDueAt(start.timer, this.clock);
          if (!schedule) continue;
          this.timerStarts.push({
            processId: process.processId,
            elementId: start.elementId,
            dueAt: schedule.dueAt,
            ...(schedule.repetitionsLeft !== undefined && { repetitionsLeft: schedule.repetitionsLeft }),
            ...(schedule.interval && { interval: schedule.interval }),
          });
        }
      }
    }
    return compiled;
  }

  async start(processId: string, variables: Variables = {}, startElementId?: string, parent?: DriverInstance['parent']): Promise<DriverInstance> {
    const definition = this.definitions.get(processId);
    if (!definition) throw new Error(`process ${processId} is not deployed`);
    const event: StepEvent = { type: 'start', processId, variables, ...(startElementId && { startElementId }) };
    const result = await this.timed(() => step(definition, undefined, event, { now: () => this.clock }));
    const instance: DriverInstance = {
      id: `instance-${this.nextId++}`,
      processId,
      definition,
      snapshotJson: '',
      last: result,
      state: result.state,
      history: [],
      jobsCreated: [],
      userTasksCreated: [],
      startedCalls: new Set(),
      ...(parent && { parent }),
    };
    this.instances.set(instance.id, instance);
    await this.record(instance, result);
    return instance;
  }

  /** Sends one event to an instance, exactly as the shell would. */
  async apply(instanceId: string, event: StepEvent): Promise<StepResult> {
    const instance = this.instance(instanceId);
    const snapshot: unknown = JSON.parse(instance.snapshotJson);
    const result = await this.timed(() => step(instance.definition, snapshot, event, { now: () => this.clock }));
    if (result.rejected) throw new Error(`event ${event.type} rejected by ${instanceId}: ${result.rejected.reason}`);
    await this.record(instance, result);
    return result;
  }

  instance(instanceId: string): DriverInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`no instance ${instanceId}`);
    return instance;
  }

  instancesOf(processId: string): DriverInstance[] {
    return [...this.instances.values()].filter((instance) => instance.processId === processId);
  }

  openJobs(): { instance: DriverInstance; job: JobWait }[] {
    return [...this.instances.values()].flatMap((instance) => instance.last.jobs.map((job) => ({ instance, job })));
  }

  openUserTasks(): { instance: DriverInstance; task: UserTaskWait }[] {
    return [...this.instances.values()].flatMap((instance) => instance.last.userTasks.map((task) => ({ instance, task })));
  }

  openIncidents(): { instance: DriverInstance; incident: Incident }[] {
    return [...this.instances.values()].flatMap((instance) => instance.last.incidents.map((incident) => ({ instance, incident })));
  }

  /** Completes the oldest open job of a type; fails when there is none. */
  async completeJob(type: string, variables: Variables = {}): Promise<JobWait> {
    const open = this.openJobs().find(({ job }) => job.type === type);
    if (!open) throw new Error(`no open job of type ${type}`);
    await this.apply(open.instance.id, { type: 'job-completed', key: open.job.key, variables });
    return open.job;
  }

  async throwError(type: string, errorCode: string, variables?: Variables): Promise<void> {
    const open = this.openJobs().find(({ job }) => job.type === type);
    if (!open) throw new Error(`no open job of type ${type}`);
    await this.apply(open.instance.id, { type: 'job-error', key: open.job.key, errorCode, ...(variables && { variables }) });
  }

  async completeUserTask(elementId: string, variables: Variables = {}): Promise<UserTaskWait> {
    const open = this.openUserTasks().find(({ task }) => task.elementId === elementId);
    if (!open) throw new Error(`no open user task ${elementId}`);
    await this.apply(open.instance.id, { type: 'user-task-completed', key: open.task.key, variables });
    return open.task;
  }

  /**
   * Zeebe-like publish: correlates to one matching subscription per instance, and starts one
   * instance of every process with a message start event of that name.
   */
  async publishMessage(name: string, correlationKey = '', variables: Variables = {}): Promise<number> {
    let correlated = 0;
    for (const instance of [...this.instances.values()]) {
      const subscription = instance.last.messageSubscriptions.find(
        (entry) => entry.messageName === name && entry.correlationKey === correlationKey,
      );
      if (!subscription) continue;
      await this.apply(instance.id, { type: 'message', key: subscription.key, variables });
      correlated++;
    }
    for (const [processId, definition] of this.definitions) {
      const process = definition.processes.find((entry) => entry.processId === processId);
      const start = process?.startEvents.find((entry) => entry.kind === 'message' && entry.messageName === name);
      if (!start) continue;
      await this.start(processId, variables, start.elementId);
      correlated++;
    }
    return correlated;
  }

  /** Moves the clock and fires every timer that is due by then, earliest first. */
  async advance(milliseconds: number): Promise<void> {
    const target = new Date(this.clock.getTime() + milliseconds);
    for (;;) {
      const due = this.nextDueTimer(target);
      if (!due) break;
      if (due.at.getTime() > this.clock.getTime()) this.clock = due.at;
      await due.fire();
    }
    this.clock = target;
  }

  /** `PT1H`-style convenience for advance(). */
  async advanceBy(isoDuration: string): Promise<void> {
    const { dueAt } = scheduleTimer('duration', isoDuration, this.clock);
    await this.advance(dueAt.getTime() - this.clock.getTime());
  }

  async resolveIncident(elementId: string, variables?: Variables): Promise<void> {
    const open = this.openIncidents().find(({ incident }) => incident.elementId === elementId);
    if (!open) throw new Error(`no open incident at ${elementId}`);
    await this.apply(open.instance.id, { type: 'resolve-incident', key: open.incident.key, ...(variables && { variables }) });
  }

  async cancel(instanceId: string): Promise<void> {
    await this.apply(instanceId, { type: 'cancel' });
  }

  private nextDueTimer(until: Date): { at: Date; fire: () => Promise<void> } | undefined {
    let best: { at: Date; fire: () => Promise<void> } | undefined;
    for (const instance of this.instances.values()) {
      for (const timer of instance.last.timers) {
        if (timer.dueAt.getTime() > until.getTime()) continue;
        if (best && best.at.getTime() <= timer.dueAt.getTime()) continue;
        best = { at: timer.dueAt, fire: async () => void (await this.apply(instance.id, { type: 'timer', key: timer.key })) };
      }
    }
    for (const start of this.timerStarts) {
      const dueAt = start.dueAt;
      if (!dueAt || dueAt.getTime() > until.getTime()) continue;
      if (best && best.at.getTime() <= dueAt.getTime()) continue;
      best = {
        at: dueAt,
        fire: async () => {
          // As the shell does: move a cycle on (or retire the timer), then start the instance.
          const next = start.interval ? nextCycleDueAt(dueAt, start.interval, start.repetitionsLeft, this.clock) : undefined;
          start.dueAt = next?.dueAt;
          start.repetitionsLeft = next?.repetitionsLeft;
          await this.start(start.processId, {}, start.elementId);
        },
      };
    }
    return best;
  }

  private async record(instance: DriverInstance, result: StepResult): Promise<void> {
    // Round-trip through JSON, as the jsonb column does, and keep only the text.
    instance.snapshotJson = JSON.stringify(result.snapshot);
    instance.last = { ...result, snapshot: JSON.parse(instance.snapshotJson) };
    instance.state = result.state;
    instance.history.push(...result.history);
    const seenJobs = new Set(instance.jobsCreated.map((job) => job.key));
    for (const job of result.jobs) if (!seenJobs.has(job.key)) instance.jobsCreated.push(job);
    const seenTasks = new Set(instance.userTasksCreated.map((task) => task.key));
    for (const task of result.userTasks) if (!seenTasks.has(task.key)) instance.userTasksCreated.push(task);

    for (const call of result.calls) {
      if (instance.startedCalls.has(call.key)) continue;
      instance.startedCalls.add(call.key);
      await this.start(call.processId, call.variables, undefined, { instanceId: instance.id, callKey: call.key });
    }
    if (instance.parent && (result.state === 'completed' || result.state === 'terminated')) {
      const parent = this.instance(instance.parent.instanceId);
      if (parent.last.calls.some((call) => call.key === instance.parent?.callKey)) {
        await this.apply(parent.id, { type: 'call-completed', key: instance.parent.callKey, variables: result.variables });
      }
    }
  }

  private async timed<T>(run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.stepTimings.push(performance.now() - started);
    }
  }
}
