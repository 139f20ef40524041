import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupBuiltin } from '../../../src/rego/builtins/registry';
import { toJSON } from '../../../src/rego/eval/values';
import { assertError, call, context, set, v } from './collection-helpers';

const json = (x: unknown): unknown => toJSON(x as never);

test('graph.reachable follows edges given as sets or arrays, through cycles', () => {
  assert.deepEqual(json(call('graph.reachable', v({}), set('a'))), []);
  assert.deepEqual(json(call('graph.reachable', v({ a: ['b'], b: ['c'], c: ['a'] }), set('a'))), ['a', 'b', 'c']);
  const g = v({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [], e: ['f'], f: ['e'], x: ['x'] });
  assert.deepEqual(json(call('graph.reachable', g, ['b', 'e'])), ['b', 'd', 'e', 'f']);
  assert.deepEqual(json(call('graph.reachable', v({ a: null }), ['a'])), ['a']);
  assertError('BuiltinTypeError', 'operand 1 must be object but got number', 'graph.reachable', 1, [1]);
  assertError('BuiltinTypeError', 'operand 2 must be one of {set, array} but got string', 'graph.reachable', v({ a: [] }), 'a');
});

test('graph.reachable_paths lists every maximal path', () => {
  const paths = (g: unknown, init: unknown) => json(call('graph.reachable_paths', v(g), v(init)));
  assert.deepEqual(paths({}, ['a']), []);
  assert.deepEqual(paths({ a: ['b'], b: ['c'], c: ['a'] }, ['a']), [['a', 'b', 'c']]);
  assert.deepEqual(paths({ a: ['b', 'c'], b: ['c'], c: [] }, ['a']), [['a', 'b', 'c'], ['a', 'c']]);
  assert.deepEqual(paths({ 1: [], 2: ['1'], 3: ['2'], 4: ['3', '2'], 5: ['4'] }, ['5']), [
    ['5', '4', '2', '1'],
    ['5', '4', '3', '2', '1'],
  ]);
  assert.deepEqual(paths({ a: ['b'], b: ['nonexistent'] }, ['a', 'b']), [['a', 'b'], ['b']]);
  assert.deepEqual(paths({ a: null }, ['a']), [['a']]);
});

test('graph.reachable_paths refuses an exponential number of paths', () => {
  // 30 layers of two nodes, each linked to both nodes of the next layer: 2^30 paths.
  const g: Record<string, string[]> = {};
  for (let i = 0; i < 30; i++) for (const s of ['a', 'b']) g[`${s}${i}`] = i < 29 ? [`a${i + 1}`, `b${i + 1}`] : [];
  assertError('BuiltinError', 'more than 65536 paths', 'graph.reachable_paths', v(g), ['a0']);
});

test('walk yields every [path, value] pair in pre-order', () => {
  const decl = lookupBuiltin('walk')!;
  assert.equal(decl.relation, true);
  const out = decl.impl([v({ a: [1, { b: 2 }], c: 'x' })], context());
  assert.deepEqual(json(out), [
    [[], { a: [1, { b: 2 }], c: 'x' }],
    [['a'], [1, { b: 2 }]],
    [['a', 0], 1],
    [['a', 1], { b: 2 }],
    [['a', 1, 'b'], 2],
    [['c'], 'x'],
  ]);
  const sets = decl.impl([set(set(1, 2))], context());
  assert.deepEqual(json(sets), [
    [[], [[1, 2]]],
    [[[1, 2]], [1, 2]],
    [[[1, 2], 1], 1],
    [[[1, 2], 2], 2],
  ]);
  assert.deepEqual(json(decl.impl([7], context())), [[[], 7]]);
});
