import * as Elements from 'bpmn-elements';
import { TypeResolver } from 'moddle-context-serializer';
import { activityFactory, withBehaviour, withFastFormatting } from './bpmn.js';
import { StartEventBehaviour, ZeebeErrorEventDefinition, ZeebeMessageEventDefinition, ZeebeTimerEventDefinition } from './behaviours/events.js';
import { ExclusiveGatewayBehaviour, InclusiveGatewayBehaviour } from './behaviours/gateways.js';
import { ZeebeLoopCharacteristics } from './behaviours/multi-instance.js';
import { ZeebeSubProcessBehaviour } from './behaviours/sub-process.js';
import { WaitTaskBehaviour } from './behaviours/wait-task.js';

const WaitTask = activityFactory(WaitTaskBehaviour);

/**
 * bpmn-elements types replaced by Zeebe behaviour. Everything else (process, flows, parallel and
 * event-based gateways, boundary and end events, terminate) is bpmn-elements' own.
 *
 * The inclusive gateway is flagged like a parallel gateway so that, as a join, bpmn-elements
 * waits for every incoming flow to be taken or discarded (dead-path elimination) — the token
 * semantics of a converging inclusive gateway.
 */
export const zeebeElements: Record<string, unknown> = {
  ServiceTask: WaitTask,
  UserTask: WaitTask,
  CallActivity: WaitTask,
  ManualTask: Elements.Task,
  StartEvent: activityFactory(StartEventBehaviour),
  ExclusiveGateway: activityFactory(ExclusiveGatewayBehaviour),
  InclusiveGateway: activityFactory(InclusiveGatewayBehaviour, { isParallelGateway: true }),
  SubProcess: withBehaviour(Elements.SubProcess, ZeebeSubProcessBehaviour),
  TimerEventDefinition: ZeebeTimerEventDefinition,
  MessageEventDefinition: ZeebeMessageEventDefinition,
  ErrorEventDefinition: ZeebeErrorEventDefinition,
  MultiInstanceLoopCharacteristics: ZeebeLoopCharacteristics,
};

/** Element types (as opposed to event definitions, loops and the like) that build activities. */
const ACTIVITY_TYPES = [
  'BoundaryEvent',
  'EndEvent',
  'EventBasedGateway',
  'IntermediateCatchEvent',
  'IntermediateThrowEvent',
  'ParallelGateway',
  'Task',
  'ServiceTask',
  'UserTask',
  'CallActivity',
  'ManualTask',
  'StartEvent',
  'ExclusiveGateway',
  'InclusiveGateway',
  'SubProcess',
];

function fastActivities(types: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...types };
  for (const name of ACTIVITY_TYPES) result[name] = withFastFormatting(types[name]);
  return result;
}

/** Maps moddle types to behaviours when a definition is serialized at deploy time. */
export const zeebeTypeResolver = TypeResolver(fastActivities({ ...Elements, ...zeebeElements }));
