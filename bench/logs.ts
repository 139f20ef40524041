// Decision-log ingestion through the real server: C agents upload gzip chunks of OPA decision
// events (the shape of test/fixtures/opa-samples, ~1.2 KB input each, random v4 ids as agents
// send them) to POST /tenants/demo/logs, each waiting for its 204 before the next chunk, as OPA
// does. Reports events/s durable in the audit log, then stops the server and checks the chain
// holds every event exactly once.
//
//   npx tsx bench/logs.ts [--events 100000] [--chunk 250] [--agents 8] [--workers 1] [--dist DIR]
//
// The server runs from source through tsx, or with `--dist DIR` from a build (`npm run build`,
// then a copy of dist/ per commit to compare).

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { verifyChain } from '../src/audit/chain';
import { openSqliteStore } from '../src/store/sqlite';
import { treeCpuSeconds } from './proc';
import { arg, waitReady } from './common';

const ROOT = join(__dirname, '..');

const total = Number(arg('events', '100000'));
const chunkSize = Number(arg('chunk', '250'));
const agents = Number(arg('agents', '8'));
const workers = arg('workers', '1');
const distDir = arg('dist', '');

function post(port: number, path: string, token: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent: false, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const sample = (JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'opa-samples', 'opa-0.61-decision-log-chunk.json'), 'utf8')) as Record<string, unknown>[])[0];
  const chunks: Buffer[] = [];
  const started0 = Date.now();
  for (let n = 0; n < total; n += chunkSize) {
    const events = [];
    for (let i = n; i < Math.min(total, n + chunkSize); i++) {
      events.push({ ...sample, labels: { ...(sample.labels as object), id: `agent-${i % agents}` }, decision_id: randomUUID(), timestamp: new Date(started0 + i).toISOString(), req_id: i });
    }
    chunks.push(gzipSync(JSON.stringify(events)));
  }
  const avgCompressed = chunks.reduce((s, c) => s + c.length, 0) / chunks.length;

  const dir = mkdtempSync(join(tmpdir(), 'arbiter-logs-'));
  const port = 21000 + Math.floor(Math.random() * 20000);
  const entry = distDir ? [join(distDir, 'src', 'main.js')] : ['--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  const server = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: { ...process.env, ARBITER_DATA_DIR: dir, ARBITER_PORT: String(port), ARBITER_WORKERS: workers, ARBITER_LOG_LEVEL: 'warn', ARBITER_BUNDLES_DIR: join(ROOT, 'bundles') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(port);
    const token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();
    let next = 0;
    let failures = 0;
    const started = performance.now();
    const cpuBefore = treeCpuSeconds(server.pid!);
    await Promise.all(
      Array.from({ length: agents }, async () => {
        while (next < chunks.length) {
          const chunk = chunks[next++];
          if ((await post(port, '/tenants/demo/logs', token, chunk)) !== 204) failures++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuUs = ((treeCpuSeconds(server.pid!) - cpuBefore) / total) * 1e6;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    const store = openSqliteStore(join(dir, 'arbiter.db'));
    await store.init();
    const chain = await verifyChain(store, 'demo');
    await store.close();
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`${distDir ? `dist=${distDir} ` : ''}workers=${workers} agents=${agents} events=${total} chunk=${chunkSize} events (${(avgCompressed / 1024).toFixed(1)} KiB gzip) load(1/5/15m)=${load}`);
    console.log(`ingested ${(total / seconds).toFixed(0)} events/s (${seconds.toFixed(2)} s), failed chunks ${failures}; server CPU ${cpuUs.toFixed(0)} µs per event (all processes and threads)`);
    console.log(`audit: ${chain.records} records, chain valid=${chain.valid}`);
    if (!chain.valid || chain.records !== total || failures > 0) {
      console.error('FAIL: the audit log does not hold every event exactly once');
      process.exitCode = 1;
    }
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
