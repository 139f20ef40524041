// Conftest's conventions on a compiled policy: rule discovery by name, messages and metadata,
// exceptions, successes, and the fail-closed departures (boolean rules, malformed messages).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkNamespace, ConftestError, ConftestRules, exceptionName, ruleKind, type RuleEvaluator } from '../../src/conftest';
import { compileModules, fromJSON } from '../../src/rego';

function policy(source: string): { evaluator: RuleEvaluator; rules: ConftestRules } {
  const p = compileModules([{ file: 'p.rego', source }]);
  return { rules: new ConftestRules(p.ruleNames()), evaluator: { evaluate: (path, input) => p.evaluate(path, { input }) } };
}

const check = (source: string, namespace: string, input: unknown) => {
  const { evaluator, rules } = policy(source);
  return checkNamespace(evaluator, rules, namespace, fromJSON(input));
};

const RULES = `package main

deny contains "no name" if not input.metadata.name

deny_latest contains msg if {
	some c in input.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s uses latest", [c.name])
}

violation contains {"msg": "privileged", "severity": "high", "details": {"container": c.name}} if {
	some c in input.containers
	c.privileged
}

warn_team contains "no team label" if not input.metadata.labels.team

exception contains ["latest"] if input.metadata.name == "sandbox"

helper := 1

denylist := {"x"}
`;

describe('Conftest conventions', () => {
  it('names rule kinds and exception names as Conftest does', () => {
    assert.equal(ruleKind('deny'), 'failure');
    assert.equal(ruleKind('deny_run_as_root'), 'failure');
    assert.equal(ruleKind('violation_x1'), 'failure');
    assert.equal(ruleKind('warn'), 'warning');
    assert.equal(ruleKind('warn_missing_labels'), 'warning');
    assert.equal(ruleKind('denylist'), undefined);
    assert.equal(ruleKind('deny_'), undefined);
    assert.equal(ruleKind('warning'), undefined);
    assert.equal(exceptionName('deny_run_as_root'), 'run_as_root');
    assert.equal(exceptionName('violation'), '');
    assert.equal(exceptionName('warn_x'), 'x');
  });

  it('finds the rules of each package and the packages that have some', () => {
    const { rules } = policy(RULES);
    assert.deepEqual(rules.rules('main').map((r) => `${r.kind}:${r.name}`), ['failure:deny', 'failure:deny_latest', 'failure:violation', 'warning:warn_team']);
    assert.deepEqual(rules.namespaces(), ['main']);
    assert.ok(rules.hasException('main'));
    assert.ok(rules.isRule('data.main.helper'));
    assert.ok(!rules.isRule('data.main'));
  });

  it('collects failures with metadata, warnings and successes', () => {
    const c = check(RULES, 'main', {
      metadata: { name: 'web', labels: {} },
      containers: [
        { name: 'a', image: 'nginx:latest', privileged: true },
        { name: 'b', image: 'nginx:1.27' },
      ],
    });
    assert.equal(c.namespace, 'main');
    assert.equal(c.successes, 1, 'deny passed');
    assert.deepEqual(c.failures, [
      { msg: 'a uses latest', rule: 'main.deny_latest' },
      { msg: 'privileged', metadata: { details: { container: 'a' }, severity: 'high' }, rule: 'main.violation' },
    ]);
    assert.deepEqual(c.warnings, [{ msg: 'no team label', rule: 'main.warn_team' }]);
    assert.deepEqual(c.exceptions, []);
  });

  it('an exception replaces the findings of the rule it names with one exception', () => {
    const c = check(RULES, 'main', { metadata: { name: 'sandbox', labels: { team: 'x' } }, containers: [{ name: 'a', image: 'nginx:latest' }] });
    assert.deepEqual(c.failures, []);
    assert.deepEqual(c.exceptions, [{ msg: 'data.main.exception[_][_] == "latest"', rule: 'main.deny_latest' }]);
    assert.equal(c.successes, 3);
  });

  it('a namespace without rules checks nothing', () => {
    const c = check(RULES, 'other', {});
    assert.deepEqual(c, { namespace: 'other', successes: 0, failures: [], warnings: [], exceptions: [] });
  });

  it('fails closed on a deny rule that is plainly true, and counts false as a success', () => {
    const c = check('package k8s.rules\n\ndeny if input.bad\n\nwarn := false\n', 'k8s.rules', { bad: true });
    assert.deepEqual(c.failures, [{ msg: 'data.k8s.rules.deny is true', rule: 'k8s.rules.deny' }]);
    assert.equal(c.successes, 1);
    assert.equal(check('package k8s.rules\n\ndeny if input.bad\n', 'k8s.rules', {}).successes, 0, 'an undefined rule counts nothing');
  });

  it('rejects a message object without a string msg', () => {
    assert.throws(() => check('package main\n\ndeny contains {"message": "x"} if true\n', 'main', {}), (e: unknown) => e instanceof ConftestError && /missing msg field/.test(e.message));
    assert.throws(() => check('package main\n\ndeny contains {"msg": 3} if true\n', 'main', {}), /msg field must be a string/);
  });

  it('turns other values into findings instead of dropping them', () => {
    const c = check('package main\n\ndeny contains 42 if true\n\nwarn := "single message"\n', 'main', {});
    assert.deepEqual(c.failures.map((f) => f.msg), ['42']);
    assert.deepEqual(c.warnings.map((f) => f.msg), ['single message']);
  });
});
