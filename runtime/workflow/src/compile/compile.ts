import serializer from 'moddle-context-serializer';
import { DeployError, type DeployIssue } from '../errors.js';
import { feelSyntaxError, referencedVariableName, toExpr, type Expr } from '../feel/expression.js';
import { timerSyntaxError, type TimerKind } from '../timers/timer-spec.js';
import type { CompiledDefinition, ProcessInfo, StartEventInfo } from '../types.js';
import { zeebeTypeResolver } from '../engine/elements.js';
import type {
  DefinitionHandle,
  ElementModel,
  ErrorCatcher,
  LoopConfig,
  Mapping,
  MessageConfig,
  OutgoingFlow,
  ProcessModel,
  TimerConfig,
  WaitConfig,
} from './model.js';
import {
  bool,
  child,
  expressionBody,
  extension,
  list,
  MalformedXmlError,
  parseBpmn,
  str,
  type ModdleElement,
  type ModdleParseResult,
} from './moddle.js';

/** Parse + validate; throws DeployError listing every problem with its element id. */
export function compileDefinition(xml: string): CompiledDefinition {
  if (typeof xml !== 'string' || !xml.trim()) {
    throw new DeployError([{ elementId: 'definitions', reason: 'the document is empty' }]);
  }
  let parsed: ModdleParseResult;
  try {
    parsed = parseBpmn(xml);
  } catch (cause) {
    if (!(cause instanceof MalformedXmlError)) throw cause;
    throw new DeployError([{ elementId: 'definitions', reason: `malformed BPMN XML: ${cause.message}` }]);
  }

  const definitions = parsed.rootElement;
  // bpmn-engine matches a recovered state to its source by definitions id, so there must be one.
  if (!definitions.id) definitions.id = 'Definitions';

  const compiler = new Compiler(definitions.id);
  for (const warning of parsed.warnings) compiler.issue(warning.element?.id ?? definitions.id, describeWarning(warning.message));
  compiler.compileDefinitions(definitions);
  if (compiler.issues.length) throw new DeployError(compiler.issues);

  let context: DefinitionHandle['context'];
  try {
    context = serializer(parsed as never, zeebeTypeResolver);
  } catch (cause) {
    throw new DeployError([{ elementId: definitions.id, reason: `cannot prepare the definition: ${cause instanceof Error ? cause.message : String(cause)}` }]);
  }
  const handle: DefinitionHandle = {
    kind: 'shuiyun-workflow-handle',
    definitionsId: definitions.id,
    context,
    model: { elements: compiler.elements, processes: compiler.processes },
  };
  return { xml, processes: compiler.infos, handle };
}

/** Elements that carry no behaviour; Zeebe deploys and ignores them, and so do we. */
const IGNORED_TYPES = new Set([
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
  'bpmn:TextAnnotation',
  'bpmn:Association',
  'bpmn:Group',
]);

const UNSUPPORTED_REASONS: Record<string, string> = {
  'bpmn:ScriptTask': 'script tasks are not supported',
  'bpmn:BusinessRuleTask': 'business rule tasks are not supported',
  'bpmn:SendTask': 'send tasks are not supported',
  'bpmn:ReceiveTask': 'receive tasks are not supported; use an intermediate message catch event',
  'bpmn:ComplexGateway': 'complex gateways are not supported',
  'bpmn:Transaction': 'transactions are not supported',
  'bpmn:AdHocSubProcess': 'ad-hoc sub-processes are not supported',
  'bpmn:SubChoreography': 'choreographies are not supported',
};

const WAIT_TASKS = new Set(['bpmn:ServiceTask', 'bpmn:UserTask', 'bpmn:CallActivity']);
const ACTIVITIES = new Set([...WAIT_TASKS, 'bpmn:SubProcess', 'bpmn:Task', 'bpmn:ManualTask']);
const BOUNDARY_HOSTS = new Set([...WAIT_TASKS, 'bpmn:SubProcess']);
const INPUT_MAPPING_TYPES = new Set([...WAIT_TASKS, 'bpmn:SubProcess']);
const OUTPUT_MAPPING_TYPES = new Set([...INPUT_MAPPING_TYPES, 'bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent']);
const CONDITIONAL_SOURCES = new Set(['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway']);
const UNSUPPORTED_ZEEBE_EXTENSIONS: Record<string, string> = {
  'zeebe:ExecutionListeners': 'execution listeners are not supported',
  'zeebe:TaskListeners': 'task listeners are not supported',
  'zeebe:CalledDecision': 'DMN decisions are not supported',
  'zeebe:Script': 'FEEL script tasks are not supported',
  'zeebe:AdHoc': 'ad-hoc sub-processes are not supported',
};
/** Variable names and mapping targets: dot-separated, non-empty segments without spaces. */
const TARGET_PATTERN = /^[^.\s]+(\.[^.\s]+)*$/u;

