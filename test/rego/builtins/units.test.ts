import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, call } from './text-helpers';

test('units.parse applies SI, binary and milli suffixes exactly', () => {
  const cases: [string, number | bigint][] = [
    ['500m', 0.5], ['0.0005K', 0.5], ['0.0000005M', 0.5], ['1024', 1024], ['1Ki', 1024],
    ['1.1Ki', 1126.4], ['1.1K', 1100], ['.5K', 500], ['10KI', 10240], ['"100TI"', 109951162777600],
    ['0.0', 0], ['.0', 0], ['1e-2', 0.01], ['7.8E-1', 0.78], ['2.5e3K', 2500000], ['-3.5E2m', -0.35],
    ['10E', 10000000000000000000n], ['10Ei', 11529215046068469760n], ['5E', 5000000000000000000n],
  ];
  for (const [input, want] of cases) assert.equal(call('units.parse', input), want, input);
  assert.notEqual(call('units.parse', '100m'), 100000000);
  assert.equal(call('units.parse', '100M'), 100000000);
});

test('units.parse reports OPA errors', () => {
  assertFails('BuiltinError', 'no amount provided', 'units.parse', '');
  assertFails('BuiltinError', 'no amount provided', 'units.parse', 'G');
  assertFails('BuiltinError', 'could not parse amount to a number', 'units.parse', '0.0.0');
  assertFails('BuiltinError', 'could not parse amount to a number', 'units.parse', '.5.2');
  assertFails('BuiltinError', 'spaces not allowed in resource strings', 'units.parse', ' 327Mi ');
  assertFails('BuiltinError', 'exponent too large', 'units.parse', '10e10000000Ei');
  assertFails('BuiltinError', 'not recognized', 'units.parse', '10Q');
});

test('units.parse_bytes is case-insensitive and truncates to an integer', () => {
  const cases: [string, number | bigint][] = [
    ['0', 0], ['12345', 12345], ['10KB', 10000], ['10KIB', 10240], ['10Kib', 10240], ['1.1KiB', 1126],
    ['1.1KB', 1100], ['.5KB', 500], ['100mi', 104857600], ['100pib', 112589990684262400n],
    ['10eib', 11529215046068469760n], ['1e-2KB', 10], ['3.2E2MiB', 335544320], ['5e6', 5000000],
    ['"100TIB"', 109951162777600],
  ];
  for (const [input, want] of cases) assert.equal(call('units.parse_bytes', input), want, input);
  assertFails('BuiltinError', 'no byte amount provided', 'units.parse_bytes', 'kb');
  assertFails('BuiltinError', 'byte unit zb not recognized', 'units.parse_bytes', '1zb');
  assertFails('BuiltinError', 'could not parse byte amount to a number', 'units.parse_bytes', '1.2.3kb');
  assertFails('BuiltinError', 'spaces not allowed in resource strings', 'units.parse_bytes', '1 kb');
});
