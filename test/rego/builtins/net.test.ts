import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJSON } from '../../../src/rego/eval/values';
import { assertError, call, set, v } from './collection-helpers';

const json = (x: unknown): unknown => toJSON(x as never);

test('net.cidr_contains takes an address or a whole network', () => {
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '10.1.0.0/24'), true);
  assert.equal(call('net.cidr_contains', '172.17.0.0/24', '172.17.0.0/16'), false);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '192.168.1.0/24'), false);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '10.1.2.3'), true);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '192.168.1.1'), false);
  assert.equal(call('net.cidr_contains', '2001:4860:4860::8888/32', '2001:4860:4860:1234::8888/40'), true);
  assert.equal(call('net.cidr_contains', '2001:4860:4860::8888/32', '2001:4860:4860:1234:5678:1234:5678:8888/128'), true);
  assert.equal(call('net.cidr_contains', '2001:4860::/96', '2001:4860::/32'), false);
  assert.equal(call('net.cidr_contains', '2001:4860::/32', 'fd1e:5bfe:8af3:9ddc::/64'), false);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '::ffff:10.1.2.3'), true, 'IPv4-mapped addresses are IPv4');
  assert.equal(call('net.cidr_contains', '::/0', '10.1.2.3'), false, 'families do not mix');
  assertError('BuiltinError', 'invalid CIDR address: not-a-cidr', 'net.cidr_contains', 'not-a-cidr', '192.168.1.67');
  assertError('BuiltinError', 'invalid CIDR address: not-a-cidr', 'net.cidr_contains', '192.168.1.0/28', 'not-a-cidr');
  assertError('BuiltinError', 'invalid CIDR address: 010.0.0.0/8', 'net.cidr_contains', '010.0.0.0/8', '10.0.0.1');
});

test('net.cidr_intersects and net.cidr_is_valid', () => {
  assert.equal(call('net.cidr_intersects', '192.168.1.0/25', '192.168.1.64/25'), true);
  assert.equal(call('net.cidr_intersects', '192.168.1.0/24', '192.168.2.0/24'), false);
  assert.equal(call('net.cidr_intersects', 'fd1e:5bfe:8af3:9ddc::/64', '2001:4860:4860::8888/32'), false);
  assertError('BuiltinError', 'invalid CIDR address: not-a-cidr', 'net.cidr_intersects', 'not-a-cidr', '192.168.1.0/24');
  for (const good of ['10.0.0.0/8', '0.0.0.0/0', '::/0', '2001:db8::/32', '::ffff:10.0.0.0/104', '1.2.3.4/32']) {
    assert.equal(call('net.cidr_is_valid', good), true, good);
  }
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '2001:db8::/129', ':::/1', '10.0.0.0/', 'x/8', '1.2.3.4/+1']) {
    assert.equal(call('net.cidr_is_valid', bad), false, bad);
  }
  assert.equal(call('net.cidr_is_valid', 5), false);
});

test('net.cidr_expand lists every address, and refuses huge networks', () => {
  assert.deepEqual(json(call('net.cidr_expand', '192.168.1.1/30')), ['192.168.1.0', '192.168.1.1', '192.168.1.2', '192.168.1.3']);
  assert.deepEqual(json(call('net.cidr_expand', '192.168.1.1/32')), ['192.168.1.1']);
  assert.deepEqual(json(call('net.cidr_expand', '2001:db8::fffe/127')), ['2001:db8::fffe', '2001:db8::ffff']);
  assertError('BuiltinError', 'invalid CIDR address: 192.168.1.1/33', 'net.cidr_expand', '192.168.1.1/33');
  assertError('BuiltinError', '::/0 has more than 1048576 addresses', 'net.cidr_expand', '::/0');
  assertError('BuiltinError', '10.0.0.0/11 has more than 1048576 addresses', 'net.cidr_expand', '10.1.2.3/11');
  const expanded = json(call('net.cidr_expand', '255.255.0.0/16')) as string[];
  assert.equal(expanded.length, 1 << 16);
  assert.ok(expanded.includes('255.255.255.255') && expanded.includes('255.255.0.0') && expanded.includes('255.255.18.7'));
});

