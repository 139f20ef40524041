import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalJSON,
  canonicalizeJSONText,
  JSONSyntaxError,
  parseJSONData,
  parseRawJSON,
  RawNumber,
} from '../../src/bundle/json';

test('canonical form: sorted keys, no whitespace, number text kept, Go string escaping', () => {
  const text = '{ "b": [1.50, 1e3, -0, 0.1E-2],\n  "a": {"z": "x\\"y\\u0041", "y": "<&>\\u2028\\n\\u0001", "x": null}, "c": true }';
  const want = '{"a":{"x":null,"y":"<&>\\u2028\\n\\u0001","z":"x\\"yA"},"b":[1.50,1e3,-0,0.1E-2],"c":true}';
  assert.equal(canonicalizeJSONText(text), want);
  assert.equal(canonicalJSON(parseRawJSON(text)), want);
});

test('a repeated key keeps its last value, as Go\'s decoder does', () => {
  assert.equal(canonicalizeJSONText('{"a": 1, "b": 0, "a": 2}'), '{"a":2,"b":0}');
  assert.equal(canonicalJSON(parseRawJSON('{"a": 1, "b": 0, "a": 2}')), '{"a":2,"b":0}');
});

test('keys sort by code point (UTF-8 byte order), not by UTF-16 unit', () => {
  const text = '{"\\ud83d\\ude00": 1, "\\uffff": 2, "a": 3}';
  assert.equal(canonicalizeJSONText(text), '{"a":3,"\uffff":2,"\u{1F600}":1}');
});

test('the one-pass canonicaliser agrees with parse-then-encode on generated documents', () => {
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const pieces = ['a', 'Z', 'é', '\u2028', '"', '\\', '\n', '\u0001', '\u{1F600}', '\uffff', '<', ' '];
  const str = () => Array.from({ length: Math.floor(rand() * 6) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
  const gen = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.3) return [str(), rand() * 1e6, Math.floor(rand() * 100), true, null][Math.floor(rand() * 5)];
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [str(), gen(depth + 1)]));
  };
  for (let i = 0; i < 300; i++) {
    const text = JSON.stringify(gen(0), null, i % 3);
    assert.equal(canonicalizeJSONText(text), canonicalJSON(parseRawJSON(text)), text);
  }
});

test('syntax errors carry row and column, the same from both parsers', () => {
  const cases: [string, number, number][] = [
    ['{"a":}', 1, 6],
    ['[1,\n 2,\n]', 3, 1],
    ['{"a" 1}', 1, 6],
    ['"\u0001"', 1, 2],
    ['[1 2]', 1, 4],
    ['{"a":1', 1, 7],
    ['tru', 1, 1],
    ['{} x', 1, 4],
  ];
  for (const [text, row, col] of cases) {
    for (const parse of [parseRawJSON, canonicalizeJSONText]) {
      assert.throws(
        () => parse(text),
        (e: unknown) => e instanceof JSONSyntaxError && e.row === row && e.col === col,
        `${JSON.stringify(text)} with ${parse.name}`,
      );
    }
  }
});

test('data parsing keeps integers beyond 2^53 exact and everything else as JSON.parse does', () => {
  assert.deepEqual(parseJSONData('{"big": 123456789012345678901, "neg": -98765432109876543210, "f": 2.5, "s": "12345678901234567890"}'), {
    big: 123456789012345678901n,
    neg: -98765432109876543210n,
    f: 2.5,
    s: '12345678901234567890',
  });
  assert.deepEqual(parseJSONData('{"max": 9007199254740991}'), { max: 9007199254740991 });
  assert.ok(parseRawJSON('1.0') instanceof RawNumber);
  assert.throws(() => parseJSONData('{"a": [1,}'), JSONSyntaxError);
});
