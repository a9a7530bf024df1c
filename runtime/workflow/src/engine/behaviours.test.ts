import { describe, expect, it } from 'vitest';
import { definitions, process as processXml } from '../testing/bpmn.js';
import { WorkflowTestDriver } from '../testing/driver.js';

const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;
const job = (id: string, type: string, extra = '', inner = '') =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" />${extra}</bpmn:extensionElements>${inner}</bpmn:serviceTask>`;
const message = (id: string, name: string, key: string) =>
  `<bpmn:message id="${id}" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="${key}" /></bpmn:extensionElements></bpmn:message>`;
const withRoots = (xml: string, roots: string) => xml.replace('</bpmn:definitions>', `${roots}</bpmn:definitions>`);

async function driverFor(xml: string): Promise<WorkflowTestDriver> {
  const driver = new WorkflowTestDriver(new Date('2025-01-01T00:00:00Z'));
  await driver.deploy(xml);
  return driver;
}

const completed = (driver: WorkflowTestDriver, id: string) =>
  driver.instance(id).history.filter((entry) => entry.event === 'completed').map((entry) => entry.elementId);

describe('behaviours beyond the fixtures', () => {
  it('a non-interrupting message boundary event can trigger again while its activity runs', async () => {
    const driver = await driverFor(
      withRoots(
        processXml(
          'notes',
          `<bpmn:startEvent id="start" />${job('work', 'long-work')}<bpmn:endEvent id="end" />
          <bpmn:boundaryEvent id="note" attachedToRef="work" cancelActivity="false"><bpmn:messageEventDefinition messageRef="noteMessage" /></bpmn:boundaryEvent>
          ${job('log', 'log-note')}<bpmn:endEvent id="logged" />
          ${flow('f1', 'start', 'work')}${flow('f2', 'work', 'end')}${flow('f3', 'note', 'log')}${flow('f4', 'log', 'logged')}`,
        ),
        message('noteMessage', 'work-note', '=orderId'),
      ),
    );
    const instance = await driver.start('notes', { orderId: 'O-1' });
    await driver.publishMessage('work-note', 'O-1', { note: 'first' });
    await driver.completeJob('log-note');
    expect(driver.instance(instance.id).last.messageSubscriptions).toMatchObject([{ elementId: 'note', interrupting: false }]);
    await driver.publishMessage('work-note', 'O-1', { note: 'second' });
    await driver.completeJob('log-note');
    await driver.completeJob('long-work');
    expect(driver.instance(instance.id)).toMatchObject({ state: 'completed', last: { variables: { note: 'second' } } });
    expect(completed(driver, instance.id).filter((id) => id === 'note')).toHaveLength(2);
  });

  it('interrupting a sub-process closes the jobs and timers inside it', async () => {
    const driver = await driverFor(
      withRoots(
        processXml(
          'interrupt',
          `<bpmn:startEvent id="start" />
          <bpmn:subProcess id="repair">
            <bpmn:startEvent id="repairStart" />${job('dig', 'dig')}<bpmn:endEvent id="repairEnd" />
            <bpmn:boundaryEvent id="slow" attachedToRef="dig"><bpmn:timerEventDefinition><bpmn:timeDuration>PT8H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:endEvent id="slowEnd" />
            ${flow('s1', 'repairStart', 'dig')}${flow('s2', 'dig', 'repairEnd')}${flow('s3', 'slow', 'slowEnd')}
          </bpmn:subProcess>
          <bpmn:boundaryEvent id="cancelled" attachedToRef="repair"><bpmn:messageEventDefinition messageRef="cancelMessage" /></bpmn:boundaryEvent>
          <bpmn:endEvent id="end" />${job('refund', 'refund')}<bpmn:endEvent id="refunded" />
          ${flow('f1', 'start', 'repair')}${flow('f2', 'repair', 'end')}${flow('f3', 'cancelled', 'refund')}${flow('f4', 'refund', 'refunded')}`,
        ),
        message('cancelMessage', 'repair-cancelled', '=orderId'),
      ),
    );
    const instance = await driver.start('interrupt', { orderId: 'R-5' });
    expect(instance.last.jobs.map((entry) => entry.type)).toEqual(['dig']);
    expect(instance.last.timers.map((timer) => timer.elementId)).toEqual(['slow']);
    await driver.publishMessage('repair-cancelled', 'R-5');
    const after = driver.instance(instance.id).last;
    expect(after.jobs.map((entry) => entry.type)).toEqual(['refund']);
    expect(after.timers).toEqual([]);
    expect(after.messageSubscriptions).toEqual([]);
    expect(driver.instance(instance.id).history.filter((entry) => entry.event === 'terminated').map((entry) => entry.elementId).sort()).toEqual([
      'dig',
      'repair',
    ]);
    await driver.advanceBy('PT9H');
    await driver.completeJob('refund');
    expect(driver.instance(instance.id).state).toBe('completed');
    expect(completed(driver, instance.id)).not.toContain('slow');
  });

  it('a terminate end event inside a sub-process ends only that sub-process', async () => {
    const driver = await driverFor(
      processXml(
        'inner-terminate',
        `<bpmn:startEvent id="start" />
        <bpmn:subProcess id="scope">
          <bpmn:startEvent id="scopeStart" /><bpmn:parallelGateway id="fork" />${job('waitHere', 'never')}${job('quick', 'quick')}
          <bpmn:endEvent id="stop"><bpmn:terminateEventDefinition /></bpmn:endEvent><bpmn:endEvent id="neverEnd" />
          ${flow('s1', 'scopeStart', 'fork')}${flow('s2', 'fork', 'waitHere')}${flow('s3', 'fork', 'quick')}${flow('s4', 'quick', 'stop')}${flow('s5', 'waitHere', 'neverEnd')}
        </bpmn:subProcess>
        ${job('after', 'after')}<bpmn:endEvent id="end" />
        ${flow('f1', 'start', 'scope')}${flow('f2', 'scope', 'after')}${flow('f3', 'after', 'end')}`,
      ),
    );
    const instance = await driver.start('inner-terminate');
    await driver.completeJob('quick');
    expect(driver.instance(instance.id).last.jobs.map((entry) => entry.type)).toEqual(['after']);
    await driver.completeJob('after');
    expect(driver.instance(instance.id).state).toBe('completed');
  });

  it('parallel multi-instance sub-process: iteration locals, collected outputs, caught errors by index', async () => {
    const driver = await driverFor(
      processXml(
        'crews',
        `<bpmn:startEvent id="start" />
        <bpmn:subProcess id="perCrew">
          <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
            <zeebe:loopCharacteristics inputCollection="=crews" inputElement="crew" outputCollection="reports" outputElement="=report" />
          </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
          <bpmn:startEvent id="crewStart" />${job('brief', 'brief-crew', '<zeebe:ioMapping><zeebe:input source="=crew.name" target="crewName" /></zeebe:ioMapping>')}<bpmn:endEvent id="crewEnd" />
          ${flow('s1', 'crewStart', 'brief')}${flow('s2', 'brief', 'crewEnd')}
        </bpmn:subProcess>
        <bpmn:endEvent id="end" />${flow('f1', 'start', 'perCrew')}${flow('f2', 'perCrew', 'end')}`,
      ),
    );
    const instance = await driver.start('crews', { crews: [{ name: 'north' }, { name: 'south' }] });
    const jobs = driver.instance(instance.id).last.jobs;
    expect(jobs.map((entry) => [entry.variables.crewName, entry.variables.loopCounter])).toEqual([
      ['north', 1],
      ['south', 2],
    ]);
    // Complete the second iteration first: outputs are collected by index, not by arrival.
    await driver.apply(instance.id, { type: 'job-completed', key: jobs[1]!.key, variables: { report: 'S' } });
    await driver.apply(instance.id, { type: 'job-completed', key: jobs[0]!.key, variables: { report: 'N' } });
    expect(driver.instance(instance.id)).toMatchObject({ state: 'completed', last: { variables: { reports: ['N', 'S'] } } });
    expect(driver.instance(instance.id).last.variables).not.toHaveProperty('report');
  });

  it('call activity without propagateAllParentVariables passes only its input mappings', async () => {
    const driver = await driverFor(
      processXml(
        'caller',
        `<bpmn:startEvent id="start" />
        <bpmn:callActivity id="call"><bpmn:extensionElements>
          <zeebe:calledElement processId="=childProcess" propagateAllParentVariables="false" />
          <zeebe:ioMapping><zeebe:input source="=order.id" target="orderId" /></zeebe:ioMapping>
        </bpmn:extensionElements></bpmn:callActivity>
        <bpmn:endEvent id="end" />${flow('f1', 'start', 'call')}${flow('f2', 'call', 'end')}`,
      ),
    );
    await driver.deploy(processXml('callee', `<bpmn:startEvent id="s" />${job('do', 'child-work')}<bpmn:endEvent id="e" />${flow('c1', 's', 'do')}${flow('c2', 'do', 'e')}`));
    const parent = await driver.start('caller', { order: { id: 'O-9' }, secret: 'x', childProcess: 'callee' });
    expect(parent.last.calls).toMatchObject([{ processId: 'callee', variables: { orderId: 'O-9' } }]);
    const [child] = driver.instancesOf('callee');
    expect(child?.last.variables).toEqual({ orderId: 'O-9' });
    await driver.completeJob('child-work', { result: 'done' });
    // propagateAllChildVariables defaults to true: the child's variables come back, propagated from
    // the call activity — so `orderId`, an input-mapped local there, stays local.
    expect(driver.instance(parent.id)).toMatchObject({ state: 'completed', last: { variables: { result: 'done' } } });
    expect(driver.instance(parent.id).last.variables).not.toHaveProperty('orderId');
  });

  // Only the input mapping goes to each child: copying every variable would also copy the body's
  // output collection, which the child's variables would then overwrite on return (as on Zeebe).
  it('a multi-instance call activity starts one child per element and collects their results', async () => {
    const driver = await driverFor(
      processXml(
        'fan-out',
        `<bpmn:startEvent id="start" />
        <bpmn:callActivity id="perDistrict"><bpmn:extensionElements>
          <zeebe:calledElement processId="district" propagateAllParentVariables="false" />
          <zeebe:ioMapping><zeebe:input source="=district" target="district" /></zeebe:ioMapping>
        </bpmn:extensionElements>
          <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
            <zeebe:loopCharacteristics inputCollection="=districts" inputElement="district" outputCollection="totals" outputElement="=total" />
          </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
        </bpmn:callActivity>
        <bpmn:endEvent id="end" />${flow('f1', 'start', 'perDistrict')}${flow('f2', 'perDistrict', 'end')}`,
      ),
    );
    await driver.deploy(processXml('district', `<bpmn:startEvent id="s" />${job('sum', 'sum-district')}<bpmn:endEvent id="e" />${flow('c1', 's', 'sum')}${flow('c2', 'sum', 'e')}`));
    const parent = await driver.start('fan-out', { districts: ['east', 'west'] });
    expect(parent.last.calls.map((call) => call.variables.district)).toEqual(['east', 'west']);
    expect(new Set(parent.last.calls.map((call) => call.key)).size).toBe(2);
    await driver.completeJob('sum-district', { total: 1 });
    await driver.completeJob('sum-district', { total: 2 });
    expect(driver.instance(parent.id)).toMatchObject({ state: 'completed', last: { variables: { totals: [1, 2] } } });
  });

  it('an error from one multi-instance iteration is caught by the boundary of the multi-instance task', async () => {
    const driver = await driverFor(
      withRoots(
        processXml(
          'meters',
          `<bpmn:startEvent id="start" />
          ${job('read', 'read', '', '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=meters" inputElement="meter" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>')}
          <bpmn:boundaryEvent id="offline" attachedToRef="read"><bpmn:errorEventDefinition errorRef="offlineError" /></bpmn:boundaryEvent>
          <bpmn:endEvent id="end" />${job('visit', 'site-visit')}<bpmn:endEvent id="visited" />
          ${flow('f1', 'start', 'read')}${flow('f2', 'read', 'end')}${flow('f3', 'offline', 'visit')}${flow('f4', 'visit', 'visited')}`,
        ),
        '<bpmn:error id="offlineError" name="Offline" errorCode="METER_OFFLINE" />',
      ),
    );
    const instance = await driver.start('meters', { meters: ['A', 'B', 'C'] });
    await driver.completeJob('read');
    await driver.throwError('read', 'METER_OFFLINE', { offlineMeter: 'B' });
    const last = driver.instance(instance.id).last;
    expect(last.jobs.map((entry) => entry.type)).toEqual(['site-visit']);
    expect(last.variables).toMatchObject({ offlineMeter: 'B' });
  });

  it('an unhandled error end event raises a new incident each time it is retried', async () => {
    const driver = await driverFor(
      withRoots(
        processXml('fail', `<bpmn:startEvent id="start" /><bpmn:endEvent id="boom"><bpmn:errorEventDefinition errorRef="e" /></bpmn:endEvent>${flow('f1', 'start', 'boom')}`),
        '<bpmn:error id="e" name="E" errorCode="BOOM" />',
      ),
    );
    const instance = await driver.start('fail');
    const [first] = instance.last.incidents;
    expect(first).toMatchObject({ elementId: 'boom', kind: 'unhandled-error', errorCode: 'BOOM' });
    await driver.resolveIncident('boom');
    const [second] = driver.instance(instance.id).last.incidents;
    expect(second).toMatchObject({ elementId: 'boom', kind: 'unhandled-error' });
    expect(second?.key).not.toBe(first?.key);
  });

  it('a timer whose FEEL value is not a timer is an incident until the variable is fixed', async () => {
    const driver = await driverFor(
      processXml(
        'late',
        `<bpmn:startEvent id="start" />
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>=delay</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end" />${flow('f1', 'start', 'wait')}${flow('f2', 'wait', 'end')}`,
      ),
    );
    const instance = await driver.start('late', { delay: 15 });
    expect(instance.last.incidents).toMatchObject([{ elementId: 'wait', kind: 'expression', reason: expect.stringMatching(/timer expression/) }]);
    expect(instance.last.timers).toEqual([]);
    await driver.resolveIncident('wait', { delay: 'PT15M' });
    expect(driver.instance(instance.id).last.timers).toEqual([{ key: expect.any(String), elementId: 'wait', dueAt: new Date('2025-01-01T00:15:00Z') }]);
    await driver.advanceBy('PT15M');
    expect(driver.instance(instance.id).state).toBe('completed');
  });

  it('keys stay unique across many instances of the same element', async () => {
    const driver = await driverFor(definitions(`<bpmn:process id="many" isExecutable="true"><bpmn:startEvent id="s" />${job('t', 'x')}<bpmn:endEvent id="e" />${flow('a', 's', 't')}${flow('b', 't', 'e')}</bpmn:process>`));
    for (let index = 0; index < 50; index++) await driver.start('many');
    const keys = driver.openJobs().map(({ job: open }) => open.key);
    expect(new Set(keys).size).toBe(50);
  });
});
