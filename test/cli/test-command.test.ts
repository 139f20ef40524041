// `arbiter test` as CI runs it: inputs (files, folders, multi-document YAML, stdin), namespaces,
// exit codes with --fail-on-warn and --no-fail, errors, and the same answers offline and through
// the server for a policy with warnings, exceptions and metadata.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arbiterTest, folder, REPO, startGitopsService, type GitopsService } from '../gitops/helpers';

const MAIN = `package main

deny contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	c.securityContext.privileged
	msg := sprintf("Container %s is privileged", [c.name])
}

deny_latest contains {"msg": sprintf("%s uses a latest tag", [c.name]), "severity": "high"} if {
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
}

warn contains "Service without app label" if {
	input.kind == "Service"
	not input.metadata.labels.app
}

exception contains ["latest"] if input.metadata.name == "sandbox"
`;

const SECURITY = `package security.network

violation contains {"msg": "LoadBalancer services must be internal"} if input.spec.type == "LoadBalancer"
`;

const manifests = {
  'deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:latest
          securityContext:
            privileged: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sandbox
spec:
  template:
    spec:
      containers:
        - name: tool
          image: busybox:latest
`,
  'service.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer' } }),
};

const SERVICE_ONLY = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP\n';

describe('arbiter test', () => {
  let policyDir: string;
  let inputs: string;
  let svc: GitopsService;
  before(async () => {
    policyDir = folder({ 'main.rego': MAIN });
    mkdirSync(join(policyDir, 'security'));
    writeFileSync(join(policyDir, 'security', 'network.rego'), SECURITY);
    inputs = folder(manifests);
    svc = await startGitopsService('ci', [], {
      rules: { '.manifest': JSON.stringify({ revision: 'r1', roots: ['main', 'security'] }), 'main/main.rego': MAIN, 'security/network.rego': SECURITY },
    });
  });
  after(() => svc.close());

  it('checks every document of a folder and adds up multi-document files per file and namespace', async () => {
    const run = await arbiterTest([inputs], { policy: [policyDir], output: 'json' });
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(
      out.map((r: { filename: string; namespace: string }) => `${r.filename.slice(inputs.length + 1)} ${r.namespace}`),
      ['deploy.yaml main', 'service.json main'],
    );
    const deploy = out[0];
    assert.deepEqual(deploy.failures, [
      { msg: 'Container app is privileged', loc: { file: join(inputs, 'deploy.yaml'), line: 1 } },
      { msg: 'app uses a latest tag', loc: { file: join(inputs, 'deploy.yaml'), line: 1 }, metadata: { severity: 'high' } },
    ]);
    assert.deepEqual(deploy.exceptions, [{ msg: 'data.main.exception[_][_] == "latest"', loc: { file: join(inputs, 'deploy.yaml'), line: 14 } }]);
    assert.equal(deploy.successes, 0 + 1 + 2, 'second document: deny and warn pass; first: warn passes');
    assert.deepEqual(out[1].warnings.map((w: { msg: string }) => w.msg), ['Service without app label']);
  });

  it('--namespace (repeatable) and --all-namespaces choose the packages', async () => {
    const both = await arbiterTest([join(inputs, 'service.json')], { policy: [policyDir], namespace: ['main', 'security.network'], output: 'json' });
    const all = await arbiterTest([join(inputs, 'service.json')], { policy: [policyDir], allNamespaces: true, output: 'json' });
    assert.equal(both.stdout, all.stdout);
    const out = JSON.parse(all.stdout);
    assert.deepEqual(out.map((r: { namespace: string }) => r.namespace), ['main', 'security.network']);
    assert.deepEqual(out[1].failures, [{ msg: 'LoadBalancer services must be internal', loc: { file: join(inputs, 'service.json'), line: 1 } }]);
  });

  it("exit codes follow Conftest's: warnings 0, or 1 with --fail-on-warn; failures 1, or 2 with --fail-on-warn; --no-fail 0", async () => {
    const onlyWarn = folder({ 'svc.yaml': SERVICE_ONLY });
    assert.equal((await arbiterTest([onlyWarn], { policy: [policyDir] })).code, 0);
    assert.equal((await arbiterTest([onlyWarn], { policy: [policyDir], failOnWarn: true })).code, 1);
    assert.equal((await arbiterTest([inputs], { policy: [policyDir] })).code, 1);
    assert.equal((await arbiterTest([inputs], { policy: [policyDir], failOnWarn: true })).code, 2);
    assert.equal((await arbiterTest([inputs], { policy: [policyDir], fail: false, failOnWarn: true })).code, 0);
  });

  it('--data merges JSON and YAML files into data by folder path', async () => {
    const policy = folder({
      'registry.rego': 'package main\n\ndeny contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tnot startswith(c.image, data.config.registries.allowed)\n\tmsg := sprintf("%s: registry not allowed", [c.image])\n}\n',
    });
    const dataDir = folder({});
    mkdirSync(join(dataDir, 'config'));
    writeFileSync(join(dataDir, 'config', 'registries.yaml'), 'registries:\n  allowed: registry.example.com/\n');
    const run = await arbiterTest([join(inputs, 'deploy.yaml')], { policy: [policy], data: [dataDir], output: 'json' });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout)[0].failures.map((f: { msg: string }) => f.msg), ['nginx:latest: registry not allowed', 'busybox:latest: registry not allowed']);
    const missing = await arbiterTest([inputs], { policy: [policy], data: [join(dataDir, 'none')] });
    assert.match(missing.stderr, /data .*none: no such file/);
  });

  it('--data keeps members and folders named __proto__ as data, without touching Object.prototype', async () => {
    const policy = folder({
      'proto.rego': 'package main\n\ndeny contains "file member" if data.docs["__proto__"].polluted == "yes"\n\ndeny contains "folder" if data["__proto__"].folder == true\n',
    });
    const dataDir = folder({ 'docs.json': '{"docs": {"__proto__": {"polluted": "yes"}}, "__proto__": {"polluted": "yes"}}' });
    mkdirSync(join(dataDir, '__proto__'));
    writeFileSync(join(dataDir, '__proto__', 'f.json'), '{"folder": true}');
    const run = await arbiterTest([join(inputs, 'deploy.yaml')], { policy: [policy], data: [dataDir], output: 'json' });
    const prototype = Object.prototype as Record<string, unknown>;
    const leaked = { polluted: prototype.polluted, folder: prototype.folder };
    delete prototype.polluted;
    delete prototype.folder;
    assert.deepEqual(leaked, { polluted: undefined, folder: undefined }, 'data files wrote into Object.prototype');
    assert.equal(run.code, 1, run.stderr);
    const messages = new Set(JSON.parse(run.stdout)[0].failures.map((f: { msg: string }) => f.msg));
    assert.deepEqual([...messages].sort(), ['file member', 'folder'], 'the policy did not see the data under __proto__');
  });

  it('reads standard input as YAML with -', async () => {
    const run = await arbiterTest(['-'], { policy: [policyDir] }, {}, manifests['deploy.yaml']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^FAIL - main - Container app is privileged$/m);
    assert.match(run.stdout, /^EXCP - main - data\.main\.exception/m);
    assert.match(run.stdout, /^6 tests, 3 passed, 0 warnings, 2 failures, 1 exception$/m);
  });

  it('reports unreadable input, policies that do not compile and bad options on stderr with exit 1', async () => {
    const badYaml = folder({ 'x.yaml': 'a: [1, 2\nb: c\n' });
    const cases: [Promise<{ code: number; stderr: string; stdout: string }>, RegExp][] = [
      [arbiterTest([badYaml], { policy: [policyDir] }), /x\.yaml:\d+: invalid YAML/],
      [arbiterTest([join(inputs, 'missing.yaml')], { policy: [policyDir] }), /missing\.yaml: no such file/],
      [arbiterTest([join(REPO, 'README.md')], { policy: [policyDir] }), /unsupported file type/],
      [arbiterTest([inputs], { policy: [folder({ 'p.rego': 'package main\n\ndeny contains x if {\n' })] }), /rego_parse_error/],
      [arbiterTest([inputs], { policy: [join(inputs, 'nowhere')] }), /policy .*nowhere: no such file/],
      [arbiterTest([inputs], { policy: [policyDir], output: 'xml' }), /unknown output format 'xml'/],
      [arbiterTest([inputs], { policy: [policyDir], namespace: ['main', 'a b'] }), /invalid namespace "a b"/],
      [arbiterTest([inputs], { policy: [folder({ 'p.rego': 'package main\n\ndeny contains {"text": "x"} if true\n' })] }), /deploy\.yaml:1: namespace main: rule data\.main\.deny missing msg field/],
      [arbiterTest([inputs], { server: svc.url }), /needs a token in ARBITER_TOKEN/],
      [arbiterTest([inputs], { server: svc.url, policy: [policyDir] }), /--policy and --data do not go with --server/],
      [arbiterTest([inputs], { server: svc.url, tenant: 'ci' }, { ARBITER_TOKEN: svc.token('other', 'decide') }), /answered 403: unauthorized token is not valid for tenant ci/],
      [arbiterTest([inputs], { server: svc.url }, { ARBITER_TOKEN: svc.token('*', 'admin') }), /valid for every tenant: pass --tenant/],
    ];
    for (const [run, pattern] of cases) {
      const r = await run;
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });

  it('gives the same answers offline and through the server, in every format', async () => {
    const env = { ARBITER_TOKEN: svc.token('ci', 'decide') };
    for (const output of ['json', 'stdout', 'tap', 'table', 'junit', 'github', 'sarif']) {
      for (const namespaces of [{ allNamespaces: true }, { namespace: ['main'] }]) {
        const offline = await arbiterTest([inputs], { policy: [policyDir], output, ...namespaces });
        const online = await arbiterTest([inputs], { server: svc.url, output, ...namespaces }, env);
        assert.equal(online.stderr, '');
        assert.equal(online.code, offline.code);
        assert.equal(online.stdout, offline.stdout, `${output} ${JSON.stringify(namespaces)}`);
      }
    }
  });

  it('runs as the installed command, with the exit code of the check', () => {
    const bin = join(REPO, 'bin', 'arbiter.js');
    const run = spawnSync(process.execPath, [bin, 'test', '--policy', policyDir, '-o', 'tap', join(inputs, 'deploy.yaml')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^1\.\.6$/m);
    assert.match(run.stdout, /^not ok 1 - .*deploy\.yaml - main - Container app is privileged$/m);
  });
});
