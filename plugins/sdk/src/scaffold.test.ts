/**
 * "The steps of PACKS.md, followed literally on a fresh clone, create a pack that installs and passes its
 * tests." What this test does, in order:
 *
 * 1. A fresh clone: every file of the working tree that git would commit — `git ls-files --cached --others
 *    --exclude-standard` (tracked files and new ones not ignored; deleted ones skipped) — is copied into a
 *    temporary folder. So the copy has no dist/, no *.tsbuildinfo and no node_modules, like a clone, but it
 *    is the working tree that is tested (uncommitted work included), not the last commit.
 * 2. Installed dependencies, without `npm install` (minutes, and the network): the copy gets the
 *    node_modules npm would give it — a folder whose entries link to this checkout's installed packages,
 *    except `@shuiyun/*`, which link (relatively, as npm's workspace links do) to the copy's own workspace
 *    folders; workspaces with a node_modules of their own get a link to this checkout's.
 * 3. The quick start of PACKS.md: every command of the fenced `sh` blocks of its "Quick start" section, run
 *    in order with bash in the copy, each of which must exit 0. One command is replaced: `npm install`
 *    becomes what it does for a new workspace package, the link node_modules/@shuiyun/pack-<name> →
 *    ../../domain-packs/<name> (npm install over linked node_modules would write into this checkout's).
 *    If the repository already has a pack of the quick start's name, the copy loses it first.
 * 4. Checks that the guide cannot quietly drop: the quick start scaffolds with `npm run pack:new`, runs the
 *    pack's test with vitest (one test file, every test passed) and builds it with `tsc -b`; and beyond
 *    it, `tsc -p domain-packs/<name>/tsconfig.json --noEmit`, and the pack's test file type-checked with
 *    the repository's test settings (tsconfig.test.json narrowed to the pack's folder).
 * 5. The guide's later steps: its ```ts blocks that grow the pack (a second migration, a route, an event
 *    and its consumer, a dataset and a report, their tests) put where its words say (`guideEdits` below
 *    names each place), then the command of its "The test kit" section — the pack's test again — and the
 *    same type checks.
 * 6. The temporary folder is removed (its links only: never what they point to), and any command still
 *    running is stopped.
 *
 * The pack's own test needs what every test here needs: PostgreSQL for the global setup (the pack test kit
 * itself runs on PGlite). Takes two to three minutes (two runs of the pack's test, three type checks);
 * more when the whole suite runs beside it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Set in the commands this test runs: a whole test run inside the copy must not start this test again. */
const NESTED = 'SHUIYUN_SCAFFOLD_TEST_NESTED';

/** Folders and files a clone never has (.gitignore), for when git itself is not at hand. */
const IGNORED = new Set(['.git', 'node_modules', 'dist', 'data', '.turbo', 'coverage', '.e2e-screenshots']);

/** The files of the working tree that a commit would hold, relative, with `/`. */
function repositoryFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (git.status === 0) return git.stdout.split('\0').filter((f) => f.length > 0);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(repo, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (IGNORED.has(entry.name) || entry.name.endsWith('.tsbuildinfo')) continue;
      if (entry.isDirectory()) walk(rel);
      else files.push(rel);
    }
  };
  walk('');
  return files;
}

/** Step 1: the working tree as a clone would have it. */
function copyRepository(target: string): number {
  let copied = 0;
  for (const file of repositoryFiles()) {
    const from = path.join(repo, file);
    let stat;
    try {
      stat = lstatSync(from);
    } catch {
      continue; // deleted in the working tree, not yet in git
    }
    const to = path.join(target, file);
    mkdirSync(path.dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isFile()) copyFileSync(from, to);
    else continue;
    copied++;
  }
  return copied;
}

/** The workspace folders of a checkout (`"workspaces": ["runtime/*", …]`) that hold a package.json, relative. */
function workspaces(root: string): string[] {
  const globs = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return existsSync(path.join(root, glob, 'package.json')) ? [glob] : [];
    const parent = glob.slice(0, -2);
    if (!existsSync(path.join(root, parent))) return [];
    return readdirSync(path.join(root, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(path.join(root, parent, e.name, 'package.json')))
      .map((e) => `${parent}/${e.name}`);
  });
}

