/**
 * Engine-neutral conformance scenarios. A scenario names fixture files, drives an instance
 * through shell-level actions (complete a job by type, complete a user task, publish a message,
 * move the clock…) and states what must be observable afterwards. Nothing in a scenario refers
 * to snapshots, keys or bpmn-engine, so the same scenarios can run against the Zeebe adapter:
 * implement ConformanceEngine for it.
 */
import type { IncidentKind, InstanceState, UserTaskWait, Variables } from '../types.js';
import { WorkflowTestDriver } from './driver.js';

export type ScenarioAction =
  | { completeJob: string; variables?: Variables }
  | { throwError: string; errorCode: string; variables?: Variables }
  | { completeUserTask: string; variables?: Variables }
  | { publishMessage: string; correlationKey?: string; variables?: Variables }
  | { advanceTime: string }
  | { resolveIncident: string; variables?: Variables }
  | { expectOpen: OpenExpectation };

/** What is open at a point in the scenario (element ids / job types / message names). */
export interface OpenExpectation {
  jobTypes?: string[];
  userTasks?: string[];
  messages?: string[];
  timers?: string[];
  incidents?: string[];
}

export interface ScenarioExpectation {
  state: InstanceState;
  /** Completed element ids of the scenario's root instance, in order. */
  path?: string[];
  /** Compare `path` as a multiset (parallel branches may interleave differently per engine). */
  pathUnordered?: boolean;
  /** Subset of the root instance's final variables. */
  variables?: Variables;
  /** Variables that must not exist in the root scope (locals that must not leak). */
  absentVariables?: string[];
  /** Types of the jobs created in the root instance, in creation order. */
  jobTypes?: string[];
  /** Subset match of the user tasks created in the root instance, in creation order. */
  userTasks?: Partial<UserTaskWait>[];
  incidents?: { elementId: string; kind: IncidentKind }[];
}

export interface Scenario {
  name: string;
  /** Fixture file names (fixtures/*.bpmn) deployed before the scenario runs. */
  deploy: string[];
  processId: string;
  /** How the root instance starts; omit when an action (message, timer) starts it. */
  start?: { variables?: Variables; startElementId?: string };
  actions?: ScenarioAction[];
  expect: ScenarioExpectation;
}

/** What a scenario observes of an instance, engine-neutrally. */
export interface InstanceView {
  state: InstanceState;
  variables: Variables;
  completedElementIds: string[];
  jobTypesCreated: string[];
  userTasksCreated: Partial<UserTaskWait>[];
  incidents: { elementId: string; kind: IncidentKind }[];
  open: Required<OpenExpectation>;
}

export interface ConformanceEngine {
  deploy(files: { name: string; xml: string }[]): Promise<void>;
  startInstance(processId: string, variables: Variables, startElementId?: string): Promise<void>;
  completeJob(type: string, variables: Variables): Promise<void>;
  throwJobError(type: string, errorCode: string, variables?: Variables): Promise<void>;
  completeUserTask(elementId: string, variables: Variables): Promise<void>;
  publishMessage(name: string, correlationKey: string | undefined, variables: Variables): Promise<void>;
  advanceTime(milliseconds: number): Promise<void>;
  resolveIncident(elementId: string, variables?: Variables): Promise<void>;
  /** The first instance of the process started in this scenario. */
  rootInstance(processId: string): Promise<InstanceView>;
}

export interface ScenarioStepCheck {
  action: ScenarioAction;
  open: Required<OpenExpectation>;
}

/**
 * Runs a scenario; returns the root instance's view and the open lists seen at every
 * `expectOpen` action, for the caller's assertions (this module stays assertion-library free).
 */
export async function runScenario(
  scenario: Scenario,
  engine: ConformanceEngine,
  readFixture: (name: string) => string,
): Promise<{ view: InstanceView; checks: ScenarioStepCheck[] }> {
  await engine.deploy(scenario.deploy.map((name) => ({ name, xml: readFixture(name) })));
  if (scenario.start) await engine.startInstance(scenario.processId, scenario.start.variables ?? {}, scenario.start.startElementId);
  const checks: ScenarioStepCheck[] = [];
  for (const action of scenario.actions ?? []) {
    if ('completeJob' in action) await engine.completeJob(action.completeJob, action.variables ?? {});
    else if ('throwError' in action) await engine.throwJobError(action.throwError, action.errorCode, action.variables);
    else if ('completeUserTask' in action) await engine.completeUserTask(action.completeUserTask, action.variables ?? {});
    else if ('publishMessage' in action) await engine.publishMessage(action.publishMessage, action.correlationKey, action.variables ?? {});
    else if ('advanceTime' in action) await engine.advanceTime(isoDurationMillis(action.advanceTime));
    else if ('resolveIncident' in action) await engine.resolveIncident(action.resolveIncident, action.variables);
    else if ('expectOpen' in action) checks.push({ action, open: (await engine.rootInstance(scenario.processId)).open });
  }
  return { view: await engine.rootInstance(scenario.processId), checks };
}

