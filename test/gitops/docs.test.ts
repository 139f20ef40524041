// The shipped pre-commit hooks and the manifests in the GitOps docs: they parse, name commands and
// options that exist, and the Canary and webhook configurations carry the fields their APIs require.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { buildProgram } from '../../src/cli/main';
import { REPO } from './helpers';

function yamlBlocks(doc: string): unknown[] {
  const text = readFileSync(join(REPO, 'docs', doc), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length > 0, `${doc} has YAML examples`);
  return blocks.flatMap((b) => YAML.parseAllDocuments(b).map((d) => {
    assert.deepEqual(d.errors, [], `${doc}: ${b.slice(0, 80)}`);
    return d.toJS();
  }));
}

const commandOptions = (name: string) => {
  const cmd = buildProgram().commands.find((c) => c.name() === name);
  assert.ok(cmd, `arbiter ${name} exists`);
  return new Set(cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x)));
};

/** Every `--option` of an `arbiter test|verify ...` command line is one the command knows. */
function assertKnownOptions(line: string): void {
  const m = /arbiter (test|verify)\b(.*)$/.exec(line);
  if (!m) return;
  const known = commandOptions(m[1]);
  for (const opt of m[2].match(/(?<=\s|^)--?[a-z][a-z-]*/g) ?? []) assert.ok(known.has(opt), `${line}: unknown option ${opt}`);
}

describe('GitOps docs and hooks', () => {
  it('.pre-commit-hooks.yaml: complete hooks running existing commands on the right files', () => {
    const hooks = YAML.parse(readFileSync(join(REPO, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, unknown>[];
    assert.deepEqual(hooks.map((h) => h.id), ['arbiter-test', 'arbiter-verify']);
    for (const h of hooks) {
      for (const key of ['id', 'name', 'entry', 'language']) assert.equal(typeof h[key], 'string', `${String(h.id)}.${key}`);
      assertKnownOptions(String(h.entry));
    }
    const files = new RegExp(String(hooks[0].files));
    assert.deepEqual(['a.yaml', 'b/c.yml', 'd.json', 'e.rego', 'f.yaml.bak'].map((f) => files.test(f)), [true, true, true, false, false]);
    assert.ok(new RegExp(String(hooks[1].files)).test('policy/deployment.rego'));
  });

  it('docs/ci.md: the workflow and pre-commit configurations parse and use real options', () => {
    const docs = yamlBlocks('ci.md') as Record<string, unknown>[];
    const workflow = docs.find((d) => d && 'jobs' in d) as { jobs: Record<string, { steps: { run?: string }[] }> };
    assert.ok(workflow, 'a GitHub Actions workflow');
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
    assert.match(runs, /arbiter test .* -o sarif/);
    for (const line of runs.split('\n')) assertKnownOptions(line);
    const precommit = docs.find((d) => d && 'repos' in d) as { repos: { hooks: { id: string; args?: string[] }[] }[] };
    for (const hook of precommit.repos[0].hooks) assertKnownOptions(`arbiter ${hook.id.replace('arbiter-', '')} ${(hook.args ?? []).map((a) => a.split('=')[0]).join(' ')}`);
  });

  it('docs/flagger.md: the Canary has every hook type the gate documents, each pointing at a Flagger gate URL', () => {
    const canaries = (yamlBlocks('flagger.md') as Record<string, unknown>[]).filter((d) => d?.kind === 'Canary') as {
      apiVersion: string;
      spec: { targetRef: unknown; analysis: { webhooks: { type: string; url: string; metadata?: Record<string, unknown> }[] } };
    }[];
    assert.equal(canaries.length, 2);
    assert.deepEqual(canaries[0].spec.analysis.webhooks.map((h) => h.type).sort(), ['confirm-promotion', 'confirm-rollout', 'pre-rollout', 'rollback']);
    for (const canary of canaries) {
      assert.equal(canary.apiVersion, 'flagger.app/v1beta1');
      assert.ok(canary.spec.targetRef);
      for (const h of canary.spec.analysis.webhooks) {
        assert.match(h.url, /^http:\/\/(token:<jwt>@)?[^/@]+\/tenants\/[a-z0-9-]+\/flagger\/canary(\/allow|\/promote|\/rollback)?$/);
        assert.ok(h.url.includes('token:<jwt>@') || h.metadata?.token === '<jwt>', `${h.type} hook carries a token`);
        for (const v of Object.values(h.metadata ?? {})) assert.equal(typeof v, 'string', 'Flagger metadata values are strings');
      }
    }
  });

  it('docs/admission.md: the ValidatingWebhookConfiguration has what admissionregistration/v1 requires', () => {
    const config = (yamlBlocks('admission.md') as Record<string, unknown>[]).find((d) => d?.kind === 'ValidatingWebhookConfiguration') as {
      apiVersion: string;
      webhooks: { name: string; admissionReviewVersions: string[]; sideEffects: string; timeoutSeconds: number; clientConfig: { service: { path: string } } }[];
    };
    assert.equal(config.apiVersion, 'admissionregistration.k8s.io/v1');
    for (const w of config.webhooks) {
      assert.match(w.name, /^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/, 'a fully qualified webhook name');
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.ok(['None', 'NoneOnDryRun'].includes(w.sideEffects));
      assert.ok(w.timeoutSeconds >= 1 && w.timeoutSeconds <= 30);
      assert.match(w.clientConfig.service.path, /^\/tenants\/[a-z0-9-]+\/admission(-review)?\/[a-z0-9_/]+$/);
    }
  });
});
