// Decision throughput of the real server on PostgreSQL against SQLite, same machine, same
// benchmark: the seed `main/deny` policy, bench/http-input.json, wrk with N connections, durable
// audit on both (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on). Rounds alternate the
// two stores so a busy machine's drift hits both alike; after each round the servers are stopped
// and the audit log must hold every answered decision in a valid chain.
//
//   npx tsx bench/http-pg.ts --postgres postgres://postgres@127.0.0.1:5432/test [--rounds 2] [--seconds 5]
//                            [--connections 32] [--workers 1] [--replicas 1] [--server dist|tsx]
//
// The servers run as `npm start` runs them: built JavaScript (`--server dist`, the default; run
// `npm run build` first), or through tsx (`--server tsx`). `--replicas N` runs N servers on one
// PostgreSQL schema, as replicas of one deployment, all appending to the demo tenant's one chain,
// with the connections split between them (one wrk each, at the same time); SQLite runs one.
//
// Needs wrk (`apt-get install -y wrk`).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { verifyChain } from '../src/audit/chain';
import { openPostgresStore } from '../src/store/postgres';
import { openSqliteStore } from '../src/store/sqlite';
import type { Store } from '../src/store/types';
import { parseWrk, waitReady, writeWrkPostScript } from './common';
import { treeCpuSeconds } from './proc';

const ROOT = join(__dirname, '..');

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
}

const postgres = arg('postgres');
const rounds = Number(arg('rounds', '2'));
const seconds = Number(arg('seconds', '5'));
const connections = Number(arg('connections', '32'));
const workers = arg('workers', '1');
const replicas = Number(arg('replicas', '1'));
const serverKind = arg('server', 'dist');

function serverArgs(): string[] {
  if (serverKind === 'tsx') return ['--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  const entry = join(ROOT, 'dist', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: run \`npm run build\` first (or pass --server tsx)`);
  return [entry];
}

interface Result {
  store: string;
  rps: number;
  p50: number;
  p99: number;
  cpuUsPerDecision: number;
  answered: number;
  recorded: number;
  chainValid: boolean;
}

function runWrk(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const wrk = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    wrk.stdout.on('data', (d: Buffer) => (out += d.toString()));
    wrk.stderr.on('data', (d: Buffer) => (err += d.toString()));
    wrk.on('error', reject);
    wrk.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk failed: ${err}`))));
  });
}

async function runOnce(kind: 'sqlite' | 'postgres'): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-pg-'));
  const basePort = 21000 + Math.floor(Math.random() * 20000);
  const schema = `arbiter_bench_${process.pid}_${Date.now()}`;
  const count = kind === 'postgres' ? replicas : 1;
  // One secret for all replicas, so the demo token the first one writes is good on every one.
  const env: Record<string, string> = {
    ARBITER_DATA_DIR: dir,
    ARBITER_WORKERS: workers,
    ARBITER_LOG_LEVEL: 'warn',
    ARBITER_BUNDLES_DIR: join(ROOT, 'bundles'),
    ARBITER_JWT_SECRET: randomBytes(32).toString('hex'),
  };
  if (kind === 'postgres') {
    const url = new URL(postgres);
    url.searchParams.set('schema', schema);
    env.ARBITER_DATABASE_URL = url.toString();
  }
  const servers: ChildProcess[] = [];
  try {
    // One after another: the first creates the schema and the demo tenant.
    for (let i = 0; i < count; i++) {
      const server = spawn(process.execPath, serverArgs(), { cwd: ROOT, env: { ...process.env, ...env, ARBITER_PORT: String(basePort + i) }, stdio: ['ignore', 'ignore', 'inherit'] });
      servers.push(server);
      await waitReady(basePort + i, 120);
    }
    const token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();
    const script = writeWrkPostScript(dir, token);
    const urls = servers.map((_, i) => `http://127.0.0.1:${basePort + i}/v1/data/main/deny`);
    const perServer = Math.max(1, Math.round(connections / count));
    for (const url of urls) spawnSync('wrk', ['-t1', `-c${perServer}`, '-d2s', '-s', script, url]);
    const cpu = () => servers.reduce((sum, s) => sum + treeCpuSeconds(s.pid!), 0);
    const cpuBefore = cpu();
    const outputs = await Promise.all(urls.map((url) => runWrk(['-t1', `-c${perServer}`, `-d${seconds}s`, '--latency', '-s', script, url])));
    const cpuAfter = cpu();
    const runs = outputs.map(parseWrk);
    const requests = runs.reduce((sum, r) => sum + r.requests, 0);
    const non2xx = runs.reduce((sum, r) => sum + r.non2xx, 0);
    await Promise.all(
      servers.map((server) => {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        return exited;
      }),
    );

    let store: Store;
    if (kind === 'postgres') store = openPostgresStore(postgres, { schema });
    else store = openSqliteStore(join(dir, 'arbiter.db'));
    await store.init();
    const chain = await verifyChain(store, 'demo');
    await store.close();
    return {
      store: kind,
      rps: runs.reduce((sum, r) => sum + r.rps, 0),
      // Each replica's wrk gives its own percentiles: the median of theirs and the worst p99.
      p50: runs.map((r) => r.p50).sort((x, y) => x - y)[Math.floor((runs.length - 1) / 2)],
      p99: Math.max(...runs.map((r) => r.p99)),
      cpuUsPerDecision: ((cpuAfter - cpuBefore) / Math.max(1, requests)) * 1e6,
      answered: requests - non2xx,
      recorded: chain.records,
      chainValid: chain.valid,
    };
  } finally {
    for (const server of servers) if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const c = new Client({ connectionString: postgres });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const kind of round % 2 === 0 ? (['sqlite', 'postgres'] as const) : (['postgres', 'sqlite'] as const)) {
      const r = await runOnce(kind);
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      console.log(
        `round ${round + 1} ${r.store}: decisions/s=${r.rps.toFixed(0)} p50=${r.p50}ms p99=${r.p99}ms cpu/decision=${r.cpuUsPerDecision.toFixed(0)}us ` +
          `answered=${r.answered} recorded=${r.recorded} chain_valid=${r.chainValid} load=${load}`,
      );
      if (!r.chainValid || r.recorded < r.answered) {
        console.error(`FAIL: the ${r.store} audit log misses answered decisions`);
        process.exitCode = 1;
      }
      results.push(r);
    }
  }
  const mean = (kind: string, f: (r: Result) => number) => {
    const rs = results.filter((r) => r.store === kind);
    return rs.reduce((s, r) => s + f(r), 0) / rs.length;
  };
  const sqlite = mean('sqlite', (r) => r.rps);
  const pg = mean('postgres', (r) => r.rps);
  console.log(
    JSON.stringify({
      workers,
      replicas,
      server: serverKind,
      connections,
      seconds,
      rounds,
      sqlite_rps: Math.round(sqlite),
      postgres_rps: Math.round(pg),
      ratio: Number((pg / sqlite).toFixed(2)),
      sqlite_p99_ms: Number(mean('sqlite', (r) => r.p99).toFixed(1)),
      postgres_p99_ms: Number(mean('postgres', (r) => r.p99).toFixed(1)),
      sqlite_cpu_us: Math.round(mean('sqlite', (r) => r.cpuUsPerDecision)),
      postgres_cpu_us: Math.round(mean('postgres', (r) => r.cpuUsPerDecision)),
    }),
  );
}

void main();
