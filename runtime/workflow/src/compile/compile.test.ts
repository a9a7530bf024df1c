import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeployError, type DeployIssue } from '../errors.js';
import { fixturesDir, process, readFixture } from '../testing/bpmn.js';
import { compileDefinition } from './compile.js';

function issuesOf(xml: string): DeployIssue[] {
  try {
    compileDefinition(xml);
  } catch (error) {
    if (error instanceof DeployError) return error.issues;
    throw error;
  }
  throw new Error('expected a DeployError');
}

const task = (id: string, type = 'work', extra = '') =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" />${extra}</bpmn:extensionElements></bpmn:serviceTask>`;
const flow = (id: string, from: string, to: string, condition?: string) =>
  condition
    ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>`
    : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;

describe('compileDefinition', () => {
  it('compiles every conformance fixture', () => {
    const files = readdirSync(fixturesDir).filter((name) => name.endsWith('.bpmn'));
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const file of files) {
      const compiled = compileDefinition(readFixture(file));
      expect(compiled.processes.length, file).toBe(1);
      expect(compiled.xml).toBe(readFixture(file));
    }
  });

  it('describes processes: start events, user tasks, static job types and called processes', () => {
    const [timer] = compileDefinition(readFixture('timer-start.bpmn')).processes;
    expect(timer?.startEvents).toEqual([{ elementId: 'everyDay', kind: 'timer', timer: { kind: 'cycle', expression: 'R/P1D' } }]);
    const [message] = compileDefinition(readFixture('message-start.bpmn')).processes;
    expect(message?.startEvents).toEqual([{ elementId: 'leakAlarm', kind: 'message', messageName: 'leak-alarm' }]);
    const [tasks] = compileDefinition(readFixture('user-task-assignment.bpmn')).processes;
    expect(tasks?.userTasks).toEqual([
      { elementId: 'review', name: 'Review work order', formId: 'work-order-review' },
      { elementId: 'approve', name: 'Approve work order', formId: 'work-order-approval' },
    ]);
    expect(tasks?.jobTypes).toEqual([]);
    const [parent] = compileDefinition(readFixture('call-activity-parent.bpmn')).processes;
    expect(parent).toMatchObject({ processId: 'call-activity-parent', name: 'Meter replacement order', calledProcessIds: ['meter-replacement-child'] });
    const [chain] = compileDefinition(readFixture('service-task-chain.bpmn')).processes;
    expect(chain?.jobTypes).toEqual(['fetch-reading', 'validate-reading']);
  });

  it('rejects malformed XML with a readable reason', () => {
    const ns = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"';
    for (const xml of [
      `<bpmn:definitions ${ns}><bpmn:process id="p">`,
      `<bpmn:definitions ${ns} id="d"><bpmn:process id="p"></bpmn:definitions>`,
      'not xml at all',
      '<html><body/></html>',
    ]) {
      const [issue, ...rest] = issuesOf(xml);
      expect(rest).toEqual([]);
      expect(issue?.elementId).toBe('definitions');
      expect(issue?.reason).toMatch(/^malformed BPMN XML: .+/);
    }
    expect(issuesOf('   ')).toEqual([{ elementId: 'definitions', reason: 'the document is empty' }]);
  });

  it('rejects unsupported elements by id, listing every problem at once', () => {
    const issues = issuesOf(
      process(
        'unsupported',
        `<bpmn:startEvent id="start" />
        <bpmn:scriptTask id="calculate" scriptFormat="javascript"><bpmn:script>1</bpmn:script></bpmn:scriptTask>
        <bpmn:sendTask id="notify" />
        <bpmn:complexGateway id="complex" />
        <bpmn:intermediateCatchEvent id="signalled"><bpmn:signalEventDefinition /></bpmn:intermediateCatchEvent>
        <bpmn:subProcess id="events" triggeredByEvent="true"><bpmn:startEvent id="inner" /></bpmn:subProcess>
        <bpmn:businessRuleTask id="decide" />
        ${flow('f1', 'start', 'calculate')}${flow('f2', 'calculate', 'notify')}${flow('f3', 'notify', 'complex')}
        ${flow('f4', 'complex', 'signalled')}${flow('f5', 'signalled', 'events')}${flow('f6', 'events', 'decide')}`,
      ),
    );
    const byId = Object.fromEntries(issues.map((issue) => [issue.elementId, issue.reason]));
    expect(byId).toMatchObject({
      calculate: expect.stringMatching(/script tasks are not supported/),
      notify: expect.stringMatching(/send tasks/),
      complex: expect.stringMatching(/complex gateways/),
      signalled: expect.stringMatching(/SignalEventDefinition events are not supported/),
      events: expect.stringMatching(/event sub-processes/),
      decide: expect.stringMatching(/business rule tasks/),
    });
  });

  it('rejects a file whose processes are all non-executable', () => {
    const xml = process('draft', '<bpmn:startEvent id="start" />').replace('isExecutable="true"', 'isExecutable="false"');
    expect(issuesOf(xml)).toEqual([{ elementId: 'draft', reason: expect.stringMatching(/no executable process/) }]);
  });

  it('names the element of a FEEL syntax error in a condition, an io mapping and an assignee', () => {
    const issues = issuesOf(
      process(
        'feel',
        `<bpmn:startEvent id="start" />
        ${task('prepare', 'prepare', '<zeebe:ioMapping><zeebe:input source="=order.total +" target="total" /></zeebe:ioMapping>')}
        <bpmn:exclusiveGateway id="check" default="otherwise" />
        <bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="=if manager then" /></bpmn:extensionElements></bpmn:userTask>
        <bpmn:endEvent id="end" />
        ${flow('f1', 'start', 'prepare')}${flow('f2', 'prepare', 'check')}
        ${flow('big', 'check', 'approve', '=amount &gt; (10')}${flow('otherwise', 'check', 'end')}${flow('f3', 'approve', 'end')}`,
      ),
    );
    expect(issues).toEqual([
      { elementId: 'big', reason: expect.stringMatching(/^condition: FEEL syntax error/) },
      { elementId: 'prepare', reason: expect.stringMatching(/^input mapping "total": FEEL syntax error/) },
      { elementId: 'approve', reason: expect.stringMatching(/^assignee: FEEL syntax error/) },
    ]);
  });

  it('rejects a service task without a task definition and a static condition', () => {
    const issues = issuesOf(
      process(
        'tasks',
        `<bpmn:startEvent id="start" />
        <bpmn:serviceTask id="untyped" />
        <bpmn:exclusiveGateway id="check" default="f3" />
        <bpmn:endEvent id="end" />
        ${flow('f1', 'start', 'untyped')}${flow('f2', 'untyped', 'check')}${flow('static', 'check', 'end', 'amount > 10')}${flow('f3', 'check', 'end')}`,
      ),
    );
    expect(issues).toEqual([
      { elementId: 'static', reason: expect.stringMatching(/must be a FEEL expression/) },
      { elementId: 'untyped', reason: 'a service task needs a zeebe:taskDefinition with a type' },
    ]);
  });

  it('checks gateways, message subscriptions, timers and multi-instance', () => {
    const issues = issuesOf(
      process(
        'checks',
        `<bpmn:startEvent id="start" />
        <bpmn:exclusiveGateway id="split" />
        ${task('a')}${task('b')}
        <bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="payment" /></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="later"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1X</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="cycle"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="x" /></bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics /></bpmn:serviceTask>
        <bpmn:parallelGateway id="fork" />
        <bpmn:endEvent id="end" />
        ${flow('f1', 'start', 'split')}${flow('toA', 'split', 'a', '=x')}${flow('toB', 'split', 'b')}
        ${flow('f2', 'a', 'paid')}${flow('f3', 'paid', 'later')}${flow('f4', 'later', 'cycle')}${flow('f5', 'cycle', 'each')}
        ${flow('f6', 'each', 'fork')}${flow('conditional', 'fork', 'end', '=true')}${flow('f7', 'b', 'end')}`,
      ).replace('</bpmn:definitions>', '<bpmn:message id="payment" name="payment-received" /></bpmn:definitions>'),
    );
    const reasons = issues.map((issue) => `${issue.elementId}: ${issue.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^toB: an outgoing flow of a diverging gateway needs a condition/),
        expect.stringMatching(/^paid: message "payment-received" needs a zeebe:subscription correlationKey/),
        expect.stringMatching(/^later: .*PT1X/),
        expect.stringMatching(/^cycle: a time cycle is not allowed here/),
        expect.stringMatching(/^each: multi-instance needs zeebe:loopCharacteristics inputCollection/),
        expect.stringMatching(/^conditional: conditions are only supported on flows leaving an exclusive or inclusive gateway/),
      ]),
    );
  });

  it('rejects elements without incoming flow and unresolved references', () => {
    const issues = issuesOf(
      process('orphans', `<bpmn:startEvent id="start" />${task('lonely')}<bpmn:endEvent id="end" />${flow('f1', 'start', 'end')}${flow('dangling', 'start', 'nowhere')}`),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { elementId: 'lonely', reason: 'the element has no incoming sequence flow' },
        expect.objectContaining({ reason: expect.stringMatching(/unresolved reference <nowhere>/) }),
      ]),
    );
  });

  it('reports a duplicate id with its cause', () => {
    expect(issuesOf(process('twice', '<bpmn:startEvent id="twice" />'))).toContainEqual({
      elementId: 'Definitions_test',
      reason: 'unreadable BPMN: unparsable content <bpmn:startEvent> detected (duplicate ID <twice>)',
    });
  });

  it('accepts a Camunda user task (<zeebe:userTask/>) like a job-based one', () => {
    const compiled = compileDefinition(
      process(
        'camunda-user-task',
        `<bpmn:startEvent id="start" />
        <bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:userTask /><zeebe:formDefinition formId="approval" /></bpmn:extensionElements></bpmn:userTask>
        <bpmn:endEvent id="end" />${flow('f1', 'start', 'approve')}${flow('f2', 'approve', 'end')}`,
      ),
    );
    expect(compiled.processes[0]?.userTasks).toEqual([{ elementId: 'approve', formId: 'approval' }]);
  });
});
