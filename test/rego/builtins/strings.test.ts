import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet } from '../../../src/rego/eval/values';
import { assertFails, call, callJSON } from './text-helpers';

test('concat joins arrays and sets (sets in Rego order) and checks elements', () => {
  assert.equal(call('concat', '/', ['', 'foo', 'bar']), '/foo/bar');
  assert.equal(call('concat', ',', new RSet(['b', 'a', 'c'])), 'a,b,c');
  assertFails('BuiltinTypeError', 'operand 2 must be array of strings but got array containing number', 'concat', ',', [1]);
  assertFails('BuiltinTypeError', 'operand 2 must be one of {set, array} but got string', 'concat', ',', 'x');
});

test('contains, startswith and endswith return booleans', () => {
  assert.equal(call('contains', 'abcdefgh', 'defg'), true);
  assert.equal(call('contains', 'abcdefgh', 'ac'), false);
  assert.equal(call('startswith', 'abc', 'ab'), true);
  assert.equal(call('endswith', 'abc', 'ab'), false);
  assertFails('BuiltinTypeError', 'operand 1 must be string but got number', 'contains', 1, 'a');
});

test('format_int truncates toward zero and supports big integers', () => {
  assert.equal(call('format_int', 15.9, 16), 'f');
  assert.equal(call('format_int', -15.9, 16), '-f');
  assert.equal(call('format_int', 18446744073709551617n, 2), '1' + '0'.repeat(63) + '1');
  assert.equal(call('format_int', -18446744073709551617n, 10), '-18446744073709551617');
  assertFails('BuiltinTypeError', 'operand 2 must be one of {2, 8, 10, 16}', 'format_int', 4, 199);
});

test('indexof and indexof_n count code points', () => {
  assert.equal(call('indexof', 'μx', 'x'), 1);
  assert.equal(call('indexof', 'skön var våren', 'vår'), 9);
  assert.equal(call('indexof', 'abc', 'z'), -1);
  assert.deepEqual(call('indexof_n', '😇😀😇😀', '😀'), [1, 3]);
  assert.deepEqual(call('indexof_n', 'aaa', 'aa'), [0, 1]);
  assertFails('BuiltinError', 'empty search character', 'indexof', 'abc', '');
});

test('substring works in code points and rejects a negative offset', () => {
  assert.equal(call('substring', 'abcdefgh', 2, 3), 'cde');
  assert.equal(call('substring', 'aåäö', 2, -1), 'äö');
  assert.equal(call('substring', 'åäö', 3, -1), '');
  assert.equal(call('substring', 'abc', 1, 100), 'bc');
  assertFails('BuiltinError', 'negative offset', 'substring', 'aaa', -1, 1);
  assertFails('BuiltinTypeError', 'operand 2 must be integer number but got floating-point number', 'substring', 'a', 1.5, 1);
});

test('replace, split and strings.split_n follow Go for empty separators', () => {
  assert.equal(call('replace', 'foo...bar', '..', ',,'), 'foo,,.bar');
  assert.equal(call('replace', 'ab', '', '-'), '-a-b-');
  assert.deepEqual(call('split', 'a😀b', ''), ['a', '😀', 'b']);
  assert.deepEqual(call('split', 'foo.bar', '.'), ['foo', 'bar']);
  assert.deepEqual(call('strings.split_n', 'a.b.c.d', '.', 2), ['a', 'b']);
  assert.deepEqual(call('strings.split_n', 'a.b.c.d', '.', -2), ['c', 'd']);
  assert.deepEqual(call('strings.split_n', 'a.b.c.d', '.', 0), []);
  assertFails('BuiltinTypeError', 'operand 3 must be integer number but got floating-point number', 'strings.split_n', 'a', '.', 1.5);
});

