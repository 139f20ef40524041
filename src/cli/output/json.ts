// Conftest's JSON output: an array of check results, tab-indented.

import { jsonText, type CheckResult, type Result } from './index';

export function renderJSON(results: CheckResult[]): string {
  return jsonText(results.map(toConftestJSON), '\t') + '\n';
}

/** The fields of Conftest's CheckResult, empty lists left out as Conftest's omitempty does. */
export function toConftestJSON(r: CheckResult): Record<string, unknown> {
  const out: Record<string, unknown> = { filename: r.filename, namespace: r.namespace, successes: r.successes };
  if (r.warnings.length > 0) out.warnings = r.warnings.map(resultJSON);
  if (r.failures.length > 0) out.failures = r.failures.map(resultJSON);
  if (r.exceptions.length > 0) out.exceptions = r.exceptions.map(resultJSON);
  return out;
}

function resultJSON(r: Result): Record<string, unknown> {
  const out: Record<string, unknown> = { msg: r.msg };
  if (r.loc) out.loc = { file: r.loc.file, line: r.loc.line };
  if (r.metadata) out.metadata = r.metadata;
  return out;
}
