/**
 * "Packs import the SDK only": finds, in every pack folder under a `domain-packs/` folder, the imports
 * and package dependencies that reach past `@shuiyun/sdk` — into the runtime's source, or into any other
 * `@shuiyun/*` package. A pack's tests may also install the packs it depends on: a pack package
 * (`@shuiyun/pack-*`) listed in its devDependencies, imported from test files only. Test-only (src/testing
 * is not part of the SDK's build).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface PackBoundaryViolation {
  /** The file, relative to the folder that holds `domain-packs/` (the repository root), with `/`. */
  file: string;
  /** 1-based. */
  line: number;
  /** What the file imports (or, in a package.json, the dependency's name). */
  specifier: string;
  reason: string;
}

const SOURCE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
/** Files that only tests load: they may also import `@shuiyun/sdk/testing`. */
const TEST_FILE = /(?:\.(?:test|spec)\.[cm]?[jt]sx?$)|(?:^|\/)(?:testing|__tests__)\//;
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist']);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

const toPosix = (p: string) => p.split(path.sep).join('/');
const inside = (folder: string, target: string) => {
  const rel = path.relative(folder, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (entry.isFile() && SOURCE.test(entry.name)) files.push(full);
  }
  return files.sort();
}

/** Every module a file names, with its line: static imports and re-exports, `import()`, `require()`, `import x = require()`, `import('x').T` types. */
export function importsOf(fileName: string, text: string): { specifier: string; line: number }[] {
  const kind = /\.[cm]?tsx$|\.jsx$/.test(fileName) ? ts.ScriptKind.TSX : /\.[cm]?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) {
      found.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = (ts.isIdentifier(callee) && callee.text === 'require') || (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require' && callee.name.text === 'resolve');
      if (isImport || isRequire) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** A pack package (`@shuiyun/pack-metering`): what a pack's tests may install beside it, as a devDependency. */
const PACK_PACKAGE = /^@shuiyun\/pack-[a-z0-9-]+$/;

/** Why `specifier`, imported by `file` of the pack in `packFolder`, crosses the boundary; undefined when it does not. */
function violation(specifier: string, file: string, packFolder: string, packName: string | undefined, repoRoot: string, testPacks: ReadonlySet<string>): string | undefined {
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    const target = path.resolve(path.dirname(file), specifier);
    if (inside(packFolder, target)) return undefined;
    return inside(path.join(repoRoot, 'runtime'), target) ? "escapes the pack into runtime/: packs import @shuiyun/sdk only" : 'escapes the pack folder: packs import @shuiyun/sdk only';
  }
  if (specifier.includes('/runtime/')) return 'names a path into runtime/: packs import @shuiyun/sdk only';
  if (!specifier.startsWith('@shuiyun/')) return undefined;
  if (specifier === '@shuiyun/sdk') return undefined;
  const testFile = TEST_FILE.test(toPosix(path.relative(packFolder, file)));
  if (specifier === '@shuiyun/sdk/testing' && testFile) return undefined;
  // A pack's tests install the packs it depends on (billing's install metering): their entry point only.
  if (testFile && testPacks.has(specifier)) return undefined;
  if (packName && (specifier === packName || specifier.startsWith(`${packName}/`))) return undefined; // the pack naming itself
  if (specifier === '@shuiyun/sdk/testing') return '@shuiyun/sdk/testing is for test files only';
  return `imports ${specifier}: packs import @shuiyun/sdk only`;
}

function manifestViolations(packFolder: string, repoRoot: string): { violations: PackBoundaryViolation[]; name: string | undefined; testPacks: Set<string> } {
  const file = path.join(packFolder, 'package.json');
  const testPacks = new Set<string>();
  if (!existsSync(file)) return { violations: [], name: undefined, testPacks };
  const text = readFileSync(file, 'utf8');
  const manifest = JSON.parse(text) as { name?: string } & Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, string>>>;
  const lines = text.split('\n');
  const violations: PackBoundaryViolation[] = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const dependency of Object.keys(manifest[field] ?? {})) {
      if (!dependency.startsWith('@shuiyun/') || dependency === '@shuiyun/sdk' || dependency === manifest.name) continue;
      if (field === 'devDependencies' && PACK_PACKAGE.test(dependency)) {
        testPacks.add(dependency);
        continue;
      }
      const line = lines.findIndex((l) => l.includes(`"${dependency}"`)) + 1;
      violations.push({ file: toPosix(path.relative(repoRoot, file)), line: line || 1, specifier: dependency, reason: `${field} names ${dependency}: packs depend on @shuiyun/sdk only` });
    }
  }
  return { violations, name: manifest.name, testPacks };
}

/**
 * Checks every pack folder (each directory) in `packsFolder` — its package.json dependencies and the
 * imports of its .ts/.tsx/.js/.mjs (and .cts/.mts/.cjs/.jsx) files outside node_modules and dist.
 * `runtime/` is the one beside `packsFolder`, as in the repository.
 */
export function checkPackBoundaries(packsFolder: string): PackBoundaryViolation[] {
  const repoRoot = path.dirname(path.resolve(packsFolder));
  const violations: PackBoundaryViolation[] = [];
  const packs = readdirSync(packsFolder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name))
    .map((entry) => path.join(path.resolve(packsFolder), entry.name))
    .sort();
  for (const packFolder of packs) {
    const { violations: fromManifest, name, testPacks } = manifestViolations(packFolder, repoRoot);
    violations.push(...fromManifest);
    for (const file of sourceFiles(packFolder)) {
      for (const { specifier, line } of importsOf(file, readFileSync(file, 'utf8'))) {
        const reason = violation(specifier, file, packFolder, name, repoRoot, testPacks);
        if (reason) violations.push({ file: toPosix(path.relative(repoRoot, file)), line, specifier, reason });
      }
    }
  }
  return violations;
}

/** One `file:line  specifier — reason` a line, for a failing test's message. */
export function formatViolations(violations: PackBoundaryViolation[]): string {
  return violations.map((v) => `${v.file}:${v.line}  ${v.specifier} — ${v.reason}`).join('\n');
}
