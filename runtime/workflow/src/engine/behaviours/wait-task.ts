import type { ElementModel, WaitConfig } from '../../compile/model.js';
import { toPlainJson } from '../../feel/expression.js';
import type { IncidentKind, StepEvent, Variables } from '../../types.js';
import {
  bpmnErrorFor,
  cloneContent,
  type ActivityBehaviour,
  type ActivityLike,
  type BrokerMessage,
  type LoopBehaviour,
} from '../bpmn.js';
import { asIncident } from '../incidents.js';
import { runtimeOf, type InstanceRuntime, type LiveOwner, type PendingWork, type WaitRecord } from '../runtime.js';
import { instanceChain } from '../scope-chain.js';
import {
  applyCompletionVariables,
  applyInputMappings,
  evaluateDateTime,
  evaluateNonNegativeInteger,
  evaluateString,
  evaluateStringList,
} from '../variables.js';
import { completeIteration, enterIteration, iterationOf } from './multi-instance.js';

/**
 * Service tasks, user tasks and call activities: Zeebe's job-based wait states.
 *
 * The element waits (nothing runs in-process); the step reports an open job, user task or call,
 * and the shell answers later with an event that completes it or throws a BPMN error. A
 * multi-instance task delegates its body to the loop characteristics, which re-enter here once
 * per iteration.
 */
export class WaitTaskBehaviour implements ActivityBehaviour {
  private readonly loop: LoopBehaviour | undefined;

  constructor(private readonly activity: ActivityLike) {
    const loopCharacteristics = activity.behaviour.loopCharacteristics;
    this.loop = loopCharacteristics ? new loopCharacteristics.Behaviour(activity, loopCharacteristics) : undefined;
  }

  execute(executeMessage: BrokerMessage): void {
    if (this.loop && executeMessage.content.isRootScope) {
      this.loop.execute(executeMessage);
      return;
    }
    new WaitTaskRun(this.activity, executeMessage).start();
  }
}

/** One activation of a wait task (one iteration of a multi-instance one). */
class WaitTaskRun {
  private readonly runtime: InstanceRuntime;
  private readonly model: ElementModel;
  private readonly wait: WaitConfig;
  private readonly executionId: string;
  private readonly key: string;
  private readonly iteration: { index: number; bodyId: string } | undefined;
  private readonly owner: LiveOwner;

  constructor(
    private readonly activity: ActivityLike,
    private readonly executeMessage: BrokerMessage,
  ) {
    this.runtime = runtimeOf(activity);
    this.model = this.runtime.element(activity.id);
    if (!this.model.wait) throw new Error(`${activity.id} has no wait configuration`);
    this.wait = this.model.wait;
    this.executionId = executeMessage.content.executionId;
    this.key = this.runtime.keyFor(this.executionId);
    this.iteration = iterationOf(executeMessage);
    this.owner = { activity, executionId: this.executionId, chain: instanceChain(activity, this.executionId, this.iteration?.bodyId) };
  }

  start(): void {
    this.activity.broker.subscribeTmp('api', `activity.#.${this.executionId}`, (_routingKey, message) => this.onApi(message), {
      noAck: true,
      consumerTag: this.apiTag,
    });
    // Resumed from a snapshot: register what was open, do not activate again.
    const record = this.runtime.record(this.executionId);
    if (record?.incident) return this.runtime.reattachIncident(this.owner, record.incident, this.retry(record.pending));
    if (record?.wait) return this.open(record.wait);
    this.activate();
  }

  private get apiTag(): string {
    return `_shuiyun-api-${this.executionId}`;
  }

  private activate(): void {
    const { scopes } = this.runtime;
    try {
      if (this.iteration && this.model.loop) {
        enterIteration(this.runtime, this.model.loop, this.owner.chain, this.iteration.bodyId, this.iteration.index);
      }
      applyInputMappings(scopes, this.owner.chain, this.model.inputs);
      this.open(this.buildRecord(scopes.visible(this.owner.chain)));
    } catch (cause) {
      this.raise(cause, 'expression', { phase: 'activate' });
    }
  }

  private open(record: WaitRecord): void {
    this.runtime.openWait(this.owner, record, (event) => this.onEvent(event));
  }