const packageName = (root: string, folder: string) => (JSON.parse(readFileSync(path.join(root, folder, 'package.json'), 'utf8')) as { name: string }).name;

/** Links `node_modules/<name>` of the checkout at `root` to the workspace `folder`, relatively, as npm does. */
function linkWorkspace(root: string, folder: string): void {
  const link = path.join(root, 'node_modules', ...packageName(root, folder).split('/'));
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(path.relative(path.dirname(link), path.join(root, folder)), link);
}

/** Caches and tools' scratch space in node_modules: the copy's own, not this checkout's. */
const UNSHARED = new Set(['@shuiyun', '.vite', '.vite-temp', '.vitest', '.cache']);

/** Step 2: node_modules as `npm install` would leave the copy (before the new pack exists). */
function linkDependencies(target: string): void {
  mkdirSync(path.join(target, 'node_modules'));
  for (const entry of readdirSync(path.join(repo, 'node_modules'))) {
    if (!UNSHARED.has(entry)) symlinkSync(path.join(repo, 'node_modules', entry), path.join(target, 'node_modules', entry));
  }
  for (const folder of workspaces(target)) {
    linkWorkspace(target, folder);
    const own = path.join(repo, folder, 'node_modules');
    if (existsSync(own) && !existsSync(path.join(target, folder, 'node_modules'))) symlinkSync(own, path.join(target, folder, 'node_modules'));
  }
}

/** The commands of the fenced sh blocks of a markdown section (a `## <title…>` heading up to the next `## `), in order. */
function sectionCommands(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${title}`));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^##\s/.test(l));
  const commands: string[] = [];
  let fenced = false;
  let shell = false;
  let pending = '';
  for (const line of lines.slice(start + 1, end < 0 ? undefined : end)) {
    const fence = /^\s*```\s*([A-Za-z]*)/.exec(line);
    if (fence) {
      if (!fenced) shell = ['sh', 'bash', 'shell', 'console'].includes(fence[1]!.toLowerCase());
      fenced = !fenced;
      continue;
    }
    if (!fenced || !shell) continue;
    const text = line.trim().replace(/^\$\s+/, '');
    if (pending) {
      pending += ` ${text.replace(/\\$/, '').trim()}`;
      if (!text.endsWith('\\')) {
        commands.push(pending);
        pending = '';
      }
    } else if (text && !text.startsWith('#')) {
      if (text.endsWith('\\')) pending = text.replace(/\\$/, '').trim();
      else commands.push(text);
    }
  }
  return commands;
}

/** The environment of a command run as a developer would in the copy: none of this run's npm or vitest settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|vitest|test$|init_cwd$|force_color$|node_options$)/i.test(key)) continue;
    env[key] = value;
  }
  // `npm run` put this checkout's node_modules/.bin first on the PATH: the copy finds its own.
  env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes(`${path.sep}node_modules${path.sep}.bin`)).join(path.delimiter);
  return { ...env, [NESTED]: '1', NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_offline: 'true' };
}

interface Ran {
  command: string;
  code: number | null;
  output: string;
  ms: number;
}

/** The process groups of the commands running now (each command leads its own). */
const running = new Set<number>();

/** Stops a command's whole process group (vitest's workers too). */
function stop(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Runs one command with bash in `cwd`; answers its exit code and output (stdout and stderr, interleaved). */
function run(command: string, cwd: string, timeoutMs: number): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid!);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[scaffold test: ${command} ran past ${timeoutMs} ms; stopped]`;
      stop(child.pid!);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child.pid!);
      resolve({ command, code, output, ms: Date.now() - started });
    });
  });
}

const tail = (text: string, lines = 80) => text.split('\n').slice(-lines).join('\n');
const explain = (r: Ran) => `\`${r.command}\` exited with ${r.code} after ${r.ms} ms:\n${tail(r.output)}`;

/** The TypeScript blocks of the guide (```ts), in order. */
const codeBlocks = (markdown: string) => [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!);

/**
 * The guide's edits that grow the scaffolded pack (a migration, a route, an event with its consumer, a
 * dataset and a report, their tests): each block found by what it contains, put where the guide's words
 * say — after or before a line of the scaffold, or in place of the worker's handler.
 */
