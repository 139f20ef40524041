#!/usr/bin/env node
// Runs the Dockerfile without a container engine: each stage gets a directory standing for its
// filesystem root, and its WORKDIR, COPY (also --from=stage), ENV, RUN and CMD lines are carried
// out there. Then the final stage's CMD is started with the image's environment, its HEALTHCHECK
// command is run until it passes, a decision and a metrics scrape are made, and SIGTERM must stop
// it with exit code 0.
//
//   node scripts/dockerfile-run.mjs [--postgres postgres://postgres@127.0.0.1:5432/test] [--keep]
//
// What cannot run here is replaced, and said so in the output: `apt-get` lines (system packages;
// this machine has the build tools) and `npm ci` (no registry access: the project's installed
// node_modules are hard-linked in, which is what `npm ci` would produce from the same lockfile).
// USER is recorded but not switched to: the final check is that nothing is written outside the
// data directory and /tmp, which is what running as a non-root user would enforce.

import { spawn, spawnSync } from 'node:child_process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const keep = process.argv.includes('--keep');

/** Dockerfile lines with continuations joined and comments dropped. */
function instructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    const m = /^(\w+)\s+(.*)$/s.exec(current.trim());
    out.push({ op: m[1].toUpperCase(), args: m[2].trim() });
    current = '';
  }
  return out;
}

function parseEnv(args) {
  const env = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  return env;
}

const log = (msg) => console.log(`[dockerfile-run] ${msg}`);
const work = mkdtempSync(join(tmpdir(), 'arbiter-dockerfile-'));
const stages = [];
let stage;
const inStage = (p) => join(stage.root, p.startsWith('/') ? p : join(stage.workdir, p));

