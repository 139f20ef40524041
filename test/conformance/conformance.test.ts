// Runs every case of ../shared/opa-conformance and fails when a case that the committed baseline
// lists as passing no longer passes. Regenerate the baseline (it only grows) with
//   npm run conformance -- --write-baseline test/conformance/baseline.json ../shared/opa-conformance
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseKeys, collectFiles, runFiles } from '../../src/cli/conformance';

const suite = join(__dirname, '..', '..', '..', 'shared', 'opa-conformance');
const baseline = JSON.parse(readFileSync(join(__dirname, 'baseline.json'), 'utf8')) as { passing: string[] };

// A local clone may lack the suite and skips; under CI a missing suite fails, so CI never passes without it.
const missingSuite = !existsSync(suite);

test('the conformance suite is present when CI is set', { skip: !process.env.CI && 'not CI' }, () => {
  assert.ok(!missingSuite, `CI is set but the conformance suite is missing at ${suite}`);
});

test('every baseline conformance case still passes', { skip: missingSuite && 'suite not present' }, () => {
  const report = runFiles(collectFiles([suite]));
  const byKey = new Map(caseKeys(report, suite).map((c) => [c.key, c.result]));
  const regressions: string[] = [];
  for (const key of baseline.passing) {
    const r = byKey.get(key);
    if (!r) regressions.push(`${key}: missing from the suite`);
    else if (r.status !== 'passed') regressions.push(`${key}: ${r.reason}`);
  }
  assert.deepEqual(regressions, []);
  for (const dir of ['v0', 'v1']) {
    const cases = report.cases.filter((c) => c.file.includes(`/${dir}/`));
    const passed = cases.filter((c) => c.status === 'passed').length;
    assert.ok(cases.length > 0, `no ${dir} cases found`);
    // The pass rate itself is reported, and guarded by the baseline above.
    process.stdout.write(`# conformance ${dir}: ${passed}/${cases.length} passed\n`);
  }
});
