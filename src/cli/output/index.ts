// Output formats of `arbiter test`, named as Conftest names them (-o/--output). Each renders the
// whole run as one text; the exit code is decided by the caller from the same results.

import { renderGithub } from './github';
import { renderJSON } from './json';
import { renderJUnit } from './junit';
import { renderSarif } from './sarif';
import { renderStdout } from './stdout';
import { renderTable } from './table';
import { renderTap } from './tap';

export interface Location {
  file: string;
  line: number;
}

export interface Result {
  msg: string;
  loc?: Location;
  metadata?: Record<string, unknown>;
  /** The rule that produced it (`main.deny_privileged`); not part of Conftest's JSON. */
  rule: string;
}

/** One file checked against one namespace (the documents of a multi-document file together). */
export interface CheckResult {
  filename: string;
  namespace: string;
  successes: number;
  failures: Result[];
  warnings: Result[];
  exceptions: Result[];
}

export interface OutputContext {
  /** ANSI colours (stdout format, when writing to a terminal). */
  color: boolean;
  failOnWarn: boolean;
  exitCode: number;
  version: string;
}

export const FORMATS = ['stdout', 'json', 'tap', 'table', 'junit', 'github', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

const RENDERERS: Record<Format, (results: CheckResult[], ctx: OutputContext) => string> = {
  stdout: renderStdout,
  json: renderJSON,
  tap: renderTap,
  table: renderTable,
  junit: renderJUnit,
  github: renderGithub,
  sarif: renderSarif,
};

export function render(format: Format, results: CheckResult[], ctx: OutputContext): string {
  return RENDERERS[format](results, ctx);
}

export interface Totals {
  tests: number;
  passed: number;
  warnings: number;
  failures: number;
  exceptions: number;
}

export function totals(results: CheckResult[]): Totals {
  const t: Totals = { tests: 0, passed: 0, warnings: 0, failures: 0, exceptions: 0 };
  for (const r of results) {
    t.passed += r.successes;
    t.warnings += r.warnings.length;
    t.failures += r.failures.length;
    t.exceptions += r.exceptions.length;
  }
  t.tests = t.passed + t.warnings + t.failures + t.exceptions;
  return t;
}

/** Conftest's closing line: `3 tests, 1 passed, 0 warnings, 2 failures, 0 exceptions`. */
export function summaryLine(results: CheckResult[]): string {
  const t = totals(results);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(t.tests, 'test')}, ${t.passed} passed, ${plural(t.warnings, 'warning')}, ${plural(t.failures, 'failure')}, ${plural(t.exceptions, 'exception')}`;
}

/** JSON text of plain JSON-shaped data, integers beyond 2^53 (bigint) printed exactly. */
export function jsonText(v: unknown, indent?: number | string): string {
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0002${x.toString()}\u0002` : x), indent);
  return text.replace(/"\\u0002(-?\d+)\\u0002"/g, '$1');
}
