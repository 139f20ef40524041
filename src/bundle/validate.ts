// Validation of a parsed bundle before it is stored: manifest roots (OPA's exact messages from
// bundle.go validateAndInjectDefaults and store.go hasRootsOverlap), every module compiled with the
// engine, and the bundle's own Rego unit tests run as `opa test` runs them.

import { compileModules, parseModule, RegoError } from '../rego';
import { runRegoTests } from '../rego/testing';
import type { Problem } from './errors';
import { baseName, dirName, goList, normalizeRoot, rootPathsContain, rootPathsOverlap } from './paths';
import type { ParsedBundle } from './read';

export interface ValidateOptions {
  /** Roots of the tenant's other active bundles (not this bundle's previous version). */
  otherActiveRoots: { name: string; roots: string[] }[];
  /** This bundle's name: an entry of otherActiveRoots with the same name is ignored. */
  name?: string;
  /** Compile the modules (default true); false checks only roots and packages (e.g. at re-activation). */
  compile?: boolean;
  /** Run the bundle's `test_*` rules (default true). */
  runTests?: boolean;
  /** Per-test evaluation deadline (default 5000 ms, as `opa test`). */
  testTimeoutMs?: number;
  /** Time for all of the bundle's tests (default 30000 ms), so one upload cannot hold the server. */
  testBudgetMs?: number;
}

/** Every problem of the bundle; an empty list means it may be stored and activated. */
export function validateBundle(bundle: ParsedBundle, options: ValidateOptions): Problem[] {
  const problems: Problem[] = [];
  const roots = bundle.manifest.roots.map(normalizeRoot);
  const manifestFile = bundle.files.find((f) => f.path.endsWith('.manifest'))?.path;
  checkRoots(roots, manifestFile, problems);

  const packages = new Map<string, string[]>(); // module path -> package path segments
  let parseFailed = false;
  for (const m of bundle.modules) {
    try {
      packages.set(m.path, parseModule(m.path, m.source, m.regoVersion).package);
    } catch (e) {
      if (!(e instanceof RegoError)) throw e;
      problems.push(...regoProblems(e));
      parseFailed = true;
    }
  }
  for (const [path, pkg] of packages) {
    if (!rootPathsContain(roots, pkg.join('/'))) {
      problems.push({
        file: path,
        message: `manifest roots ${goList(roots)} do not permit '${packageText(pkg)}' in module '/${path}'`,
        code: 'bundle_error',
      });
    }
  }
  checkWasm(bundle, roots, manifestFile, problems);
  checkData(bundle, roots, problems);
  checkOtherBundles(roots, manifestFile, options, problems);

  if (parseFailed || options.compile === false) return problems;
  let policy: ReturnType<typeof compileModules>;
  try {
    policy = compileModules(bundle.modules.map((m) => ({ file: m.path, source: m.source, regoVersion: m.regoVersion })));
  } catch (e) {
    if (!(e instanceof RegoError)) throw e;
    problems.push(...regoProblems(e));
    return problems;
  }
  if (options.runTests === false) return problems;

  for (const t of runRegoTests(policy, bundle.data, { timeoutMs: options.testTimeoutMs, budgetMs: options.testBudgetMs ?? 30_000 })) {
    if (t.passed || t.skipped) continue;
    const file = fileOfTest(t.name, t.package, bundle, packages);
    problems.push({
      file,
      message: t.error !== undefined ? `test ${t.name} errored: ${t.error}` : `test ${t.name} failed`,
      code: 'rego_test_failure',
    });
  }
  return problems;
}

function checkRoots(roots: string[], manifestFile: string | undefined, problems: Problem[]): void {
  for (let i = 0; i < roots.length - 1; i++) {
    for (let j = i + 1; j < roots.length; j++) {
      if (rootPathsOverlap(roots[i], roots[j])) {
        problems.push({ file: manifestFile, message: `manifest has overlapped roots: '${roots[i]}' and '${roots[j]}'`, code: 'bundle_error' });
      }
    }
  }
}

