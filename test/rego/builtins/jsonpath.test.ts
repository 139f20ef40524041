import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, toJSON } from '../../../src/rego/eval/values';
import { assertError, call, callJSON, set, v } from './collection-helpers';

const doc = { a: { b: { c: 7, d: 8, x: 0 } }, e: 9 };

test('json.filter keeps the values under JSON pointers or path arrays', () => {
  assert.deepEqual(callJSON('json.filter', doc, ['a/b/c']), { a: { b: { c: 7 } } });
  assert.deepEqual(callJSON('json.filter', doc, ['a/b/c', 'e']), { a: { b: { c: 7 } }, e: 9 });
  assert.deepEqual(callJSON('json.filter', doc, ['/a/b/d', ['a', 'b', 'c']]), { a: { b: { c: 7, d: 8 } } });
  assert.deepEqual(callJSON('json.filter', { a: { b: 7 } }, ['a', 'a/b']), { a: { b: 7 } });
  assert.deepEqual(callJSON('json.filter', { a: { b: 7 } }, ['a/b', 'a']), { a: { b: 7 } });
  assert.deepEqual(callJSON('json.filter', { a: 7 }, []), {});
  assert.deepEqual(callJSON('json.filter', { a: [{ b: 7, c: 8 }, { d: 9 }] }, ['a/0/b', 'a/1']), { a: [{ b: 7 }, { d: 9 }] });
  assert.deepEqual(callJSON('json.filter', { 'a/b': 1, 'm~n': 2, c: 3 }, ['a~1b', 'm~0n']), { 'a/b': 1, 'm~n': 2 });
  assert.deepEqual(toJSON(call('json.filter', v({ s: [] }), set('s'))!), { s: [] });
});

test('json.remove drops the values under the paths, closing gaps in arrays', () => {
  assert.deepEqual(callJSON('json.remove', doc, ['a/b/c', 'e']), { a: { b: { d: 8, x: 0 } } });
  assert.deepEqual(callJSON('json.remove', { a: { b: 7 }, c: 1 }, ['a', 'a/b']), { c: 1 });
  assert.deepEqual(callJSON('json.remove', doc, ['a/b/d', ['a', 'b', 'c']]), { a: { b: { x: 0 } }, e: 9 });
  assert.deepEqual(callJSON('json.remove', { a: [{ 1: ['b', 'c', 'd'] }, { x: 'y' }] }, ['a/0/1/2']), {
    a: [{ 1: ['b', 'c'] }, { x: 'y' }],
  });
  assert.deepEqual(callJSON('json.remove', { a: 7 }, []), { a: 7 });
  assert.deepEqual(callJSON('json.remove', { a: { b: 2, c: 3 } }, ['a']), {});
  const withSet = RObject.fromEntries([['s', set('x', 'y')]]);
  assert.deepEqual(toJSON(call('json.remove', withSet, ['s/x'])!), { s: ['y'] });
});

test('json.filter and json.remove check their operands as OPA does', () => {
  assertError('BuiltinTypeError', 'operand 1 must be object but got number', 'json.remove', 22, set('a/b/c'));
  assertError('BuiltinTypeError', 'operand 2 must be one of {set, array} but got object', 'json.remove', v({}), v({ y: 1 }));
  assertError(
    'BuiltinTypeError',
    'operand 2 must be one of {set, array} containing string paths or array of path segments but got number',
    'json.filter',
    v({}),
    set(1, 'a'),
  );
});

