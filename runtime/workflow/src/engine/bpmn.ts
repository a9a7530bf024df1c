/**
 * The narrow, typed face of bpmn-elements that the Zeebe behaviours use.
 *
 * bpmn-elements is written in plain JavaScript and its bundled typings describe the public
 * engine API, not the behaviour-author API (execute messages, the element broker, executions).
 * These structural interfaces name exactly the members we rely on, and the few casts from the
 * library's values live in this file only.
 */
import * as Elements from 'bpmn-elements';
import * as Tasks from 'bpmn-elements/tasks';

export interface ParentRef {
  id: string;
  type?: string;
  executionId?: string;
  path?: ParentRef[];
}

export interface MessageContent {
  id: string;
  type: string;
  executionId: string;
  parent?: ParentRef;
  isRootScope?: boolean;
  isMultiInstance?: boolean;
  isDefinitionScope?: boolean;
  index?: number;
  inbound?: MessageContent[];
  [key: string]: unknown;
}

export interface BrokerMessage {
  fields: { routingKey: string; redelivered?: boolean; consumerTag?: string };
  content: MessageContent;
  properties: { type?: string; correlationId?: string; delegate?: boolean; persistent?: boolean; [key: string]: unknown };
}

export type MessageHandler = (routingKey: string, message: BrokerMessage) => void;

export interface ElementBroker {
  publish(exchange: string, routingKey: string, content: object, properties?: object): void;
  subscribeTmp(exchange: string, pattern: string, handler: MessageHandler, options: object): unknown;
  cancel(consumerTag: string): void;
}

export interface EnvironmentLike {
  options: Record<string, unknown>;
  settings: Record<string, unknown>;
}

export interface ContextLike {
  owner?: ActivityLike;
}

export interface FlowLike {
  id: string;
  targetId: string;
  isDefault?: boolean;
}

export interface ProcessExecutionLike {
  executionId?: string;
  context: ContextLike;
  isRunning: boolean;
  completed: boolean;
}

export interface ActivityLike {
  id: string;
  type: string;
  name?: string;
  broker: ElementBroker;
  environment: EnvironmentLike;
  context: ContextLike;
  parent: ParentRef;
  isRunning: boolean;
  isSubProcess?: boolean;
  isMultiInstance?: boolean;
  isThrowing?: boolean;
  executionId?: string;
  outbound: FlowLike[];
  attachedTo: ActivityLike | null;
  behaviour: { loopCharacteristics?: LoopCharacteristicsDef; cancelActivity?: boolean; [key: string]: unknown };
  execution?: { source?: { executions?: ProcessExecutionLike[] } };
}

export interface LoopCharacteristicsDef {
  type?: string;
  behaviour?: Record<string, unknown>;
  Behaviour: new (activity: ActivityLike, loopCharacteristics: LoopCharacteristicsDef) => LoopBehaviour;
}

export interface LoopBehaviour {
  execute(executeMessage: BrokerMessage): unknown;
}

export interface EventDefinitionDef {
  type?: string;
  behaviour?: Record<string, unknown>;
}

/** What bpmn-elements expects of an activity behaviour class. */
export interface ActivityBehaviour {
  execute(executeMessage: BrokerMessage): unknown;
}
export type ActivityBehaviourClass = new (activity: ActivityLike, context: unknown) => ActivityBehaviour;

/** A behaviour factory in the shape of bpmn-elements' element types (e.g. `ServiceTask`). */
export type ActivityFactory = (activityDef: unknown, context: unknown) => unknown;

const ActivityCtor = Elements.Activity as unknown as new (
  Behaviour: ActivityBehaviourClass,
  activityDef: unknown,
  context: unknown,
) => unknown;

/**
 * bpmn-elements passes every run message of every activity through a "formatter" that lets
 * extensions enrich it: a publish, a temporary consumer and a random id per message, even when
 * nothing formats. We have no formatting extensions, so when the activity's format queue is
 * empty the message passes straight through (exactly what the formatter would return); otherwise
 * the library's formatter runs. This saves a publish, a consumer and a random id per run message.
 */
const kFormatter = Symbol.for('formatter');
interface FormattingActivity {
  formatter: { format(message: unknown, callback: (error: unknown, content?: unknown, formatted?: boolean) => void): void };
  broker: { getQueue(name: string): { messageCount: number } | undefined };
  [kFormatter]?: unknown;
}
function installPassThroughFormatter(element: unknown): void {
  const activity = element as FormattingActivity;
  const library = activity.formatter;
  const queue = activity.broker.getQueue('format-run-q');
  if (!queue) return;
  activity[kFormatter] = {
    format(message: { content: unknown }, callback: (error: unknown, content?: unknown, formatted?: boolean) => void) {
      if (!queue.messageCount) return callback(null, message.content, false);
      return library.format(message, callback);
    },
  };
}