interface GuideEdit {
  /** Text only the block holds. */
  has: string;
  /** The file of the pack it edits. */
  file: string;
  after?: string;
  before?: string;
  replace?: RegExp;
}

function guideEdits(name: string): GuideEdit[] {
  return [
    { has: "id: '0002_daily_totals'", file: 'src/index.ts', after: '  unique (tenant_id, job_key)\n);`,\n      },\n' },
    { has: "path: '/daily-totals'", file: 'src/index.ts', after: '          return entry(row);\n        }),\n    }),\n' },
    { has: 'datasets: [', file: 'src/index.ts', before: '  // Pages are HTML' },
    { has: 'const ENTRY_RECORDED', file: 'src/index.ts', after: `const RECORD_JOB = '${name}.record';\n` },
    { has: '(xmax = 0) as inserted', file: 'src/index.ts', replace: /^ {6}handler: async \(\{ title, comment, volumeL \}, job\) => \{\n[\s\S]*?^ {8}return \{ entryId: row!\.id \};\n {6}\},\n/m },
    { has: 'events: {', file: 'src/index.ts', before: '  // Workers serve' },
    { has: "it('adds the entry to the daily totals", file: `src/${name}.test.ts`, before: "  it('lets the default role read, and nobody without it'" },
  ];
}

/** Applies the guide's edits to the pack in `folder`; throws naming the edit that finds no place or no block. */
function applyGuideEdits(markdown: string, folder: string, name: string): number {
  const blocks = codeBlocks(markdown);
  const edits = guideEdits(name);
  for (const edit of edits) {
    const found = blocks.filter((b) => b.includes(edit.has));
    if (found.length !== 1) throw new Error(`PACKS.md has ${found.length} \`\`\`ts blocks with "${edit.has}" (one expected)`);
    const file = path.join(folder, edit.file);
    const text = readFileSync(file, 'utf8');
    const block = found[0]!;
    let next: string;
    if (edit.replace) {
      if (!edit.replace.test(text)) throw new Error(`${edit.file}: nothing to replace with the block "${edit.has}"`);
      next = text.replace(edit.replace, block);
    } else {
      const anchor = (edit.after ?? edit.before)!;
      if (text.split(anchor).length !== 2) throw new Error(`${edit.file}: the place for the block "${edit.has}" (${JSON.stringify(anchor)}) is not there once`);
      next = edit.after ? text.replace(anchor, `${anchor}${block}`) : text.replace(anchor, `${block}\n${anchor}`);
    }
    writeFileSync(file, next);
  }
  return edits.length;
}

