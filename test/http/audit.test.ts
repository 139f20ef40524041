import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from './spec';
import { createTenant, DEPLOY_POLICY, privilegedDeployment, startService, upload, type TestService } from './helpers';

const MASK = `package system.log

mask contains "/input/password"

mask contains {"op": "upsert", "path": "/input/card", "value": "****"}
`;

describe('audit routes', () => {
  let svc: TestService;
  let audit: { Authorization: string };
  const ids: Record<string, string[]> = { denied: [], allowed: [], undefined: [] };
  let startedAt: string;
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'aud');
    await createTenant(svc, 'quiet');
    assert.equal((await upload(svc, 'aud', 'k8s', { '.manifest': '{"revision":"k","roots":["main"]}', 'main/d.rego': DEPLOY_POLICY })).status, 201);
    assert.equal((await upload(svc, 'aud', 'logmask', { '.manifest': '{"revision":"m","roots":["system/log"]}', 'system/log/mask.rego': MASK })).status, 201);
    audit = { Authorization: `Bearer ${svc.token('aud', 'audit:read')}` };
    startedAt = new Date().toISOString();
    const alice = { Authorization: `Bearer ${svc.token('aud', 'decide', { sub: 'alice' })}` };
    const bob = { Authorization: `Bearer ${svc.token('aud', 'decide', { sub: 'bob' })}` };
    for (let i = 0; i < 7; i++) {
      const res = await svc.http().post('/v1/data/main/deny').set(i % 2 ? bob : alice).send({ input: privilegedDeployment });
      ids.denied.push(res.body.decision_id);
    }
    const good = { kind: 'Deployment', spec: { template: { spec: { securityContext: { runAsNonRoot: true }, containers: [] } } } };
    for (let i = 0; i < 3; i++) ids.allowed.push((await svc.http().post('/v1/data/main/deny').set(alice).send({ input: good })).body.decision_id);
    for (let i = 0; i < 2; i++) ids.undefined.push((await svc.http().post('/v1/data/nothing').set(bob).send({ input: {} })).body.decision_id);
  });
  after(() => svc.close());

  it('lists decisions newest first with filters', async () => {
    const all = await svc.http().get('/tenants/aud/decisions').set(audit);
    assert.equal(all.status, 200);
    assertMatchesSpec('get', '/tenants/{tenant}/decisions', all);
    const every = [...ids.denied, ...ids.allowed, ...ids.undefined];
    assert.deepEqual(all.body.result.map((r: { decision_id: string }) => r.decision_id), [...every].reverse());

    const byOutcome = async (outcome: string) =>
      (await svc.http().get('/tenants/aud/decisions').query({ outcome }).set(audit)).body.result.map((r: { decision_id: string }) => r.decision_id).sort();
    assert.deepEqual(await byOutcome('denied'), [...ids.denied].sort());
    assert.deepEqual(await byOutcome('allowed'), [...ids.allowed].sort());
    assert.deepEqual(await byOutcome('undefined'), [...ids.undefined].sort());

    const bob = await svc.http().get('/tenants/aud/decisions').query({ principal: 'bob' }).set(audit);
    assert.equal(bob.body.result.length, 3 + 2);
    assert.ok(bob.body.result.every((r: { principal: string }) => r.principal === 'bob'));
    const path = await svc.http().get('/tenants/aud/decisions').query({ path: 'nothing' }).set(audit);
    assert.equal(path.body.result.length, 2);
    const bundle = await svc.http().get('/tenants/aud/decisions').query({ bundle: 'k8s', source: 'server', since: startedAt }).set(audit);
    assert.equal(bundle.body.result.length, 12);
    const future = await svc.http().get('/tenants/aud/decisions').query({ since: new Date(Date.now() + 60_000).toISOString() }).set(audit);
    assert.deepEqual(future.body.result, []);
    const past = await svc.http().get('/tenants/aud/decisions').query({ until: startedAt }).set(audit);
    assert.deepEqual(past.body.result, []);
  });

  it('pages with limit and cursor, each record exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await svc.http().get('/tenants/aud/decisions').query({ limit: 5, ...(cursor ? { cursor } : {}) }).set(audit);
      assert.equal(res.status, 200);
      assertMatchesSpec('get', '/tenants/{tenant}/decisions', res);
      assert.ok(res.body.result.length <= 5);
      seen.push(...res.body.result.map((r: { decision_id: string }) => r.decision_id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...ids.denied, ...ids.allowed, ...ids.undefined].sort());
  });

  it('streams every matching record as NDJSON', async () => {
    const res = await svc.http().get('/tenants/aud/decisions').query({ outcome: 'denied' }).set(audit).set('Accept', 'application/x-ndjson').buffer(true).parse((r, cb) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => cb(null, text));
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
    const lines = (res.body as string).trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((r) => r.decision_id).sort(), [...ids.denied].sort());
  });

  it('streams more records than one page holds, each once, in order', async () => {
    await createTenant(svc, 'bulk');
    const base = Date.parse('2026-01-01T00:00:00Z');
    const records = Array.from({ length: 2500 }, (_, i) => ({
      decision_id: `bulk-${String(i).padStart(5, '0')}`,
      tenant: 'bulk',
      source: 'agent' as const,
      path: 'main/deny',
      input: { i },
      result: [],
      bundles: {},
      principal: 'agent-1',
      remote_addr: '10.0.0.1:1234',
      timestamp: new Date(base + i).toISOString(),
      duration_ns: 1000,
    }));
    for (let i = 0; i < records.length; i += 500) await svc.store.appendDecisions(records.slice(i, i + 500));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const res = await svc
      .http()
      .get('/tenants/bulk/decisions')
      .query({ source: 'agent' })
      .set('Authorization', `Bearer ${svc.token('bulk', 'audit:read')}`)
      .set('Accept', 'application/x-ndjson')
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => cb(null, text));
      });
    assert.equal(res.status, 200);
    const ids = (res.body as string).trimEnd().split('\n').map((l) => JSON.parse(l).decision_id as string);
    assert.equal(ids.length, 2500);
    assert.equal(new Set(ids).size, 2500);
    assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first, as the pages are');
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.deepEqual(warnings, [], 'waiting for the client to drain leaks no listeners');
  });

  it('rejects bad filters with 400', async () => {
    for (const query of [{ outcome: 'maybe' }, { source: 'elsewhere' }, { limit: '0' }, { limit: '5000' }, { since: 'yesterday' }, { cursor: '!!!not-a-cursor' }]) {
      const res = await svc.http().get('/tenants/aud/decisions').query(query).set(audit);
      assert.equal(res.status, 400, JSON.stringify(query) + res.text);
      assertMatchesSpec('get', '/tenants/{tenant}/decisions', res);
    }
  });

  it('masks recorded input as the tenant data.system.log.mask says', async () => {
    const res = await svc
      .http()
      .post('/v1/data/main/deny')
      .set('Authorization', `Bearer ${svc.token('aud', 'decide')}`)
      .send({ input: { kind: 'Service', password: 'hunter2', card: '4111 1111 1111 1111', keep: 1 } });
    assert.deepEqual(res.body.result, [], 'masking changes what is recorded, not the answer');
    const rec = await svc.http().get(`/tenants/aud/decisions/${res.body.decision_id}`).set(audit);
    assert.equal(rec.status, 200);
    assertMatchesSpec('get', '/tenants/{tenant}/decisions/{id}', rec);
    assert.deepEqual(rec.body.input, { kind: 'Service', card: '****', keep: 1 });
    assert.deepEqual(rec.body.erased, ['/input/password']);
    assert.deepEqual(rec.body.masked, ['/input/card']);
  });

  it('verifies the hash chain and finds single records', async () => {
    const v = await svc.http().get('/tenants/aud/decisions/verify').set(audit);
    assert.equal(v.status, 200);
    assertMatchesSpec('get', '/tenants/{tenant}/decisions/verify', v);
    assert.equal(v.body.valid, true);
    assert.equal(v.body.records, 13);
    const empty = await svc.http().get('/tenants/quiet/decisions/verify').set('Authorization', `Bearer ${svc.token('quiet', 'audit:read')}`);
    assert.deepEqual(empty.body, { valid: true, records: 0 });
    const missing = await svc.http().get('/tenants/aud/decisions/no-such-id').set(audit);
    assert.equal(missing.status, 404);
    assertMatchesSpec('get', '/tenants/{tenant}/decisions/{id}', missing);
    const foreign = await svc.http().get(`/tenants/quiet/decisions/${ids.denied[0]}`).set('Authorization', `Bearer ${svc.token('quiet', 'audit:read')}`);
    assert.equal(foreign.status, 404, "one tenant's decision ids do not resolve under another");
  });
  it('records the input exactly as the client sent it, from a body, a bare v0 body and ?input=', async () => {
    await createTenant(svc, 'plain');
    assert.equal((await upload(svc, 'plain', 'k8s', { '.manifest': '{"revision":"p","roots":["main"]}', 'main/d.rego': DEPLOY_POLICY })).status, 201);
    const decide = `Bearer ${svc.token('plain', 'decide')}`;
    const read = `Bearer ${svc.token('plain', 'audit:read')}`;
    // Unsorted keys, a null, escapes, and a member beside "input" that is not part of the input.
    const input = { z: [1, null, 'é\u2028'], kind: 'Service', a: { '10': 1, '9': 2 }, 'q"': 'tab\t' };
    const text = JSON.stringify(input);
    const answers = [
      await svc.http().post('/v1/data/main/deny').set('Authorization', decide).set('Content-Type', 'application/json').send(`{"extra": [1, 2], "input": ${text}}`),
      await svc.http().post('/v0/data/main/deny').set('Authorization', decide).set('Content-Type', 'application/json').send(text),
      await svc.http().get('/v1/data/main/deny').query({ input: text }).set('Authorization', decide),
    ];
    for (const res of answers) {
      assert.equal(res.status, 200, res.text);
      const id = res.body.decision_id ?? res.headers['x-decision-id'];
      const rec = await svc.http().get(`/tenants/plain/decisions/${id}`).set('Authorization', read);
      assert.equal(rec.status, 200);
      assert.deepEqual(rec.body.input, input);
      assert.equal(rec.body.extra, undefined);
    }
    const v = await svc.http().get('/tenants/plain/decisions/verify').set('Authorization', read);
    assert.deepEqual(v.body, { valid: true, records: 3 });
  });

  it('answers and records a member named __proto__ like any other, in single and batch decisions', async () => {
    await createTenant(svc, 'proto');
    const echo = 'package echo\n\nout := input\n\nkeys := {k | some k, _ in input}\n';
    assert.equal((await upload(svc, 'proto', 'echo', { '.manifest': '{"revision":"e","roots":["echo"]}', 'echo/echo.rego': echo })).status, 201);
    const decide = `Bearer ${svc.token('proto', 'decide')}`;
    const read = `Bearer ${svc.token('proto', 'audit:read')}`;
    const inputText = '{"b":1,"__proto__":{"polluted":true},"a":{"__proto__":2,"c":3}}';
    const input = JSON.parse(inputText) as Record<string, unknown>;
    const single = await svc.http().post('/v1/data/echo').set('Authorization', decide).set('Content-Type', 'application/json').send(`{"input":${inputText}}`);
    assert.equal(single.status, 200, single.text);
    assert.deepEqual(single.body.result.keys, ['__proto__', 'a', 'b'], 'the policy sees the member');
    assert.ok(Object.hasOwn(single.body.result.out, '__proto__'), single.text);
    assert.deepEqual(single.body.result.out, input);
    const batch = await svc
      .http()
      .post('/v1/batch/data/echo/out')
      .set('Authorization', decide)
      .set('Content-Type', 'application/json')
      .send(`{"common_input":{"__proto__":{"common":1}},"inputs":{"one":${inputText},"__proto__":{"b":2}}}`);
    assert.equal(batch.status, 200, batch.text);
    assert.deepEqual(Object.keys(batch.body.responses).sort(), ['__proto__', 'one'], 'an input named __proto__ is answered like any other');
    // The common input is merged under the item's like any other member.
    const merged = JSON.parse('{"b":1,"__proto__":{"common":1,"polluted":true},"a":{"__proto__":2,"c":3}}') as unknown;
    assert.deepEqual(batch.body.responses.one.result, merged);
    const recorded = [
      [single.body.decision_id, input],
      [batch.body.responses.one.decision_id, merged],
    ] as const;
    for (const [id, evaluated] of recorded) {
      const rec = await svc.http().get(`/tenants/proto/decisions/${id}`).set('Authorization', read);
      assert.equal(rec.status, 200);
      assert.deepEqual(rec.body.input, evaluated, 'the audit log holds the input that was evaluated');
    }
    const v = await svc.http().get('/tenants/proto/decisions/verify').set('Authorization', read);
    assert.deepEqual(v.body, { valid: true, records: 3 });
  });
});