/** Wraps any bpmn-elements element factory so its activities get the pass-through formatter. */
export function withFastFormatting(factory: unknown): ActivityFactory {
  const build = factory as ActivityFactory;
  return function ZeebeFastActivity(activityDef: unknown, context: unknown) {
    const element = build(activityDef, context);
    installPassThroughFormatter(element);
    return element;
  };
}

/**
 * Wraps a behaviour class into an element factory, as bpmn-elements' own task types do.
 * bpmn-elements calls factories with `new`, so they must be plain functions (arrows are not
 * constructible); returning an object from a constructor call yields that object.
 */
export function activityFactory(Behaviour: ActivityBehaviourClass, defaults?: Record<string, unknown>): ActivityFactory {
  return function ZeebeActivity(activityDef: unknown, context: unknown) {
    return new ActivityCtor(Behaviour, defaults ? { ...(activityDef as object), ...defaults } : activityDef, context);
  };
}

/** ActivityError carries an error `code` that error boundary events compare against. */
export function bpmnErrorFor(message: string, executeMessage: BrokerMessage, code: string): Error {
  const ActivityError = Elements.ActivityError as unknown as new (
    description: string,
    sourceMessage: BrokerMessage,
    inner: { code: string; name: string },
  ) => Error;
  return new ActivityError(message, executeMessage, { code, name: 'BpmnError' });
}

/** Base classes we extend. Their prototypes are plain functions, which `class … extends` accepts. */
export interface TimerDefinitionBase {
  activity: ActivityLike;
  broker: ElementBroker;
  execute(executeMessage: BrokerMessage): void;
  _getTimers(executeMessage: BrokerMessage): Record<string, unknown>;
}
export const TimerEventDefinitionBase = Elements.TimerEventDefinition as unknown as new (
  activity: ActivityLike,
  eventDefinition: EventDefinitionDef,
) => TimerDefinitionBase;

export interface ErrorDefinitionBase {
  activity: ActivityLike;
  broker: ElementBroker;
  isThrowing?: boolean;
  execute(executeMessage: BrokerMessage): void;
}
export const ErrorEventDefinitionBase = Elements.ErrorEventDefinition as unknown as new (
  activity: ActivityLike,
  eventDefinition: EventDefinitionDef,
) => ErrorDefinitionBase;

/** Exported by bpmn-elements but missing from its typings. */
export const LoopCharacteristicsBase = (Elements as unknown as { MultiInstanceLoopCharacteristics: unknown }).MultiInstanceLoopCharacteristics as new (
  activity: ActivityLike,
  loopCharacteristics: LoopCharacteristicsDef,
) => LoopBehaviour;

export interface SubProcessBehaviourBase extends ActivityBehaviour {
  activity: ActivityLike;
  broker: ElementBroker;
  _completeExecution(routingKey: string, content: MessageContent): void;
}
/** Not on bpmn-elements' main entry, and missing from its typings. */
export const SubProcessBehaviourBase = (Tasks as unknown as { SubProcessBehaviour: unknown }).SubProcessBehaviour as new (
  activity: ActivityLike,
  context: unknown,
) => SubProcessBehaviourBase;

/**
 * Builds the element with bpmn-elements' own factory (which wires sub-process specifics such as
 * start-activity lookup) and swaps in our behaviour; Activity reads `Behaviour` at execute time.
 */
export function withBehaviour(factory: unknown, Behaviour: ActivityBehaviourClass): ActivityFactory {
  const build = factory as ActivityFactory;
  return function ZeebeActivity(activityDef: unknown, context: unknown) {
    const element = build(activityDef, context) as { Behaviour: ActivityBehaviourClass };
    element.Behaviour = Behaviour;
    return element;
  };
}

/** Content copy that does not share the nested parent/inbound structures with the original. */
export function cloneContent(content: MessageContent, extend?: Record<string, unknown>): MessageContent {
  const clone: MessageContent = { ...content, ...extend };
  if (content.parent) clone.parent = cloneParent(content.parent);
  if (content.inbound) clone.inbound = content.inbound.map((entry) => cloneContent(entry));
  return clone;
}

export function cloneParent(parent: ParentRef): ParentRef {
  const clone: ParentRef = { ...parent };
  if (parent.path) clone.path = parent.path.map((entry) => ({ ...entry }));
  return clone;
}