interface ContainerFlows {
  incoming: Map<string, ModdleElement[]>;
  outgoing: Map<string, ModdleElement[]>;
}

class Compiler {
  readonly issues: DeployIssue[] = [];
  readonly elements = new Map<string, ElementModel>();
  readonly processes = new Map<string, ProcessModel>();
  readonly infos: ProcessInfo[] = [];
  /** Sub-process id → id of its flow scope; lets error catchers walk outwards. */
  private readonly scopeParents = new Map<string, string>();
  /** Host id → error boundary events attached to it. */
  private readonly errorBoundaries = new Map<string, ErrorCatcher[]>();
  /** Elements whose error catchers are resolved once every boundary event is known. */
  private readonly needsCatchers: ElementModel[] = [];
  /** Catch events behind an event-based gateway → the gateway. */
  private readonly eventGatewayTargets = new Map<string, string>();

  constructor(private readonly definitionsId: string) {}

  issue(elementId: string, reason: string): void {
    this.issues.push({ elementId, reason });
  }

  compileDefinitions(definitions: ModdleElement): void {
    const processes = list(definitions, 'rootElements').filter((root) => root.$type === 'bpmn:Process');
    const executable = processes.filter((process) => bool(process, 'isExecutable') !== false);
    if (!executable.length) {
      this.issue(
        processes[0]?.id ?? this.definitionsId,
        processes.length ? 'no executable process: every bpmn:process has isExecutable="false"' : 'the file contains no bpmn:process',
      );
      return;
    }
    for (const process of executable) this.compileProcess(process);
    for (const model of this.needsCatchers) model.errorCatchers = this.catchersFor(model);
    this.finish();
  }

  private compileProcess(process: ModdleElement): void {
    const processId = process.id ?? '';
    if (!processId) return this.issue(this.definitionsId, 'a process has no id');
    for (const ext of list(child(process, 'extensionElements'), 'values')) this.checkZeebeExtension(processId, ext);

    const info: ProcessInfo = {
      processId,
      name: process.name || undefined,
      startEvents: [],
      userTasks: [],
      jobTypes: [],
      calledProcessIds: [],
    };
    const model: ProcessModel = { id: processId };
    this.walkContainer(process, processId, processId, info);

    const noneStarts = info.startEvents.filter((start) => start.kind === 'none');
    if (noneStarts.length > 1) {
      for (const start of noneStarts) this.issue(start.elementId, 'a process may have only one none start event');
    }
    if (!info.startEvents.length) this.issue(processId, 'the process has no start event');
    model.noneStartId = noneStarts[0]?.elementId;
    info.jobTypes = [...new Set(info.jobTypes)];
    info.calledProcessIds = [...new Set(info.calledProcessIds)];
    this.processes.set(processId, model);
    this.infos.push(info);
  }

  private walkContainer(container: ModdleElement, processId: string, scopeId: string, info: ProcessInfo): void {
    const flowElements = list(container, 'flowElements');
    const flows = flowElements.filter((element) => element.$type === 'bpmn:SequenceFlow');
    const containerFlows: ContainerFlows = { incoming: new Map(), outgoing: new Map() };
    for (const flow of flows) {
      const source = child(flow, 'sourceRef');
      const target = child(flow, 'targetRef');
      if (!source?.id || !target?.id) {
        this.issue(flow.id ?? scopeId, 'sequence flow without source or target');
        continue;
      }
      push(containerFlows.outgoing, source.id, flow);
      push(containerFlows.incoming, target.id, flow);
      this.checkFlowCondition(flow, source);
    }

    const isProcess = container.$type === 'bpmn:Process';
    let subStarts = 0;
    for (const element of flowElements) {
      if (element.$type === 'bpmn:SequenceFlow' || IGNORED_TYPES.has(element.$type)) continue;
      const id = element.id;
      if (!id) {
        this.issue(scopeId, `a ${element.$type} has no id`);
        continue;
      }
      if (element.$type === 'bpmn:StartEvent' && !isProcess) subStarts++;
      this.compileElement(element, processId, scopeId, isProcess, containerFlows, info);
    }
    if (!isProcess && subStarts !== 1) this.issue(scopeId, 'an embedded sub-process needs exactly one none start event');
  }

