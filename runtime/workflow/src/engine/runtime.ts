import type { DefinitionModel, ElementModel } from '../compile/model.js';
import { RecordingTimers, type TimerOwnerContent } from '../timers/recording-timers.js';
import type {
  CallWait,
  HistoryEntry,
  Incident,
  IncidentKind,
  JobWait,
  MessageSubscriptionWait,
  StepEvent,
  TimerWait,
  UserTaskWait,
  Variables,
} from '../types.js';
import type { ActivityLike, BrokerMessage, ElementBroker, ParentRef } from './bpmn.js';
import { isActivityLive } from './scope-chain.js';
import { isIterationOf, VariableScopes, type ScopeRecord } from './scopes.js';

/** Environment option under which behaviours find the runtime of the step that runs them. */
export const RUNTIME_OPTION = 'shuiyunRuntime';

export function runtimeOf(activity: ActivityLike): InstanceRuntime {
  const runtime = activity.environment.options[RUNTIME_OPTION];
  if (!(runtime instanceof InstanceRuntime)) throw new Error(`element ${activity.id} runs outside a workflow step`);
  return runtime;
}

// ---- persisted per-instance state (the `ext` half of a snapshot) ------------------------------

export interface JobRecord {
  kind: 'job';
  key: string;
  elementId: string;
  type: string;
  retries: number;
  headers: Record<string, string>;
}

export interface UserTaskRecord {
  kind: 'userTask';
  key: string;
  elementId: string;
  name?: string;
  assignee?: string;
  candidateGroups: string[];
  candidateUsers: string[];
  formKey?: string;
  formId?: string;
  dueDate?: string;
  followUpDate?: string;
}

export interface CallRecord {
  kind: 'call';
  key: string;
  elementId: string;
  processId: string;
  variables: Variables;
}

export interface MessageRecord {
  kind: 'message';
  key: string;
  elementId: string;
  messageName: string;
  correlationKey: string;
  interrupting: boolean;
}

export type WaitRecord = JobRecord | UserTaskRecord | CallRecord | MessageRecord;

export interface IncidentRecord {
  key: string;
  elementId: string;
  kind: IncidentKind;
  reason: string;
  errorCode?: string;
  waitKey?: string;
}

/** What a behaviour must redo when its incident is resolved. */
export type PendingWork =
  | { phase: 'activate' }
  | { phase: 'complete'; variables: Variables }
  | { phase: 'reopen' }
  | { phase: 'evaluate' }
  | { phase: 'throw' };

/** Per element-instance state that bpmn-engine's own state does not carry. */
export interface ExecutionRecord {
  wait?: WaitRecord;
  incident?: IncidentRecord;
  pending?: PendingWork;
}

export interface MultiInstanceRecord {
  /** The input collection as evaluated at activation (Zeebe evaluates it once). */
  collection: unknown[];
  completed: number;
  /** Scope chain around the multi-instance body. */
  parents: string[];
}

/** Element instances that have been activated and not yet left, for 'terminated' history. */
export interface ActiveRecord {
  elementId: string;
  elementType: string;
  name?: string;
  ancestors: string[];
  lazy: boolean;
}

export interface InstanceExt {
  /** Random per instance; prefixes every key so keys are unique across instances. */
  instanceKey: string;
  processId: string;
  startElementId: string;
  seq: number;
  scopes: Record<string, ScopeRecord>;
  executions: Record<string, ExecutionRecord>;
  multiInstance: Record<string, MultiInstanceRecord>;
  active: Record<string, ActiveRecord>;
}

// ---- per-step live registrations ----------------------------------------------------------------

/** The element instance a registration belongs to, for the end-of-step liveness check. */
export interface LiveOwner {
  activity: ActivityLike;
  executionId: string;
  /** Scope chain of the element instance (job variables are read from it). */
  chain: string[];
}

interface LiveWait extends LiveOwner {
  record: WaitRecord;
  onEvent(event: StepEvent): void;
}

interface LiveIncident extends LiveOwner {
  record: IncidentRecord;
  retry(): void;
}

export interface OpenLists {
  jobs: JobWait[];
  userTasks: UserTaskWait[];
  messageSubscriptions: MessageSubscriptionWait[];
  timers: TimerWait[];
  calls: CallWait[];
  incidents: Incident[];
}

