// Activation is atomic: while versions are switched back and forth, every answer comes wholly from
// one version (two modules of the same bundle agree), and its audit record names that version.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startService, upload, type TestService } from './helpers';

describe('atomic activation', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'swap');
    for (const v of [1, 2]) {
      const res = await upload(svc, 'swap', 'app', {
        '.manifest': JSON.stringify({ revision: `rev-${v}`, roots: ['app'] }),
        'app/a.rego': `package app\n\na := ${v}\n`,
        'app/b.rego': `package app\n\nb := ${v}\n\nlabels := {"x": ${v}, "y": ${v}} if input.go\n`,
      });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(() => svc.close());

  it('answers every request from exactly one version while activations run', async () => {
    const decide = { Authorization: `Bearer ${svc.token('swap', 'decide audit:read')}` };
    const write = { Authorization: `Bearer ${svc.token('swap', 'bundles:write')}` };
    let switching = true;
    const switcher = (async () => {
      let n = 0;
      while (switching) {
        const res = await svc.http().post('/tenants/swap/bundles/app/activate').set(write).send({ version: (n++ % 2) + 1 });
        assert.equal(res.status, 200);
      }
      return n;
    })();
    const answers: { a: number; b: number; revision: string; id: string }[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          const res = await svc.http().post('/v1/data/app?provenance').set(decide).send({ input: { go: true } });
          assert.equal(res.status, 200);
          const r = res.body.result;
          assert.equal(r.a, r.b, `mixed answer ${JSON.stringify(r)}`);
          assert.deepEqual(r.labels, { x: r.a, y: r.a });
          answers.push({ a: r.a, b: r.b, revision: res.body.provenance.bundles.app.revision, id: res.body.decision_id });
        }
      }),
    );
    switching = false;
    const switches = await switcher;
    assert.ok(switches >= 2, 'activations happened during the requests');
    const seen = new Set(answers.map((x) => x.a));
    assert.ok(seen.size >= 1);
    for (const x of answers) assert.equal(x.revision, `rev-${x.a}`, 'provenance names the version that answered');
    for (const x of answers.slice(0, 40)) {
      const rec = await svc.http().get(`/tenants/swap/decisions/${x.id}`).set(decide);
      assert.equal(rec.body.bundles.app.version, x.a, 'the audit record names the version that answered');
    }
  });
});
