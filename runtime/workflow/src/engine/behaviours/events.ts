import type { ElementModel, MessageConfig, TimerConfig } from '../../compile/model.js';
import { resolveTimerText, scheduleTimer } from '../../timers/timer-spec.js';
import type { StepEvent, Variables } from '../../types.js';
import {
  bpmnErrorFor,
  cloneContent,
  ErrorEventDefinitionBase,
  TimerEventDefinitionBase,
  type ActivityBehaviour,
  type ActivityLike,
  type BrokerMessage,
  type EventDefinitionDef,
  type MessageContent,
} from '../bpmn.js';
import { asIncident, IncidentError } from '../incidents.js';
import { runtimeOf, type InstanceRuntime, type LiveOwner, type MessageRecord } from '../runtime.js';
import { enclosingScopes } from '../scope-chain.js';
import { applyCompletionVariables, evaluateString } from '../variables.js';
import { freshMessage } from './multi-instance.js';
import { plainVariables } from './wait-task.js';

/**
 * Start events. An instance starts at exactly one start event: the one the shell names (a
 * message or timer start it has triggered) or the process's none start event. That event
 * completes at once, whatever its definition; the others are discarded. Sub-process start
 * events are none events and simply complete.
 */
export class StartEventBehaviour implements ActivityBehaviour {
  constructor(private readonly activity: ActivityLike) {}

  execute(executeMessage: BrokerMessage): void {
    const runtime = runtimeOf(this.activity);
    const model = runtime.element(this.activity.id);
    const selected = !model.start || runtime.ext.startElementId === model.id;
    const routingKey = selected ? 'execute.completed' : 'execute.discard';
    this.activity.broker.publish('execution', routingKey, cloneContent(executeMessage.content));
  }
}

/** Content of an event definition's execute message; its parent is the event's own execution. */
function eventExecutionId(content: MessageContent): string {
  return content.parent?.executionId ?? content.executionId;
}

/**
 * Scope of an event: boundary events evaluate in the flow scope around the activity they are
 * attached to, catch events in their own flow scope.
 */
function eventOwner(activity: ActivityLike, definitionExecutionId: string): LiveOwner {
  return { activity, executionId: definitionExecutionId, chain: enclosingScopes(activity) };
}

/**
 * Timer event definitions. The due time is computed with the step's injected clock (FEEL
 * values in the event's scope) and persisted in the definition's execute message, so a resumed
 * timer keeps its original due time. Registration goes to the recording timers; the timer fires
 * only when the shell sends its 'timer' event, however late that is, and then exactly once.
 */
export class ZeebeTimerEventDefinition extends TimerEventDefinitionBase {
  constructor(activity: ActivityLike, eventDefinition: EventDefinitionDef) {
    super(activity, eventDefinition);
  }

  override execute(executeMessage: BrokerMessage): void {
    const { content } = executeMessage;
    const runtime = runtimeOf(this.activity);
    runtime.registerTimerOwner(content.executionId, this.activity);
    if (content.expireAt !== undefined && typeof content.timerType === 'string') {
      super.execute(executeMessage);
      return;
    }

    const model = runtime.element(this.activity.id);
    const timer = model.timer as TimerConfig;
    const owner = eventOwner(this.activity, content.executionId);
    const retry = () => this.execute(freshMessage(executeMessage));
    const incident = runtime.record(content.executionId)?.incident;
    if (incident) {
      this.watchWhileInIncident(runtime, content.executionId);
      runtime.reattachIncident(owner, incident, retry);
      return;
    }

    let resolved: Record<string, unknown>;
    try {
      const text = resolveTimerText(timer.expression, runtime.scopes.visible(owner.chain));
      // A repeating boundary timer restarts with the repetitions left from its previous run.
      const inbound = content.inbound?.[0];
      const carried = typeof inbound?.repeat === 'number' ? inbound.repeat : undefined;
      const schedule = scheduleTimer(timer.kind, text, runtime.now(), carried !== undefined && carried > 0 ? carried : undefined);
      const repeat = timer.kind === 'cycle' ? (carried ?? schedule.repetitionsLeft ?? -1) : undefined;
      resolved = {
        timerType: TIMER_TYPES[timer.kind],
        [TIMER_TYPES[timer.kind]]: text,
        expireAt: schedule.dueAt,
        ...(repeat !== undefined && { repeat }),
        ...(schedule.interval && { timerInterval: schedule.interval }),
      };
    } catch (cause) {
      const problem = asIncident(cause, 'expression');
      this.watchWhileInIncident(runtime, content.executionId);
      runtime.raiseIncident(owner, { kind: problem.kind === 'other' ? 'expression' : problem.kind, reason: problem.message }, { phase: 'activate' }, retry);
      return;
    }
    runtime.forget(content.executionId);
    super.execute({ ...executeMessage, content: cloneContent(content, resolved) });
  }