describe.skipIf(process.env[NESTED] === '1')('PACKS.md, followed literally on a fresh copy of the repository', () => {
  const temp = mkdtempSync(path.join(tmpdir(), 'shuiyun-scaffold-'));
  const copy = path.join(temp, 'shuiyun');
  const guide = readFileSync(path.join(repo, 'PACKS.md'), 'utf8');
  const quickStart = sectionCommands(guide, 'Quick start');
  const name = quickStart.map((c) => /^npm run pack:new -- ([a-z][a-z0-9-]+)/.exec(c)?.[1]).find(Boolean);
  const packFolder = `domain-packs/${name}`;
  /** Set when the quick start passed: the later steps build on its pack. */
  let scaffolded = false;
  afterAll(() => {
    for (const pid of running) stop(pid);
    rmSync(temp, { recursive: true, force: true });
  });

  /** Runs `command` in the copy; fails the test with its output unless it exits 0. */
  async function ok(command: string, timeoutMs = 240_000): Promise<Ran> {
    const result = await run(command, copy, timeoutMs);
    expect(result.code, explain(result)).toBe(0);
    return result;
  }

  /** The pack's test ran for real: one file, every test passed. */
  function passed(result: Ran) {
    expect(result.output, explain(result)).toMatch(/Test Files\s+1 passed \(1\)/);
    expect(result.output, explain(result)).not.toMatch(/\b\d+ (failed|skipped|todo)\b/);
  }

  /** The pack's test file type-checks with the settings `npm run typecheck` gives every test. */
  async function testsTypeCheck(): Promise<Ran> {
    writeFileSync(path.join(copy, 'tsconfig.scaffold-check.json'), JSON.stringify({ extends: './tsconfig.test.json', include: [`${packFolder}/src/**/*.ts`] }));
    return ok('npx tsc -p tsconfig.scaffold-check.json', 120_000);
  }

  const report = (ran: Ran[]) => console.info(`scaffold test: ${ran.map((r) => `${r.command} (${(r.ms / 1000).toFixed(1)} s)`).join('; ')}`);

  it('has a quick start that scaffolds, installs, tests and builds a pack', () => {
    expect(name, 'the quick start scaffolds with `npm run pack:new -- <name>`').toBeDefined();
    expect(quickStart).toContain('npm install');
    expect(quickStart).toContain(`npx vitest run ${packFolder}`);
    expect(quickStart).toContain(`npx tsc -b ${packFolder}`);
    expect(quickStart.indexOf('npm install')).toBeGreaterThan(quickStart.findIndex((c) => c.startsWith('npm run pack:new')));
    // Whole-repository runs and the server belong elsewhere in the guide: here they would take minutes (a test run would start this test again).
    expect(quickStart.filter((c) => /^npm (run )?(test|start)\b|^npx vitest run\s*$|^npm run (typecheck|build)\b/.test(c))).toEqual([]);
  });

  it('quick start: scaffolds a pack that installs in a real runtime, passes its tests and type-checks', { timeout: 420_000 }, async () => {
    expect(copyRepository(copy)).toBeGreaterThan(100);
    if (existsSync(path.join(copy, packFolder))) {
      // The repository has a pack of the example's name by now: the copy starts without it.
      rmSync(path.join(copy, packFolder), { recursive: true, force: true });
      const tsconfig = JSON.parse(readFileSync(path.join(copy, 'tsconfig.json'), 'utf8')) as { references: { path: string }[] };
      tsconfig.references = tsconfig.references.filter((r) => r.path !== packFolder);
      writeFileSync(path.join(copy, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    }
    linkDependencies(copy);

    const ran: Ran[] = [];
    for (const command of quickStart) {
      if (/^npm (install|i)$/.test(command)) {
        // What `npm install` does for the new workspace package (see the top of this file).
        const started = Date.now();
        linkWorkspace(copy, packFolder);
        ran.push({ command, code: 0, output: '', ms: Date.now() - started });
      } else ran.push(await ok(command));
    }

    // The scaffold is in place: the package, its source and test, and a reference in the root tsconfig.json.
    expect(packageName(copy, packFolder)).toBe(`@shuiyun/pack-${name}`);
    expect(existsSync(path.join(copy, packFolder, 'src/index.ts'))).toBe(true);
    expect(existsSync(path.join(copy, packFolder, `src/${name}.test.ts`))).toBe(true);
    const references = (JSON.parse(readFileSync(path.join(copy, 'tsconfig.json'), 'utf8')) as { references: { path: string }[] }).references;
    expect(references.map((r) => r.path)).toContain(packFolder);
    passed(ran.find((r) => r.command === `npx vitest run ${packFolder}`)!);

    // Beyond the guide: the pack's project type-checks on its own (`tsc -b` built the SDK it references) …
    ran.push(await ok(`npx tsc -p ${packFolder}/tsconfig.json --noEmit`, 120_000));
    // … and so does its test file.
    ran.push(await testsTypeCheck());
    report(ran);
    scaffolded = true;
  });

  it("the guide's later steps: its edits grow the pack (migration, route, event, report) and it still passes", { timeout: 420_000 }, async () => {
    expect(scaffolded, 'the quick start passed').toBe(true);
    expect(applyGuideEdits(guide, path.join(copy, packFolder), name!)).toBe(7);
    const commands = sectionCommands(guide, 'The test kit');
    expect(commands).toEqual([`npx vitest run ${packFolder}`]);
    const ran = [await ok(commands[0]!)];
    passed(ran[0]!);
    ran.push(await ok(`npx tsc -b ${packFolder}`, 120_000), await testsTypeCheck());
    report(ran);
  });
});
