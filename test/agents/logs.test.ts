// Decision-log uploads from agents: the same audit log as the service's own decisions, source
// `agent`, idempotent on decision_id, all-or-nothing, and typed 400s for bad chunks.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createTenant, startService, type TestService } from '../http/helpers';
import { assertMatchesSpec } from '../http/spec';

const SAMPLE = join(__dirname, '..', 'fixtures', 'opa-samples', 'opa-0.61-decision-log-chunk.json');
const sampleChunk = (): Record<string, unknown>[] => JSON.parse(readFileSync(SAMPLE, 'utf8'));

/** Sends the bytes as they are (superagent would JSON-encode a Buffer sent as application/json). */
const asIs = (body: unknown) => body as string;

function event(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    labels: { id: 'agent-1', version: '0.61.0', cluster: 'prod-eu-1' },
    decision_id: id,
    bundles: { k8s: { revision: 'r1' } },
    path: 'main/deny',
    input: { kind: 'Deployment' },
    result: ['denied'],
    requested_by: '10.0.0.1:5000',
    timestamp: '2026-11-26T21:39:12.124097835Z',
    metrics: { timer_server_handler_ns: 800717 },
    ...overrides,
  };
}

describe('decision logs from agents', () => {
  let svc: TestService;
  let agent: string;
  let auditor: string;
  before(async () => {
    svc = await startService({ ARBITER_AGENT_LOG_MAX_BYTES: '4096' });
    await createTenant(svc, 'logs');
    await createTenant(svc, 'other');
    agent = svc.token('logs', 'agent', { sub: 'agent:prod-eu-1' });
    auditor = svc.token('logs', 'audit:read');
  });
  after(() => svc.close());

  const post = (body: Buffer, token = agent, tenant = 'logs') =>
    svc.http().post(`/tenants/${tenant}/logs`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize(asIs).send(body);
  const agentRecords = async () => {
    const res = await svc.http().get('/tenants/logs/decisions?source=agent&limit=1000').set('Authorization', `Bearer ${auditor}`);
    assert.equal(res.status, 200);
    return res.body.result as Record<string, unknown>[];
  };

  it('records a real OPA chunk once, however often the agent retries it', async () => {
    const chunk = sampleChunk();
    const body = gzipSync(JSON.stringify(chunk));
    const first = await post(body);
    assert.equal(first.status, 204, first.text);
    assertMatchesSpec('post', '/tenants/{tenant}/logs', first);
    assert.equal((await post(body)).status, 204);
    assert.equal((await post(body)).status, 204);
    const records = await agentRecords();
    assert.equal(records.length, chunk.length);
    const byId = new Map(records.map((r) => [r.decision_id, r]));
    for (const e of chunk) {
      const r = byId.get(e.decision_id);
      assert.ok(r, `decision ${String(e.decision_id)} recorded`);
      assert.equal(r.source, 'agent');
      assert.equal(r.path, e.path);
      assert.deepEqual(r.labels, e.labels);
      assert.deepEqual(r.input, e.input);
      assert.deepEqual(r.result, e.result);
      assert.deepEqual(r.bundles, e.bundles);
      assert.equal(r.timestamp, e.timestamp);
      assert.equal(r.principal, 'agent:prod-eu-1');
    }
    const undefinedOne = chunk.find((e) => !('result' in e));
    assert.ok(undefinedOne, 'the sample ends with an undefined decision');
    assert.equal('result' in byId.get(undefinedOne.decision_id)!, false);
    const verify = await svc.http().get('/tenants/logs/decisions/verify').set('Authorization', `Bearer ${auditor}`);
    assert.equal(verify.body.valid, true);
    assert.equal(verify.body.records, chunk.length);
  });

  it('refuses a chunk with one bad event whole, naming the event', async () => {
    const before = (await agentRecords()).length;
    const chunk = [event('good-1'), event('good-2'), event('good-3'), event('', {})];
    const res = await post(gzipSync(JSON.stringify(chunk)));
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'invalid_parameter');
    assert.match(res.body.message, /^event 3: decision_id must be a non-empty string/);
    assertMatchesSpec('post', '/tenants/{tenant}/logs', res);
    const badTime = await post(gzipSync(JSON.stringify([event('good-4'), event('t', { timestamp: 'yesterday' })])));
    assert.equal(badTime.status, 400);
    assert.match(badTime.body.message, /event 1: timestamp "yesterday" is not RFC 3339/);
    const noAgent = await post(gzipSync(JSON.stringify([event('good-5', { labels: { version: '1' } })])));
    assert.equal(noAgent.status, 400);
    assert.match(noAgent.body.message, /labels\.id/);
    assert.equal((await agentRecords()).length, before, 'nothing of a refused chunk was stored');
    // The same events, fixed, go through.
    assert.equal((await post(gzipSync(JSON.stringify(chunk.slice(0, 3))))).status, 204);
    assert.equal((await agentRecords()).length, before + 3);
  });

  it('answers 400 with a reason to bodies that are not a gzip JSON array or are too large', async () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('not gzip at all'), /could not decompress the body/],
      [gzipSync('{"decision_id": "x"}'), /must be a JSON array/],
      [gzipSync('[{"decision_id": '), /malformed input document/],
      [Buffer.alloc(5000, 7), /compressed request body too large/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, `${message}: ${res.status} ${res.text}`);
      assert.match(res.body.message, message);
    }
    const plainBig = await svc.http().post('/tenants/logs/logs').set('Authorization', `Bearer ${agent}`).set('Content-Type', 'application/json').send(JSON.stringify([event('big', { input: 'x'.repeat(5000) })]));
    assert.equal(plainBig.status, 400);
    assert.match(plainBig.body.message, /request body too large/);
  });

  it('accepts uncompressed chunks too, and keeps agents to their own tenant', async () => {
    const plain = await svc.http().post('/tenants/logs/logs').set('Authorization', `Bearer ${agent}`).set('Content-Type', 'application/json').send(JSON.stringify([event('plain-1', { path: '/main/deny' })]));
    assert.equal(plain.status, 204);
    const r = (await agentRecords()).find((x) => x.decision_id === 'plain-1');
    assert.equal(r?.path, 'main/deny', 'a leading slash is dropped');
    const body = gzipSync(JSON.stringify([event('foreign-1')]));
    assert.equal((await post(body, svc.token('other', 'agent'))).status, 403);
    assert.equal((await post(body, svc.token('logs', 'decide bundles:read'))).status, 403);
    assert.equal((await agentRecords()).some((x) => x.decision_id === 'foreign-1'), false);
  });
});
