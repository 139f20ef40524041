import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { loadWasmModule } from '../../src/engine/wasm';
import { CrossChecker, crossCheck, entrypointRuleName, type CrossCheckSubject } from '../../src/engine/wasm-crosscheck';
import { compileModules, fromJSON, type Policy } from '../../src/rego';
import { RegoError } from '../../src/rego/errors';
import { RObject, RSet } from '../../src/rego/eval/values';
import { buildFixtureWasm, FIXTURE_DATA, FIXTURE_REGO } from '../fixtures/wasm/fixture';

const subject = (decisionId: string, version = 1): CrossCheckSubject => ({
  tenant: 'team-a',
  bundle: 'authz',
  version,
  entrypoint: 'example/allow',
  decisionId,
});

describe('crossCheck', () => {
  it('matches results that are equal as Rego values', () => {
    assert.equal(crossCheck({ a: 1, b: [true, null] }, { b: [true, null], a: 1.0 }).match, true);
    assert.equal(crossCheck('x', 'x').match, true);
    // A Rego set (the engine's value) against the array the Wasm module's JSON has.
    const regoValue = RObject.fromEntries([['ids', new RSet(['b', 'a'])]]);
    assert.equal(crossCheck({ ids: ['a', 'b'] }, regoValue).match, true);
  });

  it('tells what differs', () => {
    const differs = crossCheck({ allowed: true }, { allowed: false });
    assert.deepEqual(differs, {
      match: false,
      reason: 'result_differs',
      wasm: { outcome: 'result', result: { allowed: true } },
      rego: { outcome: 'result', result: { allowed: false } },
    });
    assert.equal(crossCheck(undefined, false).reason, 'defined_differs');
    assert.equal(crossCheck(false, undefined).reason, 'defined_differs');
    const failed = crossCheck(new RegoError('eval_conflict_error', 'var assignment conflict'), 'admin');
    assert.equal(failed.reason, 'error_differs');
    assert.deepEqual(failed.wasm, { outcome: 'error', error: { code: 'eval_conflict_error', message: 'var assignment conflict' } });
    assert.deepEqual(crossCheck(undefined, new Error('boom')).rego, {
      outcome: 'error',
      error: { code: 'eval_internal_error', message: 'boom' },
    });
  });

  it('counts two refusals as agreement whatever their codes', () => {
    const both = crossCheck(new RegoError('eval_conflict_error', 'var assignment conflict'), new RegoError('eval_conflict_error', 'complete rules must not produce multiple outputs'));
    assert.equal(both.match, true);
    assert.equal(crossCheck(undefined, undefined).match, true);
  });

  it('compares real Wasm outcomes', async () => {
    const policy = await loadWasmModule(await buildFixtureWasm(), FIXTURE_DATA);
    try {
      assert.equal(crossCheck(policy.evaluate('example/allow', { user: 'alice' }), true).match, true);
      assert.equal(crossCheck(policy.evaluate('example/level', { user: 'carol' }), 'guest').reason, 'defined_differs');
      let conflict: unknown;
      try {
        policy.evaluate('example/level', { user: 'alice', guest: true });
      } catch (e) {
        conflict = e;
      }
      assert.equal(crossCheck(conflict, 'admin').reason, 'error_differs');
    } finally {
      await policy.close();
    }
  });

  it('names the Rego rule of an entrypoint', () => {
    assert.equal(entrypointRuleName('example/allow'), 'data.example.allow');
    assert.equal(entrypointRuleName('/http/authz/allow/'), 'data.http.authz.allow');
  });
});

