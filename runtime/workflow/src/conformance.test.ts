import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkScenario, EmbeddedConformanceEngine, runScenario } from './testing/scenario.js';
import { scenarios } from './testing/scenarios.js';

const readFixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('conformance scenarios on the embedded engine', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      checkScenario(expect, scenario, await runScenario(scenario, new EmbeddedConformanceEngine(), readFixture));
    });
  }
});
