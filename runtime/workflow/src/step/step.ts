import { randomUUID } from 'node:crypto';
import { Engine, type BpmnEngineOptions } from 'bpmn-engine';
import { isDefinitionHandle, type DefinitionHandle } from '../compile/model.js';
import type { ElementBroker } from '../engine/bpmn.js';
import { plainVariables } from '../engine/behaviours/wait-task.js';
import { InstanceRuntime, RUNTIME_OPTION, type InstanceExt, type OpenLists } from '../engine/runtime.js';
import type { CompiledDefinition, InstanceState, Snapshot, StepEvent, StepOptions, StepResult } from '../types.js';

/**
 * What goes into the jsonb column. `engine` is bpmn-engine's definition state (minus the
 * serialized source, which the compiled handle already holds); `ext` is the Zeebe side.
 */
interface SnapshotV1 {
  v: 1;
  state: InstanceState;
  engine: unknown;
  ext: InstanceExt;
}

/** The part of a bpmn-elements Definition a step drives. */
interface DefinitionLike {
  broker: ElementBroker;
  run(options: { processId: string }): void;
  resume(): void;
  getState(): unknown;
}

const NO_SCRIPTS = { register: () => undefined, getScript: () => undefined };
const SILENT_LOGGER = () => ({ debug() {}, error() {}, warn() {} });
const ENGINE_SETTINGS = {
  // Only elements that hold messages go into the state: smaller snapshots, cheaper getState.
  disableTrackState: true,
  // Zeebe activates every parallel multi-instance iteration at once.
  batchSize: 100_000,
};

/**
 * Runs one event against an instance. `snapshot` is undefined only for 'start'.
 * Never throws for a modelling or run-time problem: that becomes an incident (or, when the event
 * cannot apply at all, a `rejected` result). It throws only when called wrongly.
 */
