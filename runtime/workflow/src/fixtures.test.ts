import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { child, list, parseBpmn, str, type ModdleElement } from './compile/moddle.js';
import { fixturesDir, readFixture } from './testing/bpmn.js';
import { scenarios } from './testing/scenarios.js';

const fixtures = readdirSync(fixturesDir).filter((name) => name.endsWith('.bpmn'));

/** Flow nodes and flows of a process, sub-processes included. */
function flowElements(container: ModdleElement): ModdleElement[] {
  return list(container, 'flowElements').flatMap((element) =>
    element.$type === 'bpmn:SubProcess' ? [element, ...flowElements(element)] : [element],
  );
}

describe('conformance fixtures', () => {
  it('are at least 15 files plus the benchmark, each used by a scenario', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(16);
    expect(fixtures).toContain('bench-five-step.bpmn');
    const used = new Set(scenarios.flatMap((scenario) => scenario.deploy));
    expect(fixtures.filter((name) => !used.has(name))).toEqual([]);
  });

  for (const name of fixtures) {
    it(`${name} targets Camunda Cloud and has complete diagram interchange`, () => {
      const xml = readFixture(name);
      expect(xml).toContain('xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"');
      expect(xml).toContain('modeler:executionPlatform="Camunda Cloud"');
      const { rootElement, warnings } = parseBpmn(xml);
      expect(warnings).toEqual([]);

      const diagrams = list(rootElement, 'diagrams');
      expect(diagrams.length).toBeGreaterThan(0);
      const diagramElements = diagrams.flatMap((diagram) => list(child(diagram, 'plane'), 'planeElement'));
      const byElement = new Map(diagramElements.map((shape) => [child(shape, 'bpmnElement'), shape]));

      const processes = list(rootElement, 'rootElements').filter((root) => root.$type === 'bpmn:Process');
      for (const element of processes.flatMap(flowElements)) {
        const diagram = byElement.get(element);
        expect(diagram, `${element.id} has no diagram element`).toBeDefined();
        if (element.$type === 'bpmn:SequenceFlow') {
          expect(diagram?.$type).toBe('bpmndi:BPMNEdge');
          const waypoints = list(diagram, 'waypoint');
          expect(waypoints.length, `${element.id} waypoints`).toBeGreaterThanOrEqual(2);
          for (const point of waypoints) expect([point.x, point.y].every(Number.isFinite)).toBe(true);
        } else {
          expect(diagram?.$type).toBe('bpmndi:BPMNShape');
          const bounds = child(diagram, 'bounds');
          const values = [bounds?.x, bounds?.y, bounds?.width, bounds?.height];
          expect(values.every((value) => typeof value === 'number' && Number.isFinite(value)), `${element.id} bounds`).toBe(true);
          expect((bounds?.width as number) > 0 && (bounds?.height as number) > 0).toBe(true);
        }
      }
      expect(str(rootElement, 'id')).toBeTruthy();
    });
  }
});
