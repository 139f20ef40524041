// A bordered table, one row per test: result, file, namespace, message (Conftest's table format).

import type { CheckResult } from './index';

export function renderTable(results: CheckResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (let i = 0; i < r.successes; i++) rows.push(['success', r.filename, r.namespace, 'SUCCESS']);
    for (const e of r.exceptions) rows.push(['exception', r.filename, r.namespace, e.msg]);
    for (const w of r.warnings) rows.push(['warning', r.filename, r.namespace, w.msg]);
    for (const f of r.failures) rows.push(['failure', r.filename, r.namespace, f.msg]);
  }
  const header = ['RESULT', 'FILE', 'NAMESPACE', 'MESSAGE'];
  const cells = [header, ...rows].map((row) => row.map((c) => c.replace(/\r?\n/g, ' ')));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => [...row[i]].length)));
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const line = (row: string[]) => '| ' + row.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ') + ' |';
  const out = [rule, line(cells[0]), rule, ...cells.slice(1).map(line)];
  if (rows.length > 0) out.push(rule);
  return out.join('\n') + '\n';
}
