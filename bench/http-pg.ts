// Decision throughput of the real server on PostgreSQL against SQLite, same machine, same
// benchmark: the seed `main/deny` policy, bench/http-input.json, wrk with N connections, durable
// audit on both (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on). Rounds alternate the
// two stores so a busy machine's drift hits both alike; after each round the server is stopped
// and its audit log must hold every answered decision in a valid chain.
//
//   npx tsx bench/http-pg.ts --postgres postgres://postgres@127.0.0.1:5432/test [--rounds 2] [--seconds 5] [--connections 32] [--workers 1]
//
// Needs wrk (`apt-get install -y wrk`).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { verifyChain } from '../src/audit/chain';
import { openPostgresStore } from '../src/store/postgres';
import { openSqliteStore } from '../src/store/sqlite';
import type { Store } from '../src/store/types';
import { waitReady, writeWrkPostScript } from './common';

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

/** user+system CPU seconds of a process and its descendants (from /proc). */
function treeCpuSeconds(rootPid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended while we looked
    }
  }
  let ticks = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return ticks / 100;
}

function ms(v: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v ?? '');
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
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

async function runOnce(kind: 'sqlite' | 'postgres'): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-pg-'));
  const port = 21000 + Math.floor(Math.random() * 20000);
  const schema = `arbiter_bench_${process.pid}_${Date.now()}`;
  const env: Record<string, string> = { ARBITER_DATA_DIR: dir, ARBITER_PORT: String(port), ARBITER_WORKERS: workers, ARBITER_LOG_LEVEL: 'warn', ARBITER_BUNDLES_DIR: join(ROOT, 'bundles') };
  if (kind === 'postgres') {
    const url = new URL(postgres);
    url.searchParams.set('schema', schema);
    env.ARBITER_DATABASE_URL = url.toString();
  }
  const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitReady(port, 120);
    const token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();
    const script = writeWrkPostScript(dir, token);
    const url = `http://127.0.0.1:${port}/v1/data/main/deny`;
    spawnSync('wrk', ['-t1', `-c${connections}`, '-d2s', '-s', script, url]);
    const cpuBefore = treeCpuSeconds(server.pid!);
    const wrk = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
    const cpuAfter = treeCpuSeconds(server.pid!);
    if (wrk.status !== 0) throw new Error(`wrk failed: ${wrk.stderr}`);
    const out = wrk.stdout;
    const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;

    let store: Store;
    if (kind === 'postgres') store = openPostgresStore(postgres, { schema });
    else store = openSqliteStore(join(dir, 'arbiter.db'));
    await store.init();
    const chain = await verifyChain(store, 'demo');
    await store.close();
    return {
      store: kind,
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      p50: ms(/50%\s+(\S+)/.exec(out)?.[1]),
      p99: ms(/99%\s+(\S+)/.exec(out)?.[1]),
      cpuUsPerDecision: ((cpuAfter - cpuBefore) / Math.max(1, requests)) * 1e6,
      answered: requests - non2xx,
      recorded: chain.records,
      chainValid: chain.valid,
    };
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
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
