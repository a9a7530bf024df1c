import type { SerializableContext } from 'moddle-context-serializer';
import type { Expr } from '../feel/expression.js';
import type { TimerKind } from '../timers/timer-spec.js';

/** One zeebe:input / zeebe:output. `target` is split on dots (`a.b` sets property b of a). */
export interface Mapping {
  source: Expr;
  target: string[];
}

export interface JobConfig {
  type: Expr;
  retries: Expr;
  headers: Record<string, string>;
}

export interface UserTaskConfig {
  assignee?: Expr;
  candidateGroups?: Expr;
  candidateUsers?: Expr;
  formKey?: string;
  formId?: string;
  dueDate?: Expr;
  followUpDate?: Expr;
}

export interface CallConfig {
  processId: Expr;
  propagateAllChildVariables: boolean;
  propagateAllParentVariables: boolean;
}

export type WaitConfig =
  | { kind: 'job'; job: JobConfig }
  | { kind: 'userTask'; userTask: UserTaskConfig }
  | { kind: 'call'; call: CallConfig };

export interface LoopConfig {
  sequential: boolean;
  inputCollection: Expr;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: Expr;
  /** `=name` output elements: Zeebe creates `name` as a local (null) of every inner instance. */
  outputElementLocal?: string;
  completionCondition?: Expr;
}

export interface TimerConfig {
  kind: TimerKind;
  expression: string;
}

export interface MessageConfig {
  name: Expr;
  correlationKey?: Expr;
}

/** An error boundary event that may catch errors of an element; no code means catch-all. */
export interface ErrorCatcher {
  boundaryId: string;
  attachedToId: string;
  errorCode?: string;
}

export interface OutgoingFlow {
  flowId: string;
  targetId: string;
  condition?: Expr;
  isDefault: boolean;
}

export interface ElementModel {
  id: string;
  /** bpmn moddle type, e.g. `bpmn:ServiceTask`. */
  type: string;
  name?: string;
  processId: string;
  /** Id of the process or sub-process that contains the element. */
  flowScopeId: string;
  inputs: Mapping[];
  outputs: Mapping[];
  wait?: WaitConfig;
  loop?: LoopConfig;
  timer?: TimerConfig;
  message?: MessageConfig;
  /** Error end events: the code they throw. */
  errorCode?: string;
  /** Error end events, tasks, sub-processes and calls: catchers from innermost to outermost. */
  errorCatchers: ErrorCatcher[];
  boundary?: { attachedToId: string; interrupting: boolean };
  /** Process-level start events. */
  start?: { kind: 'none' | 'message' | 'timer' };
  isTerminateEnd?: boolean;
  /** Gateways: outgoing flows in document order. */
  outgoing: OutgoingFlow[];
  /**
   * Boundary events and the catch events behind an event-based gateway are only "activated" in
   * Zeebe's history when they trigger; record them on completion.
   */
  historyOnCompletion: boolean;
  /** Catch events behind an event-based gateway: the gateway's id. */
  eventGatewayId?: string;
}

export interface ProcessModel {
  id: string;
  noneStartId?: string;
}

export interface DefinitionModel {
  elements: Map<string, ElementModel>;
  processes: Map<string, ProcessModel>;
}

/** What CompiledDefinition.handle holds; steps reuse it, so it is built once per definition. */
export interface DefinitionHandle {
  readonly kind: 'shuiyun-workflow-handle';
  readonly definitionsId: string;
  readonly context: SerializableContext;
  readonly model: DefinitionModel;
}

export function isDefinitionHandle(value: unknown): value is DefinitionHandle {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'shuiyun-workflow-handle';
}
