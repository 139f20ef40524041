import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/rego/builtins/time';
import { type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { errorOf } from './builtin-call';
import type { Value } from '../../../src/rego/eval/values';

const NOW = 1_700_000_000_123_456_789n;
const ctx = { nowNs: NOW } as BuiltinContext;
const call = (name: string, ...args: Value[]): Value => lookupBuiltin(name)!.impl(args, ctx) as Value;
const S = 1_000_000_000n;

test('now_ns returns the evaluation time', () => {
  assert.equal(call('time.now_ns'), NOW);
  assert.equal(lookupBuiltin('time.now_ns')!.nondeterministic, true);
});

test('date, clock and weekday in UTC and in named zones', () => {
  assert.deepEqual(call('time.date', [1517814000n * S, 'America/Los_Angeles']), [2018, 2, 4]);
  assert.deepEqual(call('time.date', [1517832000n * S, '']), [2018, 2, 5]);
  assert.deepEqual(call('time.date', 1582977600n * S), [2020, 2, 29]);
  assert.deepEqual(call('time.clock', [1582977600n * S, 'Asia/Kolkata']), [17, 30, 0]);
  assert.equal(call('time.weekday', 1517918400n * S), 'Tuesday');
  assert.equal(call('time.weekday', 1518350400n * S), 'Sunday');
  assert.equal(errorOf(() => call('time.clock', 1582977600n * S * 1000n)), 'timestamp too big');
  assert.equal(errorOf(() => call('time.date', [0, 'Nowhere/Town'])), 'unknown time zone Nowhere/Town');
});

test('add_date normalises like Go and rejects results outside int64 nanoseconds', () => {
  assert.equal(call('time.add_date', 1585852421593912000n, 3, 9, 12), 1705257221593912000n);
  assert.equal(call('time.add_date', 1585852421593912000n, -1, -1, -1), 1551465221593912000n);
  // 31 January + 1 month overflows into March.
  const jan31 = call('time.parse_ns', '2006-01-02', '2021-01-31') as number;
  assert.deepEqual(call('time.date', call('time.add_date', jan31, 0, 1, 0)), [2021, 3, 3]);
  assert.equal(errorOf(() => call('time.add_date', 0, 2262, 1, 1)), 'time outside of valid range');
  assert.equal(errorOf(() => call('time.add_date', -(2n ** 63n), 0, 0, -1)), 'time outside of valid range');
});

test('diff counts calendar units between two instants', () => {
  assert.deepEqual(call('time.diff', NOW + 61n * S, NOW), [0, 0, 0, 0, 1, 1]);
  assert.deepEqual(call('time.diff', [NOW + 60n * S, 'UTC'], [NOW, 'Asia/Shanghai']), [0, 0, 0, 0, 1, 0]);
  const d = (s: string): Value => call('time.parse_ns', '2006-01-02', s);
  assert.deepEqual(call('time.diff', d('2020-02-02'), d('2020-03-01')), [0, 0, 28, 0, 0, 0]);
  assert.deepEqual(call('time.diff', d('2021-02-02'), d('2021-03-01')), [0, 0, 27, 0, 0, 0]);
  assert.deepEqual(call('time.diff', d('2004-02-29'), d('2005-03-01')), [1, 0, 1, 0, 0, 0]);
});

test('format with Go layouts, named layouts and zones', () => {
  const t = 1670006453141828752n;
  assert.equal(call('time.format', t), '2022-12-02T18:40:53.141828752Z');
  assert.equal(call('time.format', [t, 'Asia/Kolkata']), '2022-12-03T00:10:53.141828752+05:30');
  assert.equal(call('time.format', [t, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006']), 'Sat Dec 03 00:10:53 +0530 2022');
  assert.equal(call('time.format', [t, 'Asia/Kolkata', 'RFC1123Z']), 'Sat, 03 Dec 2022 00:10:53 +0530');
  assert.equal(call('time.format', [t, 'America/New_York', 'RFC1123']), 'Fri, 02 Dec 2022 13:40:53 EST');
  assert.equal(call('time.format', [t, 'UTC', 'Kitchen']), '6:40PM');
  // Zone abbreviations as tzdata (and so Go) names them, numeric where tzdata has no name.
  assert.equal(call('time.format', [t, 'Europe/Amsterdam', 'MST']), 'CET');
  assert.equal(call('time.format', [t, 'Asia/Kolkata', 'MST']), 'IST');
  assert.equal(call('time.format', [t, 'America/Sao_Paulo', 'MST']), '-03');
  assert.equal(call('time.format', [t, 'Asia/Kathmandu', 'MST']), '+0545');
  assert.equal(call('time.format', [t, 'UTC', '2006-01-02 15:04:05.000 002']), '2022-12-02 18:40:53.141 336');
  assert.equal(errorOf(() => call('time.format', 1582977600 * 10e12)), 'timestamp too big');
});

test('parse_ns, parse_rfc3339_ns and their Go error texts', () => {
  assert.equal(call('time.parse_rfc3339_ns', '2017-06-02T19:00:00.123-07:00'), 1496455200123000000n);
  assert.equal(call('time.parse_ns', '02 Jan 06 15:04 -0700', '05 Feb 18 10:30 +0100'), 1517823000n * S);
  assert.equal(call('time.parse_ns', '3:04PM Jan _2 2006', '9:15AM Mar  7 2021'), call('time.parse_rfc3339_ns', '2021-03-07T09:15:00Z'));
  assert.equal(errorOf(() => call('time.parse_ns', '2006-01-02', '2006-13-02')), 'parsing time "2006-13-02": month out of range');
  assert.equal(
    errorOf(() => call('time.parse_ns', '2006-01-02', 'x2006-12-02')),
    'parsing time "x2006-12-02" as "2006-01-02": cannot parse "x2006-12-02" as "2006"',
  );
  assert.equal(errorOf(() => call('time.parse_ns', '2006-01-02', '2021-02-30')), 'parsing time "2021-02-30": day out of range');
});

test('parse_duration_ns follows Go time.ParseDuration', () => {
  assert.equal(call('time.parse_duration_ns', '1h30m'), 5_400_000_000_000);
  assert.equal(call('time.parse_duration_ns', '1.5s'), 1_500_000_000);
  assert.equal(call('time.parse_duration_ns', '-3ms'), -3_000_000);
  assert.equal(call('time.parse_duration_ns', '2µs'), 2000);
  assert.equal(errorOf(() => call('time.parse_duration_ns', '1d')), 'time: unknown unit "d" in duration "1d"');
  assert.equal(errorOf(() => call('time.parse_duration_ns', '1')), 'time: missing unit in duration "1"');
  assert.equal(errorOf(() => call('time.parse_duration_ns', 'abc')), 'time: invalid duration "abc"');
});

test('test.sleep validates its duration without blocking', () => {
  let checks = 0;
  const sleepCtx = { ...ctx, checkBudget: () => void checks++ } as BuiltinContext;
  const started = Date.now();
  assert.equal(lookupBuiltin('test.sleep')!.impl(['10s'], sleepCtx), null);
  assert.ok(Date.now() - started < 1000);
  assert.equal(checks, 1);
  assert.equal(errorOf(() => lookupBuiltin('test.sleep')!.impl(['soon'], sleepCtx)), 'time: invalid duration "soon"');
});

test('clock readings follow daylight-saving transitions to the second', () => {
  const switchAt = 1648342800n; // 2022-03-27T01:00:00Z, when Amsterdam moves from +01:00 to +02:00
  assert.deepEqual(call('time.clock', [(switchAt - 1n) * S, 'Europe/Amsterdam']), [1, 59, 59]);
  assert.deepEqual(call('time.clock', [switchAt * S, 'Europe/Amsterdam']), [3, 0, 0]);
  assert.equal(call('time.format', [(switchAt - 1n) * S, 'Europe/Amsterdam', 'MST']), 'CET');
  assert.equal(call('time.format', [switchAt * S, 'Europe/Amsterdam', 'MST']), 'CEST');
  // Liberia kept -00:44:30 until 1972: offsets that are not whole quarter hours stay exact.
  assert.equal(call('time.format', [0, 'Africa/Monrovia', '-07:00:00']), '-00:44:30');
});
