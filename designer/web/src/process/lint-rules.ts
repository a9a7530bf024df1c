// bpmnlint's recommended rules and bpmnlint-plugin-camunda-compat's camunda-cloud-8-6 rules, imported
// statically: bpmnlint resolves rules by name at run time, which a bundler cannot follow, so the
// resolver below serves them from this table (what bpmnlint-pack-config would generate).
import adHocSubProcess from 'bpmnlint/rules/ad-hoc-sub-process.js';
import conditionalFlows from 'bpmnlint/rules/conditional-flows.js';
import endEventRequired from 'bpmnlint/rules/end-event-required.js';
import eventBasedGateway from 'bpmnlint/rules/event-based-gateway.js';
import eventSubProcessTypedStartEvent from 'bpmnlint/rules/event-sub-process-typed-start-event.js';
import fakeJoin from 'bpmnlint/rules/fake-join.js';
import global from 'bpmnlint/rules/global.js';
import labelRequired from 'bpmnlint/rules/label-required.js';
import linkEvent from 'bpmnlint/rules/link-event.js';
import noBpmndi from 'bpmnlint/rules/no-bpmndi.js';
import noComplexGateway from 'bpmnlint/rules/no-complex-gateway.js';
import noDisconnected from 'bpmnlint/rules/no-disconnected.js';
import noDuplicateSequenceFlows from 'bpmnlint/rules/no-duplicate-sequence-flows.js';
import noGatewayJoinFork from 'bpmnlint/rules/no-gateway-join-fork.js';
import noImplicitSplit from 'bpmnlint/rules/no-implicit-split.js';
import noImplicitEnd from 'bpmnlint/rules/no-implicit-end.js';
import noImplicitStart from 'bpmnlint/rules/no-implicit-start.js';
import noInclusiveGateway from 'bpmnlint/rules/no-inclusive-gateway.js';
import noOverlappingElements from 'bpmnlint/rules/no-overlapping-elements.js';
import singleBlankStartEvent from 'bpmnlint/rules/single-blank-start-event.js';
import singleEventDefinition from 'bpmnlint/rules/single-event-definition.js';
import startEventRequired from 'bpmnlint/rules/start-event-required.js';
import subProcessBlankStartEvent from 'bpmnlint/rules/sub-process-blank-start-event.js';
import superfluousGateway from 'bpmnlint/rules/superfluous-gateway.js';
import superfluousLabel from 'bpmnlint/rules/superfluous-label.js';
import superfluousTermination from 'bpmnlint/rules/superfluous-termination.js';
import compatImplementation from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/implementation/index.js';
import compatCalledElement from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/called-element.js';
import compatDuplicateTaskHeaders from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/duplicate-task-headers.js';
import compatElementType from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/element-type/index.js';
import compatErrorReference from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/error-reference.js';
import compatEventBasedGatewayTarget from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/event-based-gateway-target.js';
import compatExecutableProcess from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/executable-process.js';
import compatLoopCharacteristics from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/loop-characteristics.js';
import compatMessageReference from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/message-reference.js';
import compatIoMapping from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/io-mapping.js';
import compatNoBusinessId from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-business-id.js';
import compatNoCancelExecutionListener from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-cancel-execution-listener.js';
import compatNoExecutionListenerHeaders from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-execution-listener-headers.js';
import compatNoExpression from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-expression.js';
import compatNoJobPriorityDefinition from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-job-priority-definition.js';
import compatNoLoop from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-loop.js';
import compatNoMultipleNoneStartEvents from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-multiple-none-start-events.js';
import compatNoTaskListeners from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-task-listeners.js';
import compatSequenceFlowCondition from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/sequence-flow-condition.js';
import compatStartEventForm from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/start-event-form.js';
import compatSubscription from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/subscription.js';
import compatTimer from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/timer/index.js';
import compatUserTaskDefinition from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/user-task-definition.js';
import compatUserTaskForm from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/user-task-form.js';
import compatVariableName from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/variable-name.js';
import compatFeel from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/feel.js';
import compatFeelCompatibility from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/feel-compatibility.js';
import compatConnectorProperties from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/connector-properties/index.js';
import compatEscalationBoundaryEventAttachedToRef from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/escalation-boundary-event-attached-to-ref.js';
import compatEscalationReference from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/escalation-reference.js';
import compatLinkEvent from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/link-event.js';
import compatTaskSchedule from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/task-schedule.js';
import compatSecrets from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/secrets.js';
import compatSignalReference from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/signal-reference.js';
import compatWaitForCompletion from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/wait-for-completion.js';
import compatDuplicateExecutionListeners from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/duplicate-execution-listeners.js';
import compatExecutionListener from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/execution-listener.js';
import compatNoBeforeAllExecutionListener from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/no-before-all-execution-listener.js';
import compatPriorityDefinition from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/priority-definition.js';
import compatVersionTag from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/version-tag.js';
import compatZeebeUserTask from 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/zeebe-user-task.js';