/** Fixed-length ISO 8601 durations (days and time) for clock moves. */
export function isoDurationMillis(duration: string): number {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (!match) throw new Error(`unsupported duration ${duration}`);
  const [, days, hours, minutes, seconds] = match;
  return ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes ?? 0)) * 60_000 + Number(seconds ?? 0) * 1000;
}

/** The embedded engine's ConformanceEngine: the step executor behind the in-memory driver. */
export class EmbeddedConformanceEngine implements ConformanceEngine {
  constructor(readonly driver: WorkflowTestDriver = new WorkflowTestDriver()) {}

  async deploy(files: { name: string; xml: string }[]): Promise<void> {
    await this.driver.deploy(...files.map((file) => file.xml));
  }

  async startInstance(processId: string, variables: Variables, startElementId?: string): Promise<void> {
    await this.driver.start(processId, variables, startElementId);
  }

  async completeJob(type: string, variables: Variables): Promise<void> {
    await this.driver.completeJob(type, variables);
  }

  async throwJobError(type: string, errorCode: string, variables?: Variables): Promise<void> {
    await this.driver.throwError(type, errorCode, variables);
  }

  async completeUserTask(elementId: string, variables: Variables): Promise<void> {
    await this.driver.completeUserTask(elementId, variables);
  }

  async publishMessage(name: string, correlationKey: string | undefined, variables: Variables): Promise<void> {
    await this.driver.publishMessage(name, correlationKey ?? '', variables);
  }

  async advanceTime(milliseconds: number): Promise<void> {
    await this.driver.advance(milliseconds);
  }

  async resolveIncident(elementId: string, variables?: Variables): Promise<void> {
    await this.driver.resolveIncident(elementId, variables);
  }

  async rootInstance(processId: string): Promise<InstanceView> {
    const [instance] = this.driver.instancesOf(processId);
    if (!instance) throw new Error(`no instance of ${processId}`);
    const last = instance.last;
    return {
      state: instance.state,
      variables: last.variables,
      completedElementIds: instance.history.filter((entry) => entry.event === 'completed').map((entry) => entry.elementId),
      jobTypesCreated: instance.jobsCreated.map((job) => job.type),
      userTasksCreated: instance.userTasksCreated,
      incidents: last.incidents.map(({ elementId, kind }) => ({ elementId, kind })),
      open: {
        jobTypes: last.jobs.map((job) => job.type),
        userTasks: last.userTasks.map((task) => task.elementId),
        messages: last.messageSubscriptions.map((subscription) => subscription.messageName),
        timers: last.timers.map((timer) => timer.elementId),
        incidents: last.incidents.map((incident) => incident.elementId),
      },
    };
  }
}

/** The assertion function of the test runner (vitest's `expect`), so this module stays runner-free. */
type Expect = (actual: unknown, message?: string) => {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toHaveLength(length: number): void;
  not: { toHaveProperty(name: string): void };
};

/** Asserts what a scenario expects of its run, on any engine: the same checks for every ConformanceEngine. */
export function checkScenario(expect: Expect, scenario: Scenario, { view, checks }: { view: InstanceView; checks: ScenarioStepCheck[] }): void {
  for (const check of checks) {
    const expected = 'expectOpen' in check.action ? check.action.expectOpen : {};
    for (const [kind, ids] of Object.entries(expected)) expect(check.open[kind as keyof typeof check.open], `open ${kind}`).toEqual(ids);
  }
  const want = scenario.expect;
  expect(view.state).toBe(want.state);
  if (want.path) {
    if (want.pathUnordered) expect([...view.completedElementIds].sort()).toEqual([...want.path].sort());
    else expect(view.completedElementIds).toEqual(want.path);
  }
  if (want.variables) expect(view.variables).toMatchObject(want.variables);
  for (const name of want.absentVariables ?? []) expect(view.variables, `variable ${name}`).not.toHaveProperty(name);
  if (want.jobTypes) expect(view.jobTypesCreated).toEqual(want.jobTypes);
  if (want.userTasks) {
    expect(view.userTasksCreated).toHaveLength(want.userTasks.length);
    want.userTasks.forEach((task, index) => expect(view.userTasksCreated[index]).toMatchObject(task));
  }
  expect(view.incidents).toEqual(want.incidents ?? []);
}
