// SARIF 2.1.0 for code scanning upload (github/codeql-action/upload-sarif): one run, a rule per
// policy rule that reported something, a result per finding with the file and the line its
// document starts on. Exceptions are results suppressed in source.

import type { Log, ReportingDescriptor, Result as SarifResult } from 'sarif';
import { jsonText, type CheckResult, type OutputContext, type Result } from './index';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export function renderSarif(results: CheckResult[], ctx: OutputContext): string {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const indexOf = (id: string, kind: 'failure' | 'warning' | 'exception') => {
    let i = ruleIndex.get(id);
    if (i === undefined) {
      i = rules.length;
      ruleIndex.set(id, i);
      rules.push({
        id,
        name: id.replace(/[^A-Za-z0-9]+/g, '_'),
        shortDescription: { text: `Rego rule data.${id}` },
        defaultConfiguration: { level: kind === 'warning' ? 'warning' : 'error' },
      });
    }
    return i;
  };
  const out: SarifResult[] = [];
  const add = (r: CheckResult, finding: Result, level: SarifResult.level, kind: 'failure' | 'warning' | 'exception') => {
    const result: SarifResult = {
      ruleId: finding.rule,
      ruleIndex: indexOf(finding.rule, kind),
      level,
      message: { text: finding.msg },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: artifactUri(r.filename) },
            region: { startLine: finding.loc?.line ?? 1 },
          },
        },
      ],
    };
    if (finding.metadata) result.properties = { metadata: finding.metadata };
    if (kind === 'exception') result.suppressions = [{ kind: 'inSource', justification: finding.msg }];
    out.push(result);
  };
  for (const r of results) {
    for (const f of r.failures) add(r, f, 'error', 'failure');
    for (const w of r.warnings) add(r, w, 'warning', 'warning');
    for (const e of r.exceptions) add(r, e, 'note', 'exception');
  }
  const log: Log = {
    version: '2.1.0',
    $schema: SARIF_SCHEMA,
    runs: [
      {
        tool: { driver: { name: 'arbiter', version: ctx.version, informationUri: 'https://www.openpolicyagent.org/docs/latest/policy-language/', rules } },
        results: out,
        invocations: [{ executionSuccessful: true, exitCode: ctx.exitCode }],
      },
    ],
  };
  return jsonText(log, 2) + '\n';
}

/** A relative URI with forward slashes, as code scanning matches it against the repository. */
function artifactUri(file: string): string {
  if (file === '-') return 'stdin';
  return file
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}
