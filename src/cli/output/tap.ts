// Test Anything Protocol: one plan for the whole run (Conftest prints one per file, which TAP
// consumers reject), failures and warnings as `not ok`, exceptions and successes as `ok`.

import type { CheckResult } from './index';

export function renderTap(results: CheckResult[]): string {
  const lines: string[] = [];
  let n = 0;
  for (const r of results) {
    const where = r.filename === '-' ? ` - ${r.namespace} - ` : ` - ${r.filename} - ${r.namespace} - `;
    for (const f of r.failures) lines.push(`not ok ${++n}${where}${oneLine(f.msg)}`);
    if (r.warnings.length > 0) lines.push('# warnings');
    for (const w of r.warnings) lines.push(`not ok ${++n}${where}${oneLine(w.msg)}`);
    if (r.exceptions.length > 0) lines.push('# exceptions');
    for (const e of r.exceptions) lines.push(`ok ${++n}${where}${oneLine(e.msg)} # SKIP exception`);
    if (r.successes > 0) lines.push('# successes');
    for (let i = 0; i < r.successes; i++) lines.push(`ok ${++n}${where}SUCCESS`);
  }
  return [`1..${n}`, ...lines].join('\n') + '\n';
}

// A test line ends at the newline, and `#` starts a directive.
function oneLine(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/#/g, '\\#');
}
