import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, call, callJSON } from './text-helpers';

test('uri.parse reports the non-empty URL parts', () => {
  assert.deepEqual(callJSON('uri.parse', 'https://example.com:8080/api?q=1#top'), {
    scheme: 'https', hostname: 'example.com', port: '8080', path: '/api', raw_path: '/api', raw_query: 'q=1', fragment: 'top',
  });
  assert.deepEqual(callJSON('uri.parse', 'HTTP://[::1]:8080/path'), { scheme: 'http', hostname: '::1', port: '8080', path: '/path', raw_path: '/path' });
  assert.deepEqual(callJSON('uri.parse', 'https://example.com?q=1#a%20b'), { scheme: 'https', hostname: 'example.com', raw_query: 'q=1', fragment: 'a b' });
  assert.deepEqual(callJSON('uri.parse', ''), {});
  assert.deepEqual(callJSON('uri.parse', 'mailto:user@example.com'), { scheme: 'mailto' });
  assert.deepEqual(callJSON('uri.parse', 'http://user:pw@foo]bar/'), { scheme: 'http', hostname: 'foo]bar', path: '/', raw_path: '/' });
});

test('uri.parse keeps raw_path only when the path does not re-encode to the input', () => {
  const p = (s: string) => callJSON('uri.parse', s) as Record<string, string>;
  assert.deepEqual([p('https://example.com/path%2Fwith%2Fslashes').path, p('https://example.com/path%2Fwith%2Fslashes').raw_path], ['/path/with/slashes', '/path%2Fwith%2Fslashes']);
  assert.deepEqual([p('https://example.com/a%28b%29').path, p('https://example.com/a%28b%29').raw_path], ['/a(b)', '/a(b)']);
  assert.equal(p('https://example.com/a%20b').raw_path, '/a b');
});

test('uri.parse rejects what Go net/url rejects, with its messages', () => {
  assertFails('BuiltinError', 'parse "http://exa%6dple.com/": invalid URL escape "%6d"', 'uri.parse', 'http://exa%6dple.com/');
  assertFails('BuiltinError', 'parse "http://a<b@example.com/": net/url: invalid userinfo', 'uri.parse', 'http://a<b@example.com/');
  assertFails('BuiltinError', 'parse "http://example.com:٣٤/": invalid port ":٣٤" after host', 'uri.parse', 'http://example.com:٣٤/');
  assertFails('BuiltinError', "missing ']' in host", 'uri.parse', 'http://[invalid');
  assertFails('BuiltinError', 'missing protocol scheme', 'uri.parse', ':foo');
  assertFails('BuiltinError', 'first path segment in URL cannot contain colon', 'uri.parse', '1a:b/c');
  assertFails('BuiltinError', 'invalid URL escape "%zz"', 'uri.parse', 'http://x/%zz');
});

test('uri.is_valid', () => {
  assert.equal(call('uri.is_valid', 'https://example.com/path?q=1'), true);
  assert.equal(call('uri.is_valid', 'http://foo]bar/'), true);
  for (const bad of ['', 'http://[invalid', 'http://exa%6dple.com/', 'http://user name@example.com/', 'http://example.com:٣٤/']) {
    assert.equal(call('uri.is_valid', bad), false, bad);
  }
});
