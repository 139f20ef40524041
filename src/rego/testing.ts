// Rego unit tests as `opa test` runs them: every rule whose name starts with `test_`, in any
// package, is evaluated with no input; it passes when it evaluates to `true`. Rules named
// `todo_test_*` are reported as skipped. Only the engine's public Policy API is used.

import { RegoError } from './errors';
import { fromJSON, type Value } from './eval/values';

/** What the runner needs of a compiled policy (the engine's Policy satisfies it). */
export interface TestablePolicy {
  ruleNames(): string[];
  evaluate(path: string, options?: { input?: Value; data?: Value; strictBuiltinErrors?: boolean; timeoutMs?: number }): Value | undefined;
}

export interface RegoTestResult {
  /** The rule's full name, e.g. `data.main.test_deny_privileged`. */
  name: string;
  /** Its package, e.g. `data.main`. */
  package: string;
  passed: boolean;
  /** A `todo_test_*` rule: not run. */
  skipped?: boolean;
  /** Set when evaluation failed (OPA's ERROR), as opposed to a test that was false or undefined (FAIL). */
  error?: string;
  duration_ns: number;
}

export interface RegoTestOptions {
  /** Only tests whose full name matches (as `opa test --run`). */
  filter?: RegExp;
  /** Per-test evaluation deadline; `opa test` defaults to 5s. */
  timeoutMs?: number;
  strictBuiltinErrors?: boolean;
  /** Time for all tests together; tests left when it is spent are reported as errors, not run. */
  budgetMs?: number;
  /** Called after each test (for progress output): the result, how many ran, how many there are. */
  onResult?: (result: RegoTestResult, done: number, total: number) => void;
}

const TEST_PREFIX = 'test_';
const TODO_PREFIX = 'todo_test_';

/** Runs the policy's tests against `data` (JSON data or a Value); results in rule-name order. */
export function runRegoTests(policy: TestablePolicy, data: unknown = {}, options: RegoTestOptions = {}): RegoTestResult[] {
  const dataValue = fromJSON(data);
  const tests = selectTests(policy.ruleNames(), options.filter);
  const results: RegoTestResult[] = [];
  const deadline = options.budgetMs !== undefined ? performance.now() + options.budgetMs : Infinity;
  for (const t of tests) {
    const remaining = deadline - performance.now();
    let result: RegoTestResult;
    if (t.todo) result = { name: t.name, package: t.package, passed: false, skipped: true, duration_ns: 0 };
    else if (remaining <= 0) {
      result = { name: t.name, package: t.package, passed: false, error: `not run: the tests' time budget of ${options.budgetMs} ms was spent`, duration_ns: 0 };
    } else result = runOne(policy, t, dataValue, { ...options, timeoutMs: Math.min(options.timeoutMs ?? 5000, Math.ceil(remaining)) });
    results.push(result);
    options.onResult?.(result, results.length, tests.length);
  }
  return results;
}

interface SelectedTest {
  name: string;
  package: string;
  path: string;
  todo: boolean;
}

function selectTests(ruleNames: string[], filter: RegExp | undefined): SelectedTest[] {
  const out: SelectedTest[] = [];
  for (const name of [...new Set(ruleNames)].sort()) {
    const segments = refSegments(name);
    if (segments === undefined || segments.length < 2) continue;
    const rule = segments[segments.length - 1];
    const todo = rule.startsWith(TODO_PREFIX);
    if (!todo && !rule.startsWith(TEST_PREFIX)) continue;
    if (filter && !filter.test(name)) continue;
    out.push({ name, package: name.slice(0, name.length - ruleSuffixLength(name, rule)), path: segments.join('/'), todo });
  }
  return out;
}

function runOne(policy: TestablePolicy, t: SelectedTest, data: Value, options: RegoTestOptions): RegoTestResult {
  const started = performance.now();
  let passed = false;
  let error: string | undefined;
  try {
    const value = policy.evaluate(t.path, {
      data,
      timeoutMs: options.timeoutMs ?? 5000,
      strictBuiltinErrors: options.strictBuiltinErrors ?? false,
    });
    passed = value === true;
  } catch (e) {
    error = describeError(e);
  }
  const duration_ns = Math.max(1, Math.round((performance.now() - started) * 1e6));
  return error === undefined ? { name: t.name, package: t.package, passed, duration_ns } : { name: t.name, package: t.package, passed: false, error, duration_ns };
}

function describeError(e: unknown): string {
  if (e instanceof RegoError) {
    return e.errors
      .map((x) => (x.location ? `${x.location.file}:${x.location.row}: ${x.code}: ${x.message}` : `${x.code}: ${x.message}`))
      .join('\n');
  }
  return e instanceof Error ? e.message : String(e);
}

/** Length of the `.rule` (or `["rule"]`) suffix of a rule name. */
function ruleSuffixLength(name: string, rule: string): number {
  return name.endsWith(`["${rule}"]`) ? rule.length + 4 : rule.length + 1;
}

/**
 * The path segments of a rule name such as `data.a.b.test_x` or `data.a["b-c"].test_x`, without
 * the leading `data`; undefined when the name is not of that form.
 */
export function refSegments(name: string): string[] | undefined {
  if (!name.startsWith('data')) return undefined;
  const out: string[] = [];
  let i = 4;
  while (i < name.length) {
    if (name[i] === '.') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(name.slice(i + 1));
      if (!m) return undefined;
      out.push(m[0]);
      i += 1 + m[0].length;
    } else if (name.startsWith('["', i)) {
      const end = findStringEnd(name, i + 1);
      if (end < 0 || name[end + 1] !== ']') return undefined;
      out.push(JSON.parse(name.slice(i + 1, end + 1)) as string);
      i = end + 2;
    } else return undefined;
  }
  return out;
}

function findStringEnd(text: string, quote: number): number {
  for (let i = quote + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
