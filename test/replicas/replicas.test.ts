// Three server processes on one PostgreSQL schema, as `ARBITER_DATABASE_URL=postgres://...` runs
// replicas: they start together (migrations once), an activation through replica A is served by B
// and C and wakes their long polls within a second, their decisions form one valid hash chain, and
// a replica killed under load loses no decision it acknowledged.
//
// Needs ARBITER_TEST_POSTGRES_URL (CI sets it; e.g. postgres://postgres@127.0.0.1:5432/test).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { verifyChain } from '../../src/audit/chain';
import { writeBundle } from '../../src/bundle';
import { mintToken } from '../../src/http/auth';
import { openPostgresStore } from '../../src/store/postgres';
import { request } from '../server-request';

const ROOT = join(__dirname, '..', '..');
const baseUrl = process.env.ARBITER_TEST_POSTGRES_URL;
const SKIP = baseUrl ? false : 'skipped: ARBITER_TEST_POSTGRES_URL is not set (CI sets it; e.g. postgres://postgres@127.0.0.1:5432/test)';
const SECRET = 'replica-test-secret-0123456789abcdef';
const TENANT = 'fleet';

class Replica {
  child: ChildProcess;
  stderr = '';
  stdout = '';
  /** Set when the test stops it: requests failing from then on are expected. */
  stopping = false;

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env, ARBITER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
  }

  async ready(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`replica ${this.name} exited with ${this.child.exitCode}: ${this.stderr}${this.stdout}`);
      const ok = await request(this.port, 'GET', '/health/ready').then((r) => r.status === 200, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`replica ${this.name} not ready: ${this.stderr}`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stop(signal: NodeJS.Signals): Promise<number | null> {
    this.stopping = true;
    if (!this.running) return Promise.resolve(this.child.exitCode);
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}

function policyBundle(version: number): Promise<Buffer> {
  const files = {
    '.manifest': JSON.stringify({ revision: `rev-${version}`, roots: ['app'] }),
    'app/policy.rego': `package app\n\nversion := ${version}\n\ndeny contains "privileged" if input.privileged\n`,
  };
  return writeBundle(Object.entries(files).map(([path, content]) => ({ path, content: Buffer.from(content) })));
}

describe('replicas on one PostgreSQL database', { skip: SKIP }, () => {
  const schema = `arbiter_replicas_${process.pid}_${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'arbiter-replicas-'));
  const replicas: Replica[] = [];
  const admin = mintToken(SECRET, { tenant: '*', scope: 'admin', sub: 'admin', ttlSeconds: 3600 });
  const writer = mintToken(SECRET, { tenant: TENANT, scope: 'bundles:write bundles:read', sub: 'ci', ttlSeconds: 3600 });
  const agentToken = mintToken(SECRET, { tenant: TENANT, scope: 'agent', sub: 'agent', ttlSeconds: 3600 });
  const clientToken = (replica: string) => mintToken(SECRET, { tenant: TENANT, scope: 'decide', sub: `client-of-${replica}`, ttlSeconds: 3600 });
  const [a, b, c] = [0, 1, 2].map((i) => () => replicas[i]);

  const decideVersion = async (r: Replica): Promise<number | undefined> => {
    const res = await request(r.port, 'POST', '/v1/data/app/version', { token: clientToken(r.name), body: '{"input": {}}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 200, res.body);
    return JSON.parse(res.body).result;
  };

  before(async () => {
    const url = new URL(baseUrl!);
    url.searchParams.set('schema', schema);
    const port = 20000 + Math.floor(Math.random() * 20000);
    // One data directory for all, as a shared volume or secret would be: the same bundle-signing key.
    const env = { ARBITER_DATABASE_URL: url.toString(), ARBITER_JWT_SECRET: SECRET, ARBITER_DATA_DIR: dataDir, ARBITER_WORKERS: '1', ARBITER_DEMO: 'false', ARBITER_LOG_LEVEL: 'warn' };
    for (const [i, name] of ['a', 'b', 'c'].entries()) replicas.push(new Replica(name, port + i, env));
    await Promise.all(replicas.map((r) => r.ready()));
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
    const client = new Client({ connectionString: baseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('applied the migrations once though the three started together', async () => {
    const client = new Client({ connectionString: baseUrl });
    await client.connect();
    try {
      const rows = (await client.query(`SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version`)).rows;
      assert.ok(rows.length > 0);
      for (const r of rows) assert.equal(r.n, 1);
    } finally {
      await client.end();
    }
  });

  it('serves an activation made through A from B and C within a second, waking their long polls', async () => {
    assert.equal((await request(a().port, 'POST', '/tenants', { token: admin, body: JSON.stringify({ id: TENANT, name: 'Fleet' }), headers: { 'Content-Type': 'application/json' } })).status, 201);
    const put = (version: number) => policyBundle(version).then((body) => request(a().port, 'PUT', `/tenants/${TENANT}/bundles/app`, { token: writer, body, headers: { 'Content-Type': 'application/gzip' } }));
    assert.equal((await put(1)).status, 201);
    for (const r of replicas) assert.equal(await decideVersion(r), 1, `replica ${r.name} serves version 1`);

    // Agents long-poll B and C with the ETag of version 1.
    const etag = (await request(b().port, 'GET', `/tenants/${TENANT}/bundles/app`, { token: agentToken })).headers.etag as string;
    assert.ok(etag);
    const woken: Record<string, { at: number; status: number; etag?: string }> = {};
    const polls = [b(), c()].map((r) =>
      request(r.port, 'GET', `/tenants/${TENANT}/bundles/app`, { token: agentToken, headers: { 'If-None-Match': etag, Prefer: 'modes=snapshot;wait=30' } }).then((res) => {
        woken[r.name] = { at: performance.now(), status: res.status, etag: res.headers.etag as string | undefined };
      }),
    );
    await new Promise((r) => setTimeout(r, 300)); // the polls are held by now

    const sent = performance.now();
    const activated = await put(2);
    const acknowledged = performance.now();
    assert.equal(activated.status, 201, activated.body);
    const servedAfter: Record<string, number> = {};
    await Promise.all(
      [b(), c()].map(async (r) => {
        while ((await decideVersion(r)) !== 2) {
          assert.ok(performance.now() - acknowledged < 5000, `replica ${r.name} still serves version 1 after 5 s`);
        }
        servedAfter[r.name] = performance.now() - acknowledged;
      }),
    );
    await Promise.all(polls);
    const report = {
      upload_ms: Math.round(acknowledged - sent),
      served_ms: servedAfter,
      long_poll_ms: Object.fromEntries(Object.entries(woken).map(([n, w]) => [n, Math.round(w.at - acknowledged)])),
    };
    console.log(`activation through A, then served by the others: ${JSON.stringify(report)}`);
    for (const name of ['b', 'c']) {
      assert.ok(servedAfter[name] < 1000, `replica ${name} served the new version ${servedAfter[name]} ms after the activation`);
      assert.equal(woken[name].status, 200);
      assert.notEqual(woken[name].etag, etag);
      assert.ok(woken[name].at - acknowledged < 1000, `long poll on ${name} woke ${woken[name].at - acknowledged} ms after the activation`);
    }
  });

  it('catches up with an activation made while the others had lost their listening connection', async () => {
    const client = new Client({ connectionString: baseUrl });
    await client.connect();
    try {
      const listeners = await client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
        [`LISTEN "arbiter_bundle_activated_${schema}"`],
      );
      assert.equal(listeners.rowCount, 3, 'one listening connection per replica');
    } finally {
      await client.end();
    }
    // Announced while nobody listens: B and C only learn of it by reloading once reconnected.
    const body = await policyBundle(3);
    assert.equal((await request(a().port, 'PUT', `/tenants/${TENANT}/bundles/app`, { token: writer, body, headers: { 'Content-Type': 'application/gzip' } })).status, 201);
    const started = performance.now();
    for (const r of [b(), c()]) {
      while ((await decideVersion(r)) !== 3) {
        assert.ok(performance.now() - started < 10_000, `replica ${r.name} did not catch up within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (const r of replicas) assert.match(r.stdout, /reloading every tenant after the activation listener reconnected/);
  });

  it('stops serving a tenant on every replica once it is deleted through one', async () => {
    const json = { 'Content-Type': 'application/json' };
    assert.equal((await request(a().port, 'POST', '/tenants', { token: admin, body: JSON.stringify({ id: 'gone', name: 'Gone' }), headers: json })).status, 201);
    const goneToken = mintToken(SECRET, { tenant: 'gone', scope: 'decide bundles:write', sub: 'gone', ttlSeconds: 600 });
    assert.equal((await request(a().port, 'PUT', '/tenants/gone/bundles/app', { token: goneToken, body: await policyBundle(1), headers: { 'Content-Type': 'application/gzip' } })).status, 201);
    const decide = (r: Replica) => request(r.port, 'POST', '/v1/data/app/version', { token: goneToken, body: '{"input": {}}', headers: json });
    for (const r of [b(), c()]) assert.equal(JSON.parse((await decide(r)).body).result, 1);
    assert.equal((await request(a().port, 'DELETE', '/tenants/gone', { token: admin })).status, 204);
    const deleted = performance.now();
    for (const r of [b(), c()]) {
      for (;;) {
        const res = await decide(r);
        if (res.status === 404) break;
        assert.equal(res.status, 200);
        assert.ok(performance.now() - deleted < 1000, `replica ${r.name} still serves the deleted tenant after 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });

  it('keeps one valid chain with decisions from every replica and loses none acknowledged when one is killed', async () => {
    const acknowledged: string[] = [];
    const perReplica: Record<string, number> = { a: 0, b: 0, c: 0 };
    const agents = replicas.map(() => new http.Agent({ keepAlive: true, maxSockets: 4 }));
    const body = JSON.stringify({ input: { privileged: true, name: 'web', containers: Array.from({ length: 8 }, (_, i) => ({ name: `c${i}`, image: 'nginx' })) } });
    let stop = false;
    const failures: string[] = [];
    const loop = async (i: number) => {
      const r = replicas[i];
      while (!stop) {
        try {
          const res = await request(r.port, 'POST', '/v1/data/app/deny', { token: clientToken(r.name), body, agent: agents[i], headers: { 'Content-Type': 'application/json' } });
          if (res.status !== 200) throw new Error(`replica ${r.name}: ${res.status} ${res.body}`);
          assert.deepEqual(JSON.parse(res.body).result, ['privileged']);
          acknowledged.push(JSON.parse(res.body).decision_id);
          perReplica[r.name]++;
        } catch (e) {
          if (!r.stopping) failures.push(String(e));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const loops = [0, 0, 1, 1, 2, 2].map(loop);
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 60_000;
      while (!done()) {
        assert.deepEqual(failures, []);
        assert.ok(Date.now() < deadline, `load too slow: ${JSON.stringify(perReplica)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await until(() => Object.values(perReplica).every((n) => n >= 100));
      await c().stop('SIGKILL');
      const atKill = { ...perReplica };
      await until(() => perReplica.a >= atKill.a + 100 && perReplica.b >= atKill.b + 100);
    } finally {
      stop = true;
      await Promise.all(loops);
      for (const ag of agents) ag.destroy();
    }
    assert.deepEqual(failures, [], 'requests to the replicas still running all succeed');

    const store = openPostgresStore(baseUrl!, { schema });
    await store.init();
    try {
      const stored = new Map<string, string>();
      for await (const r of store.iterateDecisions(TENANT)) stored.set(r.decision_id, r.principal);
      const lost = acknowledged.filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged decisions are missing`);
      assert.deepEqual(new Set(stored.values()), new Set(['client-of-a', 'client-of-b', 'client-of-c']));
      const chain = await verifyChain(store, TENANT);
      assert.equal(chain.valid, true, JSON.stringify(chain));
      assert.equal(chain.records, stored.size);
    } finally {
      await store.close();
    }
  });

  it('stops on SIGTERM under load with every answered decision in the log', async () => {
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const body = JSON.stringify({ input: { privileged: false } });
    let terminated = false;
    const loop = async (r: Replica) => {
      // Until the replica is gone: after SIGTERM, requests in flight still get their answer and
      // new connections are refused.
      while (r.running) {
        try {
          const res = await request(r.port, 'POST', '/v1/data/app/deny', { token: clientToken(r.name), body, headers: { 'Content-Type': 'application/json' } });
          if (res.status !== 200) failures.push(`${r.name}: ${res.status} ${res.body}`);
          else acknowledged.push(JSON.parse(res.body).decision_id);
        } catch (e) {
          if (!terminated) failures.push(`${r.name}: ${String(e)}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    };
    const loops = [a(), a(), a(), a(), b(), b(), b(), b()].map(loop);
    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    terminated = true;
    const codes = await Promise.all([a().stop('SIGTERM'), b().stop('SIGTERM')]);
    await Promise.all(loops);
    assert.deepEqual(codes, [0, 0]);
    assert.deepEqual(failures, []);

    const store = openPostgresStore(baseUrl!, { schema });
    await store.init();
    try {
      const lost: string[] = [];
      for (const id of acknowledged) if (!(await store.getDecision(TENANT, id))) lost.push(id);
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} answered decisions are missing`);
      assert.equal((await verifyChain(store, TENANT)).valid, true);
    } finally {
      await store.close();
    }
  });
});
