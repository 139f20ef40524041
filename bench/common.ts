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