test('net.cidr_contains_matches reports matching pairs by index, member or key', () => {
  assert.deepEqual(json(call('net.cidr_contains_matches', '1.1.1.0/24', '1.1.1.1')), [['1.1.1.0/24', '1.1.1.1']]);
  assert.deepEqual(json(call('net.cidr_contains_matches', ['1.1.2.0/24', '1.1.1.0/24'], ['1.1.1.1', '1.1.2.1'])), [
    [0, 1],
    [1, 0],
  ]);
  assert.deepEqual(json(call('net.cidr_contains_matches', v([['1.1.2.0/24', 1], '1.1.1.0/24']), ['1.1.1.1', '1.1.2.1'])), [
    [0, 1],
    [1, 0],
  ]);
  assert.deepEqual(json(call('net.cidr_contains_matches', v({ k1: '1.1.1.1/24', k2: ['1.1.1.2/24', 1] }), '1.1.1.128')), [
    ['k1', '1.1.1.128'],
    ['k2', '1.1.1.128'],
  ]);
  const tuples = call('net.cidr_contains_matches', set(['1.1.1.0/24', 'bar']), set(['1.1.1.1', 'baz'], ['9.9.9.9', 'x']));
  assert.deepEqual(json(tuples), [[['1.1.1.0/24', 'bar'], ['1.1.1.1', 'baz']]]);
  const message = 'operand 2: element must be string or non-empty array';
  assertError('BuiltinError', message, 'net.cidr_contains_matches', ['1.1.1.0/24'], ['1.1.1.1', 1]);
  assertError('BuiltinError', message, 'net.cidr_contains_matches', ['1.1.1.0/24'], set([], ['1.1.1.1']));
});

test('net.cidr_merge merges adjacent and contained networks', () => {
  const merge = (xs: string[]) => json(call('net.cidr_merge', xs));
  assert.deepEqual(merge(['192.0.128.0/24', '192.0.129.0/24']), ['192.0.128.0/23']);
  assert.deepEqual(merge(['10.0.0.0/8', '10.1.0.0/16', '11.0.0.0/8']), ['10.0.0.0/7']);
  assert.deepEqual(merge(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']), ['10.0.0.0/23', '10.0.2.0/24']);
  assert.deepEqual(merge(['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128', '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128']), [
    '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128',
  ]);
  assert.deepEqual(merge(['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64', '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128']), [
    '2601:600:8a80:207e::/64',
  ]);
  assert.deepEqual(merge(['10.0.0.0/8', '2001:db8::/33', '2001:db8:8000::/33']), ['10.0.0.0/8', '2001:db8::/32']);
  assertError('BuiltinError', 'IPv6 invalid: needs prefix length', 'net.cidr_merge', ['2601:600:8a80:207e:a57d:7567:e2c9:e7b3']);
  assertError('BuiltinError', 'invalid CIDR address: nope', 'net.cidr_merge', ['nope']);
});

test('net.lookup_ip_addr answers only what needs no resolver', () => {
  assert.deepEqual(json(call('net.lookup_ip_addr', '10.0.0.0')), ['10.0.0.0']);
  assert.deepEqual(json(call('net.lookup_ip_addr', '::')), ['::']);
  assert.deepEqual(json(call('net.lookup_ip_addr', '2001:DB8:0:0:0:0:0:1')), ['2001:db8::1']);
  assert.deepEqual(json(call('net.lookup_ip_addr', 'localhost')), ['127.0.0.1', '::1']);
  assertError('BuiltinError', 'network lookups are disabled in Arbiter: cannot resolve "example.com"', 'net.lookup_ip_addr', 'example.com');
});