  private buildRecord(context: Variables): WaitRecord {
    const base = { key: this.key, elementId: this.model.id };
    switch (this.wait.kind) {
      case 'job': {
        const { job } = this.wait;
        return {
          kind: 'job',
          ...base,
          type: evaluateString(job.type, context, 'the job type') as string,
          retries: evaluateNonNegativeInteger(job.retries, context, 'the job retries'),
          headers: { ...job.headers },
        };
      }
      case 'userTask': {
        const { userTask } = this.wait;
        const assignee = userTask.assignee && evaluateString(userTask.assignee, context, 'the assignee', { optional: true });
        const dueDate = userTask.dueDate && evaluateDateTime(userTask.dueDate, context, 'the due date');
        const followUpDate = userTask.followUpDate && evaluateDateTime(userTask.followUpDate, context, 'the follow-up date');
        return {
          kind: 'userTask',
          ...base,
          ...(this.model.name && { name: this.model.name }),
          ...(assignee && { assignee }),
          candidateGroups: userTask.candidateGroups ? evaluateStringList(userTask.candidateGroups, context, 'the candidate groups') : [],
          candidateUsers: userTask.candidateUsers ? evaluateStringList(userTask.candidateUsers, context, 'the candidate users') : [],
          ...(userTask.formKey && { formKey: userTask.formKey }),
          ...(userTask.formId && { formId: userTask.formId }),
          ...(dueDate && { dueDate }),
          ...(followUpDate && { followUpDate }),
        };
      }
      case 'call': {
        const { call } = this.wait;
        const processId = evaluateString(call.processId, context, 'the called process id') as string;
        // Zeebe copies every visible variable into the child, or only the input-mapped locals.
        const variables = call.propagateAllParentVariables ? context : { ...this.runtime.scopes.local(this.executionId) };
        return { kind: 'call', ...base, processId, variables };
      }
    }
  }

  private onEvent(event: StepEvent): void {
    switch (event.type) {
      case 'job-completed':
      case 'user-task-completed':
      case 'call-completed':
        return this.complete(plainVariables(event.variables));
      case 'job-error':
        return this.throwError(event.errorCode, event.message, event.variables && plainVariables(event.variables));
    }
  }

  private complete(variables: Variables): void {
    this.runtime.closeWait(this.key);
    let extra: Record<string, unknown> = {};
    try {
      const propagate = this.wait.kind === 'call' ? this.wait.call.propagateAllChildVariables : true;
      applyCompletionVariables(this.runtime.scopes, this.owner.chain, variables, this.model.outputs, propagate);
      if (this.iteration && this.model.loop) {
        extra = completeIteration(this.runtime, this.model.loop, this.owner.chain, this.iteration.bodyId, this.iteration.index);
      }
    } catch (cause) {
      return this.raise(cause, 'io-mapping', { phase: 'complete', variables });
    }
    this.finish();
    this.activity.broker.publish('execution', 'execute.completed', cloneContent(this.executeMessage.content, { ...extra, state: 'complete' }));
  }

  /**
   * A BPMN error from the worker. Zeebe looks for a catching boundary event on the task and on
   * every enclosing sub-process; without one the error becomes an incident and the task waits.
   */
  private throwError(errorCode: string, message: string | undefined, variables: Variables | undefined): void {
    this.runtime.closeWait(this.key);
    const catcher = this.model.errorCatchers.find((entry) => entry.errorCode === undefined || entry.errorCode === errorCode);
    if (!catcher) {
      const reason = `Unhandled BPMN error '${errorCode}'${message ? `: ${message}` : ''}; no error boundary event catches it`;
      this.runtime.raiseIncident(
        this.owner,
        { kind: 'unhandled-error', reason, errorCode, waitKey: this.key },
        { phase: 'reopen' },
        this.retry({ phase: 'reopen' }),
      );
      return;
    }
    // Error variables go to the catching side: propagated from the task's flow scope.
    if (variables) this.runtime.scopes.propagate(this.owner.chain.slice(1), variables);
    this.finish();
    const error = bpmnErrorFor(message ?? `BPMN error ${errorCode}`, this.executeMessage, errorCode);
    this.activity.broker.publish('execution', 'execute.error', cloneContent(this.executeMessage.content, { error }));
  }

  private onApi(message: BrokerMessage): void {
    switch (message.properties.type) {
      case 'discard':
        // Interrupted (boundary event, completion condition, terminate): the job is gone.
        this.finish();
        this.activity.broker.publish('execution', 'execute.discard', cloneContent(this.executeMessage.content));
        return;
      case 'stop':
        this.finish();
        return;
    }
  }

  private retry(pending: PendingWork | undefined): () => void {
    switch (pending?.phase) {
      case 'complete': {
        const variables = pending.variables;
        return () => this.complete(variables);
      }
      case 'reopen':
        return () => {
          const wait = this.runtime.record(this.executionId)?.wait;
          if (wait) this.open(wait);
          else this.activate();
        };
      default:
        return () => this.activate();
    }
  }

  private raise(cause: unknown, kind: IncidentKind, pending: PendingWork): void {
    const incident = asIncident(cause, kind);
    this.runtime.raiseIncident(
      this.owner,
      { kind: incident.kind, reason: incident.message, ...(incident.errorCode && { errorCode: incident.errorCode }) },
      pending,
      this.retry(pending),
    );
  }

  private finish(): void {
    this.runtime.forget(this.executionId);
    this.activity.broker.cancel(this.apiTag);
  }
}

/** Variables from outside arrive as arbitrary JS values; store plain JSON only. */
export function plainVariables(variables: Variables): Variables {
  const result = toPlainJson(variables ?? {});
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? (result as Variables) : {};
}
