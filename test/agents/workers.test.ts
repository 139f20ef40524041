// The real server with two cluster workers: agents' long polls land on both workers, and one
// activation (handled by one of them) must answer all of them; both sign with the same key; log
// chunks recorded through the primary stay idempotent.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildBundleFromDir, writeBundle } from '../../src/bundle';
import { OpaDownloader, rawGet, untar, verifyBundle } from './opa-client';
import { request } from '../server-request';

const ROOT = join(__dirname, '..', '..');

describe('agents against two worker processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-agents-workers-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  let child: ChildProcess;
  let token: string;
  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, ARBITER_DATA_DIR: dir, ARBITER_PORT: String(port), ARBITER_WORKERS: '2', ARBITER_LOG_LEVEL: 'warn', ARBITER_BUNDLES_DIR: join(ROOT, 'bundles') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      const res = await rawGet(port, '/health/ready', {}).catch(() => undefined);
      if (res?.status === 200) break;
      if (i > 300 || child.exitCode !== null) throw new Error('server did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();
  });
  after(() => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('one activation answers long polls held by either worker, each signed with the same key', async () => {
    const keys = JSON.parse((await rawGet(port, '/keys', {})).body.toString()).keys;
    const agents = Array.from({ length: 12 }, () => new OpaDownloader(port, '/tenants/demo/bundles/kubernetes', token, 30));
    for (const a of agents) {
      const first = await a.poll();
      assert.equal(first.status, 200);
      verifyBundle(untar(first.body), keys, 'write');
    }
    const waiting = agents.map((a) => a.poll());
    await new Promise((r) => setTimeout(r, 1000));
    const files = (await buildBundleFromDir(join(ROOT, 'bundles', 'kubernetes'))).map((f) =>
      f.path === '.manifest' ? { path: f.path, content: Buffer.from(JSON.stringify({ ...JSON.parse(f.content.toString()), revision: 'workers-test' })) } : f,
    );
    const started = performance.now();
    const put = await request(port, 'PUT', '/tenants/demo/bundles/kubernetes', { token, body: await writeBundle(files), headers: { 'Content-Type': 'application/gzip' }, agent: false });
    assert.equal(put.status, 201, put.body);
    const results = await Promise.all(waiting);
    const lastMs = performance.now() - started;
    for (const r of results) {
      assert.equal(r.status, 200);
      const content = untar(r.body);
      assert.equal(JSON.parse(content.get('.manifest')!.toString()).revision, 'workers-test');
      verifyBundle(content, keys, 'write');
    }
    // Validation (the bundle's tests) and the other worker's recompile are in this time too.
    assert.ok(lastMs < 5000, `last agent answered ${lastMs} ms after the upload started`);
  });

  it('keeps log chunks idempotent when they reach either worker', async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ labels: { id: 'w-agent' }, decision_id: `w-${i}`, path: 'main/deny', result: [], timestamp: new Date(Date.now() + i).toISOString() }));
    const body = gzipSync(JSON.stringify(events));
    for (let i = 0; i < 4; i++) {
      const res = await request(port, 'POST', '/tenants/demo/logs', { token, body, headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, agent: false });
      assert.equal(res.status, 204, res.body);
    }
    const listed = await request(port, 'GET', '/tenants/demo/decisions?source=agent&limit=1000', { token, agent: false });
    assert.equal(JSON.parse(listed.body).result.length, 50);
  });
});
