import { describe, expect, it } from 'vitest';
import { compileDefinition } from '../compile/compile.js';
import { process as processXml, readFixture } from '../testing/bpmn.js';
import { WorkflowTestDriver } from '../testing/driver.js';
import type { CompiledDefinition, Snapshot, StepEvent, StepResult } from '../types.js';
import { step } from './step.js';

/** One step with the snapshot taken through JSON first, as from a jsonb column. */
async function apply(def: CompiledDefinition, previous: StepResult | undefined, event: StepEvent, now = new Date('2025-03-01T08:00:00Z')) {
  const snapshot: Snapshot | undefined = previous && JSON.parse(JSON.stringify(previous.snapshot));
  return step(def, snapshot, event, { now: () => now });
}

const start = (processId: string, variables: Record<string, unknown> = {}): StepEvent => ({ type: 'start', processId, variables });
const fixture = (name: string) => compileDefinition(readFixture(name));
const flow = (id: string, from: string, to: string, condition?: string) =>
  condition
    ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>`
    : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;

describe('step: open waits', () => {
  it('reports jobs with type, retries, headers and the variables the task sees', async () => {
    const chain = fixture('service-task-chain.bpmn');
    const first = await apply(chain, undefined, start('service-task-chain', { meterId: 'M-1' }));
    expect(first.state).toBe('active');
    expect(first.jobs).toEqual([
      {
        key: expect.any(String),
        elementId: 'fetch',
        type: 'fetch-reading',
        retries: 3,
        headers: { protocol: 'CJ/T 188', timeoutSeconds: '30' },
        variables: { meterId: 'M-1' },
      },
    ]);
    const second = await apply(chain, first, { type: 'job-completed', key: first.jobs[0]!.key, variables: { reading: 1 } });
    expect(second.jobs).toMatchObject([{ elementId: 'validate', type: 'validate-reading', retries: 5, variables: { meterId: 'M-1', reading: 1 } }]);
    expect(second.history.map((entry) => `${entry.event}:${entry.elementId}`)).toEqual(['completed:fetch', 'activated:validate']);

    const io = fixture('io-mapping.bpmn');
    const mapped = await apply(io, undefined, start('io-mapping', { usage: 12, tier: 2, customer: { id: 'C-9' } }));
    expect(mapped.jobs[0]?.variables).toMatchObject({ usage: 12, input: { usage: 12, tierName: 'tier-2' }, customerId: 'C-9' });
    expect(mapped.variables).not.toHaveProperty('input');
  });

  it('reports a call with the variables copied into the child and merges nothing else back', async () => {
    const parent = fixture('call-activity-parent.bpmn');
    const first = await apply(parent, undefined, start('call-activity-parent', { meter: { id: 'M-77' }, tenant: 'ZJ' }));
    expect(first.calls).toEqual([
      {
        key: expect.any(String),
        elementId: 'replaceMeter',
        processId: 'meter-replacement-child',
        variables: { meter: { id: 'M-77' }, tenant: 'ZJ', meterId: 'M-77' },
      },
    ]);
    const done = await apply(parent, first, { type: 'call-completed', key: first.calls[0]!.key, variables: { newMeterId: 'M-78', crew: 'c1' } });
    expect(done.calls).toEqual([]);
    expect(done.variables).toEqual({ meter: { id: 'M-77' }, tenant: 'ZJ', replacement: { meterId: 'M-78' } });
  });

  it('reports message subscriptions with the correlation key evaluated when they open', async () => {
    const def = fixture('event-based-gateway.bpmn');
    let result = await apply(def, undefined, start('event-based-gateway', { billId: 42 }));
    result = await apply(def, result, { type: 'job-completed', key: result.jobs[0]!.key, variables: { billId: 43 } });
    expect(result.messageSubscriptions).toEqual([
      { key: expect.any(String), elementId: 'paymentReceived', messageName: 'payment-received', correlationKey: '43', interrupting: true },
    ]);
    expect(result.timers).toEqual([{ key: expect.any(String), elementId: 'paymentOverdue', dueAt: new Date('2025-03-04T08:00:00Z') }]);
  });

  it('keeps keys stable across steps and unique per activation', async () => {
    const def = fixture('parallel-join.bpmn');
    const first = await apply(def, undefined, start('parallel-join'));
    const other = await apply(def, undefined, start('parallel-join'));
    const read = first.jobs.find((job) => job.type === 'read-meter');
    const seal = first.jobs.find((job) => job.type === 'check-seal');
    const second = await apply(def, first, { type: 'job-completed', key: seal!.key, variables: {} });
    expect(second.jobs.map((job) => job.key)).toEqual([read!.key]);
    const keys = [...first.jobs, ...other.jobs].map((job) => job.key);
    expect(new Set(keys).size).toBe(4);
  });
});

describe('step: timers', () => {
  const timerProcess = processXml(
    'wait-timer',
    `<bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end" />
    ${flow('f1', 'start', 'wait')}${flow('f2', 'wait', 'end')}`,
  );

  it('computes due times from the injected clock and never leaves a real timeout behind', async () => {
    const def = compileDefinition(timerProcess);
    const timeoutsBefore = activeTimeouts();
    const result = await apply(def, undefined, start('wait-timer'), new Date('2025-01-01T00:00:00Z'));
    expect(result.timers).toEqual([{ key: expect.any(String), elementId: 'wait', dueAt: new Date('2025-01-01T01:00:00Z') }]);
    expect(activeTimeouts()).toBe(timeoutsBefore);
    // Resuming later keeps the original due time.
    const resumed = await apply(def, result, { type: 'job-completed', key: 'nothing', variables: {} }, new Date('2025-01-01T00:30:00Z'));
    expect(resumed.rejected?.reason).toMatch(/no open wait/);
    expect(resumed.timers[0]?.dueAt).toEqual(new Date('2025-01-01T01:00:00Z'));
  });

  it('fires an overdue timer exactly once, when its event is applied', async () => {
    const def = compileDefinition(timerProcess);
    const started = await apply(def, undefined, start('wait-timer'), new Date('2025-01-01T00:00:00Z'));
    const key = started.timers[0]!.key;
    // The runtime was down for two days: the timer fires once, on its event.
    const fired = await apply(def, started, { type: 'timer', key }, new Date('2025-01-03T00:00:00Z'));
    expect(fired.state).toBe('completed');
    expect(fired.history.filter((entry) => entry.elementId === 'wait').map((entry) => entry.event)).toEqual(['completed']);
    expect(fired.history.at(-1)?.at).toEqual(new Date('2025-01-03T00:00:00Z'));
    const again = await apply(def, started, { type: 'timer', key: 'not-a-timer' }, new Date('2025-01-03T00:00:00Z'));
    expect(again.rejected?.reason).toMatch(/no open timer/);
    const afterEnd = await apply(def, fired, { type: 'timer', key });
    expect(afterEnd.rejected?.reason).toBe('the instance is completed');
  });

  it('reports a cycle with its repetitions and interval, and restarts it with one fewer', async () => {
    const def = fixture('timer-cycle.bpmn');
    const first = await apply(def, undefined, start('timer-cycle', { intervalMinutes: 15 }), new Date('2025-01-01T00:00:00Z'));
    expect(first.timers).toEqual([
      { key: expect.any(String), elementId: 'sampleTimer', dueAt: new Date('2025-01-01T00:15:00Z'), repetitionsLeft: 3, interval: 'PT15M' },
    ]);
    const second = await apply(def, first, { type: 'timer', key: first.timers[0]!.key }, new Date('2025-01-01T00:15:00Z'));
    expect(second.timers).toEqual([
      { key: expect.any(String), elementId: 'sampleTimer', dueAt: new Date('2025-01-01T00:30:00Z'), repetitionsLeft: 2, interval: 'PT15M' },
    ]);
    expect(second.timers[0]?.key).not.toBe(first.timers[0]?.key);
    expect(second.jobs.map((job) => job.type)).toEqual(['sample-pressure']);
    expect(second.userTasks.map((task) => task.elementId)).toEqual(['monitor']);
  });
});

describe('step: incidents instead of exceptions', () => {
  const gateway = (defaultFlow: boolean) =>
    compileDefinition(
      processXml(
        'routing',
        `<bpmn:startEvent id="start" />
        <bpmn:exclusiveGateway id="route"${defaultFlow ? ' default="fallback"' : ''} />
        <bpmn:endEvent id="high" /><bpmn:endEvent id="low" />
        ${flow('f1', 'start', 'route')}${flow('toHigh', 'route', 'high', '=level &gt; 5')}${flow(defaultFlow ? 'fallback' : 'toLow', 'route', 'low', defaultFlow ? undefined : '=level &lt; 2')}`,
      ),
    );

  it('a condition that is not boolean stops the token at the gateway', async () => {
    const result = await apply(gateway(true), undefined, start('routing', { level: null }));
    expect(result.state).toBe('active');
    expect(result.incidents).toEqual([
      { key: expect.any(String), elementId: 'route', kind: 'expression', reason: expect.stringMatching(/to be a boolean, but was null/) },
    ]);
    const resolved = await apply(gateway(true), result, { type: 'resolve-incident', key: result.incidents[0]!.key, variables: { level: 9 } });
    expect(resolved.state).toBe('completed');
    expect(resolved.incidents).toEqual([]);
    expect(resolved.history.filter((entry) => entry.event === 'completed').map((entry) => entry.elementId)).toEqual(['route', 'high']);
  });

  it('no flow taken and no default flow is an incident', async () => {
    const result = await apply(gateway(false), undefined, start('routing', { level: 3 }));
    expect(result.incidents).toMatchObject([{ elementId: 'route', kind: 'expression', reason: expect.stringMatching(/at least one condition/) }]);
  });

  it('an unhandled BPMN error from a job is an incident; resolving it reopens the same job', async () => {
    const def = fixture('service-task-chain.bpmn');
    const first = await apply(def, undefined, start('service-task-chain'));
    const key = first.jobs[0]!.key;
    const failed = await apply(def, first, { type: 'job-error', key, errorCode: 'METER_OFFLINE', message: 'no answer' });
    expect(failed.state).toBe('active');
    expect(failed.jobs).toEqual([]);
    expect(failed.incidents).toEqual([
      {
        key: expect.any(String),
        elementId: 'fetch',
        kind: 'unhandled-error',
        reason: expect.stringMatching(/Unhandled BPMN error 'METER_OFFLINE': no answer/),
        errorCode: 'METER_OFFLINE',
        waitKey: key,
      },
    ]);
    const retried = await apply(def, failed, { type: 'resolve-incident', key: failed.incidents[0]!.key });
    expect(retried.incidents).toEqual([]);
    expect(retried.jobs.map((job) => job.key)).toEqual([key]);
  });

  it('an expression that cannot produce a job type, a correlation key or a collection is an incident at its element', async () => {
    const def = compileDefinition(
      processXml(
        'dynamic',
        `<bpmn:startEvent id="start" />
        <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="=kind" /></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="item" /></bpmn:extensionElements>
          <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
        </bpmn:serviceTask>
        <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="reply-message" /></bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end" />
        ${flow('f1', 'start', 'work')}${flow('f2', 'work', 'each')}${flow('f3', 'each', 'reply')}${flow('f4', 'reply', 'end')}`,
      ).replace(
        '</bpmn:definitions>',
        '<bpmn:message id="reply-message" name="reply"><bpmn:extensionElements><zeebe:subscription correlationKey="=ticket" /></bpmn:extensionElements></bpmn:message></bpmn:definitions>',
      ),
    );
    let result = await apply(def, undefined, start('dynamic'));
    expect(result.incidents).toMatchObject([{ elementId: 'work', kind: 'expression', reason: expect.stringMatching(/job type/) }]);
    result = await apply(def, result, { type: 'resolve-incident', key: result.incidents[0]!.key, variables: { kind: 'dynamic-work', items: 'x' } });
    expect(result.jobs.map((job) => job.type)).toEqual(['dynamic-work']);
    result = await apply(def, result, { type: 'job-completed', key: result.jobs[0]!.key, variables: {} });
    expect(result.incidents).toMatchObject([{ elementId: 'each', kind: 'expression', reason: expect.stringMatching(/input collection .* list, but was string/) }]);
    result = await apply(def, result, { type: 'resolve-incident', key: result.incidents[0]!.key, variables: { items: [1, 2] } });
    expect(result.jobs.map((job) => job.type)).toEqual(['item', 'item']);
    for (const job of result.jobs) result = await apply(def, result, { type: 'job-completed', key: job.key, variables: {} });
    expect(result.incidents).toMatchObject([{ elementId: 'reply', kind: 'expression', reason: expect.stringMatching(/correlation key/) }]);
    result = await apply(def, result, { type: 'resolve-incident', key: result.incidents[0]!.key, variables: { ticket: 'T-1' } });
    expect(result.messageSubscriptions).toMatchObject([{ elementId: 'reply', messageName: 'reply', correlationKey: 'T-1' }]);
  });
});

describe('step: events that do not apply, cancel', () => {
  it('rejects unknown keys and events of the wrong kind without changing anything', async () => {
    const def = fixture('user-task-assignment.bpmn');
    const first = await apply(def, undefined, start('user-task-assignment', { inspector: 'a', reportedAt: '2025-03-01T08:00:00Z' }));
    const taskKey = first.userTasks[0]!.key;
    const wrongKind = await apply(def, first, { type: 'job-completed', key: taskKey, variables: {} });
    expect(wrongKind.rejected?.reason).toMatch(/userTask wait and cannot take a 'job-completed' event/);
    expect(wrongKind.snapshot).toEqual(JSON.parse(JSON.stringify(first.snapshot)));
    expect(wrongKind.userTasks.map((task) => task.key)).toEqual([taskKey]);
    const unknown = await apply(def, first, { type: 'message', key: 'nope', variables: {} });
    expect(unknown.rejected?.reason).toMatch(/no open wait with key nope/);
  });

  it('cancel ends the instance, closes every wait and records the terminated elements', async () => {
    const def = fixture('parallel-join.bpmn');
    const first = await apply(def, undefined, start('parallel-join'));
    const canceled = await apply(def, first, { type: 'cancel' });
    expect(canceled).toMatchObject({ state: 'canceled', jobs: [], userTasks: [], timers: [], messageSubscriptions: [], calls: [], incidents: [] });
    expect(canceled.history.map((entry) => `${entry.event}:${entry.elementId}`).sort()).toEqual(['terminated:checkSeal', 'terminated:readMeter']);
    const after = await apply(def, canceled, { type: 'job-completed', key: first.jobs[0]!.key, variables: {} });
    expect(after.rejected?.reason).toBe('the instance is canceled');
  });

  it('throws only for calls that are wrong, not for model or run-time problems', async () => {
    const def = fixture('parallel-join.bpmn');
    await expect(step(def, undefined, { type: 'timer', key: 'x' })).rejects.toThrow(TypeError);
    await expect(step(def, undefined, start('unknown-process'))).rejects.toThrow(/not in this definition/);
    await expect(step(def, { v: 0 }, { type: 'cancel' })).rejects.toThrow(/not a workflow snapshot/);
    await expect(step({ xml: '', processes: [], handle: {} }, undefined, start('x'))).rejects.toThrow(/compileDefinition/);
  });
});

describe('step: snapshots and speed', () => {
  it('survives JSON between every step (the driver round-trips every snapshot)', async () => {
    const driver = new WorkflowTestDriver();
    await driver.deploy(readFixture('multi-instance-sequential.bpmn'));
    const instance = await driver.start('multi-instance-sequential', { households: [{ inspector: 'a' }, { inspector: 'b' }] });
    for (let visit = 0; visit < 2; visit++) {
      const snapshot: unknown = JSON.parse(instance.snapshotJson);
      expect(JSON.stringify(JSON.parse(JSON.stringify(snapshot)))).toBe(instance.snapshotJson);
      await driver.completeUserTask('visitHousehold');
      await driver.completeJob('record-visit', { visitResult: `visit-${visit}` });
    }
    await driver.completeJob('summarize-visits');
    expect(driver.instance(instance.id)).toMatchObject({ state: 'completed', last: { variables: { visitResults: ['visit-0', 'visit-1'] } } });
  });

  it('runs many instances of one compiled definition concurrently without crosstalk', async () => {
    const def = fixture('service-task-chain.bpmn');
    const started = await Promise.all(Array.from({ length: 20 }, (_, index) => apply(def, undefined, start('service-task-chain', { index }))));
    const advanced = await Promise.all(
      started.map((result, index) => apply(def, result, { type: 'job-completed', key: result.jobs[0]!.key, variables: { reading: index * 10 } })),
    );
    advanced.forEach((result, index) => expect(result.jobs[0]?.variables).toEqual({ index, reading: index * 10 }));
  });

  it('measures a step on the five-step benchmark fixture (reported, not asserted)', async () => {
    const driver = new WorkflowTestDriver();
    await driver.deploy(readFixture('bench-five-step.bpmn'));
    const instances = 60;
    const started = performance.now();
    for (let index = 0; index < instances; index++) {
      await driver.start('bench-five-step', { reading: { valid: true, value: index } });
      await driver.completeJob('validate-reading');
      await driver.completeJob('compute-bill', { amountFen: index * 100 });
      await driver.completeUserTask('approveBill', { approved: true });
    }
    const elapsed = performance.now() - started;
    const timings = driver.stepTimings.slice(instances); // skip warm-up
    const mean = timings.reduce((sum, value) => sum + value, 0) / timings.length;
    console.log(
      `[workflow] bench-five-step: ${driver.stepTimings.length} steps, mean ${mean.toFixed(2)} ms/step, ` +
        `${((instances * 1000) / elapsed).toFixed(0)} instances/s on one thread (incl. JSON round trips)`,
    );
    expect([...driver.instances.values()].every((instance) => instance.state === 'completed')).toBe(true);
  });
});

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
