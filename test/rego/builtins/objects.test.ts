import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, toJSON } from '../../../src/rego/eval/values';
import { assertError, call, callJSON, set, v } from './collection-helpers';

test('object.get by key or by path, with a default', () => {
  assert.equal(callJSON('object.get', { a: 'b' }, 'a', 'c'), 'b');
  assert.equal(callJSON('object.get', { a: 'b' }, 'x', 'c'), 'c');
  assert.equal(callJSON('object.get', { a: null }, 'a', 'c'), null);
  assert.equal(callJSON('object.get', { a: { b: null } }, ['a', 'b'], 'c'), null);
  assert.equal(callJSON('object.get', { a: [false] }, ['a', 0], 'c'), false);
  assert.deepEqual(callJSON('object.get', { a: 1 }, [], 2), { a: 1 });
  assert.equal(callJSON('object.get', { a: { b: { c: 1 } } }, ['a', 'b', 'c'], 2), 1);
  assert.equal(callJSON('object.get', { a: { b: { c: 1 } } }, ['a', 'b', 'a'], 2), 2);
  assert.equal(callJSON('object.get', { a: { b: [{ c: 1 }] } }, ['a', 'b', 0, 'c'], 2), 1);
  assert.equal(callJSON('object.get', { a: { b: [1, 2, 3] } }, ['a', 'b', 'a'], 2), 2);
  const nonString = RObject.fromEntries([[1, RObject.fromEntries([['b', RObject.fromEntries([[[1, 2, 3], 1]])]])]]);
  assert.equal(call('object.get', nonString, [1, 'b', [1, 2, 3]], 2), 1);
  assert.equal(call('object.get', RObject.fromEntries([[1, 2]]), 1, 3), 2);
  assertError('BuiltinTypeError', 'operand 1 must be object but got string', 'object.get', 'object', ['a'], 2);
});

test('object.keys returns the set of keys of any type', () => {
  assert.deepEqual(callJSON('object.keys', { a: 1, b: 2 }), ['a', 'b']);
  const keys = call('object.keys', RObject.fromEntries([[set('a'), 1], [[1], 2]]));
  assert.deepEqual(callJSON('count', keys), 2);
  assertError('BuiltinTypeError', 'operand 1 must be object but got string', 'object.keys', 'x');
});

test('object.remove and object.filter take keys from an array, set or object', () => {
  const obj = v({ a: 1, b: { c: 3 }, d: 4 });
  assert.deepEqual(callJSON('object.remove', { a: 1, b: { c: 3 }, d: 4 }, ['d', 'b']), { a: 1 });
  assert.deepEqual(callJSON('object.remove', { a: 1, b: 2 }, { b: 1 }), { a: 1 });
  assert.deepEqual(callJSON('object.remove', { a: 1 }, ['z']), { a: 1 });
  assert.deepEqual(callJSON('object.filter', { a: 1, b: 2, c: 3, e: 9 }, ['a', 'e']), { a: 1, e: 9 });
  assert.deepEqual(callJSON('object.filter', { a: 1, b: 2 }, { a: 'x' }), { a: 1 });
  assert.deepEqual(callJSON('object.filter', { a: 7 }, []), {});
  assert.deepEqual(toJSON(call('object.remove', obj, set('b', 'd'))!), { a: 1 });
  assert.deepEqual(callJSON('object.remove', obj, []), { a: 1, b: { c: 3 }, d: 4 }, 'the argument is unchanged');
  const nonString = RObject.fromEntries([['a', 1], [[[7]], 2]]);
  assert.equal(callJSON('count', call('object.filter', nonString, set([[7]]))), 1);
  assert.deepEqual(toJSON(call('object.remove', nonString, set([[7]]))!), { a: 1 });
  assertError('BuiltinTypeError', 'operand 1 must be object but got array', 'object.remove', ['a'], set('a'));
  assertError('BuiltinTypeError', 'operand 2 must be one of {object, set, array} but got string', 'object.filter', v({}), 'foo');
  assertError('BuiltinTypeError', 'operand 2 must be one of {object, set, array} but got null', 'object.remove', v({}), null);
});

test('object.union merges recursively, the right side winning conflicts', () => {
  assert.deepEqual(callJSON('object.union', { a: 1 }, {}), { a: 1 });
  assert.deepEqual(callJSON('object.union', { a: { b: { c: 1 } } }, { b: 2 }), { a: { b: { c: 1 } }, b: 2 });
  assert.deepEqual(callJSON('object.union', { a: 1 }, { a: { b: { c: 1 } }, d: 7 }), { a: { b: { c: 1 } }, d: 7 });
  assert.deepEqual(
    callJSON('object.union', { a: { b: { c: 1 } }, e: 1 }, { a: { b: 'foo', b1: 'bar' }, d: 7, e: 17 }),
    { a: { b: 'foo', b1: 'bar' }, d: 7, e: 17 },
  );
  assertError('BuiltinTypeError', 'operand 2 must be object but got array', 'object.union', v({}), [1]);
});

test('object.union_n merges a list of objects left to right', () => {
  assert.deepEqual(callJSON('object.union_n', [{}]), {});
  assert.deepEqual(callJSON('object.union_n', [{ foo: 'bar' }, { foo: 'baz', x: { y: 1 } }, { x: { z: 2 } }]), {
    foo: 'baz',
    x: { y: 1, z: 2 },
  });
  assertError('BuiltinTypeError', 'operand 1 must be array of objects but got array containing string', 'object.union_n', [v({}), 'baz']);
});

test('object.subset: deep for objects, membership for sets, contiguous runs for arrays', () => {
  assert.equal(callJSON('object.subset', { a: { b: 1, c: 2 }, d: 3 }, { a: { b: 1 } }), true);
  assert.equal(callJSON('object.subset', { a: { b: 1 } }, { a: { b: 2 } }), false);
  assert.equal(callJSON('object.subset', { a: [1, 2, 3, 4] }, { a: [2, 3] }), true);
  assert.equal(callJSON('object.subset', { a: [1, 2, 3, 4] }, { a: [2, 4] }), false);
  assert.equal(call('object.subset', set(1, 2, 3), set(1, 3)), true);
  assert.equal(call('object.subset', set(1, 2), set(4)), false);
  assert.equal(call('object.subset', [1, 2, 3], set(3, 1)), true);
  assert.equal(call('object.subset', [1, 1, 2, 3], [1, 2]), true);
  assert.equal(call('object.subset', v({ a: set(10, 15, 20, 25), b: 1 }), v({ a: set(10, 20) })), true);
  assert.equal(call('object.subset', v({}), []), false, 'collections of different kinds are compared for equality');
  assert.equal(call('object.subset', set(1), [1]), false);
  assertError('BuiltinTypeError', 'operand 2 must be one of {object, set, array} but got string', 'object.subset', v({}), 'a');
  assertError('BuiltinTypeError', 'operand 1 must be one of {object, set, array} but got number', 'object.subset', 1, []);
});