export const bpmnlintRules: Record<string, unknown> = {
  'ad-hoc-sub-process': adHocSubProcess,
  'conditional-flows': conditionalFlows,
  'end-event-required': endEventRequired,
  'event-based-gateway': eventBasedGateway,
  'event-sub-process-typed-start-event': eventSubProcessTypedStartEvent,
  'fake-join': fakeJoin,
  'global': global,
  'label-required': labelRequired,
  'link-event': linkEvent,
  'no-bpmndi': noBpmndi,
  'no-complex-gateway': noComplexGateway,
  'no-disconnected': noDisconnected,
  'no-duplicate-sequence-flows': noDuplicateSequenceFlows,
  'no-gateway-join-fork': noGatewayJoinFork,
  'no-implicit-split': noImplicitSplit,
  'no-implicit-end': noImplicitEnd,
  'no-implicit-start': noImplicitStart,
  'no-inclusive-gateway': noInclusiveGateway,
  'no-overlapping-elements': noOverlappingElements,
  'single-blank-start-event': singleBlankStartEvent,
  'single-event-definition': singleEventDefinition,
  'start-event-required': startEventRequired,
  'sub-process-blank-start-event': subProcessBlankStartEvent,
  'superfluous-gateway': superfluousGateway,
  'superfluous-label': superfluousLabel,
  'superfluous-termination': superfluousTermination,
};

export const compatRules: Record<string, unknown> = {
  'implementation': compatImplementation,
  'called-element': compatCalledElement,
  'duplicate-task-headers': compatDuplicateTaskHeaders,
  'element-type': compatElementType,
  'error-reference': compatErrorReference,
  'event-based-gateway-target': compatEventBasedGatewayTarget,
  'executable-process': compatExecutableProcess,
  'loop-characteristics': compatLoopCharacteristics,
  'message-reference': compatMessageReference,
  'io-mapping': compatIoMapping,
  'no-business-id': compatNoBusinessId,
  'no-cancel-execution-listener': compatNoCancelExecutionListener,
  'no-execution-listener-headers': compatNoExecutionListenerHeaders,
  'no-expression': compatNoExpression,
  'no-job-priority-definition': compatNoJobPriorityDefinition,
  'no-loop': compatNoLoop,
  'no-multiple-none-start-events': compatNoMultipleNoneStartEvents,
  'no-task-listeners': compatNoTaskListeners,
  'sequence-flow-condition': compatSequenceFlowCondition,
  'start-event-form': compatStartEventForm,
  'subscription': compatSubscription,
  'timer': compatTimer,
  'user-task-definition': compatUserTaskDefinition,
  'user-task-form': compatUserTaskForm,
  'variable-name': compatVariableName,
  'feel': compatFeel,
  'feel-compatibility': compatFeelCompatibility,
  'connector-properties': compatConnectorProperties,
  'escalation-boundary-event-attached-to-ref': compatEscalationBoundaryEventAttachedToRef,
  'escalation-reference': compatEscalationReference,
  'link-event': compatLinkEvent,
  'task-schedule': compatTaskSchedule,
  'secrets': compatSecrets,
  'signal-reference': compatSignalReference,
  'wait-for-completion': compatWaitForCompletion,
  'duplicate-execution-listeners': compatDuplicateExecutionListeners,
  'execution-listener': compatExecutionListener,
  'no-before-all-execution-listener': compatNoBeforeAllExecutionListener,
  'priority-definition': compatPriorityDefinition,
  'version-tag': compatVersionTag,
  'zeebe-user-task': compatZeebeUserTask,
};