  private compileElement(
    element: ModdleElement,
    processId: string,
    scopeId: string,
    isProcessLevel: boolean,
    flows: ContainerFlows,
    info: ProcessInfo,
  ): void {
    const id = element.id as string;
    const type = element.$type;
    const unsupported = UNSUPPORTED_REASONS[type];
    if (unsupported) return this.issue(id, unsupported);

    const model: ElementModel = {
      id,
      type,
      ...(element.name && { name: element.name }),
      processId,
      flowScopeId: scopeId,
      inputs: [],
      outputs: [],
      errorCatchers: [],
      outgoing: [],
      historyOnCompletion: false,
    };
    for (const ext of list(child(element, 'extensionElements'), 'values')) this.checkZeebeExtension(id, ext);
    this.compileMappings(element, model);

    const incoming = flows.incoming.get(id) ?? [];
    const needsIncoming = type !== 'bpmn:StartEvent' && type !== 'bpmn:BoundaryEvent';
    if (needsIncoming && !incoming.length) this.issue(id, 'the element has no incoming sequence flow');

    switch (type) {
      case 'bpmn:StartEvent':
        this.compileStartEvent(element, model, isProcessLevel, info);
        break;
      case 'bpmn:EndEvent':
        this.compileEndEvent(element, model);
        break;
      case 'bpmn:IntermediateCatchEvent':
        this.compileCatchEvent(element, model, false);
        break;
      case 'bpmn:IntermediateThrowEvent':
        if (list(element, 'eventDefinitions').length) this.issue(id, 'only none intermediate throw events are supported');
        break;
      case 'bpmn:BoundaryEvent':
        this.compileBoundaryEvent(element, model);
        break;
      case 'bpmn:ServiceTask':
      case 'bpmn:UserTask':
      case 'bpmn:CallActivity':
        this.compileWaitTask(element, model, info);
        break;
      case 'bpmn:Task':
      case 'bpmn:ManualTask':
        break;
      case 'bpmn:SubProcess':
        if (bool(element, 'triggeredByEvent')) {
          this.issue(id, 'event sub-processes are not supported');
          break;
        }
        this.scopeParents.set(id, scopeId);
        this.needsCatchers.push(model);
        this.walkContainer(element, processId, id, info);
        break;
      case 'bpmn:ExclusiveGateway':
      case 'bpmn:InclusiveGateway':
        this.compileConditionalGateway(element, model, flows);
        break;
      case 'bpmn:ParallelGateway':
        break;
      case 'bpmn:EventBasedGateway':
        this.compileEventBasedGateway(element, flows);
        break;
      default:
        return this.issue(id, `unsupported element ${type}`);
    }

    if (ACTIVITIES.has(type)) this.compileLoop(element, model);
    else if (child(element, 'loopCharacteristics')) this.issue(id, 'loop characteristics are only supported on activities');
    this.elements.set(id, model);
  }

  // ---- events -------------------------------------------------------------------------------

  private compileStartEvent(element: ModdleElement, model: ElementModel, isProcessLevel: boolean, info: ProcessInfo): void {
    const id = model.id;
    const definitions = list(element, 'eventDefinitions');
    if (!isProcessLevel) {
      if (definitions.length) this.issue(id, 'a sub-process start event must be a none start event');
      return;
    }
    if (definitions.length > 1) return this.issue(id, 'start events with several event definitions are not supported');
    const definition = definitions[0];
    const startInfo: StartEventInfo = { elementId: id, kind: 'none' };
    if (!definition) {
      model.start = { kind: 'none' };
    } else if (definition.$type === 'bpmn:MessageEventDefinition') {
      const message = child(definition, 'messageRef');
      const name = str(message, 'name');
      if (!name) return this.issue(id, 'a message start event needs a message with a name');
      if (name.trim().startsWith('=')) return this.issue(id, 'a message start event needs a static message name');
      model.start = { kind: 'message' };
      startInfo.kind = 'message';
      startInfo.messageName = name;
    } else if (definition.$type === 'bpmn:TimerEventDefinition') {
      const timer = this.compileTimer(id, definition, ['date', 'cycle']);
      if (!timer) return;
      model.start = { kind: 'timer' };
      startInfo.kind = 'timer';
      startInfo.timer = { kind: timer.kind, expression: timer.expression };
    } else {
      return this.issue(id, `${definition.$type.replace('bpmn:', '')} start events are not supported`);
    }
    info.startEvents.push(startInfo);
  }

