// GitHub Actions workflow commands: a group per file and namespace, `::error` / `::warning`
// annotations with file and line, then the summary line.

import { summaryLine, type CheckResult } from './index';

export function renderGithub(results: CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const tests = r.successes + r.failures.length + r.warnings.length + r.exceptions.length;
    lines.push(`::group::Testing ${JSON.stringify(r.filename)} against ${tests} policies in namespace ${JSON.stringify(r.namespace)}`);
    for (const f of r.failures) lines.push(annotation('error', r.filename, f.loc?.line, f.msg));
    for (const w of r.warnings) lines.push(annotation('warning', r.filename, w.loc?.line, w.msg));
    for (const e of r.exceptions) lines.push(annotation('notice', r.filename, e.loc?.line, `exception: ${e.msg}`));
    if (r.successes > 0) lines.push(`Number of successful checks: ${r.successes}`);
    lines.push('::endgroup::');
  }
  lines.push(summaryLine(results));
  return lines.join('\n') + '\n';
}

function annotation(level: 'error' | 'warning' | 'notice', file: string, line: number | undefined, message: string): string {
  const props = [`file=${property(file)}`];
  if (line !== undefined) props.push(`line=${line}`);
  return `::${level} ${props.join(',')}::${data(message)}`;
}

// Escaping as the Actions runner decodes it (toolkit's escapeData / escapeProperty).
function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function property(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