  /** Replaces bpmn-elements' wall-clock computation with the due time we persisted. */
  override _getTimers(executeMessage: BrokerMessage): Record<string, unknown> {
    const { content } = executeMessage;
    const runtime = runtimeOf(this.activity);
    const expireAt = new Date(content.expireAt as string | Date);
    const timerType = content.timerType as string;
    return {
      timerType,
      [timerType]: content[timerType],
      expireAt,
      ...(typeof content.repeat === 'number' && { repeat: content.repeat }),
      // Never <= 0: bpmn-elements would complete the timer on the spot instead of registering it.
      timeout: Math.max(1, expireAt.getTime() - runtime.now().getTime()),
    };
  }

  /** While the timer's expression is in incident, a discard of the event must still clean up. */
  private watchWhileInIncident(runtime: InstanceRuntime, executionId: string): void {
    const tag = `_shuiyun-timer-incident-${executionId}`;
    this.broker.cancel(tag);
    this.broker.subscribeTmp(
      'api',
      `activity.#.${executionId}`,
      (_routingKey, message) => {
        if (message.properties.type !== 'discard' && message.properties.type !== 'stop') return;
        runtime.forget(executionId);
        this.broker.cancel(tag);
      },
      { noAck: true, consumerTag: tag },
    );
  }
}

const TIMER_TYPES = { duration: 'timeDuration', date: 'timeDate', cycle: 'timeCycle' } as const;

/**
 * Message catch events (intermediate and boundary) with a Zeebe subscription: the message name
 * and correlation key are evaluated when the subscription opens and reported to the shell, which
 * correlates published messages and sends a 'message' event with the subscription's key.
 */
export class ZeebeMessageEventDefinition {
  readonly type: string;
  readonly reference: { name: string; referenceType: string };
  readonly broker: ActivityLike['broker'];

  constructor(
    readonly activity: ActivityLike,
    eventDefinition: EventDefinitionDef,
  ) {
    this.type = eventDefinition.type ?? 'bpmn:MessageEventDefinition';
    this.broker = activity.broker;
    this.reference = { name: 'message', referenceType: 'message' };
  }

  execute(executeMessage: BrokerMessage): void {
    new MessageCatch(this.activity, executeMessage).start();
  }
}

class MessageCatch {
  private readonly runtime: InstanceRuntime;
  private readonly model: ElementModel;
  private readonly executionId: string;
  private readonly key: string;
  private readonly owner: LiveOwner;

  constructor(
    private readonly activity: ActivityLike,
    private readonly executeMessage: BrokerMessage,
  ) {
    this.runtime = runtimeOf(activity);
    this.model = this.runtime.element(activity.id);
    this.executionId = executeMessage.content.executionId;
    this.key = this.runtime.keyFor(this.executionId);
    this.owner = eventOwner(activity, this.executionId);
  }

  private get tag(): string {
    return `_shuiyun-message-${this.executionId}`;
  }

  start(): void {
    const onApi = (_routingKey: string, message: BrokerMessage) => this.onApi(message);
    this.activity.broker.subscribeTmp('api', `activity.#.${this.executionId}`, onApi, { noAck: true, consumerTag: this.tag });
    this.activity.broker.subscribeTmp('api', `activity.#.${eventExecutionId(this.executeMessage.content)}`, onApi, {
      noAck: true,
      consumerTag: `${this.tag}-event`,
    });
    const record = this.runtime.record(this.executionId);
    if (record?.incident) {
      const pending = record.pending;
      const retry = pending?.phase === 'complete' ? () => this.complete(pending.variables) : () => this.activate();
      return this.runtime.reattachIncident(this.owner, record.incident, retry);
    }
    if (record?.wait) return this.open(record.wait as MessageRecord);
    this.activate();
  }

