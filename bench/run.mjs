// Runs every bench/*.bench.mjs in sequence, each in its own process so one crash does not hide the
// others. Stdout carries only the benchmarks' JSON lines (one object per line, see
// CONVENTIONS.md § Benchmarks); everything else (progress, stray output) goes to stderr.
//
//   node bench/run.mjs              all benchmarks
//   node bench/run.mjs api-list     only bench/api-list.bench.mjs
//   node bench/run.mjs settlement   only bench/settlement.bench.mjs (SETTLEMENT_BENCH_METERS=20000 for a quick try)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.bench.mjs')))
  .sort();

if (files.length === 0) {
  process.stderr.write(`bench: no benchmark matches ${wanted.join(', ') || 'bench/*.bench.mjs'}\n`);
  process.exit(1);
}

let current = null;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // Let the running benchmark clean up (kill its servers, drop its database) before we leave.
    interrupted = true;
    current?.kill(signal);
  });
}

/** Runs one benchmark file; resolves with its exit code. */
function runOne(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, file)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..') });
    current = child;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (parsed && typeof parsed === 'object' && typeof parsed.bench === 'string' && typeof parsed.metric === 'string') {
        process.stdout.write(`${line}\n`);
      } else if (line.trim() !== '') {
        process.stderr.write(`[${file}] ${line}\n`);
      }
    });
    child.on('error', (error) => {
      process.stderr.write(`bench: cannot start ${file}: ${error.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      current = null;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

const failed = [];
for (const file of files) {
  if (interrupted) break;
  process.stderr.write(`bench: ${file}\n`);
  const started = Date.now();
  const code = await runOne(file);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (code === 0) {
    process.stderr.write(`bench: ${file} done in ${seconds} s\n`);
  } else {
    process.stderr.write(`bench: ${file} FAILED (exit ${code}) after ${seconds} s\n`);
    failed.push(file);
  }
}

if (interrupted) process.exit(130);
if (failed.length > 0) {
  process.stderr.write(`bench: ${failed.length} of ${files.length} failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