test('strings.replace_n replaces left to right without overlaps', () => {
  const patterns = RObject.fromEntries([['a', '1'], ['ab', '2'], ['b', '3']]);
  assert.equal(call('strings.replace_n', patterns, 'abcab'), '13c13');
  assert.equal(call('strings.replace_n', RObject.fromEntries([['old', 'new']]), 'old older'), 'new newer');
  assertFails('BuiltinTypeError', 'operand 1 non-string key found in pattern object', 'strings.replace_n', RObject.fromEntries([[2, 'x']]), 'foo');
  assertFails('BuiltinTypeError', 'operand 1 non-string value found in pattern object', 'strings.replace_n', RObject.fromEntries([['f', 100]]), 'foo');
});

test('trim family uses cutsets of runes and Go white space', () => {
  assert.equal(call('trim', '...foo.bar...', '.fr'), 'oo.ba');
  assert.equal(call('trim_left', '..a..', '.'), 'a..');
  assert.equal(call('trim_right', '..a..', '.'), '..a');
  assert.equal(call('trim_prefix', 'foobar', 'foo'), 'bar');
  assert.equal(call('trim_suffix', 'foobar', 'bar'), 'foo');
  assert.equal(call('trim_space', ' \t\n a b \u00a0'), 'a b');
  assert.equal(call('trim_space', '\ufeffa'), '\ufeffa');
});

test('lower, upper, reverse and count', () => {
  assert.equal(call('lower', 'AbC'), 'abc');
  assert.equal(call('upper', 'AbC'), 'ABC');
  assert.equal(call('lower', 'ΟΔΟΣ İ'), 'οδοσ i');
  assert.equal(call('upper', 'straße ǆ'), 'STRAßE Ǆ');
  assert.equal(call('strings.reverse', '1😀𝛾'), '𝛾😀1');
  assert.equal(call('strings.count', 'cheese', 'e'), 3);
  assert.equal(call('strings.count', '11111', '11'), 2);
  assert.equal(call('strings.count', 'dummy', ''), 6);
});

test('any_prefix_match and any_suffix_match accept strings, arrays and sets', () => {
  assert.equal(call('strings.any_prefix_match', ['a/b', 'e/f'], ['x/', 'e/']), true);
  assert.equal(call('strings.any_prefix_match', 'a/b', new RSet(['b'])), false);
  assert.equal(call('strings.any_suffix_match', new RSet(['a/b/c']), '/c'), true);
  assertFails('BuiltinTypeError', 'operand 1 must be array of strings but got array containing number', 'strings.any_prefix_match', [1], 'a');
  assertFails('BuiltinTypeError', 'operand 2 must be one of {string, set, array} but got number', 'strings.any_suffix_match', 'a', 1);
});

