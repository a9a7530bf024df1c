import { readFileSync } from 'node:fs';

/** Wraps process XML into a Zeebe-flavoured definitions document (no diagram), for small tests. */
export function definitions(body: string, id = 'Definitions_test'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="${id}" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
${body}
</bpmn:definitions>`;
}

/** A process whose start event leads through `flowXml` elements; `start` → first, last → `end`. */
export function process(id: string, elementsXml: string): string {
  return definitions(`<bpmn:process id="${id}" isExecutable="true">\n${elementsXml}\n</bpmn:process>`);
}

export const fixturesDir = new URL('../../fixtures/', import.meta.url);

export function readFixture(name: string): string {
  return readFileSync(new URL(name, fixturesDir), 'utf8');
}