const EVENT_WAIT_KINDS: Partial<Record<StepEvent['type'], WaitRecord['kind'][]>> = {
  'job-completed': ['job'],
  'user-task-completed': ['userTask'],
  'job-error': ['job', 'userTask', 'call'],
  message: ['message'],
  'call-completed': ['call'],
};

/**
 * Everything one step knows about its instance beyond bpmn-engine: the persisted extension
 * state, the waits and incidents that behaviours registered while resuming and running, the
 * recorded timers and the history of this step. Built fresh for every step.
 */
export class InstanceRuntime {
  readonly scopes: VariableScopes;
  readonly timers = new RecordingTimers();
  readonly history: HistoryEntry[] = [];
  ended: 'completed' | 'terminated' | undefined;
  engineError: string | undefined;
  private readonly liveWaits = new Map<string, LiveWait>();
  private readonly liveIncidents = new Map<string, LiveIncident>();
  /** Timer event definitions register through bpmn-elements; remember whose they are. */
  private readonly timerOwners = new Map<string, ActivityLike>();
  private terminatedByEndEvent = false;
  /**
   * bpmn-elements completes an event-based gateway after the catch event that won; Zeebe
   * completes the gateway first. History of the winning event waits for its gateway.
   */
  private readonly afterEventGateway = new Map<string, HistoryEntry[]>();

  constructor(
    readonly model: DefinitionModel,
    readonly ext: InstanceExt,
    readonly now: () => Date,
  ) {
    this.scopes = new VariableScopes(ext.scopes);
  }

  element(id: string): ElementModel {
    const model = this.model.elements.get(id);
    if (!model) throw new Error(`element ${id} is not part of the compiled definition`);
    return model;
  }

  keyFor(executionId: string): string {
    return `${this.ext.instanceKey}:${executionId}`;
  }

  record(executionId: string): ExecutionRecord | undefined {
    return this.ext.executions[executionId];
  }

  // ---- waits and incidents -------------------------------------------------------------------

  openWait(owner: LiveOwner, record: WaitRecord, onEvent: (event: StepEvent) => void): void {
    this.ext.executions[owner.executionId] = { wait: record };
    this.liveWaits.set(record.key, { ...owner, record, onEvent });
  }

  closeWait(key: string): void {
    this.liveWaits.delete(key);
  }

  raiseIncident(
    owner: LiveOwner,
    incident: { kind: IncidentKind; reason: string; errorCode?: string; waitKey?: string },
    pending: PendingWork,
    retry: () => void,
  ): void {
    this.ext.seq += 1;
    const record: IncidentRecord = {
      key: `${this.ext.instanceKey}:incident-${this.ext.seq}`,
      elementId: owner.activity.id,
      kind: incident.kind,
      reason: incident.reason,
      ...(incident.errorCode !== undefined && { errorCode: incident.errorCode }),
      ...(incident.waitKey !== undefined && { waitKey: incident.waitKey }),
    };
    const existing = this.ext.executions[owner.executionId];
    this.ext.executions[owner.executionId] = { ...(existing?.wait && { wait: existing.wait }), incident: record, pending };
    this.liveIncidents.set(record.key, { ...owner, record, retry });
  }

  /** A resumed element instance that still has an open incident registers it again. */
  reattachIncident(owner: LiveOwner, record: IncidentRecord, retry: () => void): void {
    this.liveIncidents.set(record.key, { ...owner, record, retry });
  }

  /** The element instance is done (completed, discarded or stopped): drop what it registered. */
  forget(executionId: string): void {
    const record = this.ext.executions[executionId];
    if (record?.wait) this.liveWaits.delete(record.wait.key);
    if (record?.incident) this.liveIncidents.delete(record.incident.key);
    delete this.ext.executions[executionId];
  }

  registerTimerOwner(executionId: string, activity: ActivityLike): void {
    this.timerOwners.set(executionId, activity);
  }

  // ---- applying an event ---------------------------------------------------------------------

