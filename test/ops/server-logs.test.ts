// The real server with two cluster workers, logging at debug: every stdout line is one JSON object,
// every request line carries its request id (the client's own X-Request-Id when it sent one), and
// neither tokens nor decision inputs appear anywhere. /metrics, whichever worker answers it,
// counts the decisions of both workers and the audit commits of the primary.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from '../../src/bundle';
import { mintToken } from '../../src/http/auth';
import { parsePrometheus } from './prometheus';
import { request } from '../server-request';

const ROOT = join(__dirname, '..', '..');
const SECRET = 'log-test-secret-0123456789abcdef';
const MARKER = 'do-not-log-me-7f3a9c';

// A new connection per request, so the kernel spreads them over both workers.
const send = (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string) =>
  request(port, method, path, { headers, body, agent: false });

describe('server logs and metrics with two workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-logs-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  let child: ChildProcess;
  let stdout = '';
  const admin = mintToken(SECRET, { tenant: '*', scope: 'admin', sub: 'admin', ttlSeconds: 600 });
  const writer = mintToken(SECRET, { tenant: 'logs', scope: 'bundles:write', sub: 'ci', ttlSeconds: 600 });
  const client = mintToken(SECRET, { tenant: 'logs', scope: 'decide', sub: 'client', ttlSeconds: 600 });
  const scraper = mintToken(SECRET, { tenant: '*', scope: 'metrics', sub: 'prometheus', ttlSeconds: 600 });
  const decisionIds: string[] = [];

  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ARBITER_DATA_DIR: dir, ARBITER_PORT: String(port), ARBITER_WORKERS: '2', ARBITER_DEMO: 'false', ARBITER_JWT_SECRET: SECRET, ARBITER_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const deadline = Date.now() + 120_000;
    for (;;) {
      assert.equal(child.exitCode, null, 'the server exited early');
      assert.ok(Date.now() < deadline, 'the server did not become ready');
      // Both workers listen once "arbiter is serving" has been logged by the primary.
      if (stdout.includes('arbiter is serving')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers requests, some with the client\'s request id, one with a bad token', async () => {
    const json = { 'Content-Type': 'application/json' };
    assert.equal((await send(port, 'POST', '/tenants', { ...json, Authorization: `Bearer ${admin}` }, JSON.stringify({ id: 'logs', name: 'Logs' }))).status, 201);
    const archive = await writeBundle([
      { path: '.manifest', content: Buffer.from('{"roots": ["app"]}') },
      { path: 'app/p.rego', content: Buffer.from('package app\n\ndeny contains "secret" if input.password\n') },
    ]);
    const put = await send(port, 'PUT', '/tenants/logs/bundles/app', { 'Content-Type': 'application/gzip', Authorization: `Bearer ${writer}`, 'X-Request-Id': 'upload-1' }, archive);
    assert.equal(put.status, 201, put.body);
    assert.equal(put.headers['x-request-id'], 'upload-1');
    // The worker that took the upload tells the other through the primary; on a loaded machine
    // that message can trail the response, and this test is about logs, not that relay.
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 10; i++) {
      const res = await send(port, 'POST', '/v1/data/app/deny', { ...json, Authorization: `Bearer ${client}`, 'X-Request-Id': `decision-${i}` }, JSON.stringify({ input: { password: MARKER } }));
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(JSON.parse(res.body).result, ['secret']);
      decisionIds.push(JSON.parse(res.body).decision_id);
    }
    const get = await send(port, 'GET', `/v1/data/app/deny?input=${encodeURIComponent(JSON.stringify({ password: MARKER }))}`, { Authorization: `Bearer ${client}` });
    assert.equal(get.status, 200);
    decisionIds.push(JSON.parse(get.body).decision_id);
    assert.match(String(get.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'a generated request id');
    const bad = await send(port, 'GET', '/tenants/logs/bundles', { Authorization: `Bearer ${client}x` });
    assert.equal(bad.status, 401);
  });

  it('merges the metrics of both workers and the primary', async () => {
    let seen = 0;
    for (let i = 0; i < 4; i++) {
      const res = await send(port, 'GET', '/metrics', { Authorization: `Bearer ${scraper}` });
      assert.equal(res.status, 200, res.body);
      const m = parsePrometheus(res.body);
      assert.equal(m.get('arbiter_decisions_total{tenant="logs",path="app/deny",outcome="denied"}'), decisionIds.length);
      assert.ok((m.get('arbiter_audit_records_total{result="committed"}') ?? 0) >= decisionIds.length, 'commits happen in the primary');
      assert.equal(m.get('arbiter_bundle_activations_total{tenant="logs",bundle="app",change="activate"}'), 1);
      seen = Math.max(seen, m.get('arbiter_decision_duration_seconds_count{tenant="logs"}') ?? 0);
    }
    assert.equal(seen, decisionIds.length);
  });

  it('wrote one JSON object per line, with request ids and without tokens or inputs', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const lines = stdout.split('\n').filter((l) => l !== '');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) {
      assert.equal(typeof e.level, 'number');
      assert.equal(typeof e.time, 'string');
      assert.equal(typeof e.pid, 'number');
    }
    for (const secret of [MARKER, admin, writer, client, scraper, SECRET, client.split('.')[2]]) {
      assert.ok(!stdout.includes(secret), `the logs contain ${secret.slice(0, 12)}...`);
    }
    const requests = entries.filter((e) => e.msg === 'request');
    const byId = new Map(requests.map((e) => [e.req_id, e]));
    assert.equal(byId.get('upload-1')?.status, 201);
    assert.equal(byId.get('upload-1')?.level, 30);
    for (let i = 0; i < 10; i++) {
      const line = byId.get(`decision-${i}`);
      assert.ok(line, `decision-${i} was logged`);
      assert.equal(line.level, 20, 'decisions are logged at debug');
      assert.equal(line.decision_id, decisionIds[i]);
      assert.equal(line.path, '/v1/data/app/deny');
    }
    const unauthenticated = requests.find((e) => e.status === 401);
    assert.ok(unauthenticated && typeof unauthenticated.req_id === 'string');
    const getLine = requests.find((e) => e.decision_id === decisionIds[10]);
    assert.equal(getLine?.path, '/v1/data/app/deny', 'the query string (with its input) is not logged');
    assert.equal(new Set(requests.map((e) => e.pid)).size, 2, 'both workers served requests');
  });
});