  private compileEndEvent(element: ModdleElement, model: ElementModel): void {
    const definitions = list(element, 'eventDefinitions');
    if (definitions.length > 1) return this.issue(model.id, 'end events with several event definitions are not supported');
    const definition = definitions[0];
    if (!definition) return;
    switch (definition.$type) {
      case 'bpmn:TerminateEventDefinition':
        model.isTerminateEnd = true;
        return;
      case 'bpmn:ErrorEventDefinition': {
        const code = str(child(definition, 'errorRef'), 'errorCode');
        if (!code) return this.issue(model.id, 'an error end event needs an error with an error code');
        if (code.trim().startsWith('=')) return this.issue(model.id, 'error codes must be static');
        model.errorCode = code;
        this.needsCatchers.push(model);
        return;
      }
      default:
        return this.issue(model.id, `${definition.$type.replace('bpmn:', '')} end events are not supported`);
    }
  }

  private compileCatchEvent(element: ModdleElement, model: ElementModel, isBoundary: boolean): void {
    const definitions = list(element, 'eventDefinitions');
    if (definitions.length !== 1) {
      return this.issue(model.id, `${isBoundary ? 'boundary' : 'intermediate catch'} events need exactly one event definition`);
    }
    const definition = definitions[0] as ModdleElement;
    switch (definition.$type) {
      case 'bpmn:MessageEventDefinition': {
        const message = this.compileMessage(model.id, definition);
        if (message) model.message = message;
        return;
      }
      case 'bpmn:TimerEventDefinition': {
        const interrupting = model.boundary?.interrupting ?? true;
        const allowed: TimerKind[] = isBoundary && !interrupting ? ['duration', 'date', 'cycle'] : ['duration', 'date'];
        const timer = this.compileTimer(model.id, definition, allowed);
        if (timer) model.timer = timer;
        return;
      }
      case 'bpmn:ErrorEventDefinition':
        if (!isBoundary) return this.issue(model.id, 'error events can only be caught by boundary events');
        return;
      default:
        return this.issue(model.id, `${definition.$type.replace('bpmn:', '')} events are not supported`);
    }
  }

  private compileBoundaryEvent(element: ModdleElement, model: ElementModel): void {
    const host = child(element, 'attachedToRef');
    if (!host?.id) return this.issue(model.id, 'a boundary event must be attached to an activity');
    if (!BOUNDARY_HOSTS.has(host.$type)) {
      return this.issue(model.id, `boundary events on ${host.$type} are not supported`);
    }
    const interrupting = bool(element, 'cancelActivity') !== false;
    model.boundary = { attachedToId: host.id, interrupting };
    model.historyOnCompletion = true;
    this.compileCatchEvent(element, model, true);
    const definition = list(element, 'eventDefinitions')[0];
    if (definition?.$type === 'bpmn:ErrorEventDefinition') {
      if (!interrupting) return this.issue(model.id, 'error boundary events must be interrupting');
      const code = str(child(definition, 'errorRef'), 'errorCode');
      if (code?.trim().startsWith('=')) return this.issue(model.id, 'error codes must be static');
      const catchers = this.errorBoundaries.get(host.id) ?? [];
      catchers.push({ boundaryId: model.id, attachedToId: host.id, ...(code && { errorCode: code }) });
      this.errorBoundaries.set(host.id, catchers);
    }
  }

  private compileMessage(id: string, definition: ModdleElement): MessageConfig | undefined {
    const message = child(definition, 'messageRef');
    const name = str(message, 'name');
    if (!name) {
      this.issue(id, 'a message event needs a message with a name');
      return undefined;
    }
    const correlationKey = str(extension(message, 'zeebe:Subscription'), 'correlationKey');
    if (!correlationKey?.trim()) {
      this.issue(id, `message "${name}" needs a zeebe:subscription correlationKey`);
      return undefined;
    }
    return {
      name: this.expr(id, 'message name', name),
      correlationKey: this.expr(id, 'correlation key', correlationKey),
    };
  }

