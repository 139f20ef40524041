// Wires the service: configuration, store, audit recorder, engine, registry, HTTP. Nothing else
// picks concrete implementations. With ARBITER_WORKERS > 1 the primary process runs migrations and
// the demo bootstrap, then forks workers that share the port (node:cluster); each worker has its
// own store connection and engine, and registry changes are relayed so every worker swaps at once.

import cluster, { type Worker } from 'node:cluster';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { AgentServices } from './agents';
import { verifyChain } from './audit/chain';
import { applyMask } from './audit/mask';
import { AuditRecorder } from './audit/recorder';
import { RetentionJob } from './audit/retention';
import { buildBundleFromDir, readBundle, validateBundle, writeBundle } from './bundle';
import { ConfigError, ensureJwtSecret, loadConfig, type Config } from './config';

export { ensureJwtSecret };
import { isAuditAck, isAuditBatch, recordBatch, RemoteRecorder } from './engine/audit-relay';
import { DecisionService, type DecisionRecorder } from './engine/decisions';
import { Engine } from './engine/engine';
import type { EngineDeps } from './engine/ports';
import { BundleRejectedError, Registry } from './engine/registry';
import { loadWasmModule, validateWasm } from './engine/wasm';
import { CrossChecker } from './engine/wasm-crosscheck';
import { createApp, createListener, type AppDeps } from './http/app';
import { Authenticator, mintToken } from './http/auth';
import { createLogger } from './logging';
import { createClusterMetrics, instrumentRecorder, Metrics, workerMetrics } from './metrics';
import { compileModules } from './rego';
import { openPostgresStore } from './store/postgres';
import { openSqliteStore } from './store/sqlite';
import { ConflictError, type Store } from './store/types';

export const VERSION = readVersion();

function readVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return '0.0.0';
  }
}

/**
 * `servesHttp` false is the primary of several workers: it only commits the workers' decisions, so
 * either store may write on its own event loop instead of handing every batch to a thread.
 */
export function openStore(config: Config, servesHttp = true): Store {
  const url = config.databaseUrl;
  const opts = { writerThread: servesHttp, auditDurability: config.auditDurability };
  if (!url) return openSqliteStore(join(config.dataDir, 'arbiter.db'), opts);
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''), opts);
  const [pgUrl, pgOpts] = postgresTarget(url);
  return openPostgresStore(pgUrl, { ...pgOpts, appendThread: servesHttp });
}

/** `?schema=NAME` on a postgres:// URL keeps Arbiter's tables in that schema (one database, several deployments). */
export function postgresTarget(url: string): [string, { schema?: string }] {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return [parsed.toString(), schema ? { schema } : {}];
}

/** Where a process's decisions are recorded: its own AuditRecorder, or the primary's through IPC. */
export type Recorder = DecisionRecorder & { close(): Promise<void> };

export interface Services {
  deps: AppDeps;
  engine: Engine;
  registry: Registry;
  recorder: Recorder;
  metrics: Metrics;
  markReady(): void;
}

export function engineDeps(): EngineDeps {
  return {
    compile: compileModules,
    bundles: { readBundle, validateBundle },
    loadWasm: (bytes, data) => loadWasmModule(bytes, data),
    validateWasm,
  };
}

