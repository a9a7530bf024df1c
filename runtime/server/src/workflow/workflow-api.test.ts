import { defineWorker } from '@shuiyun/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';
import { until } from '../testing/until.js';

/** 表具维修: check the meter (a job), then a dispatcher of the repair crew fills in the dispatch form. */
const repairBpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  id="repair-defs" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="meter-repair" name="表具维修" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="check" name="检查表具">
      <bpmn:extensionElements><zeebe:taskDefinition type="test.meter-check" retries="2" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="dispatch" name="派工">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition candidateGroups="repair-crew" />
        <zeebe:formDefinition formId="repair-dispatch" />
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="dispatch" />
    <bpmn:sequenceFlow id="f3" sourceRef="dispatch" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="meter-repair">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="check_di" bpmnElement="check"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="dispatch_di" bpmnElement="dispatch"><dc:Bounds x="400" y="80" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="562" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="340" y="120" /><di:waypoint x="400" y="120" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="500" y="120" /><di:waypoint x="562" y="120" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

const dispatchForm = {
  id: 'repair-dispatch',
  type: 'default',
  schemaVersion: 16,
  components: [
    { id: 'f-crew', key: 'crew', label: '班组', type: 'select', values: [{ label: '一班', value: 'crew-1' }, { label: '二班', value: 'crew-2' }], validate: { required: true } },
    { id: 'f-note', key: 'note', label: '说明', type: 'textarea', validate: { maxLength: 200 } },
  ],
};