describe('CrossChecker', () => {
  it('samples at the configured rate', () => {
    const draws = [0.1, 0.3, 0.24, 0.25, 0.9];
    const checker = new CrossChecker({ rate: 0.25, random: () => draws.shift()! });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => checker.shouldSample()), [true, false, true, false, false]);
    const never = new CrossChecker({ rate: 0, random: () => assert.fail('rate 0 must not draw') });
    assert.equal(never.shouldSample(), false);
    const always = new CrossChecker({ rate: 1, random: () => 0.99999 });
    assert.equal(always.shouldSample(), true);
    for (const rate of [-0.1, 1.5, Number.NaN]) assert.throws(() => new CrossChecker({ rate }), RangeError);
  });

  it('keeps counts and the newest mismatches per bundle version, and reports each mismatch', () => {
    const reported: string[] = [];
    const checker = new CrossChecker({
      rate: 0.5,
      maxMismatches: 2,
      onMismatch: (s, m) => reported.push(`${s.tenant}/${s.bundle}@${s.version} ${m.decision_id} ${m.reason}`),
    });
    checker.record(subject('d1'), true, true);
    checker.record(subject('d2'), true, false);
    checker.record(subject('d3'), undefined, false);
    checker.record(subject('d4'), 'x', new RegoError('eval_type_error', 'boom'));
    checker.record(subject('d5', 2), 1, 1);

    const v1 = checker.report('team-a', 'authz', 1);
    assert.equal(v1.sample_rate, 0.5);
    assert.equal(v1.checked, 4);
    assert.equal(v1.mismatched, 3);
    assert.deepEqual(v1.mismatches.map((m) => [m.decision_id, m.reason]), [
      ['d4', 'error_differs'],
      ['d3', 'defined_differs'],
    ]);
    assert.ok(!Number.isNaN(Date.parse(v1.mismatches[0].at)));
    assert.deepEqual(reported, [
      'team-a/authz@1 d2 result_differs',
      'team-a/authz@1 d3 defined_differs',
      'team-a/authz@1 d4 error_differs',
    ]);
    assert.deepEqual(checker.report('team-a', 'authz', 2), {
      bundle: 'authz',
      version: 2,
      sample_rate: 0.5,
      checked: 1,
      mismatched: 0,
      mismatches: [],
    });
    assert.equal(checker.report('team-b', 'authz', 1).checked, 0);

    checker.forget('team-a', 'other');
    assert.equal(checker.report('team-a', 'authz', 1).checked, 4);
    checker.forget('team-a');
    assert.equal(checker.report('team-a', 'authz', 1).checked, 0);
    assert.equal(checker.report('team-a', 'authz', 2).checked, 0);
  });

  it('samples a decision off the decision path and records the comparison', async () => {
    const draws = [0.9, 0.1, 0.1];
    const checker = new CrossChecker({ rate: 0.5, random: () => draws.shift()! });
    let regoRuns = 0;
    assert.equal(checker.sample(subject('skipped'), true, () => regoRuns++), false);
    assert.equal(checker.sample(subject('d1'), true, () => (regoRuns++, false)), true);
    assert.equal(checker.sample(subject('d2'), 'x', () => {
      regoRuns++;
      throw new RegoError('eval_type_error', 'operand 1 must be string');
    }), true);
    assert.equal(regoRuns, 0, 'the Rego evaluation waits until the current callbacks are done');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(regoRuns, 2);
    const report = checker.report('team-a', 'authz', 1);
    assert.equal(report.checked, 2);
    assert.deepEqual(report.mismatches.map((m) => [m.decision_id, m.reason]), [
      ['d2', 'error_differs'],
      ['d1', 'result_differs'],
    ]);
  });

  it('counts comparisons in Prometheus', async () => {
    const registry = new Registry();
    const checker = new CrossChecker({ rate: 1, registry });
    checker.record(subject('d1'), true, true);
    checker.record(subject('d2'), true, true);
    checker.record(subject('d3'), true, false);
    const text = await registry.getSingleMetricAsString('arbiter_wasm_crosscheck_total');
    assert.match(text, /^arbiter_wasm_crosscheck_total\{tenant="team-a",bundle="authz",outcome="match"\} 2$/m);
    assert.match(text, /^arbiter_wasm_crosscheck_total\{tenant="team-a",bundle="authz",outcome="mismatch"\} 1$/m);
  });
});

describe('Cross-check of the Wasm module against the Rego engine on the same bundle', () => {
  function outcome(run: () => unknown): unknown {
    try {
      return run();
    } catch (e) {
      return e;
    }
  }

  async function checkBoth(data: unknown, cases: [string, unknown][]): Promise<CrossChecker> {
    const rego: Policy = compileModules([{ file: 'policy.rego', source: FIXTURE_REGO }]);
    const wasm = await loadWasmModule(await buildFixtureWasm(), data);
    const checker = new CrossChecker({ rate: 1 });
    try {
      cases.forEach(([entrypoint, input], i) => {
        assert.ok(rego.ruleNames().includes(entrypointRuleName(entrypoint)), entrypoint);
        checker.record(
          { ...subject(`d${i}`), entrypoint },
          outcome(() => wasm.evaluate(entrypoint, input)),
          outcome(() => rego.evaluate(entrypoint, { input: fromJSON(input), data: fromJSON(data) })),
        );
      });
    } finally {
      await wasm.close();
    }
    return checker;
  }

  it('finds both engines agreeing on the fixture policy', async () => {
    const cases: [string, unknown][] = [
      ['example/allow', { user: 'alice' }],
      ['example/allow', { user: 'mallory' }],
      ['example/allow', {}],
      ['example/greeting', { user: 'carol' }],
      ['example/greeting', {}],
      ['example/level', { user: 'bob' }],
      ['example/level', { user: 'carol', guest: true }],
      ['example/level', { user: 'carol', guest: 'yes' }],
      ['example/level', { user: 'alice', guest: true }], // both refuse: a conflict
    ];
    const report = (await checkBoth(FIXTURE_DATA, cases)).report('team-a', 'authz', 1);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.checked, cases.length);
  });

  it('reports where they diverge', async () => {
    // The fixture's hand-written `in` only scans arrays; Rego's also looks through object values.
    const report = (await checkBoth({ acl: { admins: { first: 'alice' } } }, [
      ['example/allow', { user: 'alice' }],
      ['example/allow', { user: 'bob' }],
    ])).report('team-a', 'authz', 1);
    assert.equal(report.checked, 2);
    assert.deepEqual(report.mismatches.map((m) => [m.decision_id, m.reason, m.wasm, m.rego]), [
      ['d0', 'result_differs', { outcome: 'result', result: false }, { outcome: 'result', result: true }],
    ]);
  });
});
