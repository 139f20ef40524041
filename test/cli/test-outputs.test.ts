// The output formats of `arbiter test`, checked against their formats' rules: SARIF 2.1.0 (the
// properties the OASIS schema requires, and rule indexes that point at their rules), JUnit XML
// (well-formed, counts that agree with the test cases), TAP (one plan, consecutive numbers),
// GitHub workflow commands (escaping), and the human formats.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Log } from 'sarif';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { render, summaryLine, type CheckResult, type OutputContext } from '../../src/cli/output';

const ctx = (over: Partial<OutputContext> = {}): OutputContext => ({ color: false, failOnWarn: false, exitCode: 1, version: '1.2.3', ...over });

const TRICKY = 'Container <app> & "sidecar" is privileged\nsee: docs, 100% sure\u0001';

const results: CheckResult[] = [
  {
    filename: 'apps/web, v2:prod.yaml',
    namespace: 'main',
    successes: 2,
    failures: [
      { msg: TRICKY, rule: 'main.deny', loc: { file: 'apps/web, v2:prod.yaml', line: 14 } },
      { msg: 'latest tag', rule: 'main.deny_latest', metadata: { severity: 'high' }, loc: { file: 'apps/web, v2:prod.yaml', line: 1 } },
    ],
    warnings: [{ msg: 'no team label # todo', rule: 'main.warn', loc: { file: 'apps/web, v2:prod.yaml', line: 14 } }],
    exceptions: [{ msg: 'data.main.exception[_][_] == "latest"', rule: 'main.deny_latest', loc: { file: 'apps/web, v2:prod.yaml', line: 30 } }],
  },
  { filename: 'svc.json', namespace: 'security.network', successes: 1, failures: [], warnings: [], exceptions: [] },
];

// The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json) that a log of this shape touches.
const SARIF_SCHEMA = {
  type: 'object',
  required: ['version', 'runs'],
  properties: {
    version: { const: '2.1.0' },
    $schema: { type: 'string', format: 'uri' },
    runs: { type: 'array', items: { $ref: '#/$defs/run' } },
  },
  $defs: {
    message: { type: 'object', anyOf: [{ required: ['text'] }, { required: ['id'] }], properties: { text: { type: 'string' } } },
    run: {
      type: 'object',
      required: ['tool'],
      properties: {
        tool: {
          type: 'object',
          required: ['driver'],
          properties: {
            driver: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string' },
                version: { type: 'string' },
                informationUri: { type: 'string', format: 'uri' },
                rules: { type: 'array', uniqueItems: true, items: { $ref: '#/$defs/reportingDescriptor' } },
              },
            },
          },
        },
        results: { type: 'array', items: { $ref: '#/$defs/result' } },
        invocations: { type: 'array', items: { type: 'object', required: ['executionSuccessful'], properties: { executionSuccessful: { type: 'boolean' }, exitCode: { type: 'integer' } } } },
      },
    },
    reportingDescriptor: {
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string' },
        shortDescription: { $ref: '#/$defs/message' },
        defaultConfiguration: { type: 'object', properties: { level: { enum: ['none', 'note', 'warning', 'error'] } } },
      },
    },
    result: {
      type: 'object',
      required: ['message'],
      properties: {
        ruleId: { type: 'string' },
        ruleIndex: { type: 'integer', minimum: -1 },
        level: { enum: ['none', 'note', 'warning', 'error'] },
        message: { $ref: '#/$defs/message' },
        locations: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              physicalLocation: {
                type: 'object',
                anyOf: [{ required: ['address'] }, { required: ['artifactLocation'] }],
                properties: {
                  artifactLocation: { type: 'object', properties: { uri: { type: 'string', format: 'uri-reference' } } },
                  region: { type: 'object', properties: { startLine: { type: 'integer', minimum: 1 } } },
                },
              },
            },
          },
        },
        suppressions: { type: 'array', items: { type: 'object', required: ['kind'], properties: { kind: { enum: ['inSource', 'external'] } } } },
        properties: { type: 'object' },
      },
    },
  },
};

