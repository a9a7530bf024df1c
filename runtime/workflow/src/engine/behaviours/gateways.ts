import type { ElementModel, OutgoingFlow } from '../../compile/model.js';
import type { Variables } from '../../types.js';
import { cloneContent, type ActivityBehaviour, type ActivityLike, type BrokerMessage } from '../bpmn.js';
import { asIncident, IncidentError } from '../incidents.js';
import { runtimeOf, type InstanceRuntime, type LiveOwner } from '../runtime.js';
import { enclosingScopes } from '../scope-chain.js';
import { evaluateBoolean } from '../variables.js';

/**
 * Exclusive and inclusive gateways with FEEL conditions.
 *
 * The gateway decides its outgoing flows itself and hands bpmn-elements the explicit
 * take/discard list, so bpmn-elements never evaluates a condition. A condition that is not
 * boolean, or no flow to take, is an incident: the token stays at the gateway until resolved.
 */
abstract class ConditionalGatewayBehaviour implements ActivityBehaviour {
  protected readonly runtime: InstanceRuntime;
  protected readonly model: ElementModel;

  constructor(private readonly activity: ActivityLike) {
    this.runtime = runtimeOf(activity);
    this.model = this.runtime.element(activity.id);
  }

  protected abstract choose(flows: readonly OutgoingFlow[], context: Variables): Set<string>;

  execute(executeMessage: BrokerMessage): void {
    const executionId = executeMessage.content.executionId;
    const owner: LiveOwner = { activity: this.activity, executionId, chain: enclosingScopes(this.activity) };
    const tag = `_shuiyun-api-${executionId}`;
    this.activity.broker.subscribeTmp(
      'api',
      `activity.#.${executionId}`,
      (_routingKey, message) => {
        const type = message.properties.type;
        if (type !== 'discard' && type !== 'stop') return;
        this.runtime.forget(executionId);
        this.activity.broker.cancel(tag);
        if (type === 'discard') this.activity.broker.publish('execution', 'execute.discard', cloneContent(executeMessage.content));
      },
      { noAck: true, consumerTag: tag },
    );

    const evaluate = (): void => {
      let taken: Set<string>;
      try {
        taken = this.choose(this.model.outgoing, this.runtime.scopes.visible(owner.chain));
      } catch (cause) {
        const incident = asIncident(cause, 'expression');
        this.runtime.raiseIncident(owner, { kind: incident.kind, reason: incident.message }, { phase: 'evaluate' }, evaluate);
        return;
      }
      this.runtime.forget(executionId);
      this.activity.broker.cancel(tag);
      const outbound = this.model.outgoing.map((flow) => ({ id: flow.flowId, action: taken.has(flow.flowId) ? 'take' : 'discard' }));
      this.activity.broker.publish('execution', 'execute.completed', cloneContent(executeMessage.content, { outbound }));
    };

    const incident = this.runtime.record(executionId)?.incident;
    if (incident) this.runtime.reattachIncident(owner, incident, evaluate);
    else evaluate();
  }

  protected evaluateCondition(flow: OutgoingFlow, context: Variables): boolean {
    if (!flow.condition) return true;
    return evaluateBoolean(flow.condition, context, `the condition of flow ${flow.flowId}`);
  }

  protected noFlow(): IncidentError {
    return new IncidentError(
      'expression',
      `Expected at least one condition of gateway ${this.model.id} to evaluate to true, or to have a default flow`,
    );
  }
}

/** Zeebe: conditions in order, the first true one wins; else the default flow. */
export class ExclusiveGatewayBehaviour extends ConditionalGatewayBehaviour {
  protected choose(flows: readonly OutgoingFlow[], context: Variables): Set<string> {
    if (flows.length <= 1 && !flows[0]?.condition) return new Set(flows.map((flow) => flow.flowId));
    for (const flow of flows) {
      if (flow.isDefault) continue;
      if (this.evaluateCondition(flow, context)) return new Set([flow.flowId]);
    }
    const fallback = flows.find((flow) => flow.isDefault);
    if (fallback) return new Set([fallback.flowId]);
    throw this.noFlow();
  }
}

/** Zeebe: every flow whose condition is true; the default flow only when none is. */
export class InclusiveGatewayBehaviour extends ConditionalGatewayBehaviour {
  protected choose(flows: readonly OutgoingFlow[], context: Variables): Set<string> {
    if (flows.length <= 1 && !flows[0]?.condition) return new Set(flows.map((flow) => flow.flowId));
    const taken = new Set<string>();
    for (const flow of flows) {
      if (!flow.isDefault && this.evaluateCondition(flow, context)) taken.add(flow.flowId);
    }
    if (taken.size) return taken;
    const fallback = flows.find((flow) => flow.isDefault);
    if (fallback) return new Set([fallback.flowId]);
    throw this.noFlow();
  }
}
