// What the benchmarks share: `--name value` arguments, and waiting for a started server to be ready.

import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

/** The value after `--name` on the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Resolves once GET /health/ready on 127.0.0.1:port answers 200; gives up after `timeoutS`. */
export async function waitReady(port: number, timeoutS = 60): Promise<void> {
  for (let i = 0; i < timeoutS * 5; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      http
        .get({ host: '127.0.0.1', port, path: '/health/ready' }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false)),
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready after ${timeoutS} s`);
}

/**
 * Writes the wrk script every decision benchmark uses: POST bench/http-input.json as JSON with the
 * bearer token. Returns the script's path (in `dir`).
 */
export function writeWrkPostScript(dir: string, token: string): string {
  const script = join(dir, 'post.lua');
  const input = join(__dirname, 'http-input.json');
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.headers["Authorization"] = "Bearer ${token}"`,
      `local f = io.open(${JSON.stringify(input)}, "r")`,
      'wrk.body = f:read("*a")',
      'f:close()',
    ].join('\n'),
  );
  return script;
}

/** The figures of a wrk run with --latency: requests/s, counts, and latency percentiles in ms. */
export function parseWrk(out: string) {
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
    p50: ms(num(/^\s*50%\s+(\S+)/m)),
    p90: ms(num(/^\s*90%\s+(\S+)/m)),
    p99: ms(num(/^\s*99%\s+(\S+)/m)),
  };
}
