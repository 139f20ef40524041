import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64UrlDecode, goBase64Decode, pemDecode, pemDecodeAll } from '../../../src/rego/builtins/encoding_go';

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected an error');
};

test('base64 decoding reports the first bad byte as Go does', () => {
  assert.equal(goBase64Decode('aGVsbG8=').toString(), 'hello');
  assert.equal(goBase64Decode('aGVs\nbG8=').toString(), 'hello', 'newlines are skipped');
  assert.equal(errorOf(() => goBase64Decode('foobar')), 'illegal base64 data at input byte 4');
  assert.equal(errorOf(() => goBase64Decode('ab!d')), 'illegal base64 data at input byte 2');
  assert.equal(errorOf(() => goBase64Decode('aGVsbG8=x')), 'illegal base64 data at input byte 8');
  assert.equal(errorOf(() => goBase64Decode('a===')), 'illegal base64 data at input byte 1');
  assert.equal(goBase64Decode('aGVsbG8', { padded: false }).toString(), 'hello');
  assert.equal(base64UrlDecode('eyJhIjoxfQ').toString(), '{"a":1}');
  assert.equal(errorOf(() => base64UrlDecode('eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9')), 'illegal base64 data at input byte 13');
  assert.equal(errorOf(() => base64UrlDecode('abcde')), 'illegal base64url string: abcde');
});

test('PEM decoding finds blocks, headers and what follows, like encoding/pem', () => {
  const block = '-----BEGIN THING-----\r\nProc-Type: 4,ENCRYPTED\r\n\r\naGVs\r\nbG8=\r\n-----END THING-----\r\n';
  const r = pemDecode('junk before\n' + block + 'tail');
  assert.ok(r);
  assert.equal(r.block.type, 'THING');
  assert.deepEqual(r.block.headers, { 'Proc-Type': '4,ENCRYPTED' });
  assert.equal(r.block.bytes.toString(), 'hello');
  assert.equal(r.rest, 'tail');
  assert.equal(pemDecode('no pem here'), undefined);
  assert.equal(pemDecode('-----BEGIN A-----\naGVsbG8=\n-----END B-----\n'), undefined, 'mismatched end line');
  assert.equal(pemDecodeAll(block + block).length, 2);
  assert.equal(pemDecodeAll('-----BEGIN X-----\nAAAA\n'.repeat(10000)).length, 0, 'unterminated blocks');
});
