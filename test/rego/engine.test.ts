import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModules, fromJSON, toJSON, RegoError } from '../../src/rego';

// The seed guide's policy/deployment.rego, shared with bench/eval.ts.
const deployment = readFileSync(join(__dirname, '..', 'fixtures', 'seed', 'deployment.rego'), 'utf8');

function manifest(opts: { root: boolean; privileged: boolean; labelled: boolean }) {
  return fromJSON({
    kind: 'Deployment',
    spec: {
      template: {
        metadata: { labels: opts.labelled ? { 'app.kubernetes.io/name': 'web' } : {} },
        spec: {
          securityContext: opts.root ? {} : { runAsNonRoot: true },
          containers: [{ name: 'web', securityContext: { privileged: opts.privileged } }, { name: 'side' }],
        },
      },
    },
  });
}

test('seed deployment policy denies what the guide says it denies', () => {
  const policy = compileModules([{ file: 'deployment.rego', source: deployment, regoVersion: 0 }]);
  assert.deepEqual(policy.packages, ['main']);
  const bad = policy.evaluate('main/deny', { input: manifest({ root: true, privileged: true, labelled: false }) });
  assert.deepEqual(toJSON(bad!), [
    'Container web is privileged',
    'Containers must not run as root',
    'Deployment must have standard labels',
  ]);
  const good = policy.evaluate('data.main.deny', { input: manifest({ root: false, privileged: false, labelled: true }) });
  assert.deepEqual(toJSON(good!), []);
  assert.deepEqual(toJSON(policy.evaluate('main.deny', { input: fromJSON({ kind: 'Service' }) })!), []);
});

test('complete rules, defaults, functions and queries in v1 syntax', () => {
  const policy = compileModules([
    {
      file: 'canary.rego',
      source: `package canary
default allow := false
allow if {
  input.metrics.error_rate < threshold(input.env)
  input.metrics.latency_p99 <= 500
}
threshold(env) := 0.01 if env == "prod"
else := 0.05
names contains n if some n in input.names
`,
    },
  ]);
  assert.equal(policy.evaluate('canary/allow', { input: fromJSON({ env: 'prod', metrics: { error_rate: 0.02, latency_p99: 100 } }) }), false);
  assert.equal(policy.evaluate('canary/allow', { input: fromJSON({ env: 'dev', metrics: { error_rate: 0.02, latency_p99: 100 } }) }), true);
  const rows = policy.query('x := data.canary.names[_]; x != "b"', { input: fromJSON({ names: ['a', 'b', 'c'] }) });
  assert.deepEqual(rows.map((r) => r.x).sort(), ['a', 'c']);
  assert.deepEqual(policy.ruleNames().sort(), ['data.canary.allow', 'data.canary.names', 'data.canary.threshold']);
});

test('parse errors carry code, file, row and column', () => {
  assert.throws(
    () => compileModules([{ file: 'bad.rego', source: 'package x\n\np if {\n  1 +\n}\n' }]),
    (e: unknown) => e instanceof RegoError && e.code === 'rego_parse_error' && e.errors[0].location?.file === 'bad.rego' && e.errors[0].location.row === 5,
  );
});

test('seed argocd policy: v0 deny[msg] if with future keywords is a partial set', () => {
  const source = `package argocd
import future.keywords.if
import future.keywords.in
deny[msg] if {
  input.kind == "Deployment"
  container := input.spec.template.spec.containers[_]
  container.securityContext.privileged == true
  msg := sprintf("Privileged container not allowed: %s", [container.name])
}
deny[msg] if {
  input.kind in ["Deployment", "StatefulSet"]
  container := input.spec.template.spec.containers[_]
  not container.resources.limits.cpu
  msg := sprintf("Container %s missing CPU limit", [container.name])
}`;
  const policy = compileModules([{ file: 'argocd.rego', source, regoVersion: 0 }]);
  const input = fromJSON({
    kind: 'StatefulSet',
    spec: { template: { spec: { containers: [{ name: 'db', securityContext: { privileged: true } }, { name: 'ok', resources: { limits: { cpu: '1' } } }] } } },
  });
  assert.deepEqual(toJSON(policy.evaluate('argocd/deny', { input })!), ['Container db missing CPU limit']);
});

test('seed canary policy: default allow and all checks', () => {
  const source = `package canary
import future.keywords.if
default allow = false
allow if {
  input.image_signature_valid == true
  count(input.vulnerabilities.critical) == 0
  input.resources.limits.cpu
  input.resources.limits.memory
  input.istio_sidecar == true
}`;
  const policy = compileModules([{ file: 'canary.rego', source, regoVersion: 0 }]);
  const ok = { image_signature_valid: true, vulnerabilities: { critical: [] }, resources: { limits: { cpu: '1', memory: '1Gi' } }, istio_sidecar: true };
  assert.equal(policy.evaluate('canary/allow', { input: fromJSON(ok) }), true);
  assert.equal(policy.evaluate('canary/allow', { input: fromJSON({ ...ok, vulnerabilities: { critical: ['CVE-1'] } }) }), false);
  assert.equal(policy.evaluate('canary/allow', { input: fromJSON({ ...ok, istio_sidecar: false }) }), false);
});
