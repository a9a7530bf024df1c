import type { TimerSpec } from './timers/timer-spec.js';

export type { TimerSpec, TimerKind, TimerSchedule } from './timers/timer-spec.js';

export type Variables = Record<string, unknown>;

export interface CompiledDefinition {
  /** As deployed. */
  xml: string;
  /** Executable processes in the file. */
  processes: ProcessInfo[];
  /** Opaque, cacheable per definition (parsed moddle/serialized context), reused by every step. */
  readonly handle: unknown;
}

export interface StartEventInfo {
  elementId: string;
  kind: 'none' | 'message' | 'timer';
  messageName?: string;
  timer?: TimerSpec;
}

export interface ProcessInfo {
  processId: string;
  name: string | undefined;
  startEvents: StartEventInfo[];
  userTasks: { elementId: string; name?: string; formKey?: string; formId?: string }[];
  /** zeebe:taskDefinition types (static ones). */
  jobTypes: string[];
  /** zeebe:calledElement process ids (static ones). */
  calledProcessIds: string[];
}

/** JSON-serialisable (goes into a jsonb column). */
export type Snapshot = unknown;

export type StepEvent =
  | { type: 'start'; processId: string; variables: Variables; startElementId?: string }
  | { type: 'job-completed'; key: string; variables: Variables }
  /** BPMN error thrown by a worker (also accepted for a user task or, forwarded by the shell, a call). */
  | { type: 'job-error'; key: string; errorCode: string; message?: string; variables?: Variables }
  | { type: 'user-task-completed'; key: string; variables: Variables }
  /** A subscription's key. */
  | { type: 'message'; key: string; variables: Variables }
  /** A due timer's key. */
  | { type: 'timer'; key: string }
  /** Child instance of a call activity ended. */
  | { type: 'call-completed'; key: string; variables: Variables }
  /** Retry whatever raised the incident, after merging `variables` into the process scope. */
  | { type: 'resolve-incident'; key: string; variables?: Variables }
  | { type: 'cancel' };

export interface JobWait {
  key: string;
  elementId: string;
  type: string;
  retries: number;
  headers: Record<string, string>;
  variables: Variables;
}

export interface UserTaskWait {
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
  variables: Variables;
}

export interface MessageSubscriptionWait {
  key: string;
  elementId: string;
  messageName: string;
  correlationKey: string;
  interrupting: boolean;
}

export interface TimerWait {
  key: string;
  elementId: string;
  dueAt: Date;
  /** Cycles: firings still to come including this one; absent when unbounded or not a cycle. */
  repetitionsLeft?: number;
  /** Cycles: ISO 8601 duration between firings. */
  interval?: string;
}

export interface CallWait {
  key: string;
  elementId: string;
  processId: string;
  variables: Variables;
}

export interface HistoryEntry {
  elementId: string;
  elementType: string;
  name?: string;
  event: 'activated' | 'completed' | 'terminated';
  at: Date;
}

export type IncidentKind = 'expression' | 'unhandled-error' | 'io-mapping' | 'other';

export interface Incident {
  /** Incident key; resolve it with a 'resolve-incident' event. */
  key: string;
  elementId: string;
  reason: string;
  kind: IncidentKind;
  /** Unhandled errors: the error code, so a shell can forward it to a parent call activity. */
  errorCode?: string;
  /** The job / user task / call the incident belongs to, when there is one. */
  waitKey?: string;
}

export type InstanceState = 'active' | 'completed' | 'terminated' | 'canceled';

export interface StepResult {
  snapshot: Snapshot;
  state: InstanceState;
  /** Process (root) scope after the step. */
  variables: Variables;
  jobs: JobWait[];
  userTasks: UserTaskWait[];
  messageSubscriptions: MessageSubscriptionWait[];
  timers: TimerWait[];
  calls: CallWait[];
  /** This step only. */
  history: HistoryEntry[];
  /** Every open incident after the step (a complete list, like the waits). */
  incidents: Incident[];
  /**
   * Set when the event did not apply (unknown or stale key, wrong kind, ended instance).
   * Nothing changed; the snapshot and lists are those of the instance as it was.
   */
  rejected?: { reason: string };
}

export interface StepOptions {
  /** Injectable clock for timers and history. */
  now?: () => Date;
}
