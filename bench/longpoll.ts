// Idle long polls against the real server: N agents hold `Prefer: ...;wait=600` bundle requests
// while wrk measures the decision API; then one activation must answer every one of them.
// Reports the server's memory (RSS of all its processes) before and with the waiters, decision
// throughput idle vs. with the waiters, and how long the activation took to reach the agents.
//
//   npx tsx bench/longpoll.ts [--polls 2000] [--workers 1] [--seconds 10] [--connections 32] [--rounds 2]
//                             [--server dist|tsx]
//
// The server runs as `npm start` runs it, from the built JavaScript (`npm run build` first), or
// from source with `--server tsx` (slower: tsx wraps every named closure).
//
// Needs wrk (`apt-get install -y wrk`).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundleFromDir, writeBundle } from '../src/bundle';
import { treeCpuSeconds, treeRssKb } from './proc';
import { arg, parseWrk, waitReady, writeWrkPostScript } from './common';

const ROOT = join(__dirname, '..');

const polls = Number(arg('polls', '2000'));
const workers = arg('workers', '1');
const serverKind = arg('server', 'dist');
const seconds = Number(arg('seconds', '10'));
const connections = Number(arg('connections', '32'));
const rounds = Number(arg('rounds', '2'));
const BUNDLE = 'kubernetes';

function request(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; at: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, at: performance.now() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** wrk against the decision API; also the server's CPU time per decision, less distorted by a busy machine. */
function wrk(script: string, url: string, secs: number, serverPid: number): { rps: number; p99: number; cpuUs: number } {
  const cpuBefore = treeCpuSeconds(serverPid);
  const out = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${secs}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
  const cpu = treeCpuSeconds(serverPid) - cpuBefore;
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const { rps, p99, requests } = parseWrk(out.stdout);
  return { rps, p99, cpuUs: (cpu / Math.max(1, requests)) * 1e6 };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-longpoll-'));
  const port = 21000 + Math.floor(Math.random() * 20000);
  const built = join(ROOT, 'dist', 'src', 'main.js');
  if (serverKind === 'dist' && !existsSync(built)) throw new Error(`${built} not found: run \`npm run build\` (or pass --server tsx)`);
  const entry = serverKind === 'tsx' ? ['--import', 'tsx', join(ROOT, 'src', 'main.ts')] : [built];
  const server = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: { ...process.env, ARBITER_DATA_DIR: dir, ARBITER_PORT: String(port), ARBITER_WORKERS: workers, ARBITER_LOG_LEVEL: 'warn', ARBITER_BUNDLES_DIR: join(ROOT, 'bundles'), ARBITER_LONG_POLL_MAX: '900s' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(port);
    const token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${token}` };
    const script = writeWrkPostScript(dir, token);
    const url = `http://127.0.0.1:${port}/v1/data/main/deny`;
    const bundlePath = `/tenants/demo/bundles/${BUNDLE}`;
    const pollHeaders = { ...auth, 'User-Agent': 'Open-Policy-Agent/0.61.0 (linux, amd64)', Prefer: 'modes=snapshot,delta;wait=600' };
    const pid = server.pid!;
    wrk(script, url, 2, pid); // warm-up
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`server=${serverKind} workers=${workers} polls=${polls} connections=${connections} seconds=${seconds} rounds=${rounds} load(1/5/15m)=${load}`);

    // Rounds alternate idle and waiting measurements, so a busy machine's drift hits both alike.
    for (let round = 1; round <= rounds; round++) {
      const first = await request(port, 'GET', bundlePath, pollHeaders);
      if (first.status !== 200) throw new Error(`download: ${first.status}`);
      const rssIdle = treeRssKb(pid);
      const idle = wrk(script, url, seconds, pid);

      const answers = Array.from({ length: polls }, () => request(port, 'GET', bundlePath, { ...pollHeaders, 'If-None-Match': String(first.headers.etag) }));
      await new Promise((r) => setTimeout(r, 3000)); // every request sent and parked
      const rssWaiting = treeRssKb(pid);
      const busy = wrk(script, url, seconds, pid);

      // A new version of the same bundle (another revision), published while they wait.
      const files = (await buildBundleFromDir(join(ROOT, 'bundles', BUNDLE))).map((f) =>
        f.path === '.manifest' ? { path: f.path, content: Buffer.from(JSON.stringify({ ...JSON.parse(f.content.toString()), revision: `bench-${Date.now()}` })) } : f,
      );
      const archive = await writeBundle(files);
      const started = performance.now();
      const published = await new Promise<{ status: number; at: number }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: bundlePath, headers: { ...auth, 'Content-Type': 'application/gzip' }, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now() }));
        });
        req.on('error', reject);
        req.end(archive);
      });
      if (published.status !== 201) throw new Error(`publish: ${published.status}`);
      const results = await Promise.all(answers);
      const wake = results.map((r) => r.at - published.at).sort((a, b) => a - b);
      const statuses = new Map<number, number>();
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);

      console.log(`round ${round}:`);
      console.log(`  server RSS: idle ${(rssIdle / 1024).toFixed(1)} MiB, with ${polls} long polls ${(rssWaiting / 1024).toFixed(1)} MiB (+${((rssWaiting - rssIdle) / 1024).toFixed(1)} MiB, ${(((rssWaiting - rssIdle) * 1024) / polls).toFixed(0)} bytes each)`);
      console.log(`  decisions/s: idle ${idle.rps.toFixed(0)} (p99 ${idle.p99}ms, ${idle.cpuUs.toFixed(0)} µs server CPU each), with ${polls} long polls waiting ${busy.rps.toFixed(0)} (p99 ${busy.p99}ms, ${busy.cpuUs.toFixed(0)} µs): ${((busy.rps / idle.rps - 1) * 100).toFixed(1)}% throughput, ${((busy.cpuUs / idle.cpuUs - 1) * 100).toFixed(1)}% CPU per decision`);
      console.log(`  upload+validation+activation ${(published.at - started).toFixed(0)} ms; then every waiter answered: statuses ${JSON.stringify(Object.fromEntries(statuses))}, p50 ${pct(wake, 50).toFixed(0)} ms, p99 ${pct(wake, 99).toFixed(0)} ms, last ${wake[wake.length - 1].toFixed(0)} ms after the upload's answer`);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
