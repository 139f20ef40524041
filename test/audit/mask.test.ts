import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyMask } from '../../src/audit/mask';
import type { DecisionRecord } from '../../src/store/types';
import { decision } from '../store/contract';

function rec(input: unknown, result?: unknown, extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return decision('mask', { input, result, ...extra });
}

const defined = (r: DecisionRecord) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));

const base = () => ({ user: { name: 'ann', password: 'pw', ssn: '123' }, items: [{ secret: 1 }], 'a/b': { '~x': 1 } });

describe('applyMask (data.system.log.mask)', () => {
  const cases: { name: string; rules: unknown; input?: unknown; result?: unknown; want: Partial<DecisionRecord> }[] = [
    {
      name: 'a pointer string erases the member',
      rules: ['/input/user/password'],
      want: { input: { ...base(), user: { name: 'ann', ssn: '123' } }, erased: ['/input/user/password'] },
    },
    {
      name: 'remove and upsert objects; upsert creates missing parents',
      rules: [
        { op: 'remove', path: '/input/user/ssn' },
        { op: 'upsert', path: '/input/user/name', value: '**REDACTED**' },
        { op: 'upsert', path: '/input/audit/by', value: 'mask' },
      ],
      want: {
        input: { ...base(), user: { name: '**REDACTED**', password: 'pw' }, audit: { by: 'mask' } },
        erased: ['/input/user/ssn'],
        masked: ['/input/user/name', '/input/audit/by'],
      },
    },
    {
      name: 'undefined paths and paths through arrays are ignored and not listed',
      rules: ['/input/nope', '/input/user/password/deeper', '/input/items/0/secret', { op: 'remove', path: '/result/x' }],
      result: true,
      want: { input: base(), result: true },
    },
    {
      name: '~1 and ~0 escapes address keys with / and ~',
      rules: ['/input/a~1b/~0x'],
      want: { input: { ...base(), 'a/b': {} }, erased: ['/input/a~1b/~0x'] },
    },
    {
      name: 'the whole input or result can be erased or replaced',
      rules: ['/input', { op: 'upsert', path: '/result', value: 'hidden' }],
      result: { allowed: false },
      want: { input: undefined, result: 'hidden', erased: ['/input'], masked: ['/result'] },
    },
    {
      name: 'an undefined result is not created by upsert',
      rules: [{ op: 'upsert', path: '/result', value: 1 }, { op: 'upsert', path: '/result/a', value: 1 }],
      want: { input: base() },
    },
    {
      name: 'malformed rules and other prefixes are skipped, valid ones still apply',
      rules: ['input/user', '/labels/id', 42, { op: 'replace', path: '/input/user' }, { op: 'remove' }, '/nd_builtin_cache/x', '/input/user/ssn'],
      want: { input: { ...base(), user: { name: 'ann', password: 'pw' } }, erased: ['/input/user/ssn'] },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const input = c.input ?? base();
      const original = rec(input, c.result);
      const snapshot = structuredClone(original);
      const out = applyMask(original, c.rules);
      assert.deepEqual(original, snapshot, 'the original record was changed');
      assert.deepEqual(defined(out), defined({ ...snapshot, ...c.want }));
    });
  }

  it('reports each malformed rule with its reason', () => {
    const errors: string[] = [];
    applyMask(rec(base()), ['/labels', { op: 'nope', path: '/input/x' }, 7], (_rule, e) => errors.push(e.message));
    assert.equal(errors.length, 3);
    assert.match(errors[0], /mask prefix not allowed: \/labels/);
    assert.match(errors[1], /op must be/);
  });

  it('appends to erased/masked lists the record already has (agent events)', () => {
    const out = applyMask(rec(base(), undefined, { erased: ['/input/earlier'] }), ['/input/user']);
    assert.deepEqual(out.erased, ['/input/earlier', '/input/user']);
  });

  it('returns the record itself when there is nothing to apply', () => {
    const r = rec(base());
    assert.equal(applyMask(r, undefined), r);
    assert.equal(applyMask(r, []), r);
  });
});
