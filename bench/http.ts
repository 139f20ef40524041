// HTTP decision throughput of the real server: the seed `main/deny` policy (bundles/kubernetes),
// a ~1 KB Deployment input (bench/http-input.json), wrk with N connections, durable audit on.
// After each run the server is stopped and the audit log is checked: every answered decision must
// be there. Also reports the server's CPU time per decision (robust when the machine is busy).
//
//   npx tsx bench/http.ts [--workers 1[,2]] [--durability disk[,process]] [--seconds 10] [--rounds 1]
//                         [--connections 32] [--threads 1] [--path main/deny] [--server dist|tsx]
//                         [--dist DIR[,DIR...]] [--echo]
//
// The server runs as `npm start` runs it: built JavaScript (`--server dist`, the default; run
// `npm run build` first), or through tsx (`--server tsx`, slower: tsx wraps every named closure).
// Several `--dist` folders (builds of different commits), `--workers` counts and `--durability`
// settings (ARBITER_AUDIT_DURABILITY) make variants; each round runs every variant once,
// alternating, so a busy machine's drift hits them alike, and the summary gives each variant's
// median over the rounds. `--echo` adds a bare
// node:http server (parse the body, answer JSON) as a variant: the floor under the same load.
//
// Needs wrk (`apt-get install -y wrk`).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { verifyChain } from '../src/audit/chain';
import { openSqliteStore } from '../src/store/sqlite';
import { arg, parseWrk, writeWrkPostScript } from './common';

const ROOT = join(__dirname, '..');

const workerCounts = arg('workers', '1').split(',');
const durabilities = arg('durability', 'disk').split(',');
const seconds = Number(arg('seconds', '10'));
const rounds = Number(arg('rounds', '1'));
const connections = Number(arg('connections', '32'));
const threads = Number(arg('threads', '1'));
const path = arg('path', 'main/deny');
const serverKind = arg('server', 'dist');
const distDirs = arg('dist', join(ROOT, 'dist')).split(',');
const CLOCK_TICKS = 100;

function cpuTicks(statFile: string): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(statFile, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // the process ended while we looked
  }
}

/**
 * user+system CPU seconds of a process and all its descendants (from /proc): `all` counts every
 * thread, `mainThreads` only each process's main thread (its event loop: HTTP, evaluation),
 * leaving out the audit writer thread, libuv's pool and V8's helpers.
 */
function treeCpuSeconds(rootPid: number): { all: number; mainThreads: number } {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = cpuTicks(`/proc/${name}/stat`);
    if (s) stats.set(Number(name), s);
  }
  let all = 0;
  let mainThreads = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    all += stats.get(pid)?.ticks ?? 0;
    mainThreads += cpuTicks(`/proc/${pid}/task/${pid}/stat`)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return { all: all / CLOCK_TICKS, mainThreads: mainThreads / CLOCK_TICKS };
}

async function waitReady(port: number, server: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) =>
      http.get({ host: '127.0.0.1', port, path: '/health/ready' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false)),
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready after 60 s:\n${output()}`);
}

interface Variant {
  name: string;
  workers: string;
  /** ARBITER_AUDIT_DURABILITY of the server. */
  durability: string;
  /** Folder of the built server (holding src/main.js); unused with --server tsx. */
  dist: string;
  /** The floor instead of Arbiter: bare node:http that parses the body and answers JSON, no audit. */
  echo?: boolean;
}

// What any node:http server pays per request on this machine at this moment: read the body,
// JSON.parse it, answer a small JSON document. Arbiter's cost is this plus its own work.
const ECHO_SERVER = `
const http = require('node:http');
let n = 0;
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const text = JSON.stringify({ result: doc.input ? [String(doc.input.kind)] : [], decision_id: String(++n) }) + '\\n';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
}).listen(Number(process.env.ARBITER_PORT), '127.0.0.1');
`;

interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  mainUs: number;
  load: string;
}

function serverCommand(v: Variant): string[] {
  if (v.echo) return ['-e', ECHO_SERVER];
  if (serverKind === 'tsx') return ['--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  const entry = join(v.dist, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: run \`npm run build\` (or pass --dist)`);
  return [entry];
}

