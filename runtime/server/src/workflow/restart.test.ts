import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildRuntime, childRuntime } from '../testing/child-runtime.js';

/**
 * Embedded instances survive kill -9: one instance waits at a user task, a message catch and a timer at
 * once; the runtime is killed (no clean stop), the timer falls due while it is down, and after a restart
 * on the same data directory the timer fires once, the task can be completed and the message correlated.
 * The runtime runs as in production, the built `dist/main.js` in its own process.
 */
const PASSWORD = 'Restart-passw0rd-1';

const waitsBpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  id="restart-defs" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:message id="msg" name="meter-replaced">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=meterNumber" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="three-waits" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="approve" name="审核"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="admin@demo-county-a" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateCatchEvent id="replaced" name="换表完成"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="msg" /></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT3S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
    <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="replaced" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="wait" />
    <bpmn:sequenceFlow id="f4" sourceRef="approve" targetRef="join" />
    <bpmn:sequenceFlow id="f5" sourceRef="replaced" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="join" />
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="three-waits">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="202" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="fork_di" bpmnElement="fork"><dc:Bounds x="235" y="195" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="approve_di" bpmnElement="approve"><dc:Bounds x="340" y="80" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="replaced_di" bpmnElement="replaced"><dc:Bounds x="372" y="202" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="wait_di" bpmnElement="wait"><dc:Bounds x="372" y="302" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="join_di" bpmnElement="join"><dc:Bounds x="495" y="195" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="592" y="202" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f0_di" bpmnElement="f0"><di:waypoint x="188" y="220" /><di:waypoint x="235" y="220" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="260" y="195" /><di:waypoint x="260" y="120" /><di:waypoint x="340" y="120" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="285" y="220" /><di:waypoint x="372" y="220" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="260" y="245" /><di:waypoint x="260" y="320" /><di:waypoint x="372" y="320" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4"><di:waypoint x="440" y="120" /><di:waypoint x="520" y="120" /><di:waypoint x="520" y="195" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f5_di" bpmnElement="f5"><di:waypoint x="408" y="220" /><di:waypoint x="495" y="220" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f6_di" bpmnElement="f6"><di:waypoint x="408" y="320" /><di:waypoint x="520" y="320" /><di:waypoint x="520" y="245" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f7_di" bpmnElement="f7"><di:waypoint x="545" y="220" /><di:waypoint x="592" y="220" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

describe('embedded workflow instances across a kill -9', () => {
  let rt: ChildRuntime;
  beforeAll(async () => {
    rt = await childRuntime({ password: PASSWORD });
  });
  afterAll(() => rt?.dispose());
  const api = (method: string, path: string, token?: string, body?: unknown) => rt.api(method, path, token, body);
  const login = () => rt.login('admin@demo-county-a');

  it('continues a user task, a message catch and a timer that fell due while it was down', async () => {
    await rt.start();
    let token = await login();
    await api('POST', '/api/workflow/deployments', token, { resources: [{ name: 'three-waits.bpmn', content: waitsBpmn }] });
    const instance = await api('POST', '/api/workflow/instances', token, { processId: 'three-waits', variables: { meterNumber: 'M-77' } });
    const waiting = await api('GET', `/api/workflow/instances/${instance.id}`, token);
    expect(waiting.waitingOn.userTasks.map((t: { elementId: string }) => t.elementId)).toEqual(['approve']);
    expect(waiting.waitingOn.messageSubscriptions).toEqual([expect.objectContaining({ messageName: 'meter-replaced', correlationKey: 'M-77' })]);
    expect(waiting.waitingOn.timers).toEqual([expect.objectContaining({ elementId: 'wait' })]);

    await rt.kill();
    await new Promise((r) => setTimeout(r, 4_000)); // the 3 s timer falls due while nothing runs
    await rt.start();
    token = await login();

    // The overdue timer fires once on start.
    const deadline = Date.now() + 20_000;
    let history: { elementId: string; event: string }[] = [];
    while (Date.now() < deadline) {
      history = (await api('GET', `/api/workflow/instances/${instance.id}/history?pageSize=500`, token)).items;
      if (history.some((h) => h.elementId === 'wait' && h.event === 'completed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(history.filter((h) => h.elementId === 'wait' && h.event === 'completed')).toHaveLength(1);

    const [task] = (await api('GET', `/api/tasks?scope=mine&instanceId=${instance.id}`, token)).items;
    await api('POST', `/api/tasks/${task.id}/complete`, token, { variables: { approved: true } });
    const correlation = await api('POST', '/api/workflow/messages', token, { name: 'meter-replaced', correlationKey: 'M-77', variables: { newMeter: 'M-78' } });
    expect(correlation.correlated).toEqual([instance.id]);

    const done = await api('GET', `/api/workflow/instances/${instance.id}`, token);
    expect(done.state).toBe('completed');
    expect(done.variables).toMatchObject({ meterNumber: 'M-77', approved: true, newMeter: 'M-78' });
    history = (await api('GET', `/api/workflow/instances/${instance.id}/history?pageSize=500`, token)).items;
    expect(history.filter((h) => h.elementId === 'wait' && h.event === 'completed')).toHaveLength(1);
    expect(history.filter((h) => h.elementId === 'end' && h.event === 'completed')).toHaveLength(1);
  });
});