  private compileTimer(id: string, definition: ModdleElement, allowed: TimerKind[]): TimerConfig | undefined {
    const candidates: [TimerKind, string | undefined][] = [
      ['duration', expressionBody(definition, 'timeDuration')],
      ['date', expressionBody(definition, 'timeDate')],
      ['cycle', expressionBody(definition, 'timeCycle')],
    ];
    const present = candidates.filter(([, body]) => body !== undefined);
    if (present.length !== 1) {
      this.issue(id, 'a timer needs exactly one of timeDuration, timeDate or timeCycle');
      return undefined;
    }
    const [kind, body] = present[0] as [TimerKind, string];
    if (!allowed.includes(kind)) {
      this.issue(id, `a time ${kind} is not allowed here (allowed: ${allowed.join(', ')})`);
      return undefined;
    }
    const expr = this.expr(id, `timer ${kind}`, body);
    if (expr.kind === 'static') {
      const problem = timerSyntaxError(kind, expr.text);
      if (problem) {
        this.issue(id, problem);
        return undefined;
      }
    }
    return { kind, expression: body.trim() };
  }

  // ---- tasks --------------------------------------------------------------------------------

  private compileWaitTask(element: ModdleElement, model: ElementModel, info: ProcessInfo): void {
    const id = model.id;
    this.needsCatchers.push(model);
    let wait: WaitConfig | undefined;
    switch (element.$type) {
      case 'bpmn:ServiceTask': {
        const definition = extension(element, 'zeebe:TaskDefinition');
        const type = str(definition, 'type');
        if (!type?.trim()) {
          this.issue(id, 'a service task needs a zeebe:taskDefinition with a type');
          return;
        }
        const jobType = this.expr(id, 'job type', type);
        if (jobType.kind === 'static') info.jobTypes.push(jobType.text);
        const retries = this.expr(id, 'retries', str(definition, 'retries') ?? '3');
        if (retries.kind === 'static' && !/^\d+$/.test(retries.text.trim())) this.issue(id, `retries "${retries.text}" is not a number`);
        const headers: Record<string, string> = {};
        for (const header of list(extension(element, 'zeebe:TaskHeaders'), 'values')) {
          const key = str(header, 'key');
          if (key) headers[key] = str(header, 'value') ?? '';
        }
        wait = { kind: 'job', job: { type: jobType, retries, headers } };
        break;
      }
      case 'bpmn:UserTask': {
        // A Camunda user task (<zeebe:userTask/>) is treated exactly like a job-based one.
        const assignment = extension(element, 'zeebe:AssignmentDefinition');
        const form = extension(element, 'zeebe:FormDefinition');
        const schedule = extension(element, 'zeebe:TaskSchedule');
        const optional = (key: string, what: string, owner: ModdleElement | undefined): Expr | undefined => {
          const raw = str(owner, key);
          return raw?.trim() ? this.expr(id, what, raw) : undefined;
        };
        const formKey = str(form, 'formKey');
        const formId = str(form, 'formId');
        const assignee = optional('assignee', 'assignee', assignment);
        const candidateGroups = optional('candidateGroups', 'candidate groups', assignment);
        const candidateUsers = optional('candidateUsers', 'candidate users', assignment);
        const dueDate = optional('dueDate', 'due date', schedule);
        const followUpDate = optional('followUpDate', 'follow-up date', schedule);
        for (const [what, expr] of [
          ['due date', dueDate],
          ['follow-up date', followUpDate],
        ] as const) {
          if (expr?.kind === 'static' && Number.isNaN(Date.parse(expr.text))) this.issue(id, `${what} "${expr.text}" is not an ISO 8601 date-time`);
        }
        wait = {
          kind: 'userTask',
          userTask: {
            ...(assignee && { assignee }),
            ...(candidateGroups && { candidateGroups }),
            ...(candidateUsers && { candidateUsers }),
            ...(formKey && { formKey }),
            ...(formId && { formId }),
            ...(dueDate && { dueDate }),
            ...(followUpDate && { followUpDate }),
          },
        };
        info.userTasks.push({
          elementId: id,
          ...(model.name && { name: model.name }),
          ...(formKey && { formKey }),
          ...(formId && { formId }),
        });
        break;
      }
      case 'bpmn:CallActivity': {
        const called = extension(element, 'zeebe:CalledElement');
        const processId = str(called, 'processId');
        if (!processId?.trim()) {
          this.issue(id, 'a call activity needs a zeebe:calledElement processId');
          return;
        }
        const expr = this.expr(id, 'called process id', processId);
        if (expr.kind === 'static') info.calledProcessIds.push(expr.text);
        wait = {
          kind: 'call',
          call: {
            processId: expr,
            propagateAllChildVariables: bool(called, 'propagateAllChildVariables') !== false,
            propagateAllParentVariables: bool(called, 'propagateAllParentVariables') !== false,
          },
        };
        break;
      }
    }
    if (wait) model.wait = wait;
  }