  private activate(): void {
    const message = this.model.message as MessageConfig;
    try {
      const context = this.runtime.scopes.visible(this.owner.chain);
      const messageName = evaluateString(message.name, context, 'the message name') as string;
      const correlationKey = message.correlationKey
        ? (evaluateString(message.correlationKey, context, 'the correlation key') as string)
        : '';
      this.open({
        kind: 'message',
        key: this.key,
        elementId: this.model.id,
        messageName,
        correlationKey,
        interrupting: this.model.boundary?.interrupting ?? true,
      });
    } catch (cause) {
      const incident = asIncident(cause, 'expression');
      this.runtime.raiseIncident(this.owner, { kind: incident.kind, reason: incident.message }, { phase: 'activate' }, () => this.activate());
    }
  }

  private open(record: MessageRecord): void {
    this.runtime.openWait(this.owner, record, (event: StepEvent) => {
      if (event.type === 'message') this.complete(plainVariables(event.variables));
    });
  }

  /** Message variables: local + output mappings if the event has them, else propagated. */
  private complete(variables: Variables): void {
    this.runtime.closeWait(this.key);
    const chain = [eventExecutionId(this.executeMessage.content), ...this.owner.chain];
    try {
      applyCompletionVariables(this.runtime.scopes, chain, variables, this.model.outputs);
    } catch (cause) {
      const incident = asIncident(cause, 'io-mapping');
      this.runtime.raiseIncident(
        this.owner,
        { kind: incident.kind, reason: incident.message },
        { phase: 'complete', variables },
        () => this.complete(variables),
      );
      return;
    }
    this.stop();
    const { broker } = this.activity;
    const content = this.executeMessage.content;
    // A non-interrupting message boundary event stays subscribed while its activity runs (Zeebe).
    if (this.model.boundary && !this.model.boundary.interrupting) {
      broker.publish('execution', 'execute.repeat', cloneContent(content));
    }
    broker.publish('execution', 'execute.completed', cloneContent(content, { state: 'catch' }));
  }

  private onApi(message: BrokerMessage): void {
    const type = message.properties.type;
    if (type !== 'discard' && type !== 'stop') return;
    this.stop();
    if (type === 'discard') this.activity.broker.publish('execution', 'execute.discard', cloneContent(this.executeMessage.content));
  }

  private stop(): void {
    this.runtime.forget(this.executionId);
    this.activity.broker.cancel(this.tag);
    this.activity.broker.cancel(`${this.tag}-event`);
  }
}

/**
 * Error event definitions. Catching (boundary) is bpmn-elements' own. Throwing (error end
 * events) raises the error as a failure of the end event, which bubbles out of its sub-process
 * to the boundary events that bpmn-elements matches by error code; a throw that nothing catches
 * is an incident, as on Zeebe, decided from the compiled catcher chain.
 */
export class ZeebeErrorEventDefinition extends ErrorEventDefinitionBase {
  constructor(activity: ActivityLike, eventDefinition: EventDefinitionDef) {
    super(activity, eventDefinition);
  }

  override execute(executeMessage: BrokerMessage): void {
    if (!this.isThrowing) {
      super.execute(executeMessage);
      return;
    }
    const runtime = runtimeOf(this.activity);
    const model = runtime.element(this.activity.id);
    const code = model.errorCode as string;
    const executionId = executeMessage.content.executionId;
    const owner = eventOwner(this.activity, executionId);
    const retry = () => this.execute(freshMessage(executeMessage));
    const incident = runtime.record(executionId)?.incident;
    if (incident) {
      runtime.reattachIncident(owner, incident, retry);
      return;
    }
    const catcher = model.errorCatchers.find((entry) => entry.errorCode === undefined || entry.errorCode === code);
    if (!catcher) {
      const problem = new IncidentError('unhandled-error', `Unhandled BPMN error '${code}' thrown by ${model.id}; no error boundary event catches it`, code);
      runtime.raiseIncident(owner, { kind: problem.kind, reason: problem.message, errorCode: code }, { phase: 'throw' }, retry);
      return;
    }
    runtime.forget(executionId);
    const error = bpmnErrorFor(`BPMN error ${code}`, executeMessage, code);
    this.broker.publish('execution', 'execute.error', cloneContent(executeMessage.content, { error }));
  }
}
