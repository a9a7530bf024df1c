import {
  cloneContent,
  SubProcessBehaviourBase,
  type ActivityLike,
  type BrokerMessage,
  type MessageContent,
} from '../bpmn.js';
import { asIncident } from '../incidents.js';
import { runtimeOf, type LiveOwner } from '../runtime.js';
import { instanceChain } from '../scope-chain.js';
import { applyInputMappings, applyOutputMappings } from '../variables.js';
import { completeIteration, enterIteration, freshMessage, iterationOf } from './multi-instance.js';

/**
 * Embedded sub-process with Zeebe input/output mappings and multi-instance iterations.
 * bpmn-elements runs the inner flow; we add the scope work around each run: iteration locals
 * and input mappings before it starts, output mappings and the output element after it ends.
 */
export class ZeebeSubProcessBehaviour extends SubProcessBehaviourBase {
  private readonly subProcess: ActivityLike;

  constructor(activity: ActivityLike, context: unknown) {
    super(activity, context);
    this.subProcess = activity;
  }

  override execute(executeMessage: BrokerMessage): unknown {
    const { content } = executeMessage;
    if (this.subProcess.isMultiInstance && content.isRootScope) return super.execute(executeMessage);

    const runtime = runtimeOf(this.subProcess);
    const model = runtime.element(this.subProcess.id);
    const iteration = iterationOf(executeMessage);
    const owner = this.owner(content, iteration?.bodyId);
    const retry = () => this.execute(freshMessage(executeMessage));
    const record = runtime.record(content.executionId);
    if (record?.incident && record.pending?.phase === 'activate') {
      runtime.reattachIncident(owner, record.incident, retry);
      return undefined;
    }
    if (!executeMessage.fields.redelivered) {
      try {
        if (iteration && model.loop) enterIteration(runtime, model.loop, owner.chain, iteration.bodyId, iteration.index);
        applyInputMappings(runtime.scopes, owner.chain, model.inputs);
      } catch (cause) {
        const incident = asIncident(cause, 'io-mapping');
        runtime.raiseIncident(owner, { kind: incident.kind, reason: incident.message }, { phase: 'activate' }, retry);
        return undefined;
      }
      runtime.forget(content.executionId);
    }
    return super.execute(executeMessage);
  }

  override _completeExecution(routingKey: string, content: MessageContent): void {
    if (routingKey !== 'execute.completed') return super._completeExecution(routingKey, content);
    const runtime = runtimeOf(this.subProcess);
    const model = runtime.element(this.subProcess.id);
    const iteration = content.isMultiInstance && typeof content.index === 'number' ? content : undefined;
    const bodyId = iteration ? this.subProcess.executionId : undefined;
    const owner = this.owner(content, bodyId);
    const retry = () => this._completeExecution(routingKey, content);
    const record = runtime.record(content.executionId);
    if (record?.incident && record.pending?.phase === 'complete') {
      runtime.reattachIncident(owner, record.incident, retry);
      return;
    }
    let extra: Record<string, unknown> = {};
    try {
      if (model.outputs.length) applyOutputMappings(runtime.scopes, owner.chain, model.outputs);
      if (iteration && bodyId && model.loop) {
        extra = completeIteration(runtime, model.loop, owner.chain, bodyId, iteration.index as number);
      }
    } catch (cause) {
      const incident = asIncident(cause, 'io-mapping');
      runtime.raiseIncident(owner, { kind: incident.kind, reason: incident.message }, { phase: 'complete', variables: {} }, retry);
      return;
    }
    runtime.forget(content.executionId);
    super._completeExecution(routingKey, cloneContent(content, extra));
  }

  private owner(content: MessageContent, bodyId: string | undefined): LiveOwner {
    return { activity: this.subProcess, executionId: content.executionId, chain: instanceChain(this.subProcess, content.executionId, bodyId) };
  }
}
