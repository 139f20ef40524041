// `arbiter verify <dir>`: the CI step of the seed guide's policy repository. Compiles the
// directory's policies and runs their Rego unit tests as `opa test -v` does: one PASS/FAIL line
// per test, then a summary; exits 1 when anything fails.

import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { buildBundleFromDir, describeProblem, moduleOfTest, parseBundleFiles, readBundle, BundleError, type ParsedBundle, type Problem } from '../bundle';
import { compileModules, RegoError } from '../rego';
import { runRegoTests, type RegoTestResult } from '../rego/testing';
import { progress } from './bundle';

interface VerifyOptions {
  run?: string;
  timeout: string;
  quiet?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify <source>')
    .description('compile a policy directory (or bundle .tar.gz) and run its Rego unit tests (rules named test_*) as `opa test` does')
    .option('-r, --run <regex>', 'only run tests whose full name matches')
    .option('-t, --timeout <ms>', 'deadline of each test', '5000')
    .option('-q, --quiet', 'no progress output')
    .action(async (source: string, opts: VerifyOptions) => {
      process.exitCode = await verify(source, opts);
    });
}

async function verify(source: string, opts: VerifyOptions): Promise<number> {
  const log = progress(opts.quiet);
  const timeoutMs = Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout must be a positive number of milliseconds, got '${opts.timeout}'`);
  let filter: RegExp | undefined;
  try {
    filter = opts.run !== undefined ? new RegExp(opts.run) : undefined;
  } catch (e) {
    throw new Error(`--run: ${(e as Error).message}`);
  }

  log(`reading ${source}`);
  const bundle = await load(source);
  if ('problems' in bundle) return report(bundle.problems);

  log(`compiling ${bundle.modules.length} modules`);
  let policy: ReturnType<typeof compileModules>;
  try {
    policy = compileModules(bundle.modules.map((m) => ({ file: m.path, source: m.source, regoVersion: m.regoVersion })));
  } catch (e) {
    if (!(e instanceof RegoError)) throw e;
    return report(e.errors.map((x) => ({ file: x.location?.file, row: x.location?.row, col: x.location?.col, message: `${x.code}: ${x.message}` })));
  }

  let lastReport = Date.now();
  const onResult = (_r: RegoTestResult, done: number, total: number) => {
    if (done === 1) log(`running ${total} tests`);
    else if (Date.now() - lastReport >= 1000 && done < total) {
      lastReport = Date.now();
      log(`ran ${done}/${total} tests`);
    }
  };
  const results = runRegoTests(policy, bundle.data, { filter, timeoutMs, onResult });
  printResults(results, bundle);
  return results.some((r) => !r.passed && !r.skipped) ? 1 : 0;
}

async function load(source: string): Promise<ParsedBundle | { problems: Problem[] }> {
  const stat = await fs.stat(source);
  try {
    if (!stat.isDirectory()) return await readBundle(await fs.readFile(source));
  } catch (e) {
    if (e instanceof BundleError) return { problems: e.problems };
    throw e;
  }
  const problems: Problem[] = [];
  const bundle = parseBundleFiles(await buildBundleFromDir(source), problems);
  return problems.length > 0 ? { problems } : bundle;
}

function report(problems: Problem[]): number {
  process.stderr.write(`${problems.length} error${problems.length === 1 ? '' : 's'} occurred:\n`);
  for (const p of problems) process.stderr.write(`${describeProblem(p)}\n`);
  return 1;
}

function printResults(results: RegoTestResult[], bundle: ParsedBundle): void {
  const out: string[] = [];
  if (results.length === 0) {
    process.stdout.write('no tests found\n');
    return;
  }
  // Grouped by the file that defines each test, as `opa test -v` prints them.
  const byFile = new Map<string, RegoTestResult[]>();
  for (const r of results) {
    const f = moduleOfTest(bundle, r) ?? r.package;
    byFile.set(f, [...(byFile.get(f) ?? []), r]);
  }
  for (const [f, list] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push(`${f}:`);
    for (const r of list) {
      if (r.skipped) out.push(`${r.name}: SKIPPED`);
      else if (r.error !== undefined) {
        out.push(`${r.name}: ERROR (${formatDuration(r.duration_ns)})`);
        for (const line of r.error.split('\n')) out.push(`  ${line}`);
      } else out.push(`${r.name}: ${r.passed ? 'PASS' : 'FAIL'} (${formatDuration(r.duration_ns)})`);
    }
    out.push('');
  }
  const count = (f: (r: RegoTestResult) => boolean) => results.filter(f).length;
  const pass = count((r) => r.passed);
  const fail = count((r) => !r.passed && !r.skipped && r.error === undefined);
  const errors = count((r) => r.error !== undefined);
  const skipped = count((r) => r.skipped === true);
  const total = results.length;
  out.push('-'.repeat(80));
  if (pass > 0) out.push(`PASS: ${pass}/${total}`);
  if (fail > 0) out.push(`FAIL: ${fail}/${total}`);
  if (skipped > 0) out.push(`SKIPPED: ${skipped}/${total}`);
  if (errors > 0) out.push(`ERROR: ${errors}/${total}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Go's time.Duration text, as `opa test` prints durations: 812ns, 1.2045ms, 3.5s. */
export function formatDuration(ns: number): string {
  if (ns < 1_000) return `${ns}ns`;
  const [unit, scale] = ns < 1_000_000 ? ['µs', 1_000] : ns < 1_000_000_000 ? ['ms', 1_000_000] : ['s', 1_000_000_000];
  const whole = Math.floor(ns / scale);
  const frac = String(ns % scale).padStart(String(scale).length - 1, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}${unit}`;
}
