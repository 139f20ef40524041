// Registry upload cost over HTTP: a ~5 MB bundle (data + the seed policy and its tests) uploaded,
// validated and activated; then many small uploads to see whether memory stays flat.
//
//   node --expose-gc --import tsx bench/http-upload.ts [--uploads 1000] [--megabytes 5]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { writeBundle } from '../src/bundle';
import { loadConfig } from '../src/config';
import { createApp, createListener } from '../src/http/app';
import { mintToken } from '../src/http/auth';
import { buildServices } from '../src/main';
import { openSqliteStore } from '../src/store/sqlite';
import { arg } from './common';

const uploads = Number(arg('uploads', '1000'));
const megabytes = Number(arg('megabytes', '5'));
const ROOT = join(__dirname, '..');
const gc = (globalThis as { gc?: () => void }).gc;

function bigData(bytes: number): string {
  const clusters: Record<string, unknown> = {};
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const entry = { region: `eu-${i % 7}`, owners: [`team-${i % 97}`, `team-${(i * 7) % 97}`], labels: { tier: i % 3 ? 'prod' : 'dev', cost: `cc-${i}` }, quota: { cpu: i % 64, memory: `${i % 128}Gi` } };
    clusters[`cluster-${i}`] = entry;
    size += JSON.stringify(entry).length + 16;
  }
  return JSON.stringify({ clusters });
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-upload-'));
  const secret = 'bench-secret-0123456789abcdef';
  const config = loadConfig({ ARBITER_DATA_DIR: dir, ARBITER_JWT_SECRET: secret, ARBITER_DEMO: 'false', ARBITER_BUNDLE_MAX_BYTES: String(64 * 1024 * 1024) });
  const store = openSqliteStore(join(dir, 'arbiter.db'));
  await store.init();
  await store.createTenant({ id: 'bench', name: 'bench' });
  const services = buildServices(config, store, secret, pino({ level: 'silent' }));
  await services.engine.loadAll();
  const server = createServer(createListener(createApp(services.deps)));
  const token = mintToken(secret, { tenant: 'bench', scope: 'bundles:write decide', ttlSeconds: 3600 });
  const policy = readFileSync(join(ROOT, 'bundles', 'kubernetes', 'deployment.rego'));
  const tests = readFileSync(join(ROOT, 'bundles', 'kubernetes', 'deployment_test.rego'));
  const put = (name: string, archive: Buffer) =>
    request(server).put(`/tenants/bench/bundles/${name}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/gzip').send(archive);

  try {
    const data = bigData(megabytes * 1024 * 1024);
    const big = await writeBundle([
      { path: '.manifest', content: Buffer.from(JSON.stringify({ revision: 'big-1', roots: ['main', 'inventory'] })) },
      { path: 'main/deployment.rego', content: policy },
      { path: 'main/deployment_test.rego', content: tests },
      { path: 'inventory/data.json', content: Buffer.from(data) },
    ]);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      const res = await put('big', big);
      if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${res.text}`);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(`${mb(data.length)} MB data (${mb(big.length)} MB gzipped): upload+validate+activate ms = ${times.map((x) => x.toFixed(0)).join(', ')}`);

    const small = (i: number) =>
      writeBundle([
        { path: '.manifest', content: Buffer.from(JSON.stringify({ revision: `small-${i}`, roots: ['app'] })) },
        { path: 'app/app.rego', content: Buffer.from(`package app\n\nversion := ${i}\n\nallow if input.user in {"alice", "bob"}\n`) },
        { path: 'app/app_test.rego', content: Buffer.from(`package app\n\ntest_alice if allow with input as {"user": "alice"}\n`) },
      ]);
    const rss: number[] = [];
    const heap: number[] = [];
    const started = process.hrtime.bigint();
    for (let i = 1; i <= uploads; i++) {
      const res = await put('small', await small(i));
      if (res.status !== 201) throw new Error(`upload ${i} failed: ${res.status} ${res.text}`);
      if (i % Math.max(1, Math.floor(uploads / 5)) === 0) {
        gc?.();
        rss.push(process.memoryUsage().rss);
        heap.push(process.memoryUsage().heapUsed);
      }
    }
    const perUpload = Number(process.hrtime.bigint() - started) / 1e6 / uploads;
    console.log(`${uploads} small uploads: ${perUpload.toFixed(1)} ms each; rss MB at each fifth: ${rss.map(mb).join(', ')}; heap MB: ${heap.map(mb).join(', ')}${gc ? '' : ' (run with --expose-gc for stable numbers)'}`);
  } finally {
    server.close();
    await services.recorder.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