export async function step(def: CompiledDefinition, snapshot: Snapshot | undefined, event: StepEvent, options: StepOptions = {}): Promise<StepResult> {
  const handle = def.handle;
  if (!isDefinitionHandle(handle)) throw new TypeError('step() needs a definition returned by compileDefinition()');
  const now = options.now ?? (() => new Date());

  if (event.type === 'start') {
    if (snapshot !== undefined) throw new TypeError("a 'start' event creates an instance; it takes no snapshot");
    return startInstance(handle, event, now);
  }
  if (snapshot === undefined) throw new TypeError(`a '${event.type}' event needs the instance snapshot`);
  const previous = readSnapshot(snapshot);
  if (previous.state !== 'active') {
    return { ...emptyResult(snapshot, previous), rejected: { reason: `the instance is ${previous.state}` } };
  }

  // The stored snapshot stays untouched; the engine and our runtime mutate copies.
  const ext = structuredClone(previous.ext);
  const runtime = new InstanceRuntime(handle.model, ext, now);
  if (event.type === 'cancel') {
    runtime.cancelAll();
    return finish(runtime, undefined, 'canceled');
  }

  const engine = createEngine(handle, runtime);
  engine.recover({ name: ext.processId, definitions: [structuredClone(previous.engine)] });
  const definition = engine.execution.definitions[0] as unknown as DefinitionLike | undefined;
  if (!definition) throw new TypeError('the snapshot holds no definition state');
  runtime.attach(definition.broker);
  let reason: string | undefined;
  try {
    definition.resume();
    reason = runtime.engineError ?? runtime.dispatch(event);
  } catch (cause) {
    reason = `engine error: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  if (runtime.engineError) reason = `engine error: ${runtime.engineError}`;
  if (reason) {
    // The event did not apply: report the instance as it was.
    const resumed = new InstanceRuntime(handle.model, structuredClone(previous.ext), now);
    const lists = await openListsOf(handle, previous, resumed);
    return { snapshot, state: 'active', variables: { ...resumed.scopes.root }, ...lists, history: [], rejected: { reason } };
  }
  return finish(runtime, definition, runtime.ended ?? 'active');
}

async function startInstance(handle: DefinitionHandle, event: Extract<StepEvent, { type: 'start' }>, now: () => Date): Promise<StepResult> {
  const process = handle.model.processes.get(event.processId);
  if (!process) throw new TypeError(`process ${event.processId} is not in this definition`);
  const startElementId = event.startElementId ?? process.noneStartId;
  if (!startElementId) throw new TypeError(`process ${event.processId} has no none start event; name the start event to use`);
  const start = handle.model.elements.get(startElementId);
  if (!start?.start || start.processId !== event.processId) {
    throw new TypeError(`${startElementId} is not a start event of process ${event.processId}`);
  }

  const ext: InstanceExt = {
    instanceKey: randomUUID(),
    processId: event.processId,
    startElementId,
    seq: 0,
    scopes: { root: { parents: [], vars: plainVariables(event.variables ?? {}) } },
    executions: {},
    multiInstance: {},
    active: {},
  };
  const runtime = new InstanceRuntime(handle.model, ext, now);
  const engine = createEngine(handle, runtime);
  const [definition] = (await engine.getDefinitions()) as unknown as DefinitionLike[];
  if (!definition) throw new Error('bpmn-engine loaded no definition');
  runtime.attach(definition.broker);
  try {
    definition.run({ processId: event.processId });
  } catch (cause) {
    runtime.engineError = cause instanceof Error ? cause.message : String(cause);
  }
  if (runtime.engineError) throw new Error(`bpmn-engine failed to start ${event.processId}: ${runtime.engineError}`);
  return finish(runtime, definition, runtime.ended ?? 'active');
}

function createEngine(handle: DefinitionHandle, runtime: InstanceRuntime): Engine {
  return new Engine({
    name: runtime.ext.processId,
    sourceContext: handle.context,
    // Structurally what bpmn-elements calls; its typings ask for CallableFunction-based shapes.
    timers: runtime.timers as unknown as BpmnEngineOptions['timers'],
    scripts: NO_SCRIPTS as unknown as BpmnEngineOptions['scripts'],
    Logger: SILENT_LOGGER,
    settings: ENGINE_SETTINGS,
    [RUNTIME_OPTION]: runtime,
  });
}

function finish(runtime: InstanceRuntime, definition: DefinitionLike | undefined, state: InstanceState): StepResult {
  const lists = runtime.collect();
  const snapshot: SnapshotV1 = {
    v: 1,
    state,
    engine: state === 'active' && definition ? definition.getState() : null,
    ext: runtime.ext,
  };
  return { snapshot, state, variables: { ...runtime.scopes.root }, ...lists, history: runtime.history };
}

/** The open lists of an unchanged instance (for a rejected event): resume it and look. */
async function openListsOf(handle: DefinitionHandle, previous: SnapshotV1, runtime: InstanceRuntime): Promise<OpenLists> {
  const engine = createEngine(handle, runtime);
  engine.recover({ name: previous.ext.processId, definitions: [structuredClone(previous.engine)] });
  const definition = engine.execution.definitions[0] as unknown as DefinitionLike;
  definition.resume();
  return runtime.collect();
}

function emptyResult(snapshot: Snapshot, previous: SnapshotV1): StepResult {
  return {
    snapshot,
    state: previous.state,
    variables: { ...(previous.ext.scopes.root?.vars ?? {}) },
    jobs: [],
    userTasks: [],
    messageSubscriptions: [],
    timers: [],
    calls: [],
    history: [],
    incidents: [],
  };
}

function readSnapshot(snapshot: Snapshot): SnapshotV1 {
  const value = snapshot as Partial<SnapshotV1> | null;
  if (!value || typeof value !== 'object' || value.v !== 1 || !value.ext || typeof value.state !== 'string') {
    throw new TypeError('not a workflow snapshot produced by step()');
  }
  return value as SnapshotV1;
}