async function runOnce(v: Variant): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-'));
  const port = 21000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, serverCommand(v), {
    cwd: ROOT,
    env: {
      ...process.env,
      ARBITER_DATA_DIR: dir,
      ARBITER_PORT: String(port),
      ARBITER_WORKERS: v.workers,
      ARBITER_AUDIT_DURABILITY: v.durability,
      ARBITER_LOG_LEVEL: 'warn',
      ARBITER_BUNDLES_DIR: join(ROOT, 'bundles'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The server's log (warnings and errors only), kept for the error message if it fails to start.
  let log = '';
  server.stdout!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  });
  try {
    await waitReady(port, server, () => log);
    const token = v.echo ? 'none' : readFileSync(join(dir, 'demo.token'), 'utf8').trim();
    const script = writeWrkPostScript(dir, token);
    const url = `http://127.0.0.1:${port}/v1/data/${path}`;
    // Warm up (JIT, caches), then measure.
    spawnSync('wrk', ['-t1', `-c${connections}`, '-d2s', '-s', script, url]);
    const cpuBefore = treeCpuSeconds(server.pid!);
    const wrk = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
    const cpuAfter = treeCpuSeconds(server.pid!);
    if (wrk.status !== 0) throw new Error(`wrk failed: ${wrk.stderr}`);
    const r = parseWrk(wrk.stdout);
    if (Number.isNaN(r.p50) || Number.isNaN(r.p99)) console.log(wrk.stdout);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    const perDecisionUs = (sec: number) => (sec / Math.max(1, r.requests)) * 1e6;
    const cpuUs = perDecisionUs(cpuAfter.all - cpuBefore.all);
    const mainUs = perDecisionUs(cpuAfter.mainThreads - cpuBefore.mainThreads);
    if (v.echo) {
      console.log(`${v.name}: requests/s=${r.rps.toFixed(0)} p50=${r.p50}ms p99=${r.p99}ms cpu/request=${cpuUs.toFixed(0)}us (main thread ${mainUs.toFixed(0)}us) load(1/5/15m)=${load}`);
      return { rps: r.rps, p50: r.p50, p99: r.p99, cpuUs, mainUs, load };
    }
    const store = openSqliteStore(join(dir, 'arbiter.db'));
    await store.init();
    const chain = await verifyChain(store, 'demo');
    await store.close();

    const answered = r.requests - r.non2xx;
    console.log(
      `${v.name}: decisions/s=${r.rps.toFixed(0)} p50=${r.p50}ms p90=${r.p90}ms p99=${r.p99}ms non-2xx=${r.non2xx} ` +
        `cpu/decision=${cpuUs.toFixed(0)}us (main threads ${mainUs.toFixed(0)}us) load(1/5/15m)=${load} audit=${chain.records} records, chain valid=${chain.valid}`,
    );
    if (!chain.valid || chain.records < answered || r.non2xx > 0) {
      console.error(`FAIL (${v.name}): the audit log misses answered decisions, or some requests failed`);
      process.exitCode = 1;
    }
    return { rps: r.rps, p50: r.p50, p99: r.p99, cpuUs, mainUs, load };
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const variants: Variant[] = [];
  for (const dist of distDirs) {
    for (const workers of workerCounts) {
      for (const durability of durabilities) {
        const name = [distDirs.length > 1 ? basename(dist) : '', `workers=${workers}`, durabilities.length > 1 ? `durability=${durability}` : '']
          .filter(Boolean)
          .join(' ');
        variants.push({ name, workers, durability, dist });
      }
    }
  }
  if (process.argv.includes('--echo')) variants.push({ name: 'node:http echo (floor)', workers: '1', durability: '', dist: '', echo: true });
  const results = new Map<Variant, RunResult[]>(variants.map((v) => [v, []]));
  console.log(`server=${serverKind} connections=${connections} seconds=${seconds} rounds=${rounds}`);
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too, so no variant always runs right after the same one.
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) results.get(v)!.push(await runOnce(v));
  }
  console.log('\nmedians over the rounds:');
  for (const v of variants) {
    const rs = results.get(v)!;
    const med = (f: (r: RunResult) => number) => median(rs.map(f));
    console.log(
      `${v.name}: decisions/s=${med((r) => r.rps).toFixed(0)} p50=${med((r) => r.p50).toFixed(2)}ms ` +
        `p99=${med((r) => r.p99).toFixed(2)}ms cpu/decision=${med((r) => r.cpuUs).toFixed(0)}us main threads=${med((r) => r.mainUs).toFixed(0)}us (loads: ${rs.map((r) => r.load.split(' ')[0]).join(', ')})`,
    );
  }
}

void main();
