// Step executor throughput on fixtures/bench-five-step.bpmn (service task → exclusive gateway →
// service task → user task → end), one instance = 4 steps, every snapshot through JSON.
// Reference, measured in the same run: plain bpmn-engine on the same file (tasks as bpmn-elements
// signal tasks, no Zeebe semantics) doing the same recover → resume → signal → getState cycle.
// Prints one JSON object per line (CONVENTIONS.md § Benchmarks). Needs `npm run build` first.
//
//   node runtime/workflow/bench/step.bench.mjs [instances]
import { readFileSync } from 'node:fs';
import * as Elements from 'bpmn-elements';
import { Engine } from 'bpmn-engine';
import { compileDefinition, step } from '@shuiyun/workflow';

const instances = Number(process.argv[2] ?? 1000);
const xml = readFileSync(new URL('../fixtures/bench-five-step.bpmn', import.meta.url), 'utf8');
const json = (value) => JSON.parse(JSON.stringify(value));

async function embedded(count) {
  const def = compileDefinition(xml);
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    let result = await step(def, undefined, { type: 'start', processId: 'bench-five-step', variables: { reading: { valid: true, value: index } } });
    result = await step(def, json(result.snapshot), { type: 'job-completed', key: result.jobs[0].key, variables: {} });
    result = await step(def, json(result.snapshot), { type: 'job-completed', key: result.jobs[0].key, variables: { amountFen: index } });
    result = await step(def, json(result.snapshot), { type: 'user-task-completed', key: result.userTasks[0].key, variables: { approved: true } });
    if (result.state !== 'completed') throw new Error(`instance ${index} ended ${result.state}`);
  }
  return performance.now() - started;
}

async function rawEngine(count) {
  // Same document; the gateway's FEEL condition becomes a bpmn-engine expression that is always true.
  const source = xml.replace('=reading.valid', '${true}');
  const options = {
    name: 'reference',
    source,
    elements: { ...Elements, ServiceTask: Elements.SignalTask },
    settings: { disableTrackState: true },
    Logger: () => ({ debug() {}, error() {}, warn() {} }),
  };
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const engine = new Engine(options);
    await engine.execute();
    let state = json(await engine.getState());
    for (let signal = 0; signal < 3; signal++) {
      const resumed = new Engine(options).recover(state);
      await resumed.resume();
      const [waiting] = resumed.execution.getPostponed();
      waiting.signal();
      state = json(await resumed.getState());
    }
    if (state.state !== 'idle') throw new Error(`reference instance ${index} ended ${state.state}`);
  }
  return performance.now() - started;
}

await embedded(50);
await rawEngine(50);
const reference = await rawEngine(instances);
const measured = await embedded(instances);
const perStep = (ms) => Number((ms / (instances * 4)).toFixed(3));
console.log(
  JSON.stringify({
    bench: 'workflow-step',
    metric: 'ms_per_step',
    value: perStep(measured),
    unit: 'ms',
    instances,
    instancesPerSecond: Math.round((instances * 1000) / measured),
    reference: { name: 'plain bpmn-engine recover/resume/signal/getState', value: perStep(reference), unit: 'ms' },
  }),
);