describe.each(drivers)('workflow API on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let fitter: string;
  let viewer: string;
  const checked: string[] = [];

  const call = (token: string, method: string, path: string, body?: unknown) => t.request(method, path, { token, body });
  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await call(token, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const openTask = (token: string, instanceId: number) =>
    until('the dispatch task', async () => (await ok(token, 'GET', `/api/tasks?scope=candidate&instanceId=${instanceId}`)).items[0] as { id: number; elementId: string } | undefined);

  beforeAll(async () => {
    t = await startTestRuntime(driver, {}, { workflowTickMs: 100 });
    t.runtime.workflow.registerWorker(
      defineWorker({
        type: 'test.meter-check',
        input: z.object({ meterNumber: z.string() }),
        output: z.object({ faulty: z.boolean() }),
        handler: async ({ meterNumber }) => {
          checked.push(meterNumber);
          if (meterNumber === 'BROKEN') throw new Error('the meter does not answer');
          return { faulty: true };
        },
      }),
    );
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const crew = await ok(adminA, 'POST', '/api/roles', { code: 'repair-crew', name: '维修班', permissions: ['task:read', 'task:claim', 'task:complete'] });
    await ok(adminA, 'POST', '/api/users', { username: 'fitter@demo-county-a', displayName: '王师傅', password: 'Fitter-passw0rd-1', roleIds: [crew.id] });
    fitter = await t.login('fitter@demo-county-a', 'Fitter-passw0rd-1');
    const viewerRole = (await ok(adminA, 'GET', '/api/roles?pageSize=100')).items.find((r: { code: string }) => r.code === 'viewer');
    await ok(adminA, 'POST', '/api/users', { username: 'reader@demo-county-a', displayName: '只读', password: 'Reader-passw0rd-1', roleIds: [viewerRole.id] });
    viewer = await t.login('reader@demo-county-a', 'Reader-passw0rd-1');
  });
  afterAll(() => t?.close());

  it('deploys a process and its form as version 1, and the same files again as no new version', async () => {
    const resources = [
      { name: 'meter-repair.bpmn', content: repairBpmn },
      { name: 'repair-dispatch.form', content: JSON.stringify(dispatchForm) },
    ];
    const first = await call(adminA, 'POST', '/api/workflow/deployments', { resources });
    expect(first.status).toBe(201);
    expect(first.body.processes).toEqual([expect.objectContaining({ processId: 'meter-repair', version: 1, isNew: true })]);
    expect(first.body.forms).toEqual([expect.objectContaining({ formId: 'repair-dispatch', version: 1, isNew: true })]);
    const again = await ok(adminA, 'POST', '/api/workflow/deployments', { resources });
    expect(again.processes).toEqual([expect.objectContaining({ processId: 'meter-repair', version: 1, isNew: false })]);
    const list = await ok(adminA, 'GET', '/api/workflow/definitions');
    expect(list.items.map((d: { processId: string }) => d.processId)).toEqual(['meter-repair']);
  });

  it('refuses malformed BPMN and a bad form naming the file, and stores nothing', async () => {
    const res = await call(adminA, 'POST', '/api/workflow/deployments', {
      resources: [
        { name: 'broken.bpmn', content: '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="x"' },
        { name: 'bad.form', content: '{"components": 3}' },
        { name: 'notes.txt', content: 'hello' },
      ],
    });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths.some((p: string) => p.startsWith('body.resources[0].content'))).toBe(true);
    expect(paths.some((p: string) => p.startsWith('body.resources[1].content'))).toBe(true);
    expect(paths).toContain('body.resources[2].name');
    const list = await ok(adminA, 'GET', '/api/workflow/definitions');
    expect(list.total).toBe(1);
  });

  it('refuses a FEEL syntax error at deploy, naming the element, and an element the engine does not run', async () => {
    const badFeel = repairBpmn.replace(/meter-repair/g, 'bad-feel').replace('candidateGroups="repair-crew"', 'assignee="=if meterNumber then"');
    const feel = await call(adminA, 'POST', '/api/workflow/deployments', { resources: [{ name: 'bad-feel.bpmn', content: badFeel }] });
    expect(feel.status).toBe(400);
    expect(feel.body.error.details).toEqual([expect.objectContaining({ path: 'body.resources[0].content#dispatch' })]);
    const script = repairBpmn
      .replace(/meter-repair/g, 'with-script')
      .replace('<bpmn:serviceTask id="check" name="检查表具">', '<bpmn:scriptTask id="check" name="检查表具">')
      .replace('</bpmn:serviceTask>', '</bpmn:scriptTask>');
    const unsupported = await call(adminA, 'POST', '/api/workflow/deployments', { resources: [{ name: 'with-script.bpmn', content: script }] });
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.error.details.map((d: { path: string }) => d.path)).toContain('body.resources[0].content#check');
    const stored = (await ok(adminA, 'GET', '/api/workflow/definitions')).items.map((d: { processId: string }) => d.processId);
    expect(stored).not.toContain('bad-feel');
    expect(stored).not.toContain('with-script');
  });

  it('runs the job, puts the task in the candidate group’s list, validates the form and completes once', async () => {
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'meter-repair', businessKey: 'WO-1', variables: { meterNumber: 'M-001' } });
    expect(instance).toMatchObject({ processId: 'meter-repair', version: 1, state: 'active', businessKey: 'WO-1' });
    const task = await openTask(fitter, instance.id);
    expect(checked).toContain('M-001');
    expect(task).toMatchObject({ elementId: 'dispatch', name: '派工', candidateGroups: ['repair-crew'], formId: 'repair-dispatch', assignee: null });
    const detail = await ok(fitter, 'GET', `/api/tasks/${task.id}`);
    expect(detail.form).toMatchObject({ formId: 'repair-dispatch', version: 1 });

    // The form refuses a missing crew and an unknown option: 400 per field, the task stays open.
    const bad = await call(fitter, 'POST', `/api/tasks/${task.id}/complete`, { variables: { crew: 'crew-9', note: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.variables.crew']);
    const empty = await call(fitter, 'POST', `/api/tasks/${task.id}/complete`, { variables: {} });
    expect(empty.status).toBe(400);
    expect((await ok(fitter, 'GET', `/api/tasks/${task.id}`)).state).toBe('created');

    // Two completes at once: one wins, the other is told the task is done; the process moved on once.
    const [a, b] = await Promise.all([
      call(fitter, 'POST', `/api/tasks/${task.id}/complete`, { variables: { crew: 'crew-1' } }),
      call(fitter, 'POST', `/api/tasks/${task.id}/complete`, { variables: { crew: 'crew-2' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const done = await ok(adminA, 'GET', `/api/workflow/instances/${instance.id}`);
    expect(done.state).toBe('completed');
    expect(done.variables).toMatchObject({ meterNumber: 'M-001', faulty: true });
    expect(['crew-1', 'crew-2']).toContain(done.variables.crew);
    const history = await ok(adminA, 'GET', `/api/workflow/instances/${instance.id}/history`);
    const completed = history.items.filter((h: { event: string }) => h.event === 'completed').map((h: { elementId: string }) => h.elementId);
    expect(completed).toEqual(['start', 'check', 'dispatch', 'end']);
    const events = await ok(fitter, 'GET', `/api/tasks/${task.id}/history`);
    expect(events.map((e: { event: string }) => e.event)).toEqual(['created', 'completed']);
    expect((await ok(fitter, 'GET', `/api/tasks?scope=mine&state=completed`)).items.map((x: { id: number }) => x.id)).toContain(task.id);
  });

  it('keeps tenants apart: another county sees, starts and completes nothing of county A', async () => {
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'meter-repair', variables: { meterNumber: 'M-002' } });
    const task = await openTask(fitter, instance.id);
    expect((await call(adminB, 'GET', `/api/workflow/instances/${instance.id}`)).status).toBe(404);
    expect((await call(adminB, 'GET', `/api/tasks/${task.id}`)).status).toBe(404);
    expect((await call(adminB, 'POST', `/api/tasks/${task.id}/complete`, { variables: { crew: 'crew-1' } })).status).toBe(404);
    expect((await call(adminB, 'POST', `/api/workflow/instances/${instance.id}/cancel`)).status).toBe(404);
    const start = await call(adminB, 'POST', '/api/workflow/instances', { processId: 'meter-repair', variables: {} });
    expect(start.status).toBe(404);
    expect((await ok(adminB, 'GET', '/api/tasks?scope=all')).total).toBe(0);
    expect((await ok(adminB, 'GET', '/api/workflow/definitions')).total).toBe(0);
    // A viewer reads processes but cannot work tasks or start instances.
    expect((await call(viewer, 'GET', '/api/workflow/instances')).status).toBe(200);
    expect((await call(viewer, 'POST', `/api/tasks/${task.id}/claim`)).status).toBe(403);
    expect((await call(viewer, 'POST', '/api/workflow/instances', { processId: 'meter-repair', variables: {} })).status).toBe(403);
    // The fitter is no supervisor: every task of the tenant is not theirs to list.
    expect((await call(fitter, 'GET', '/api/tasks?scope=all')).status).toBe(403);
    const canceled = await ok(adminA, 'POST', `/api/workflow/instances/${instance.id}/cancel`);
    expect(canceled.state).toBe('canceled');
    expect((await ok(fitter, 'GET', `/api/tasks/${task.id}`)).state).toBe('canceled');
  });

  it('claims, refuses another’s claimed task, and lets an admin assign it', async () => {
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'meter-repair', variables: { meterNumber: 'M-003' } });
    const task = await openTask(fitter, instance.id);
    expect((await ok(fitter, 'POST', `/api/tasks/${task.id}/claim`)).assignee).toBe('fitter@demo-county-a');
    expect((await ok(fitter, 'GET', '/api/tasks?scope=mine')).items.map((x: { id: number }) => x.id)).toContain(task.id);
    const assigned = await ok(adminA, 'POST', `/api/tasks/${task.id}/assign`, { assignee: 'admin@demo-county-a' });
    expect(assigned.assignee).toBe('admin@demo-county-a');
    expect((await call(fitter, 'POST', `/api/tasks/${task.id}/claim`)).status).toBe(409);
    expect((await call(adminA, 'POST', `/api/tasks/${task.id}/assign`, { assignee: 'admin@demo-county-b' })).status).toBe(400);
    await ok(adminA, 'POST', `/api/tasks/${task.id}/complete`, { variables: { crew: 'crew-2' } });
    const events = await ok(adminA, 'GET', `/api/tasks/${task.id}/history`);
    expect(events.map((e: { event: string }) => e.event)).toEqual(['created', 'claimed', 'assigned', 'completed']);
  });

  it('retries a failing job, then raises an incident an operator retries', async () => {
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'meter-repair', variables: { meterNumber: 'BROKEN' } });
    const incident = await until('the incident', async () => (await ok(adminA, 'GET', `/api/workflow/incidents?state=open&instanceId=${instance.id}`)).items[0] as { id: number; kind: string; message: string } | undefined);
    expect(incident).toMatchObject({ kind: 'job', elementId: 'check' });
    expect(incident.message).toContain('the meter does not answer');
    expect(checked.filter((m) => m === 'BROKEN')).toHaveLength(2); // retries="2"
    expect((await ok(adminA, 'GET', `/api/workflow/instances?state=incident`)).items.map((i: { id: number }) => i.id)).toContain(instance.id);
    const retried = await ok(adminA, 'POST', `/api/workflow/incidents/${incident.id}/retry`, { retries: 1 });
    expect(retried.state).toBe('resolved');
    await until('the third attempt', async () => (checked.filter((m) => m === 'BROKEN').length === 3 ? true : undefined));
  });

  it('hands jobs to an outside worker over the API, only its own tenant’s, and completes each once', async () => {
    const external = repairBpmn.replace(/meter-repair/g, 'external-check').replace('test.meter-check', 'outside.meter-check');
    await ok(adminA, 'POST', '/api/workflow/deployments', { resources: [{ name: 'external-check.bpmn', content: external }] });
    // The worker polls first, so the runtime knows someone serves the type (no incident).
    expect((await ok(adminA, 'POST', '/api/workflow/jobs/activate', { type: 'outside.meter-check', worker: 'erp-a' })).jobs).toEqual([]);
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'external-check', variables: { meterNumber: 'M-100' } });
    // County B's worker asks for the same type: county A's job is not its to take.
    expect((await ok(adminB, 'POST', '/api/workflow/jobs/activate', { type: 'outside.meter-check', worker: 'erp-b' })).jobs).toEqual([]);
    const { jobs } = await ok(adminA, 'POST', '/api/workflow/jobs/activate', { type: 'outside.meter-check', worker: 'erp-a', maxJobs: 5 });
    expect(jobs).toEqual([expect.objectContaining({ instanceId: instance.id, elementId: 'check', state: 'activated', worker: 'erp-a', variables: { meterNumber: 'M-100' } })]);
    // Activated: nobody else gets it until its deadline.
    expect((await ok(adminA, 'POST', '/api/workflow/jobs/activate', { type: 'outside.meter-check', worker: 'erp-a2' })).jobs).toEqual([]);
    expect((await call(adminB, 'POST', `/api/workflow/jobs/${jobs[0].id}/complete`, { worker: 'erp-a', variables: {} })).status).toBe(404);
    expect((await call(adminA, 'POST', `/api/workflow/jobs/${jobs[0].id}/complete`, { worker: 'someone-else', variables: {} })).status).toBe(404);
    await ok(adminA, 'POST', `/api/workflow/jobs/${jobs[0].id}/complete`, { worker: 'erp-a', variables: { faulty: false } });
    expect((await call(adminA, 'POST', `/api/workflow/jobs/${jobs[0].id}/complete`, { worker: 'erp-a', variables: {} })).status).toBe(404);
    const task = await openTask(fitter, instance.id);
    expect(task.elementId).toBe('dispatch');
    expect((await ok(adminA, 'GET', `/api/workflow/instances/${instance.id}`)).variables).toMatchObject({ meterNumber: 'M-100', faulty: false });
  });

  it('opens a work order from an alarm: a raised valve fault starts the process whose message start is alarm.valve_fault', async () => {
    const workOrder = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="wo" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:message id="m" name="alarm.valve_fault" />
  <bpmn:process id="valve-work-order" isExecutable="true">
    <bpmn:startEvent id="alarmed"><bpmn:outgoing>f1</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent>
    <bpmn:userTask id="inspect" name="现场检查"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="repair-crew" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="alarmed" targetRef="inspect" />
    <bpmn:sequenceFlow id="f2" sourceRef="inspect" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>`;
    await ok(adminA, 'POST', '/api/workflow/deployments', { resources: [{ name: 'valve-work-order.bpmn', content: workOrder }] });
    const product = await ok(adminA, 'POST', '/api/products', {
      code: 'WO-VALVE',
      name: '阀控表',
      kind: 'remote-read-meter',
      transport: 'mqtt',
      codec: 'json-thing-model',
      thingModel: { services: [{ identifier: 'valve_close', name: { zh: '关阀', en: 'Close valve' } }] },
    });
    await ok(adminA, 'POST', '/api/devices', { productId: product.id, meterNumber: 'WO-1', deviceKey: 'wo-valve-1' });
    const identity = (await t.runtime.iot!.directory.byKey('wo-valve-1'))!;
    await t.runtime.iot!.pipeline.ingest(identity, new TextEncoder().encode(JSON.stringify({ properties: { valve_state: 3 } })), new Date());
    await t.runtime.iot!.settle();
    const started = await until('the work order', async () => (await ok(adminA, 'GET', '/api/workflow/instances?processId=valve-work-order')).items[0] as { id: number } | undefined);
    const instance = await ok(adminA, 'GET', `/api/workflow/instances/${started.id}`);
    expect(instance.variables.alarm).toMatchObject({ kind: 'valve_fault', deviceKey: 'wo-valve-1', severity: 'critical' });
    expect(instance.waitingOn.userTasks.map((x: { elementId: string }) => x.elementId)).toEqual(['inspect']);
    // County B deployed nothing and sees nothing of it.
    expect((await ok(adminB, 'GET', '/api/workflow/instances?processId=valve-work-order')).total).toBe(0);
  });

  it('raises an incident for a job type no worker serves, instead of waiting for ever', async () => {
    const unknown = repairBpmn.replace(/meter-repair/g, 'unknown-job').replace('test.meter-check', 'nobody.serves-this');
    await ok(adminA, 'POST', '/api/workflow/deployments', { resources: [{ name: 'unknown-job.bpmn', content: unknown }] });
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'unknown-job', variables: {} });
    const [incident] = (await ok(adminA, 'GET', `/api/workflow/incidents?state=open&instanceId=${instance.id}`)).items;
    expect(incident).toMatchObject({ kind: 'no-worker', elementId: 'check' });
    expect(incident.message).toContain('nobody.serves-this');
    expect((await ok(adminA, 'GET', `/api/workflow/instances/${instance.id}`)).state).toBe('active');
  });
});