  private compileLoop(element: ModdleElement, model: ElementModel): void {
    const loop = child(element, 'loopCharacteristics');
    if (!loop) return;
    const id = model.id;
    if (loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
      return this.issue(id, 'standard loops are not supported; use multi-instance');
    }
    if (child(loop, 'loopCardinality')) this.issue(id, 'loop cardinality is not supported; use zeebe:loopCharacteristics inputCollection');
    const zeebe = extension(loop, 'zeebe:LoopCharacteristics');
    const inputCollection = str(zeebe, 'inputCollection');
    if (!inputCollection?.trim()) return this.issue(id, 'multi-instance needs zeebe:loopCharacteristics inputCollection');
    const collection = this.expr(id, 'input collection', inputCollection);
    if (collection.kind !== 'feel') return this.issue(id, 'the input collection must be a FEEL expression (=…)');
    const inputElement = str(zeebe, 'inputElement')?.trim() || undefined;
    const outputCollection = str(zeebe, 'outputCollection')?.trim() || undefined;
    const outputElementRaw = str(zeebe, 'outputElement')?.trim() || undefined;
    for (const [what, name] of [
      ['input element', inputElement],
      ['output collection', outputCollection],
    ] as const) {
      if (name && !TARGET_PATTERN.test(name)) this.issue(id, `${what} "${name}" is not a variable name`);
    }
    if (Boolean(outputCollection) !== Boolean(outputElementRaw)) {
      this.issue(id, 'outputCollection and outputElement must be set together');
    }
    const config: LoopConfig = { sequential: bool(loop, 'isSequential') === true, inputCollection: collection };
    if (inputElement) config.inputElement = inputElement;
    if (outputCollection) config.outputCollection = outputCollection;
    if (outputElementRaw) {
      config.outputElement = this.expr(id, 'output element', outputElementRaw);
      const local = referencedVariableName(config.outputElement);
      if (local) config.outputElementLocal = local;
    }
    const completion = expressionBody(loop, 'completionCondition');
    if (completion !== undefined && completion.trim()) {
      const expr = this.expr(id, 'completion condition', completion);
      if (expr.kind !== 'feel') this.issue(id, 'the completion condition must be a FEEL expression (=…)');
      config.completionCondition = expr;
    }
    model.loop = config;
  }

  private compileMappings(element: ModdleElement, model: ElementModel): void {
    const io = extension(element, 'zeebe:IoMapping');
    if (!io) return;
    const inputs = list(io, 'inputParameters');
    const outputs = list(io, 'outputParameters');
    if (inputs.length && !INPUT_MAPPING_TYPES.has(element.$type)) this.issue(model.id, `input mappings are not supported on ${element.$type}`);
    if (outputs.length && !OUTPUT_MAPPING_TYPES.has(element.$type)) this.issue(model.id, `output mappings are not supported on ${element.$type}`);
    model.inputs = this.mappings(model.id, 'input', inputs);
    model.outputs = this.mappings(model.id, 'output', outputs);
  }

  private mappings(id: string, direction: 'input' | 'output', parameters: ModdleElement[]): Mapping[] {
    const result: Mapping[] = [];
    for (const parameter of parameters) {
      const target = str(parameter, 'target')?.trim() ?? '';
      const source = str(parameter, 'source');
      if (!TARGET_PATTERN.test(target)) {
        this.issue(id, `${direction} mapping target "${target}" is not a variable name`);
        continue;
      }
      // Zeebe: an input mapping without a source creates the variable as null.
      const expr = source === undefined || !source.trim() ? toExpr('=null') : this.expr(id, `${direction} mapping "${target}"`, source);
      result.push({ source: expr, target: target.split('.') });
    }
    return result;
  }

  // ---- gateways and flows -------------------------------------------------------------------

