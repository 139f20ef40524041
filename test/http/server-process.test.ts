// The real server, as `npm start` runs it (demo bootstrap; two cluster workers, and one process
// acknowledging after the commit with ARBITER_AUDIT_DURABILITY=process), under load and then
// killed with SIGKILL: every decision a client got an answer for must be in the audit log, and the
// tenant's hash chain must still verify.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../src/audit/chain';
import { openSqliteStore } from '../../src/store/sqlite';

const ROOT = join(__dirname, '..', '..');

function post(agent: http.Agent, port: number, path: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/health/ready' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not become ready');
}

describe('the server process', () => {
  const dirs: string[] = [];
  let child: ChildProcess | undefined;
  after(() => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const setups = [
    { workers: '2', durability: 'disk' },
    { workers: '1', durability: 'process' },
  ];
  for (const { workers, durability } of setups) it(`loses no acknowledged decision when killed under load (${workers} worker(s), ${durability} durability)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-crash-'));
    dirs.push(dir);
    const port = 20000 + Math.floor(Math.random() * 20000);
    let stderr = '';
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      detached: true,
      env: {
        ...process.env,
        ARBITER_DATA_DIR: dir,
        ARBITER_PORT: String(port),
        ARBITER_WORKERS: workers,
        ARBITER_AUDIT_DURABILITY: durability,
        ARBITER_LOG_LEVEL: 'warn',
        ARBITER_BUNDLES_DIR: join(ROOT, 'bundles'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitReady(port, child);
    const token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();

    const input = JSON.stringify({
      input: { kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'web', securityContext: { privileged: true } }] } } } },
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const acknowledged: string[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        try {
          const res = await post(agent, port, '/v1/data/main/deny', token, input);
          if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`);
          acknowledged.push(JSON.parse(res.body).decision_id);
        } catch (e) {
          if (!killed) throw e;
        }
      }
    };
    const loops = Array.from({ length: 16 }, worker);
    while (acknowledged.length < 2000) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    process.kill(-child.pid!, 'SIGKILL');
    await Promise.all(loops);
    agent.destroy();
    await new Promise((r) => setTimeout(r, 300));

    const store = openSqliteStore(join(dir, 'arbiter.db'));
    await store.init();
    try {
      const lost: string[] = [];
      for (const id of acknowledged) if (!(await store.getDecision('demo', id))) lost.push(id);
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged decisions missing`);
      const chain = await verifyChain(store, 'demo');
      assert.equal(chain.valid, true, JSON.stringify(chain));
      assert.ok(chain.records >= acknowledged.length);
    } finally {
      await store.close();
    }
    assert.ok(!/fatal/i.test(stderr), stderr);
  });

  it('on SIGTERM answers what is in flight, flushes the audit log and exits cleanly', async () => {
    const shutdownDir = mkdtempSync(join(tmpdir(), 'arbiter-term-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ARBITER_DATA_DIR: shutdownDir, ARBITER_PORT: String(port), ARBITER_WORKERS: '1', ARBITER_LOG_LEVEL: 'warn', ARBITER_BUNDLES_DIR: join(ROOT, 'bundles') },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    try {
      await waitReady(port, server);
      const token = readFileSync(join(shutdownDir, 'demo.token'), 'utf8').trim();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const answered: string[] = [];
      const failures: string[] = [];
      let stopping = false;
      let terminated = false;
      const loop = async () => {
        while (!stopping) {
          try {
            const res = await post(agent, port, '/v1/data/main/deny', token, JSON.stringify({ input: { kind: 'Deployment' } }));
            if (res.status === 200) answered.push(JSON.parse(res.body).decision_id);
            else failures.push(`status ${res.status}`);
          } catch (e) {
            // Once the server stops accepting, a new request may be refused or its idle keep-alive
            // socket closed under it: never processed, so never answered. Before that, no error.
            if (!terminated) failures.push((e as Error).message);
          }
        }
      };
      const loops = Array.from({ length: 8 }, loop);
      while (answered.length < 200) await new Promise((r) => setTimeout(r, 10));
      const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
      terminated = true;
      server.kill('SIGTERM');
      const code = await exited;
      stopping = true;
      await Promise.all(loops);
      agent.destroy();
      assert.equal(code, 0, 'clean exit');
      assert.deepEqual(failures, []);
      const store = openSqliteStore(join(shutdownDir, 'arbiter.db'));
      await store.init();
      try {
        for (const id of answered) assert.ok(await store.getDecision('demo', id), id);
        assert.equal((await verifyChain(store, 'demo')).valid, true);
      } finally {
        await store.close();
      }
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
      rmSync(shutdownDir, { recursive: true, force: true });
    }
  });
});
