// The text and encoding built-ins through the real engine: compile Rego, evaluate, and check
// results, lenient undefined results, and strict-mode errors with OPA's codes and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegoError, compileModules, fromJSON, toJSON } from '../../../src/rego';

function policy(source: string) {
  return compileModules([{ file: 'test.rego', source: `package test\n\n${source}` }]);
}

test('a deny message built with sprintf, concat and string tests', () => {
  const p = policy(`
deny contains msg if {
	some c in input.containers
	c.securityContext.privileged
	not startswith(c.image, "registry.internal/")
	msg := sprintf("Container %s (%v) is privileged; tags: %s", [c.name, c.ports, concat(",", {t | some t in c.tags})])
}
`);
  const input = fromJSON({
    containers: [
      { name: 'web', image: 'nginx:1', ports: [80, 443], tags: ['b', 'a'], securityContext: { privileged: true } },
      { name: 'ok', image: 'registry.internal/x', ports: [], tags: [], securityContext: { privileged: true } },
    ],
  });
  assert.deepEqual(toJSON(p.evaluate('test.deny', { input })!), ['Container web ([80, 443]) is privileged; tags: a,b']);
});

test('regex, glob, units and semver in rule bodies', () => {
  const p = policy(`
valid_name if regex.match("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", input.name)
host_allowed if glob.match("*.example.com", ["."], input.host)
big if units.parse_bytes(input.memory) > units.parse_bytes("1Gi")
newer := semver.compare(input.version, "1.2.3")
parts := regex.split("[,;]\\\\s*", input.list)
`);
  const input = fromJSON({ name: 'web-1', host: 'api.example.com', memory: '2Gi', version: '1.10.0', list: 'a, b;c' });
  assert.equal(p.evaluate('test.valid_name', { input }), true);
  assert.equal(p.evaluate('test.host_allowed', { input }), true);
  assert.equal(p.evaluate('test.big', { input }), true);
  assert.equal(p.evaluate('test.newer', { input }), 1);
  assert.deepEqual(p.evaluate('test.parts', { input }), ['a', 'b', 'c']);
  assert.equal(p.evaluate('test.host_allowed', { input: fromJSON({ host: 'a.b.example.com' }) }), undefined);
});

test('encodings round-trip through the engine', () => {
  const p = policy(`
round := json.unmarshal(json.marshal(input))
b64 := base64.decode(base64.encode("héllo"))
yml := yaml.unmarshal(yaml.marshal(input))
q := urlquery.decode_object(urlquery.encode_object({"a": ["x y", "z"]}))
`);
  const input = fromJSON({ a: [1, { b: 'c' }], d: null });
  assert.deepEqual(toJSON(p.evaluate('test.round', { input })!), { a: [1, { b: 'c' }], d: null });
  assert.equal(p.evaluate('test.b64', { input }), 'héllo');
  assert.deepEqual(toJSON(p.evaluate('test.yml', { input })!), { a: [1, { b: 'c' }], d: null });
  assert.deepEqual(toJSON(p.evaluate('test.q', { input })!), { a: ['x y', 'z'] });
});

test('a failing built-in is undefined by default and an error under strict mode', () => {
  const p = policy(`
x := to_number(input.s)
y := regex.match(input.re, "a")
`);
  const input = fromJSON({ s: 'broken', re: '[' });
  assert.equal(p.evaluate('test.x', { input }), undefined);
  assert.equal(p.evaluate('test.y', { input }), undefined);
  assert.throws(
    () => p.evaluate('test.x', { input, strictBuiltinErrors: true }),
    (e: unknown) => e instanceof RegoError && e.code === 'eval_builtin_error' && e.message.includes('to_number: strconv.ParseFloat: parsing "broken": invalid syntax'),
  );
  assert.throws(
    () => p.evaluate('test.y', { input, strictBuiltinErrors: true }),
    (e: unknown) => e instanceof RegoError && e.code === 'eval_builtin_error' && e.message.includes('regex.match: error parsing regexp: missing closing ]: `[`'),
  );
  assert.throws(
    () => p.evaluate('test.x', { input: fromJSON({ s: [1] }), strictBuiltinErrors: true }),
    (e: unknown) => e instanceof RegoError && e.code === 'eval_type_error' && e.message.includes('to_number: operand 1 must be one of {null, boolean, number, string} but got array'),
  );
});

test('uuid.rfc4122 is stable for one key within an evaluation', () => {
  const p = policy(`
same if uuid.rfc4122("k") == uuid.rfc4122("k")
ids := {uuid.rfc4122("k"), uuid.rfc4122("j")}
`);
  assert.equal(p.evaluate('test.same'), true);
  assert.equal((toJSON(p.evaluate('test.ids')!) as string[]).length, 2);
});