export function buildServices(
  config: Config,
  store: Store,
  secret: string | undefined,
  logger: Logger,
  recorder?: Recorder,
  metrics: Metrics = new Metrics(),
): Services {
  if (!recorder) {
    const local = new AuditRecorder(store, { onCommit: metrics.onCommit });
    metrics.watchAudit(local);
    recorder = local;
  }
  const countedRecorder = instrumentRecorder(recorder, metrics);
  const limits = {
    maxRequestBytes: config.maxRequestBytes,
    maxBundleBytes: config.maxBundleBytes,
    maxBundleUncompressedBytes: config.maxBundleUncompressedBytes,
    maxBundleFiles: config.maxBundleFiles,
  };
  const bundleLimits = { maxCompressedBytes: limits.maxBundleBytes, maxUncompressedBytes: limits.maxBundleUncompressedBytes, maxFiles: limits.maxBundleFiles };
  const engine = new Engine(store, engineDeps(), bundleLimits);
  const registry = new Registry(store, engine, bundleLimits);
  const crossChecker = new CrossChecker({
    rate: config.wasmCrossCheckRate,
    registry: metrics.registry,
    onMismatch: (subject, mismatch) => logger.warn({ ...subject, reason: mismatch.reason }, 'wasm and rego answers differ'),
  });
  const decisions = new DecisionService(countedRecorder, {
    evalTimeoutMs: config.evalTimeoutMs,
    mask: (record, rules) => applyMask(record, rules, (rule, err) => logger.warn({ rule, err: err.message }, 'mask rule ignored')),
    onMaskError: (err) => logger.error({ err }, 'mask policy failed; input and result not recorded'),
    wasmSampler: crossChecker,
  });
  const agents = new AgentServices(store, countedRecorder, { dataDir: config.dataDir, ...config.agents, bundleLimits });
  registry.uploadCheck = (tenant, bundle) => agents.tenantKeys.checkUpload(tenant, bundle.files ?? []);
  engine.onReload((tenant) => agents.hub.notify(tenant));
  registry.observer = {
    changed: (tenant, bundle, change) => metrics.bundleActivations.inc({ tenant, bundle, change }),
    rejected: (tenant, bundle) => metrics.bundleValidationFailures.inc({ tenant, bundle }),
  };
  metrics.watchLongPolls(() => agents.hub.waiting);
  metrics.watchFleet(store, config.agents.staleAfterSeconds);
  let ready = false;
  const deps: AppDeps = {
    auth: new Authenticator({ secret, publicKey: config.jwt.publicKey, issuer: config.jwt.issuer, audience: config.jwt.audience }),
    store,
    engine,
    registry,
    decisions,
    crossChecker,
    verifyChain: (s, tenant) => verifyChain(s, tenant) as unknown as ReturnType<AppDeps['verifyChain']>,
    logger,
    version: VERSION,
    defaultDecision: config.defaultDecision,
    limits,
    isReady: () => ready,
    agents,
    metrics: () => metrics.registry.metrics(),
  };
  return { deps, engine, registry, recorder, metrics, markReady: () => (ready = true) };
}

export const DEMO_TENANT = 'demo';
export const DEMO_SCOPES = 'decide bundles:read bundles:write audit:read agent';

/** Creates the demo tenant and publishes every folder of the bundles directory that changed. */
export async function bootstrapDemo(config: Config, store: Store, registry: Registry, logger: Logger): Promise<void> {
  try {
    await store.createTenant({ id: DEMO_TENANT, name: 'Demo' });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
  }
  if (!existsSync(config.bundlesDir)) return;
  const active = new Map((await store.listActiveBundles(DEMO_TENANT)).map((a) => [a.meta.bundle, a.meta.digest]));
  for (const name of readdirSync(config.bundlesDir).sort()) {
    const dir = join(config.bundlesDir, name);
    if (!statSync(dir).isDirectory()) continue;
    const archive = await writeBundle(await buildBundleFromDir(dir));
    const digest = 'sha256:' + createHash('sha256').update(archive).digest('hex');
    if (active.get(name) === digest) continue;
    try {
      const meta = await registry.publish({ tenant: DEMO_TENANT, bundle: name, archive, activate: true, createdBy: 'arbiter:bootstrap' });
      logger.info({ bundle: name, version: meta.version }, 'example bundle loaded');
    } catch (e) {
      if (!(e instanceof BundleRejectedError)) throw e;
      logger.warn({ bundle: name, problems: e.problems }, 'example bundle rejected');
    }
  }
}

