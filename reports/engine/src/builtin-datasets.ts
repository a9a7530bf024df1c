import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Dataset, parseDataset } from './dataset/dataset.js';

/** The package's `builtin/` folder: one dataset definition per JSON file. */
const builtinFolder = fileURLToPath(new URL('../builtin/', import.meta.url));

/**
 * The built-in datasets for the platform's own statistics (consumption, reading rate, alarms, online
 * rate), parsed and checked like any dataset a consultant saves. Keyed by dataset id.
 */
export function builtinDatasets(): Map<string, Dataset> {
  const datasets = new Map<string, Dataset>();
  for (const file of readdirSync(builtinFolder).filter((name) => name.endsWith('.json')).sort()) {
    const dataset = parseDataset(JSON.parse(readFileSync(`${builtinFolder}${file}`, 'utf8')));
    datasets.set(dataset.id, dataset);
  }
  return datasets;
}
