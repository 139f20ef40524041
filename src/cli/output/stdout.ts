// The human format: one line per finding (`FAIL - file - namespace - message`), then Conftest's
// summary, coloured when writing to a terminal.

import { summaryLine, totals, type CheckResult, type OutputContext } from './index';

const COLORS = { red: 31, yellow: 33, cyan: 36, green: 32 } as const;

export function renderStdout(results: CheckResult[], ctx: OutputContext): string {
  const paint = (text: string, color: keyof typeof COLORS) => (ctx.color ? `\u001b[${COLORS[color]}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  for (const r of results) {
    const where = r.filename === '-' ? ` - ${r.namespace} - ` : ` - ${r.filename} - ${r.namespace} - `;
    for (const w of r.warnings) lines.push(`${paint('WARN', 'yellow')}${where}${w.msg}`);
    for (const f of r.failures) lines.push(`${paint('FAIL', 'red')}${where}${f.msg}`);
    for (const e of r.exceptions) lines.push(`${paint('EXCP', 'cyan')}${where}${e.msg}`);
  }
  const t = totals(results);
  const color = t.failures > 0 ? 'red' : t.warnings > 0 ? 'yellow' : 'green';
  if (lines.length > 0) lines.push('');
  lines.push(paint(summaryLine(results), color));
  return lines.join('\n') + '\n';
}