test('sprintf formats like Go fmt', () => {
  const cases: [string, unknown[], string][] = [
    ['hi', [], 'hi'],
    ['hi %02d', [5], 'hi 05'],
    ['hi %02X.%02X', [127, 1], 'hi 7F.01'],
    ['%v', [['there', 5, 3.14]], '["there", 5, 3.14]'],
    ['%s and %v', [{ a: 1 }, null], '{"a": 1} and null'],
    ['%d', ['x'], '%!d(string=x)'],
    ['%s', [5], '%!s(int=5)'],
    ['%d', [3.5], '%!d(float64=3.5)'],
    ['%d %d', [1], '1 %!d(MISSING)'],
    ['%d', [1, 'a'], '1%!(EXTRA string=a)'],
    ['%.2f', [3.14159], '3.14'],
    ['%8.3f|%-8d|', [3.14159, 42], '   3.142|42      |'],
    ['%08.3f', [-3.14159], '-003.142'],
    ['%e', [1234.5678], '1.234568e+03'],
    ['%g %v %v %v', [1234567.25, 1e21, 100000.5, 1234567.5], '1.23456725e+06 1e+21 100000.5 1.2345675e+06'],
    ['%v %v', [0.000012, 0.5], '1.2e-05 0.5'],
    ['%.3g', [3.14159], '3.14'],
    ['%.1f %.1f %.0f %.0f %.0f %.2f', [1.25, 1.35, 0.5, 1.5, 2.5, 1.005], '1.2 1.4 0 2 2 1.00'],
    ['%.2e %.3e %e', [1.125, 9.9995, 0.5], '1.12e+00 9.999e+00 5.000000e-01'],
    ['%.3f %f %.1f', [0.0004, 1e21 + 0.5, 0.05], '0.000 1000000000000000000000.000000 0.1'],
    ['%g %.2g %g %g', [100000.5, 123456.7, 0.0001, 0.00001], '100000.5 1.2e+05 0.0001 1e-05'],
    ['%5s|%-5s|%.2s', ['a', 'b', 'xyz'], '    a|b    |xy'],
    ['%05s|%05d', ['a', 7], '    a|00007'],
    ['%x %X %#x %o %b', [255, 255, 255, 8, 5], 'ff FF 0xff 10 101'],
    ['%x', ['hi'], '6869'],
    ['%q', ['a"b'], '"a\\"b"'],
    ['%[2]d %[1]d', [1, 2], '2 1'],
    ['%+d % d', [5, 5], '+5  5'],
    ['%c %U', [65, 0x1f600], 'A U+1F600'],
    ['%t', [true], '%!t(string=true)'],
    ['%T %T %T %T', [1, 1.5, 'a', [1]], 'int float64 string string'],
    ['%*d', [4, 7], '   7'],
    ['100%%', [], '100%'],
    ['%', [], '%!(NOVERB)'],
    ['%[3]d', [1], '%!d(BADINDEX)'],
    ['%[3]d %d', [1, 2], '%!d(BADINDEX) 1'],
    ['%[2]*[1]d|', [12, 5], '   12|'],
  ];
  for (const [format, args, want] of cases) assert.equal(callJSON('sprintf', format, args), want, format);
  assert.equal(call('sprintf', '%d|%x|%5d', [18446744073709551617n, 18446744073709551617n, 18446744073709551617n]),
    '18446744073709551617|10000000000000001|18446744073709551617');
  assert.equal(call('sprintf', '%f', [18446744073709551617n]), '%!f(big.Int=18446744073709551617)');
  assertFails('BuiltinTypeError', 'operand 2 must be array but got string', 'sprintf', '%s', 'x');
});

test('strings.render_template runs Go text/template', () => {
  const vars = (x: unknown) => callJSON('strings.render_template', ...x as [string, unknown]);
  assert.equal(vars(['{{.test}}', { test: 'hello world' }]), 'hello world');
  assert.equal(vars(['{{.test}}', { test: 2023 }]), '2023');
  assert.equal(vars(['{{range $i, $name := .names}}{{if $i}},{{end}}hello {{$name}}{{end}}', { names: ['a', 'b c'] }]), 'hello a,hello b c');
  assert.equal(vars(['test {{.foo}} {{.baz}}', { baz: 1 }]), 'test <undefined> 1');
  assert.equal(vars(['{{- if eq .n 2 }} two {{- else }} other{{ end -}} !', { n: 2 }]), ' two!');
  assert.equal(vars(['{{with .a}}{{.b}}{{end}}|{{len .l}}|{{index .l 1}}|{{printf "%03d" 7}}', { a: { b: 'x' }, l: [1, 2] }]), 'x|2|2|007');
  assert.equal(vars(['{{range .m}}{{.}};{{else}}none{{end}}', { m: {} }]), 'none');
  assert.equal(vars(['{{.l}} {{.m}} {{.n}}', { l: ['a', 1], m: { k: true }, n: null }]), '[a 1] map[k:true] <no value>');
  assert.equal(vars(['{{.l}}', { l: [null] }]), '[<nil>]');
  assertFails('BuiltinError', 'unexpected EOF', 'strings.render_template', '{{if .a}}x', new RObject());
  assertFails('BuiltinError', 'nest too deeply', 'strings.render_template', '{{if .a}}'.repeat(50000) + '{{end}}'.repeat(50000), new RObject());
});