/** Cases from RFC 6902's appendix and the json-patch test suite. */
const patchCases: { doc: unknown; patch: unknown[]; expected?: unknown }[] = [
  { doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux' }], expected: { baz: 'qux', foo: 'bar' } },
  { doc: { foo: ['bar', 'baz'] }, patch: [{ op: 'add', path: '/foo/1', value: 'qux' }], expected: { foo: ['bar', 'qux', 'baz'] } },
  { doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'remove', path: '/baz' }], expected: { foo: 'bar' } },
  { doc: { foo: ['bar', 'qux', 'baz'] }, patch: [{ op: 'remove', path: '/foo/1' }], expected: { foo: ['bar', 'baz'] } },
  { doc: { baz: 'qux' }, patch: [{ op: 'replace', path: '/baz', value: 'boo' }], expected: { baz: 'boo' } },
  {
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    expected: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  { doc: { foo: ['all', 'grass', 'cows', 'eat'] }, patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }], expected: { foo: ['all', 'cows', 'eat', 'grass'] } },
  { doc: { baz: 'qux', foo: ['a', 2, 'c'] }, patch: [{ op: 'test', path: '/foo/1', value: 2 }], expected: { baz: 'qux', foo: ['a', 2, 'c'] } },
  { doc: { baz: 'qux' }, patch: [{ op: 'test', path: '/baz', value: 'bar' }] },
  { doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }] },
  { doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: 10 }], expected: { '/': 9, '~1': 10 } },
  { doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: '10' }] },
  { doc: { foo: ['bar'] }, patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], expected: { foo: ['bar', ['abc', 'def']] } },
  { doc: {}, patch: [{ op: 'add', path: '/', value: 1 }], expected: { '': 1 } },
  { doc: { foo: {} }, patch: [{ op: 'add', path: '/foo/', value: 1 }], expected: { foo: { '': 1 } } },
  { doc: { bar: [1, 2] }, patch: [{ op: 'add', path: '/bar/8', value: '5' }] },
  { doc: { bar: [1, 2] }, patch: [{ op: 'add', path: '/bar/-1', value: '5' }] },
  { doc: ['foo', 'sil'], patch: [{ op: 'add', path: '/2', value: 'bar' }], expected: ['foo', 'sil', 'bar'] },
  { doc: ['foo', 'sil'], patch: [{ op: 'add', path: '/bar', value: 42 }] },
  { doc: ['foo', 'bar'], patch: [{ op: 'test', path: '/1e0', value: 'bar' }] },
  { doc: ['foo', 'bar'], patch: [{ op: 'test', path: '/01', value: 'bar' }] },
  { doc: { '1e0': 'foo' }, patch: [{ op: 'test', path: '/1e0', value: 'foo' }], expected: { '1e0': 'foo' } },
  { doc: { foo: 'bar' }, patch: [{ op: 'replace', path: '', value: { baz: 'qux' } }], expected: { baz: 'qux' } },
  { doc: { bar: 'baz' }, patch: [{ op: 'replace', path: '/foo/bar', value: false }] },
  { doc: { foo: null }, patch: [{ op: 'copy', from: '/foo', path: '/bar' }], expected: { foo: null, bar: null } },
  { doc: { foo: 1 }, patch: [{ op: 'move', from: '/foo', path: '/foo' }], expected: { foo: 1 } },
  { doc: { foo: 1 }, patch: [{ op: 'copy', from: '/bar', path: '/foo' }] },
  { doc: [1, 2, 3, 4], patch: [{ op: 'remove', path: '/1' }, { op: 'remove', path: '/2' }], expected: [1, 3] },
  { doc: ['foo', 'bar'], patch: [{ op: 'remove', path: '/2' }] },
  { doc: { foo: 'bar' }, patch: [{ op: 'remove', path: '/missing1/missing2' }] },
  { doc: { foo: { foo: 1, bar: 2 } }, patch: [{ op: 'test', path: '/foo', value: { bar: 2, foo: 1 } }], expected: { foo: { foo: 1, bar: 2 } } },
  { doc: [1, 2, [3, [4, 5]]], patch: [{ op: 'add', path: '/2/1/-', value: 6 }], expected: [1, 2, [3, [4, 5, 6]]] },
  { doc: { foo: 1 }, patch: [{ op: 'add', path: ['bar', 'baz'], value: 1 }] },
  { doc: { foo: { bar: 1 } }, patch: [{ op: 'add', path: ['foo', 'baz'], value: 2 }], expected: { foo: { bar: 1, baz: 2 } } },
];

test('json.patch applies RFC 6902 operations; a failing operation makes the result undefined', () => {
  for (const c of patchCases) {
    assert.deepEqual(callJSON('json.patch', c.doc, c.patch), c.expected, JSON.stringify(c.patch));
  }
});

test('json.patch treats a set member as its own key', () => {
  const doc = RObject.fromEntries([['foo', set('a', 'b', 'c')]]);
  assert.deepEqual(toJSON(call('json.patch', doc, [v({ op: 'remove', path: 'foo/b' })])!), { foo: ['a', 'c'] });
  assert.deepEqual(toJSON(call('json.patch', doc, [v({ op: 'add', path: 'foo/d', value: 'd' })])!), { foo: ['a', 'b', 'c', 'd'] });
  assert.equal(call('json.patch', doc, [v({ op: 'add', path: 'foo/d', value: 'e' })]), undefined);
  const nested = set([1]);
  assert.deepEqual(toJSON(call('json.patch', nested, [v({ op: 'add', path: [[1], 1], value: 2 })])!), [[1, 2]]);
  assert.deepEqual(toJSON(doc), { foo: ['a', 'b', 'c'] }, 'the document is unchanged');
});

test('json.patch reports malformed operations', () => {
  assertError('BuiltinError', "missing 'path' attribute", 'json.patch', v({}), [v({ op: 'add', value: 'bar' })]);
  assertError('BuiltinError', "missing 'value' attribute", 'json.patch', v([1]), [v({ op: 'replace', path: '/0' })]);
  assertError('BuiltinError', "missing 'from' attribute", 'json.patch', v([1]), [v({ op: 'copy', path: '/-' })]);
  assertError('BuiltinError', "unrecognized op 'spam'", 'json.patch', v({}), [v({ op: 'spam', path: '/foo', value: 1 })]);
  assertError('BuiltinTypeError', 'operand 2 must be array of objects but got array containing string', 'json.patch', v({}), ['x']);
  assertError('BuiltinTypeError', 'operand 2 must be array but got object', 'json.patch', v({}), v({}));
});