describe('arbiter test output formats', () => {
  it('sarif: valid SARIF 2.1.0 whose results point at their rules, files and lines', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(SARIF_SCHEMA);
    const text = render('sarif', results, ctx());
    assert.ok(validate(JSON.parse(text)), ajv.errorsText(validate.errors));
    const run = (JSON.parse(text) as Log).runs[0];
    assert.equal(run.tool.driver.name, 'arbiter');
    assert.equal(run.tool.driver.version, '1.2.3');
    const sarifResults = run.results ?? [];
    for (const r of sarifResults) assert.equal(run.tool.driver.rules?.[r.ruleIndex ?? -1]?.id, r.ruleId);
    assert.deepEqual(
      sarifResults.map((r) => [r.level, r.ruleId, r.locations?.[0].physicalLocation?.region?.startLine, r.locations?.[0].physicalLocation?.artifactLocation?.uri]),
      [
        ['error', 'main.deny', 14, 'apps/web%2C%20v2%3Aprod.yaml'],
        ['error', 'main.deny_latest', 1, 'apps/web%2C%20v2%3Aprod.yaml'],
        ['warning', 'main.warn', 14, 'apps/web%2C%20v2%3Aprod.yaml'],
        ['note', 'main.deny_latest', 30, 'apps/web%2C%20v2%3Aprod.yaml'],
      ],
    );
    assert.equal(sarifResults[0].message.text, TRICKY);
    assert.deepEqual(sarifResults[1].properties, { metadata: { severity: 'high' } });
    assert.deepEqual(sarifResults[3].suppressions, [{ kind: 'inSource', justification: 'data.main.exception[_][_] == "latest"' }]);
    assert.equal(run.invocations?.[0].exitCode, 1);
    assert.ok(validate(JSON.parse(render('sarif', [], ctx({ exitCode: 0 })))));
  });

  it('junit: well-formed XML whose counts agree with its test cases; warnings fail only with --fail-on-warn', () => {
    for (const failOnWarn of [false, true]) {
      const xml = render('junit', results, ctx({ failOnWarn }));
      assert.equal(XMLValidator.validate(xml), true);
      const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml);
      const suites = doc.testsuites.testsuite as { name: string; tests: string; failures: string; skipped: string; testcase: Record<string, unknown>[] }[];
      assert.deepEqual(suites.map((s) => s.name), ['apps/web, v2:prod.yaml - main', 'svc.json - security.network']);
      let failures = 0;
      let tests = 0;
      for (const s of suites) {
        assert.equal(Number(s.tests), s.testcase.length);
        assert.equal(Number(s.failures), s.testcase.filter((c) => c.failure !== undefined).length);
        assert.equal(Number(s.skipped), s.testcase.filter((c) => c.skipped !== undefined).length);
        for (const c of s.testcase) assert.ok(typeof c.name === 'string' && typeof c.classname === 'string');
        failures += Number(s.failures);
        tests += Number(s.tests);
      }
      assert.equal(Number(doc.testsuites.failures), failures);
      assert.equal(Number(doc.testsuites.tests), tests);
      assert.equal(failures, failOnWarn ? 3 : 2);
      const first = suites[0].testcase[0].failure as { message: string; '#text': string };
      assert.equal(first.message, TRICKY.replace('\u0001', ''), 'attribute escaping keeps the message (control characters dropped)');
    }
  });

  it('tap: one plan and consecutive test numbers, failures and warnings not ok', () => {
    const lines = render('tap', results, ctx()).trimEnd().split('\n');
    assert.equal(lines[0], '1..7');
    const tests = lines.slice(1).filter((l) => !l.startsWith('#'));
    assert.equal(tests.length, 7);
    tests.forEach((l, i) => assert.match(l, new RegExp(`^(not )?ok ${i + 1} - `)));
    assert.equal(tests.filter((l) => l.startsWith('not ok')).length, 3);
    assert.ok(tests.every((l) => !l.includes('\n')));
    assert.match(tests[2], /no team label \\# todo$/);
  });

  it('github: annotations with file and line, escaped as the runner decodes them', () => {
    const out = render('github', results, ctx());
    assert.ok(out.includes('::group::Testing "apps/web, v2:prod.yaml" against 6 policies in namespace "main"\n'));
    assert.ok(out.includes('::error file=apps/web%2C v2%3Aprod.yaml,line=14::Container <app> & "sidecar" is privileged%0Asee: docs, 100%25 sure\u0001\n'));
    assert.ok(out.includes('::warning file=apps/web%2C v2%3Aprod.yaml,line=14::no team label # todo\n'));
    assert.ok(out.includes('::notice file=apps/web%2C v2%3Aprod.yaml,line=30::exception: data.main.exception[_][_] == "latest"\n'));
    assert.ok(out.endsWith(`${summaryLine(results)}\n`));
    assert.equal(out.split('::group::').length - 1, out.split('::endgroup::').length - 1);
  });

  it('json: Conftest check results, empty lists left out', () => {
    const out = JSON.parse(render('json', results, ctx()));
    assert.deepEqual(Object.keys(out[0]), ['filename', 'namespace', 'successes', 'warnings', 'failures', 'exceptions']);
    assert.deepEqual(out[1], { filename: 'svc.json', namespace: 'security.network', successes: 1 });
    assert.deepEqual(out[0].failures[1], { msg: 'latest tag', loc: { file: 'apps/web, v2:prod.yaml', line: 1 }, metadata: { severity: 'high' } });
  });

  it('stdout and table: a line per finding and the summary; colours only when asked', () => {
    const plain = render('stdout', results, ctx());
    assert.ok(plain.startsWith('WARN - apps/web, v2:prod.yaml - main - no team label # todo\nFAIL - apps/web, v2:prod.yaml - main - Container'));
    assert.ok(plain.endsWith('\n7 tests, 3 passed, 1 warning, 2 failures, 1 exception\n'));
    assert.ok(!plain.includes('\u001b['));
    const colored = render('stdout', results, ctx({ color: true }));
    assert.ok(colored.includes('\u001b[31mFAIL\u001b[0m'));
    assert.ok(colored.includes('\u001b[31m7 tests'));
    const table = render('table', results, ctx()).trimEnd().split('\n');
    assert.equal(table.length, 3 + 7 + 1);
    assert.ok(table.every((l) => l.length === table[0].length), 'every row has the width of the border');
    assert.match(table[1], /^\| RESULT +\| FILE +\| NAMESPACE +\| MESSAGE +\|$/);
  });
});