  /** Applies the event to the resumed instance; returns a reason when it does not apply. */
  dispatch(event: Exclude<StepEvent, { type: 'start' } | { type: 'cancel' }>): string | undefined {
    switch (event.type) {
      case 'timer': {
        const registration = this.timers
          .list()
          .find((entry) => entry.owner && this.keyFor(entry.owner.executionId) === event.key);
        if (!registration?.owner) return `no open timer with key ${event.key}`;
        registration.fire();
        return undefined;
      }
      case 'resolve-incident': {
        const incident = this.liveIncidents.get(event.key);
        if (!incident) return `no open incident with key ${event.key}`;
        if (event.variables) Object.assign(this.scopes.root, event.variables);
        this.liveIncidents.delete(event.key);
        const record = this.ext.executions[incident.executionId];
        if (record) delete record.incident;
        incident.retry();
        return undefined;
      }
      default: {
        const wait = this.liveWaits.get(event.key);
        const kinds = EVENT_WAIT_KINDS[event.type] ?? [];
        if (!wait) return `no open wait with key ${event.key}`;
        if (!kinds.includes(wait.record.kind)) return `${event.key} is a ${wait.record.kind} wait and cannot take a '${event.type}' event`;
        wait.onEvent(event);
        return undefined;
      }
    }
  }

  // ---- history and scope bookkeeping from engine events --------------------------------------

  /** Follows the definition's activity events: history, terminated elements, scope clean-up. */
  attach(definitionBroker: ElementBroker): void {
    // One subscription per routing key we need: every matching publish copies a message into each
    // subscribed queue, so a catch-all `activity.#` would double the message traffic of a step.
    const subscribe = (routingKey: string, handler: (message: BrokerMessage) => void) =>
      definitionBroker.subscribeTmp('event', routingKey, (_routingKey, message) => handler(message), {
        noAck: true,
        consumerTag: `_shuiyun-${routingKey}`,
        priority: 10000,
      });
    subscribe('activity.start', (message) => this.onActivityEvent('activity.start', message));
    subscribe('activity.end', (message) => this.onActivityEvent('activity.end', message));
    subscribe('activity.leave', (message) => this.onActivityEvent('activity.leave', message));
    subscribe('process.end', (message) => this.onProcessEvent('process.end', message));
    subscribe('process.error', (message) => this.onProcessEvent('process.error', message));
    subscribe('definition.error', (message) => this.onEngineError(message));
  }

  private onActivityEvent(routingKey: string, message: BrokerMessage): void {
    const { content } = message;
    const model = this.model.elements.get(content.id);
    if (!model) return;
    const executionId = content.executionId;
    switch (routingKey) {
      case 'activity.start': {
        const lazy = model.historyOnCompletion;
        this.ext.active[executionId] = {
          elementId: model.id,
          elementType: model.type,
          ...(model.name && { name: model.name }),
          ancestors: ancestorExecutionIds(content.parent),
          lazy,
        };
        if (!lazy) this.addHistory(model.id, model.type, model.name, 'activated');
        return;
      }
      case 'activity.end': {
        const active = this.ext.active[executionId];
        const mark = this.history.length;
        if (active ? active.lazy : model.historyOnCompletion) this.addHistory(model.id, model.type, model.name, 'activated');
        this.addHistory(model.id, model.type, model.name, 'completed');
        if (model.eventGatewayId) this.afterEventGateway.set(model.eventGatewayId, this.history.splice(mark));
        const deferred = this.afterEventGateway.get(model.id);
        if (deferred) {
          this.history.push(...deferred);
          this.afterEventGateway.delete(model.id);
        }
        delete this.ext.active[executionId];
        if (model.loop) this.finishMultiInstance(executionId, model);
        if (model.isTerminateEnd && model.flowScopeId === model.processId) this.terminatedByEndEvent = true;
        return;
      }
      case 'activity.leave': {
        this.terminateActive(executionId);
        for (const [id, active] of Object.entries(this.ext.active)) {
          if (active.ancestors.some((ancestor) => ancestor === executionId || isIterationOf(ancestor, executionId))) {
            this.terminateActive(id);
          }
        }
        this.scopes.drop(executionId);
        delete this.ext.multiInstance[executionId];
        return;
      }
    }
  }

  private onProcessEvent(routingKey: string, message: BrokerMessage): void {
    if (message.content.id !== this.ext.processId) return;
    if (routingKey === 'process.end') this.ended = this.terminatedByEndEvent ? 'terminated' : 'completed';
    if (routingKey === 'process.error') this.onEngineError(message);
  }

  private onEngineError(message: BrokerMessage): void {
    const error = message.content.error;
    this.engineError = error instanceof Error ? error.message : String(error ?? 'unknown engine error');
  }

  private terminateActive(executionId: string): void {
    const active = this.ext.active[executionId];
    if (!active) return;
    delete this.ext.active[executionId];
    if (!active.lazy) this.addHistory(active.elementId, active.elementType, active.name, 'terminated');
  }

