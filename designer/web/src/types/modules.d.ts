// bpmn-io packages without type declarations of their own: their exports are used untyped
// (diagram-js services are looked up by name with `modeler.get(…)` anyway).
declare module 'bpmn-js-properties-panel';
declare module '@bpmn-io/properties-panel';
declare module '@bpmn-io/properties-panel/preact';
declare module 'bpmn-js-element-templates';
declare module '@bpmn-io/element-template-chooser';
declare module 'bpmn-js-bpmnlint';
declare module 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
declare module 'bpmnlint/config/recommended.js';
declare module 'bpmnlint/rules/*';
declare module 'bpmnlint-plugin-camunda-compat';
declare module 'bpmnlint-plugin-camunda-compat/rules/camunda-cloud/*';
declare module 'zeebe-bpmn-moddle/resources/zeebe.json';
