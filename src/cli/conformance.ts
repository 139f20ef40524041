// Runs OPA's YAML conformance cases against the engine.
//
//   npm run conformance -- [--json] [--write-baseline FILE] <files or folders...>
//
// A case passes when its result rows equal `want_result` as an unordered set of rows (each
// binding converted to JSON, sets as sorted arrays; `sort_bindings` sorts array values first),
// or when it fails with the wanted error code and/or a message containing `want_error`.
// Modules of cases under a `v0/` folder are Rego v0 syntax, all others v1.

import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import { compileModules, compare, fromJSON, RegoError, stringifyJSON, toJSON, type Value } from '../rego';

export interface CaseResult {
  file: string;
  note: string;
  status: 'passed' | 'failed' | 'errored';
  reason?: string;
}

export interface ConformanceReport {
  total: number;
  passed: number;
  failed: number;
  cases: CaseResult[];
}

interface Case {
  note: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  query: string;
  want_result?: Record<string, unknown>[];
  want_defined?: boolean;
  want_error_code?: string;
  want_error?: string;
  sort_bindings?: boolean;
  strict_error?: boolean;
  env?: Record<string, string>;
}

export function collectFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const n of readdirSync(p).sort()) walk(join(p, n));
    } else if (p.endsWith('.yaml') || p.endsWith('.yml')) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

function canonical(row: Record<string, unknown>, sortArrays: boolean): string {
  const keys = Object.keys(row).sort();
  const obj: Record<string, unknown> = {};
  for (const k of keys) {
    // Sorting happens on the JSON form (a set has become an array by then), as OPA's runner does.
    let v = fromJSON(toJSON(row[k] as Value));
    if (sortArrays && Array.isArray(v)) v = [...v].sort(compare);
    obj[k] = toJSON(v);
  }
  return stringifyJSON(obj);
}

/** `file:row: code: message`, the form OPA prints errors in. */
function fullMessage(x: RegoError['errors'][number]): string {
  const prefix = x.location ? `${x.location.file}:${x.location.row}: ` : '';
  return `${prefix}${x.code}: ${x.message}`;
}

function describeError(e: unknown): string {
  if (e instanceof RegoError) return e.errors.map((x) => `${x.code}: ${x.message}`).join('; ');
  return `internal: ${(e as Error)?.stack ?? String(e)}`;
}

export function runCase(c: Case, file: string, regoVersion: 0 | 1): CaseResult {
  const base = { file, note: c.note };
  const wantsError = c.want_error_code !== undefined || c.want_error !== undefined;
  let rows: Record<string, Value>[];
  try {
    const policy = compileModules(
      (c.modules ?? []).map((source, i) => ({ file: `test-${i}.rego`, source, regoVersion })),
    );
    let input: Value | undefined;
    if (c.input_term !== undefined) {
      const r = compileModules([]).query(`inputTermValue := ${c.input_term}`);
      input = r[0]?.inputTermValue;
    } else if (c.input !== undefined) input = fromJSON(c.input);
    rows = policy.query(c.query, {
      input,
      data: fromJSON(c.data ?? {}),
      strictBuiltinErrors: c.strict_error === true,
      env: c.env ?? {},
      timeoutMs: 5000,
    });
  } catch (e) {
    if (!wantsError) return { ...base, status: e instanceof RegoError ? 'failed' : 'errored', reason: `unexpected error: ${describeError(e)}` };
    if (!(e instanceof RegoError)) return { ...base, status: 'errored', reason: `want ${c.want_error_code ?? c.want_error}, got ${describeError(e)}` };
    const codeOk = c.want_error_code === undefined || e.errors.some((x) => x.code === c.want_error_code);
    const msgOk = !c.want_error || e.errors.some((x) => fullMessage(x).includes(c.want_error!));
    if (codeOk && msgOk) return { ...base, status: 'passed' };
    return { ...base, status: 'failed', reason: `want error ${c.want_error_code ?? ''} "${c.want_error ?? ''}", got ${describeError(e)}` };
  }
  if (wantsError) {
    return { ...base, status: 'failed', reason: `want error ${c.want_error_code ?? ''} "${c.want_error ?? ''}", got ${rows.length} rows` };
  }
  if (c.want_defined !== undefined) {
    const defined = rows.length > 0;
    return defined === c.want_defined
      ? { ...base, status: 'passed' }
      : { ...base, status: 'failed', reason: `want defined=${c.want_defined}, got ${defined}` };
  }
  const want = (c.want_result ?? []).map((r) => {
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r ?? {})) row[k] = fromJSON(v);
    return canonical(row, c.sort_bindings === true);
  });
  const got = rows.map((r) => canonical(r, c.sort_bindings === true));
  const ws = [...want].sort();
  const gs = [...got].sort();
  const same = ws.length === gs.length && ws.every((w, i) => w === gs[i]);
  if (same) return { ...base, status: 'passed' };
  const show = (xs: string[]) => (xs.length > 6 ? `[${xs.slice(0, 6).join(', ')}, ... ${xs.length} rows]` : `[${xs.join(', ')}]`);
  return { ...base, status: 'failed', reason: `want ${show(ws)}, got ${show(gs)}` };
}

