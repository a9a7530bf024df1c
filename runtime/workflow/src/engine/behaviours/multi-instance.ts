import type { ElementModel, LoopConfig } from '../../compile/model.js';
import { evaluateExpr } from '../../feel/expression.js';
import {
  cloneContent,
  LoopCharacteristicsBase,
  type ActivityLike,
  type BrokerMessage,
  type LoopCharacteristicsDef,
} from '../bpmn.js';
import { asIncident } from '../incidents.js';
import { runtimeOf, type InstanceRuntime } from '../runtime.js';
import { enclosingScopes } from '../scope-chain.js';
import { evaluateBoolean, evaluateList } from '../variables.js';

/**
 * Zeebe multi-instance on top of bpmn-elements' loop characteristics.
 *
 * bpmn-elements drives the iterations (parallel or sequential, resume, discard on completion);
 * we feed it the list of iteration indexes through its `collection` expression, and keep the
 * Zeebe parts ourselves: the input collection is evaluated once in the body's flow scope and
 * persisted, every iteration gets `inputElement` and `loopCounter` as locals, the output element
 * is collected into the body's `outputCollection`, and the completion condition is decided by us
 * and handed back as a flag on the iteration's completion message.
 */
const INDEXES = '__shuiyunIterations';
const COMPLETED = '__shuiyunCompletionMet';

export class ZeebeLoopCharacteristics extends LoopCharacteristicsBase {
  private readonly activityRef: ActivityLike;

  constructor(activity: ActivityLike, loopCharacteristics: LoopCharacteristicsDef) {
    const model = runtimeModel(activity);
    super(activity, {
      ...loopCharacteristics,
      behaviour: {
        ...loopCharacteristics.behaviour,
        collection: `\${content.${INDEXES}}`,
        elementVariable: '__shuiyunIndex',
        ...(model?.loop?.completionCondition && { completionCondition: `\${content.${COMPLETED}}` }),
      },
    });
    this.activityRef = activity;
  }

  override execute(executeMessage: BrokerMessage): unknown {
    const activity = this.activityRef;
    const runtime = runtimeOf(activity);
    const model = runtime.element(activity.id);
    const loop = model.loop as LoopConfig;
    const bodyId = executeMessage.content.executionId;
    const owner = { activity, executionId: bodyId, chain: [bodyId, ...enclosingScopes(activity)] };

    let instance = runtime.ext.multiInstance[bodyId];
    if (!instance) {
      const existing = runtime.record(bodyId)?.incident;
      const retry = () => this.execute(freshMessage(executeMessage));
      if (existing) {
        runtime.reattachIncident(owner, existing, retry);
        return undefined;
      }
      try {
        const parents = owner.chain.slice(1);
        const collection = evaluateList(loop.inputCollection, runtime.scopes.visible(parents), 'the input collection');
        instance = { collection, completed: 0, parents };
        runtime.ext.multiInstance[bodyId] = instance;
        if (loop.outputCollection) {
          runtime.scopes.setLocals(owner.chain, { [loop.outputCollection]: collection.map(() => null) });
        }
      } catch (cause) {
        const incident = asIncident(cause, 'expression');
        runtime.raiseIncident(owner, { kind: incident.kind, reason: incident.message }, { phase: 'activate' }, retry);
        return undefined;
      }
      runtime.forget(bodyId);
    }
    const indexes = instance.collection.map((_entry, index) => index);
    return super.execute({ ...executeMessage, content: cloneContent(executeMessage.content, { [INDEXES]: indexes }) });
  }
}

/** Locals of a new iteration: the input element, the loop counter and a local output element. */
export function enterIteration(runtime: InstanceRuntime, loop: LoopConfig, chain: readonly string[], bodyId: string, index: number): void {
  const [iterationId] = chain;
  if (iterationId === undefined || runtime.scopes.has(iterationId)) return;
  const instance = runtime.ext.multiInstance[bodyId];
  const locals: Record<string, unknown> = { loopCounter: index + 1 };
  if (loop.inputElement) locals[loop.inputElement] = instance?.collection[index] ?? null;
  if (loop.outputElementLocal) locals[loop.outputElementLocal] = null;
  runtime.scopes.setLocals(chain, locals);
}

/**
 * An iteration completed: collect its output element and decide the completion condition.
 * Returns what to add to the iteration's completion message.
 */
export function completeIteration(
  runtime: InstanceRuntime,
  loop: LoopConfig,
  chain: readonly string[],
  bodyId: string,
  index: number,
): Record<string, unknown> {
  const instance = runtime.ext.multiInstance[bodyId];
  const context = runtime.scopes.visible(chain);
  if (loop.outputElement && loop.outputCollection) {
    let value: unknown;
    try {
      value = evaluateExpr(loop.outputElement, context);
    } catch (cause) {
      throw asIncident(cause, 'expression');
    }
    const collected = runtime.scopes.local(bodyId)?.[loop.outputCollection];
    const next = Array.isArray(collected) ? [...collected] : [];
    next[index] = value;
    runtime.scopes.setLocals([bodyId, ...(instance?.parents ?? [])], { [loop.outputCollection]: next });
  }
  const completed = (instance?.completed ?? 0) + 1;
  let completionMet = false;
  if (loop.completionCondition) {
    const total = instance?.collection.length ?? 0;
    completionMet = evaluateBoolean(
      loop.completionCondition,
      {
        ...context,
        numberOfInstances: total,
        numberOfCompletedInstances: completed,
        numberOfActiveInstances: loop.sequential ? 0 : Math.max(0, total - completed),
        numberOfTerminatedInstances: 0,
      },
      'the completion condition',
    );
  }
  if (instance) instance.completed = completed;
  return loop.completionCondition ? { [COMPLETED]: completionMet } : {};
}

/** Reads the iteration facts bpmn-elements puts on an iteration's execute message. */
export function iterationOf(message: BrokerMessage): { index: number; bodyId: string } | undefined {
  const { content } = message;
  if (!content.isMultiInstance || typeof content.index !== 'number' || !content.parent?.executionId) return undefined;
  return { index: content.index, bodyId: content.parent.executionId };
}

/** A retried execution must not look like a redelivered (resumed) one to bpmn-elements. */
export function freshMessage(message: BrokerMessage): BrokerMessage {
  return { ...message, fields: { ...message.fields, redelivered: false } };
}

function runtimeModel(activity: ActivityLike): ElementModel | undefined {
  try {
    return runtimeOf(activity).model.elements.get(activity.id);
  } catch {
    return undefined;
  }
}

