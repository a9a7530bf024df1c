import type { ArtifactKind } from '@shuiyun/sdk';

export {
  artifactCode,
  artifactKinds,
  entityContent,
  entityField,
  entityFieldTypes,
  formContent,
  pageContent,
  processContent,
  type ArtifactKind,
  type EntityContent,
  type EntityField,
  type EntityFieldType,
  type PageContent,
} from '@shuiyun/sdk';

/** What a new artifact of each kind starts as, so the designer opens something it can edit. */
export function blankContent(kind: ArtifactKind, code: string, name: string): Record<string, unknown> {
  switch (kind) {
    case 'process':
      return { xml: blankProcess(code, name) };
    case 'form':
      return { schema: { type: 'default', id: code, components: [], schemaVersion: 18 } };
    case 'page':
      return { kind: 'page', route: code.replace(/_/g, '-'), title: { 'zh-CN': name, en: name }, menu: { show: true, order: 100 }, html: '', css: '' };
    case 'report':
      return {};
    case 'entity':
      return { label: { 'zh-CN': name, en: name }, fields: [{ name: 'name', label: { 'zh-CN': '名称', en: 'Name' }, type: 'string', required: true }], titleField: 'name' };
  }
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

function blankProcess(code: string, name: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_${code}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Shuiyun" exporterVersion="0.1.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${code}" name="${escapeXml(name)}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${code}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="152" y="102" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}