export function runFiles(files: string[], root = process.cwd()): ConformanceReport {
  const cases: CaseResult[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    const regoVersion: 0 | 1 = /(^|[\\/])v0[\\/]/.test(file) ? 0 : 1;
    let doc: { cases?: Case[] };
    try {
      doc = YAML.parse(readFileSync(file, 'utf8'), { intAsBigInt: true }) as { cases?: Case[] };
    } catch (e) {
      cases.push({ file: rel, note: '(file)', status: 'errored', reason: `cannot read: ${(e as Error).message}` });
      continue;
    }
    for (const c of doc?.cases ?? []) {
      try {
        cases.push(runCase(c, rel, regoVersion));
      } catch (e) {
        cases.push({ file: rel, note: c.note, status: 'errored', reason: describeError(e) });
      }
    }
  }
  const passed = cases.filter((c) => c.status === 'passed').length;
  return { total: cases.length, passed, failed: cases.length - passed, cases };
}

/** Stable keys of cases: file relative to the suite root, note, and occurrence of that note. */
export function caseKeys(report: ConformanceReport, suiteRoot: string): { key: string; result: CaseResult }[] {
  const seen = new Map<string, number>();
  return report.cases.map((result) => {
    const base = `${relative(suiteRoot, result.file).split('\\').join('/')}#${result.note}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return { key: n === 0 ? base : `${base}#${n}`, result };
  });
}

function main(argv: string[]): number {
  const json = argv.includes('--json');
  const writeAt = argv.indexOf('--write-baseline');
  let baselineFile: string | null = null;
  if (writeAt >= 0) {
    baselineFile = argv[writeAt + 1];
    argv = argv.filter((_a, i) => i !== writeAt && i !== writeAt + 1);
  }
  const paths = argv.filter((a) => a !== '--json');
  if (paths.length === 0) {
    process.stderr.write('usage: conformance [--json] <files or folders...>\n');
    return 2;
  }
  const report = runFiles(collectFiles(paths));
  if (baselineFile) {
    const passing = caseKeys(report, paths[0]).filter((c) => c.result.status === 'passed').map((c) => c.key);
    writeFileSync(baselineFile, JSON.stringify({ suite: 'opa-conformance', passing: passing.sort() }, null, 1) + '\n');
    process.stdout.write(`wrote ${passing.length} passing cases to ${baselineFile}\n`);
  }
  if (json) {
    const cases = report.cases.map((c) => ({ file: c.file, note: c.note, status: c.status, reason: c.reason ?? null }));
    process.stdout.write(JSON.stringify({ ...report, cases }) + '\n');
    return 0;
  }
  const byFile = new Map<string, CaseResult[]>();
  for (const c of report.cases) {
    const list = byFile.get(c.file) ?? [];
    list.push(c);
    byFile.set(c.file, list);
  }
  let unknownFn = 0;
  for (const [file, list] of byFile) {
    const p = list.filter((c) => c.status === 'passed').length;
    const e = list.filter((c) => c.status === 'errored').length;
    process.stdout.write(`${file}: ${p} passed, ${list.length - p - e} failed, ${e} errored\n`);
    for (const c of list) {
      if (c.status === 'passed') continue;
      if (c.reason?.includes('undefined function')) unknownFn++;
      process.stdout.write(`  ${c.status.toUpperCase()} ${c.note}: ${c.reason}\n`);
    }
  }
  const errored = report.cases.filter((c) => c.status === 'errored').length;
  process.stdout.write(`\ntotal ${report.total}: ${report.passed} passed, ${report.failed - errored} failed, ${errored} errored`);
  process.stdout.write(` (${unknownFn} failures are unknown functions)\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