  /** The multi-instance body completed: its output collection leaves the body (Zeebe semantics). */
  private finishMultiInstance(bodyExecutionId: string, model: ElementModel): void {
    const instance = this.ext.multiInstance[bodyExecutionId];
    const name = model.loop?.outputCollection;
    if (!instance || !name) return;
    const collected = this.scopes.local(bodyExecutionId)?.[name] ?? [];
    this.scopes.propagate(instance.parents, { [name]: collected });
  }

  addHistory(elementId: string, elementType: string, name: string | undefined, event: HistoryEntry['event']): void {
    this.history.push({ elementId, elementType, ...(name && { name }), event, at: this.now() });
  }

  /** A canceled instance: every activated element instance is terminated. */
  cancelAll(): void {
    for (const id of Object.keys(this.ext.active)) this.terminateActive(id);
    this.clear();
  }

  // ---- result --------------------------------------------------------------------------------

  /** The complete lists of open waits and incidents after the step; prunes the persisted state. */
  collect(): OpenLists {
    const lists: OpenLists = { jobs: [], userTasks: [], messageSubscriptions: [], timers: [], calls: [], incidents: [] };
    for (const deferred of this.afterEventGateway.values()) this.history.push(...deferred);
    this.afterEventGateway.clear();
    if (this.ended) {
      for (const id of Object.keys(this.ext.active)) this.terminateActive(id);
      this.clear();
      return lists;
    }
    const keep = new Set<string>();
    for (const wait of this.liveWaits.values()) {
      if (!isActivityLive(wait.activity)) continue;
      keep.add(wait.executionId);
      this.pushWait(lists, wait);
    }
    for (const incident of this.liveIncidents.values()) {
      if (!isActivityLive(incident.activity)) continue;
      keep.add(incident.executionId);
      lists.incidents.push({ ...incident.record });
    }
    for (const registration of this.timers.list()) {
      const owner = registration.owner as TimerOwnerContent;
      const activity = this.timerOwners.get(owner.executionId);
      if (activity && !isActivityLive(activity)) continue;
      lists.timers.push(toTimerWait(this.keyFor(owner.executionId), owner));
    }
    for (const executionId of Object.keys(this.ext.executions)) {
      if (!keep.has(executionId)) delete this.ext.executions[executionId];
    }
    return lists;
  }

  private pushWait(lists: OpenLists, wait: LiveWait): void {
    const { record } = wait;
    switch (record.kind) {
      case 'job': {
        const { kind: _kind, ...job } = record;
        lists.jobs.push({ ...job, headers: { ...job.headers }, variables: this.scopes.visible(wait.chain) });
        return;
      }
      case 'userTask': {
        const { kind: _kind, ...task } = record;
        lists.userTasks.push({
          ...task,
          candidateGroups: [...task.candidateGroups],
          candidateUsers: [...task.candidateUsers],
          variables: this.scopes.visible(wait.chain),
        });
        return;
      }
      case 'call': {
        const { kind: _kind, ...call } = record;
        lists.calls.push({ ...call, variables: { ...call.variables } });
        return;
      }
      case 'message': {
        const { kind: _kind, ...subscription } = record;
        lists.messageSubscriptions.push(subscription);
        return;
      }
    }
  }

  private clear(): void {
    this.ext.executions = {};
    this.ext.multiInstance = {};
    this.ext.active = {};
    this.scopes.clearLocals();
  }
}

function toTimerWait(key: string, owner: TimerOwnerContent): TimerWait {
  const interval = typeof owner.timerInterval === 'string' ? owner.timerInterval : undefined;
  const repeat = typeof owner.repeat === 'number' && owner.repeat > 0 ? owner.repeat : undefined;
  return {
    key,
    elementId: owner.id,
    dueAt: new Date(owner.expireAt ?? 0),
    ...(repeat !== undefined && { repetitionsLeft: repeat }),
    ...(interval && { interval }),
  };
}

/** Execution ids of the (sub-)process executions around an element, innermost first. */
function ancestorExecutionIds(parent: ParentRef | undefined): string[] {
  if (!parent) return [];
  const ids = parent.executionId ? [parent.executionId] : [];
  for (const entry of parent.path ?? []) if (entry.executionId) ids.push(entry.executionId);
  return ids;
}
