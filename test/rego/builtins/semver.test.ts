import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, call } from './text-helpers';

test('semver.is_valid accepts MAJOR.MINOR.PATCH with prerelease and metadata only', () => {
  for (const v of ['1.0.0', '0.0.1-alpha.1', '1.2.3+build.5', '1.2.3-rc.1+meta', '10.20.30']) assert.equal(call('semver.is_valid', v), true, v);
  for (const v of ['1', '1.0', '1.0.x', '1.0.0-a..b', '1.0.0+a_b', 'v1.0.0']) assert.equal(call('semver.is_valid', v), false, v);
  assert.equal(call('semver.is_valid', 1), false);
});

test('semver.compare orders versions and prereleases by SemVer precedence', () => {
  assert.equal(call('semver.compare', '1.0.0', '2.0.0'), -1);
  assert.equal(call('semver.compare', '1.0.0', '1.0.0+build'), 0);
  assert.equal(call('semver.compare', '1.10.0', '1.9.0'), 1);
  assert.equal(call('semver.compare', '1.0.0-alpha', '1.0.0'), -1);
  const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
  for (let i = 0; i + 1 < ordered.length; i++) {
    assert.equal(call('semver.compare', ordered[i], ordered[i + 1]), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    assert.equal(call('semver.compare', ordered[i + 1], ordered[i]), 1);
  }
  assertFails('BuiltinError', 'operand 1: string "1" is not a valid SemVer', 'semver.compare', '1', '1.0.0');
  assertFails('BuiltinError', 'operand 2: string "1" is not a valid SemVer', 'semver.compare', '1.0.0', '1');
});
