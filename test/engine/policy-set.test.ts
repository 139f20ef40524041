import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileBundles, PolicySet } from '../../src/engine/policy-set';
import { engineDeps } from '../../src/main';
import { fromJSON, toJSON } from '../../src/rego';
import type { ParsedBundle } from '../../src/engine/ports';

const parsed = (modules: Record<string, string>, data: Record<string, unknown> = {}, roots = ['']): ParsedBundle => ({
  manifest: { revision: 'r', roots },
  modules: Object.entries(modules).map(([path, source]) => ({ path, source, regoVersion: 1 as const })),
  data,
  wasm: [],
});

describe('PolicySet', () => {
  it('compiles several bundles together and merges their data', async () => {
    const compiled = await compileBundles(engineDeps(), [
      { name: 'rules', digest: 'sha256:1', parsed: parsed({ 'p.rego': 'package app\n\nallow if data.config.users[input.user]\n' }, {}, ['app']) },
      { name: 'config', digest: 'sha256:2', parsed: parsed({}, { config: { users: { alice: true } }, lists: { items: ['a', 'b', 'c'] } }, ['config', 'lists']) },
    ]);
    const set = new PolicySet('t', [
      { name: 'rules', version: 3, revision: 'r3', digest: 'sha256:1' },
      { name: 'config', version: 1, revision: 'c1', digest: 'sha256:2' },
    ], compiled);
    assert.equal(set.evaluate('app/allow', { input: fromJSON({ user: 'alice' }) }), true);
    assert.equal(set.evaluate('app/allow', { input: fromJSON({ user: 'bob' }) }), undefined);
    assert.deepEqual(set.provenance.rules, { version: 3, revision: 'r3', digest: 'sha256:1' });
    assert.equal(compiled.key, 'sha256:1,sha256:2');
  });

  it('reads integer path segments as OPA does (array index, number key)', async () => {
    const compiled = await compileBundles(engineDeps(), [
      { name: 'b', digest: 'sha256:3', parsed: parsed({ 'p.rego': 'package p\n\nlist := ["a", "b"]\n\nnested := {"xs": [{"name": "first"}]}\n\nstrkeys := {"1": "one"}\n' }) },
    ]);
    const set = new PolicySet('t', [], compiled);
    assert.equal(set.evaluate('p/list/1', {}), 'b');
    assert.equal(set.evaluate('p/list/2', {}), undefined);
    assert.equal(set.evaluate('p/nested/xs/0/name', {}), 'first');
    assert.equal(set.evaluate('p/strkeys/1', {}), undefined, 'an integer segment is a number key, not the string "1"');
    assert.deepEqual(toJSON(set.evaluate('p/strkeys', {})!), { 1: 'one' });
  });

  it('knows which paths have rules and whether a mask policy exists', async () => {
    const compiled = await compileBundles(engineDeps(), [
      { name: 'b', digest: 'sha256:4', parsed: parsed({ 'p.rego': 'package a.b\n\nallow if input.x\n', 'm.rego': 'package system.log\n\nmask contains "/input/x"\n' }) },
    ]);
    const set = new PolicySet('t', [], compiled);
    assert.equal(set.hasRulesFor('a/b/allow'), true);
    assert.equal(set.hasRulesFor('a'), true);
    assert.equal(set.hasRulesFor('a/c'), false);
    assert.equal(set.hasMask, true);
    const empty = new PolicySet('t', [], undefined);
    assert.equal(empty.evaluate('a/b/allow', {}), undefined);
    assert.equal(empty.hasMask, false);
  });
});
