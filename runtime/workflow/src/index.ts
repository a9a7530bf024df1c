/**
 * @shuiyun/workflow — the embedded workflow engine's core.
 *
 * compileDefinition: deploy-time parsing and validation of BPMN with Zeebe extensions and FEEL.
 * step: a pure step executor over bpmn-engine; the caller persists the snapshot and the
 * declarative lists of what the instance waits on.
 */
export { DeployError, type DeployIssue } from './errors.js';
export { compileDefinition } from './compile/compile.js';
export { step } from './step/step.js';
export { firstDueAt, nextCycleDueAt, TimerSpecError } from './timers/timer-spec.js';
export type {
  CallWait,
  CompiledDefinition,
  HistoryEntry,
  Incident,
  IncidentKind,
  InstanceState,
  JobWait,
  MessageSubscriptionWait,
  ProcessInfo,
  Snapshot,
  StartEventInfo,
  StepEvent,
  StepOptions,
  StepResult,
  TimerKind,
  TimerSchedule,
  TimerSpec,
  TimerWait,
  UserTaskWait,
  Variables,
} from './types.js';