  private compileConditionalGateway(element: ModdleElement, model: ElementModel, flows: ContainerFlows): void {
    const outgoing = flows.outgoing.get(model.id) ?? [];
    const defaultFlow = child(element, 'default');
    if (defaultFlow && !outgoing.includes(defaultFlow)) this.issue(model.id, 'the default flow is not an outgoing flow of the gateway');
    for (const flow of outgoing) {
      const flowId = flow.id ?? '';
      const isDefault = flow === defaultFlow;
      const body = expressionBody(flow, 'conditionExpression');
      const entry: OutgoingFlow = { flowId, targetId: child(flow, 'targetRef')?.id ?? '', isDefault };
      if (body !== undefined && body.trim()) {
        const expr = toExpr(body);
        if (expr.kind === 'feel') entry.condition = expr;
      } else if (!isDefault && outgoing.length > 1) {
        this.issue(flowId, 'an outgoing flow of a diverging gateway needs a condition or must be the default flow');
      }
      model.outgoing.push(entry);
    }
  }

  private compileEventBasedGateway(element: ModdleElement, flows: ContainerFlows): void {
    const id = element.id as string;
    const outgoing = flows.outgoing.get(id) ?? [];
    if (outgoing.length < 2) this.issue(id, 'an event-based gateway needs at least two outgoing flows');
    for (const flow of outgoing) {
      const target = child(flow, 'targetRef');
      const definition = list(target, 'eventDefinitions')[0]?.$type;
      const isCatch = target?.$type === 'bpmn:IntermediateCatchEvent';
      if (!isCatch || (definition !== 'bpmn:MessageEventDefinition' && definition !== 'bpmn:TimerEventDefinition')) {
        this.issue(target?.id ?? flow.id ?? id, 'an event-based gateway may only lead to message or timer intermediate catch events');
        continue;
      }
      if ((flows.incoming.get(target.id ?? '') ?? []).length > 1) {
        this.issue(target.id ?? id, 'a catch event after an event-based gateway may have only that one incoming flow');
      }
      this.eventGatewayTargets.set(target.id ?? '', id);
    }
  }


  private checkFlowCondition(flow: ModdleElement, source: ModdleElement): void {
    const body = expressionBody(flow, 'conditionExpression');
    if (body === undefined) return;
    const id = flow.id ?? '';
    if (!CONDITIONAL_SOURCES.has(source.$type)) {
      return this.issue(id, 'conditions are only supported on flows leaving an exclusive or inclusive gateway');
    }
    const expr = toExpr(body);
    if (expr.kind !== 'feel') return this.issue(id, `the condition "${body}" must be a FEEL expression (=…)`);
    const problem = feelSyntaxError(expr.source);
    if (problem) this.issue(id, `condition: ${problem}`);
  }

  // ---- shared -------------------------------------------------------------------------------

  /** Reads an attribute as Expr, reporting FEEL syntax errors against the element. */
  private expr(id: string, what: string, raw: string): Expr {
    const expr = toExpr(raw);
    if (expr.kind === 'feel') {
      const problem = feelSyntaxError(expr.source);
      if (problem) this.issue(id, `${what}: ${problem}`);
    }
    return expr;
  }

  private checkZeebeExtension(id: string, ext: ModdleElement): void {
    const reason = UNSUPPORTED_ZEEBE_EXTENSIONS[ext.$type];
    if (reason) this.issue(id, reason);
  }

  private catchersFor(model: ElementModel): ErrorCatcher[] {
    const hosts: string[] = [];
    if (model.type !== 'bpmn:EndEvent') hosts.push(model.id);
    let scope: string | undefined = model.flowScopeId;
    while (scope && this.scopeParents.has(scope)) {
      hosts.push(scope);
      scope = this.scopeParents.get(scope);
    }
    return hosts.flatMap((host) => this.errorBoundaries.get(host) ?? []);
  }

  /** Called after the walk: flags catch events behind event-based gateways. */
  finish(): void {
    for (const [id, gatewayId] of this.eventGatewayTargets) {
      const model = this.elements.get(id);
      if (!model) continue;
      model.historyOnCompletion = true;
      model.eventGatewayId = gatewayId;
    }
  }
}

/** moddle's warnings span several lines; keep the first and the nested cause (e.g. a duplicate id). */
function describeWarning(message: string): string {
  const [first] = message.split('\n');
  const nested = /nested error: (.+)$/m.exec(message)?.[1];
  return `unreadable BPMN: ${first}${nested ? ` (${nested.trim()})` : ''}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const existing = map.get(key);
  if (existing) existing.push(value);
  else map.set(key, [value]);
}