function run(command, cwd, env) {
  const res = spawnSync('sh', ['-c', command], { cwd, env, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`RUN ${command} failed with ${res.status}`);
}

let exitCode = 0;
let server;
try {
  for (const { op, args } of instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))) {
    switch (op) {
      case 'FROM': {
        const [image, , name] = args.split(/\s+/);
        stage = { name: name ?? String(stages.length), image, root: join(work, `stage-${stages.length}`), workdir: '/', env: {}, user: 'root' };
        mkdirSync(stage.root, { recursive: true });
        stages.push(stage);
        log(`stage ${stage.name} (${image})`);
        break;
      }
      case 'WORKDIR':
        stage.workdir = args;
        mkdirSync(inStage(args), { recursive: true });
        break;
      case 'ENV':
        Object.assign(stage.env, parseEnv(args));
        break;
      case 'COPY': {
        const parts = args.split(/\s+/);
        const from = parts[0].startsWith('--from=') ? stages.find((s) => s.name === parts.shift().slice(7)) : undefined;
        const dest = parts.pop();
        for (const src of parts) {
          const source = from ? join(from.root, src.startsWith('/') ? src : join(from.workdir, src)) : join(ROOT, src);
          const target = dest.endsWith('/') ? join(inStage(dest), src.split('/').pop()) : inStage(dest);
          cpSync(source, target, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        const cwd = inStage(stage.workdir);
        const env = { ...process.env, ...stage.env };
        for (const command of args.split(/\s*&&\s*/)) {
          if (/^apt-get\b|^rm -rf \/var\/lib\/apt/.test(command)) {
            log(`skipped (system packages): ${command}`);
          } else if (/^npm ci\b/.test(command)) {
            log(`instead of ${command}: hard-linking the installed node_modules`);
            spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(cwd, 'node_modules')], { stdio: 'inherit' });
            // npm rewrites its hidden lockfile in place: a link would change the project's own.
            rmSync(join(cwd, 'node_modules', '.package-lock.json'), { force: true });
          } else if (/^mkdir -p (\/\S+)/.test(command) || /^chown /.test(command)) {
            for (const m of command.matchAll(/(?:^|\s)(\/\S+)/g)) if (command.startsWith('mkdir')) mkdirSync(join(stage.root, m[1]), { recursive: true });
            log(`filesystem: ${command}`);
          } else {
            log(`RUN ${command}`);
            run(command, cwd, env);
          }
        }
        break;
      }
      case 'USER':
        stage.user = args;
        break;
      case 'HEALTHCHECK':
        stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim());
        break;
      case 'CMD':
        stage.cmd = JSON.parse(args);
        break;
      case 'VOLUME':
        stage.volumes = JSON.parse(args);
        break;
      case 'EXPOSE':
        stage.expose = Number(args);
        break;
      default:
        throw new Error(`unhandled Dockerfile instruction ${op}`);
    }
  }

  const image = stages[stages.length - 1];
  log(`final stage runs as USER ${image.user}, volumes ${JSON.stringify(image.volumes)}, exposes ${image.expose}`);
  if (image.user === 'root') throw new Error('the final stage runs as root');
  // Absolute paths in the image's environment (the data directory, bundles) live in the stage root.
  const env = { PATH: process.env.PATH, HOME: join(image.root, 'home') };
  for (const [k, v] of Object.entries(image.env)) env[k] = v.startsWith('/') ? join(image.root, v) : v;
  env.ARBITER_PORT = String(20000 + Math.floor(Math.random() * 20000));
  env.ARBITER_JWT_SECRET = 'dockerfile-run-secret-0123456789';
  const postgres = arg('postgres');
  if (postgres) {
    const url = new URL(postgres);
    url.searchParams.set('schema', `arbiter_dockerfile_${process.pid}`);
    env.ARBITER_DATABASE_URL = url.toString();
  }
  const cwd = join(image.root, image.workdir);
  if (existsSync(join(cwd, 'node_modules', 'tsx'))) throw new Error('dev dependencies (tsx) are in the final image');
  const startMark = join(work, 'started');
  writeFileSync(startMark, '');
  log(`CMD ${image.cmd.join(' ')} on port ${env.ARBITER_PORT}${postgres ? ' with PostgreSQL' : ''}`);
  server = spawn(image.cmd[0], image.cmd.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });

  const started = Date.now();
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    const health = spawnSync(image.healthcheck[0], image.healthcheck.slice(1), { cwd, env });
    if (health.status === 0) break;
    if (Date.now() - started > 120_000) throw new Error('HEALTHCHECK did not pass within 120 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`HEALTHCHECK passed after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const request = (method, path, token, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: env.ARBITER_PORT, method, path, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const demo = readFileSync(join(env.ARBITER_DATA_DIR, 'demo.token'), 'utf8').trim();
  const decision = await request('POST', '/v1/data/main/deny', demo, JSON.stringify({ input: { kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'app', securityContext: { privileged: true } }] } } } } }));
  if (decision.status !== 200 || !Array.isArray(JSON.parse(decision.body).result)) throw new Error(`decision failed: ${decision.status} ${decision.body}`);
  log(`decision: ${decision.body.trim()}`);
  const minted = spawnSync('node', ['bin/arbiter.js', 'token', '--tenant', '*', '--scope', 'metrics', '--ttl', '1h'], { cwd, env, encoding: 'utf8' });
  if (minted.status !== 0) throw new Error(`arbiter token failed: ${minted.stderr}`);
  const metrics = await request('GET', '/metrics', minted.stdout.trim());
  if (metrics.status !== 200 || !/arbiter_decisions_total\{tenant="demo",path="main\/deny",outcome="denied"\} 1\b/.test(metrics.body)) {
    throw new Error(`metrics: ${metrics.status} ${metrics.body.slice(0, 300)}`);
  }
  log('metrics: the decision is counted');

  const exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`SIGTERM: exit code ${code}`);
  log('SIGTERM: exit code 0');

  const written = spawnSync('find', [image.root, '-newer', startMark, '-type', 'f', '-not', '-path', `${env.ARBITER_DATA_DIR}/*`], { encoding: 'utf8' }).stdout.trim();
  if (written !== '') throw new Error(`files written outside the data directory:\n${written}`);
  log('OK: built, started, healthy, answered, stopped cleanly; nothing written outside the data volume');
} catch (e) {
  console.error(`[dockerfile-run] FAIL: ${e.message}`);
  exitCode = 1;
} finally {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  const postgres = arg('postgres');
  if (postgres) {
    const client = new pg.Client({ connectionString: postgres });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS arbiter_dockerfile_${process.pid} CASCADE`);
    await client.end();
  }
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