/** Writes admin.token and demo.token (mode 0600) into the data directory. */
export function writeBootstrapTokens(config: Config, secret: string): { admin: string; demo: string } {
  const files = { admin: join(config.dataDir, 'admin.token'), demo: join(config.dataDir, 'demo.token') };
  const common = { ttlSeconds: config.bootstrapTokenTtlSeconds, issuer: config.jwt.issuer, audience: config.jwt.audience };
  writeFileSync(files.admin, mintToken(secret, { ...common, tenant: '*', scope: 'admin', sub: 'admin' }) + '\n', { mode: 0o600 });
  writeFileSync(files.demo, mintToken(secret, { ...common, tenant: DEMO_TENANT, scope: DEMO_SCOPES, sub: 'demo' }) + '\n', { mode: 0o600 });
  return files;
}

function printWelcome(config: Config, files: { admin: string; demo: string } | undefined, logger: Logger): void {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${host}:${config.port}`;
  logger.info({ url: base, audit_durability: config.auditDurability }, 'arbiter is serving');
  if (!files) return;
  const input = JSON.stringify({
    input: { kind: 'Deployment', spec: { template: { metadata: { labels: {} }, spec: { containers: [{ name: 'app', securityContext: { privileged: true } }] } } } },
  });
  process.stdout.write(
    [
      '',
      `Arbiter ${VERSION} is listening on ${base}`,
      `  admin token (every tenant): ${files.admin}`,
      `  demo tenant token:          ${files.demo}`,
      '',
      'Try a decision against the example Kubernetes bundle:',
      `  curl -s -H "Authorization: Bearer $(cat ${files.demo})" -H 'Content-Type: application/json' \\`,
      `    -d '${input}' ${base}/v1/data/main/deny`,
      '',
    ].join('\n') + '\n',
  );
}

/** On PostgreSQL, activations by other replicas swap this process's PolicySets too. */
async function followOtherReplicas(config: Config, store: Store, engine: Engine, logger: Logger): Promise<void> {
  if (!config.databaseUrl?.startsWith('postgres')) return;
  await store.onBundleActivated(
    (e) => {
      void engine.reload(e.tenant).catch((err) => logger.error({ err, tenant: e.tenant }, 'reload failed'));
    },
    {
      // The listening connection was lost and is back: changes made meanwhile were not announced.
      onResync: () => {
        logger.warn('reloading every tenant after the activation listener reconnected');
        void engine.loadAll().catch((err) => logger.error({ err }, 'reload failed'));
      },
    },
  );
}

/** Serves on the configured port until stopped; returns the stop function. */
export async function serve(config: Config, store: Store, services: Services): Promise<{ server: http.Server; stop: () => Promise<void> }> {
  const app = createApp(services.deps);
  const server = http.createServer(createListener(app));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop accepting, let in-flight requests finish (each waits for its audit commit), then flush.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Held long polls are answered 304 at once, so agents reconnect to another replica.
      services.deps.agents?.hub.close();
      server.closeIdleConnections();
      // Keep-alive sockets become idle as their last response goes out: close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const force = setTimeout(() => server.closeAllConnections(), 10_000);
      await closed;
      clearInterval(sweep);
      clearTimeout(force);
      await services.recorder.close();
      await store.close();
    })());
  return { server, stop };
}

function onSignals(handler: () => void): void {
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

interface ReloadMessage {
  type: 'arbiter:reload';
  tenant: string;
}

function isReload(m: unknown): m is ReloadMessage {
  return typeof m === 'object' && m !== null && (m as ReloadMessage).type === 'arbiter:reload';
}

async function runPrimary(config: Config, logger: Logger): Promise<void> {
  mkdirSync(config.dataDir, { recursive: true });
  const secret = config.jwt.secret || !config.jwt.publicKey ? ensureJwtSecret(config) : undefined;
  const store = openStore(config, config.workers === 1);
  await store.init();
  const services = buildServices(config, store, secret, logger);
  if (config.demo) await bootstrapDemo(config, store, services.registry, logger);
  const tokens = config.demo && secret ? writeBootstrapTokens(config, secret) : undefined;
  const retention =
    config.auditRetentionSeconds > 0
      ? new RetentionJob(store, {
          maxAgeMs: config.auditRetentionSeconds * 1000,
          intervalMs: config.auditRetentionIntervalSeconds * 1000,
          onRun: (info) => {
            if (info.error) logger.error({ err: info.error }, 'audit retention failed');
            else if (info.removed > 0) logger.info({ removed: info.removed }, 'audit records pruned');
          },
        })
      : undefined;
  retention?.start();

  if (config.workers === 1) {
    await followOtherReplicas(config, store, services.engine, logger);
    await services.engine.loadAll();
    services.markReady();
    const { stop } = await serve(config, store, services);
    printWelcome(config, tokens, logger);
    onSignals(() => {
      logger.info('shutting down');
      void (async () => {
        await retention?.stop();
        await stop();
        process.exit(0);
      })();
    });
    return;
  }

  // Workers get the secret through their environment (never through a file they might not read).
  const env = secret ? { ARBITER_JWT_SECRET: secret } : {};
  // Records may hold bigints: the 'advanced' (structured clone) channel carries them.
  cluster.setupPrimary({ serialization: 'advanced' });
  let stopping = false;
  let listening = 0;
  const fork = () => cluster.fork(env);
  cluster.on('listening', () => {
    if (++listening === config.workers) printWelcome(config, tokens, logger);
  });
  const answerMetrics = createClusterMetrics(services.metrics, () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w));
  cluster.on('message', (from: Worker, msg: unknown) => {
    if (answerMetrics(from, msg)) return;
    if (isAuditBatch(msg)) {
      void recordBatch(services.recorder, msg).then((ack) => {
        if (from.isConnected()) from.send(ack);
      });
      return;
    }
    if (!isReload(msg)) return;
    for (const w of Object.values(cluster.workers ?? {})) if (w && w.id !== from.id) w.send(msg);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });
  for (let i = 0; i < config.workers; i++) fork();
  onSignals(() => {
    stopping = true;
    logger.info('shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    let left = workers.length;
    const done = async () => {
      await retention?.stop();
      await services.recorder.close();
      await store.close();
      process.exit(0);
    };
    if (left === 0) void done();
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) void done();
      });
      w.process.kill('SIGTERM');
    }
  });
}

async function runWorker(config: Config, logger: Logger): Promise<void> {
  const store = openStore(config);
  await store.init();
  // Decisions are committed by the primary's recorder: one group commit for every worker.
  const recorder = new RemoteRecorder((m) => process.send!(m));
  process.on('message', (msg: unknown) => {
    if (isAuditAck(msg)) recorder.acknowledge(msg);
  });
  process.on('disconnect', () => recorder.failAll('the primary process is gone'));
  const services = buildServices(config, store, config.jwt.secret, logger, recorder);
  services.deps.metrics = workerMetrics(services.metrics);
  services.engine.onChange((tenant) => process.send?.({ type: 'arbiter:reload', tenant } satisfies ReloadMessage));
  process.on('message', (msg: unknown) => {
    if (isReload(msg)) void services.engine.reload(msg.tenant).catch((err) => logger.error({ err, tenant: msg.tenant }, 'reload failed'));
  });
  await followOtherReplicas(config, store, services.engine, logger);
  await services.engine.loadAll();
  services.markReady();
  const { stop } = await serve(config, store, services);
  // The primary forwards SIGTERM/SIGINT; a terminal's Ctrl-C also reaches workers directly.
  onSignals(() => {
    void stop().then(() => process.exit(0));
  });
}

export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`arbiter: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  try {
    if (cluster.isPrimary) await runPrimary(config, logger);
    else await runWorker(config, logger);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`arbiter: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: e }, 'arbiter failed to start');
    process.exit(1);
  }
}

if (require.main === module) void main();