function checkWasm(bundle: ParsedBundle, roots: string[], manifestFile: string | undefined, problems: Problem[]): void {
  const seen = new Set<string>();
  const wasmFiles = new Set(bundle.wasm.map((w) => w.path.replace(/^\/+/, '')));
  for (const r of bundle.manifest.wasm ?? []) {
    const entrypoint = normalizeRoot(r.entrypoint);
    if (!rootPathsContain(roots, entrypoint)) {
      problems.push({
        file: manifestFile,
        message: `manifest roots ${goList(roots)} do not permit '${r.entrypoint}' entrypoint for wasm module '${r.module}'`,
        code: 'bundle_error',
      });
    }
    if (seen.has(entrypoint)) {
      problems.push({ file: manifestFile, message: `entrypoint '${r.entrypoint}' cannot be used by more than one wasm module`, code: 'bundle_error' });
    }
    seen.add(entrypoint);
    if (!wasmFiles.has(r.module.replace(/^\/+/, ''))) {
      problems.push({ file: manifestFile, message: `manifest references wasm module '${r.module}' but the module file does not exist`, code: 'bundle_error' });
    }
  }
}

/** OPA's walk over data: each path must be inside a root, or be an object on the way to one. */
function checkData(bundle: ParsedBundle, roots: string[], problems: Problem[]): void {
  const visit = (value: unknown, path: string): void => {
    if (rootPathsContain(roots, path)) return;
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (isObject && roots.some((r) => rootPathsContain(path === '' ? [''] : [path], r))) {
      for (const key of Object.keys(value as object)) visit((value as Record<string, unknown>)[key], path === '' ? key : `${path}/${key}`);
      return;
    }
    problems.push({
      file: dataFileOf(bundle, path),
      message: `manifest roots ${goList(roots)} do not permit data at path '/${path}' (hint: check bundle directory structure)`,
      code: 'bundle_error',
    });
  };
  visit(bundle.data, '');
}

const DATA_FILES = new Set(['data.json', 'data.yaml', 'data.yml']);

/** The data file that put something at `path`: the deepest one at or above it, else one below it. */
function dataFileOf(bundle: ParsedBundle, path: string): string | undefined {
  const within = (outer: string, inner: string) => outer === '' || inner === outer || inner.startsWith(`${outer}/`);
  const dataFiles = bundle.files.filter((f) => DATA_FILES.has(baseName(f.path))).map((f) => ({ path: f.path, dir: dirName(f.path) }));
  const above = dataFiles.filter((f) => within(f.dir, path)).sort((a, b) => b.dir.length - a.dir.length);
  return (above[0] ?? dataFiles.find((f) => within(path, f.dir)))?.path;
}

function checkOtherBundles(roots: string[], manifestFile: string | undefined, options: ValidateOptions, problems: Problem[]): void {
  const colliding = new Set<string>();
  for (const other of options.otherActiveRoots) {
    if (other.name === options.name) continue;
    const otherRoots = other.roots.map(normalizeRoot);
    if (roots.some((r) => otherRoots.some((o) => rootPathsOverlap(r, o)))) colliding.add(other.name);
  }
  if (colliding.size > 0) {
    problems.push({
      file: manifestFile,
      message: `detected overlapping roots in bundle manifest with: ${goList([...colliding].sort())}`,
      code: 'bundle_error',
    });
  }
}

function regoProblems(e: RegoError): Problem[] {
  return e.errors.map((x) => ({ file: x.location?.file, row: x.location?.row, col: x.location?.col, message: x.message, code: x.code }));
}

/** OPA's text of a package clause: `package a.b`, with non-identifier segments as `["x-y"]`. */
function packageText(pkg: string[]): string {
  const parts = pkg.map((s, i) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`));
  return `package ${parts.join('')}`;
}

/** The module a test is defined in: a module of its package whose text starts a line with its name. */
export function moduleOfTest(bundle: ParsedBundle, test: { name: string; package: string }): string | undefined {
  const packages = new Map<string, string[]>();
  for (const m of bundle.modules) {
    try {
      packages.set(m.path, parseModule(m.path, m.source, m.regoVersion).package);
    } catch {
      // a module that does not parse defines no test
    }
  }
  return fileOfTest(test.name, test.package, bundle, packages);
}

function fileOfTest(testName: string, pkgName: string, bundle: ParsedBundle, packages: Map<string, string[]>): string | undefined {
  const rule = testName.slice(testName.lastIndexOf('.') + 1);
  const definesRule = new RegExp(`^\\s*${rule}\\b`, 'm');
  const candidates = bundle.modules.filter((m) => {
    const pkg = packages.get(m.path);
    return pkg !== undefined && `data.${pkg.join('.')}` === pkgName;
  });
  return (candidates.find((m) => definesRule.test(m.source)) ?? candidates[0])?.path;
}
