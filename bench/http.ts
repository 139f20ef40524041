// HTTP decision throughput of the real server: the seed `main/deny` policy (bundles/kubernetes),
// a ~1 KB Deployment input (bench/http-input.json), wrk with N connections, durable audit on.
// Afterwards the server is stopped and the audit log is checked: every answered decision must be
// there. Also reports the server's CPU time per decision (robust when the machine is busy).
//
//   npx tsx bench/http.ts [--workers 1] [--seconds 10] [--connections 32] [--threads 1] [--path main/deny]
//
// Needs wrk (`apt-get install -y wrk`).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../src/audit/chain';
import { openSqliteStore } from '../src/store/sqlite';

const ROOT = join(__dirname, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const workers = arg('workers', '1');
const seconds = Number(arg('seconds', '10'));
const connections = Number(arg('connections', '32'));
const threads = Number(arg('threads', '1'));
const path = arg('path', 'main/deny');
const CLOCK_TICKS = 100;

/** user+system CPU seconds of a process and all its descendants (from /proc). */
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
  return ticks / CLOCK_TICKS;
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      http.get({ host: '127.0.0.1', port, path: '/health/ready' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false)),
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server not ready after 60 s');
}

function parseWrk(out: string) {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? m[1] : undefined;
  };
  const ms = (v: string | undefined) => {
    if (!v) return NaN;
    const m = /^([\d.]+)(us|ms|s)$/.exec(v);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  return {
    rps: Number(num(/Requests\/sec:\s+([\d.]+)/)),
    requests: Number(num(/(\d+) requests in/)),
    non2xx: Number(num(/Non-2xx or 3xx responses:\s+(\d+)/) ?? 0),
    errors: num(/Socket errors:([^\n]+)/),
    p50: ms(num(/50%\s+(\S+)/)),
    p90: ms(num(/90%\s+(\S+)/)),
    p99: ms(num(/99%\s+(\S+)/)),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-'));
  const port = 21000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ARBITER_DATA_DIR: dir, ARBITER_PORT: String(port), ARBITER_WORKERS: workers, ARBITER_LOG_LEVEL: 'warn', ARBITER_BUNDLES_DIR: join(ROOT, 'bundles') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(port);
    const token = readFileSync(join(dir, 'demo.token'), 'utf8').trim();
    const script = join(dir, 'post.lua');
    writeFileSync(
      script,
      [
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "application/json"',
        `wrk.headers["Authorization"] = "Bearer ${token}"`,
        `local f = io.open(${JSON.stringify(join(ROOT, 'bench', 'http-input.json'))}, "r")`,
        'wrk.body = f:read("*a")',
        'f:close()',
      ].join('\n'),
    );
    const url = `http://127.0.0.1:${port}/v1/data/${path}`;
    // Warm up (JIT, caches), then measure.
    spawnSync('wrk', ['-t1', `-c${connections}`, '-d2s', '-s', script, url]);
    const cpuBefore = treeCpuSeconds(server.pid!);
    const wrk = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
    const cpuAfter = treeCpuSeconds(server.pid!);
    if (wrk.status !== 0) throw new Error(`wrk failed: ${wrk.stderr}`);
    const r = parseWrk(wrk.stdout);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    const store = openSqliteStore(join(dir, 'arbiter.db'));
    await store.init();
    const chain = await verifyChain(store, 'demo');
    await store.close();

    const answered = r.requests - r.non2xx;
    console.log(wrk.stdout);
    console.log(`workers=${workers} connections=${connections} seconds=${seconds} load(1/5/15m)=${load}`);
    console.log(`decisions/s=${r.rps.toFixed(0)} p50=${r.p50}ms p90=${r.p90}ms p99=${r.p99}ms non-2xx=${r.non2xx}`);
    console.log(`server cpu per decision=${(((cpuAfter - cpuBefore) / Math.max(1, r.requests)) * 1e6).toFixed(0)}us (all processes)`);
    console.log(`audit: ${chain.records} records, chain valid=${chain.valid}; answered in the measured run=${answered} (plus warm-up)`);
    if (!chain.valid || chain.records < answered) {
      console.error('FAIL: the audit log misses answered decisions');
      process.exitCode = 1;
    }
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
