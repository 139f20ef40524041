// Every setting of the service, read once from the environment. Each has a default that works on a
// laptop; a bad value stops the start with a message naming the variable. The README's
// configuration table lists exactly the variables of SETTINGS (a test checks it).

import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readOrCreateFile } from './files';
import type { AuditDurability } from './store/types';
import { join, resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  jwt: {
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
  };
  defaultDecision: string;
  workers: number;
  bundlesDir: string;
  demo: boolean;
  bootstrapTokenTtlSeconds: number;
  evalTimeoutMs: number;
  maxRequestBytes: number;
  maxBundleBytes: number;
  maxBundleUncompressedBytes: number;
  maxBundleFiles: number;
  wasmCrossCheckRate: number;
  auditRetentionSeconds: number;
  auditRetentionIntervalSeconds: number;
  auditDurability: AuditDurability;
  logLevel: string;
  agents: {
    signingAlgorithm: 'RS256' | 'ES256';
    /** PEM private key shared by every replica; unset: generated into the data directory. */
    signingKeyFile?: string;
    signingScope: string;
    staleAfterSeconds: number;
    longPollMaxSeconds: number;
    longPollSeconds: number;
    maxLogBytes: number;
  };
}

export class ConfigError extends Error {}

/** Name, default (as the README shows it) and meaning of every environment variable. */
export const SETTINGS: { name: string; default: string; description: string }[] = [
  { name: 'ARBITER_PORT', default: '8181', description: 'TCP port of the HTTP API.' },
  { name: 'ARBITER_HOST', default: '0.0.0.0', description: 'Address to listen on.' },
  { name: 'ARBITER_DATA_DIR', default: './data', description: 'Directory for the SQLite database, the generated JWT secret and the bootstrap tokens.' },
  { name: 'ARBITER_DATABASE_URL', default: '(unset: SQLite file in the data directory)', description: '`postgres://...` to store everything in PostgreSQL (several replicas), or `sqlite:/path/file.db`.' },
  { name: 'ARBITER_JWT_SECRET', default: '(generated into `$ARBITER_DATA_DIR/jwt.secret`)', description: 'HS256 secret that signs and verifies tokens.' },
  { name: 'ARBITER_JWT_PUBLIC_KEY', default: '(unset)', description: 'PEM public key (RSA or EC) to verify RS256/ES256 tokens issued elsewhere.' },
  { name: 'ARBITER_JWT_PUBLIC_KEY_FILE', default: '(unset)', description: 'File holding that PEM public key.' },
  { name: 'ARBITER_JWT_ISSUER', default: '(unset: not checked)', description: 'Required `iss` claim.' },
  { name: 'ARBITER_JWT_AUDIENCE', default: '(unset: not checked)', description: 'Required `aud` claim.' },
  { name: 'ARBITER_DEFAULT_DECISION', default: 'system/main', description: 'Path evaluated by `POST /`.' },
  { name: 'ARBITER_WORKERS', default: '(number of CPUs minus one, at least 1)', description: 'Worker processes sharing the port (node:cluster); 1 runs in one process, whose audit writer thread already uses a second core. With more, the primary commits every worker\'s decisions.' },
  { name: 'ARBITER_BUNDLES_DIR', default: './bundles', description: 'Example bundles published to the demo tenant at start (a folder whose content changed becomes a new version).' },
  { name: 'ARBITER_DEMO', default: 'true', description: 'Create the `demo` tenant, load the example bundles and write `admin.token` / `demo.token` at start.' },
  { name: 'ARBITER_BOOTSTRAP_TOKEN_TTL', default: '30d', description: 'Lifetime of the tokens written at start.' },
  { name: 'ARBITER_EVAL_TIMEOUT_MS', default: '10000', description: 'Deadline of one policy evaluation.' },
  { name: 'ARBITER_MAX_REQUEST_BYTES', default: '67108864', description: 'Largest accepted request body (after gzip decompression).' },
  { name: 'ARBITER_BUNDLE_MAX_BYTES', default: '67108864', description: 'Largest accepted bundle upload (compressed).' },
  { name: 'ARBITER_BUNDLE_MAX_UNCOMPRESSED_BYTES', default: '268435456', description: 'Largest bundle content once decompressed.' },
  { name: 'ARBITER_BUNDLE_MAX_FILES', default: '10000', description: 'Most files in one bundle.' },
  { name: 'ARBITER_WASM_CROSSCHECK_RATE', default: '0.01', description: 'Fraction of decisions answered by a `policy.wasm` that the Rego engine re-evaluates to compare (0 turns it off).' },
  { name: 'ARBITER_AUDIT_RETENTION', default: '90d', description: 'Decision records older than this are pruned; `0` keeps them forever.' },
  { name: 'ARBITER_AUDIT_RETENTION_INTERVAL', default: '1h', description: 'How often the pruning runs.' },
  { name: 'ARBITER_AUDIT_DURABILITY', default: 'disk', description: 'When a decision may be answered: `disk` once its audit record is committed and synced to disk (survives a power cut); `process` once it is committed, with the disk sync running in the background (survives Arbiter being killed, not a power cut or kernel crash; for disks whose sync takes milliseconds). Embedded SQLite only; with PostgreSQL the server\'s `synchronous_commit` decides.' },
  { name: 'ARBITER_SIGNING_ALGORITHM', default: 'RS256', description: 'Algorithm of the key Arbiter signs served bundles with (`RS256` or `ES256`); the key is generated into the data directory on first start.' },
  { name: 'ARBITER_SIGNING_KEY_FILE', default: '(unset: generated into the data directory)', description: 'PEM private key (RSA or EC P-256) to sign served bundles with; give every replica the same one. Its type decides the algorithm.' },
  { name: 'ARBITER_SIGNING_SCOPE', default: 'write', description: 'Scope written into the signatures of served bundles; agents configure the same scope.' },
  { name: 'ARBITER_AGENT_STALE_AFTER', default: '5m', description: 'An agent not heard from for this long counts as drifted in the fleet view.' },
  { name: 'ARBITER_LONG_POLL_MAX', default: '300s', description: 'Longest an agent\'s long-polling bundle request is held (its `wait=N` is capped to this).' },
  { name: 'ARBITER_AGENT_LONG_POLL', default: '30s', description: 'Long-polling timeout that discovery hands to agents.' },
  { name: 'ARBITER_AGENT_LOG_MAX_BYTES', default: '8388608', description: 'Largest decision-log chunk an agent may upload (compressed).' },
  { name: 'ARBITER_LOG_LEVEL', default: 'info', description: 'pino log level (`fatal`, `error`, `warn`, `info`, `debug`, `silent`).' },
];

const DURATION = /^(\d+)(s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `90`, `90s`, `15m`, `12h` or `30d` into seconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2] ?? 's'];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
    }
    return n;
  };
  const duration = (name: string, fallback: string): number => {
    const raw = str(name) ?? fallback;
    const s = parseDuration(raw);
    if (s === undefined) throw new ConfigError(`${name} must be a duration like 90s, 15m, 12h or 30d, got '${raw}'`);
    return s;
  };
  const fraction = (name: string, fallback: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!(n >= 0 && n <= 1)) throw new ConfigError(`${name} must be a number from 0 to 1, got '${raw}'`);
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false, got '${raw}'`);
  };

  let publicKey = str('ARBITER_JWT_PUBLIC_KEY');
  const publicKeyFile = str('ARBITER_JWT_PUBLIC_KEY_FILE');
  if (publicKey && publicKeyFile) throw new ConfigError('set ARBITER_JWT_PUBLIC_KEY or ARBITER_JWT_PUBLIC_KEY_FILE, not both');
  if (publicKeyFile) {
    try {
      publicKey = readFileSync(publicKeyFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`ARBITER_JWT_PUBLIC_KEY_FILE: cannot read ${publicKeyFile}: ${(e as Error).message}`);
    }
  }
  if (publicKey && !publicKey.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new ConfigError('ARBITER_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  const secret = str('ARBITER_JWT_SECRET');
  if (secret !== undefined && secret.length < 16) throw new ConfigError('ARBITER_JWT_SECRET must be at least 16 characters');

  const databaseUrl = str('ARBITER_DATABASE_URL');
  if (databaseUrl && !/^(postgres|postgresql|sqlite):/.test(databaseUrl)) {
    throw new ConfigError(`ARBITER_DATABASE_URL must start with postgres:// or sqlite:, got '${databaseUrl}'`);
  }
  const defaultDecision = (str('ARBITER_DEFAULT_DECISION') ?? 'system/main').replace(/^\/+|\/+$/g, '');
  if (defaultDecision === '') throw new ConfigError('ARBITER_DEFAULT_DECISION must name a path such as system/main');

  return {
    port: int('ARBITER_PORT', 8181, 0, 65535),
    host: str('ARBITER_HOST') ?? '0.0.0.0',
    dataDir: resolve(str('ARBITER_DATA_DIR') ?? './data'),
    databaseUrl,
    jwt: { secret, publicKey, issuer: str('ARBITER_JWT_ISSUER'), audience: str('ARBITER_JWT_AUDIENCE') },
    defaultDecision,
    workers: int('ARBITER_WORKERS', Math.max(1, availableParallelism() - 1), 1, 64),
    bundlesDir: resolve(str('ARBITER_BUNDLES_DIR') ?? './bundles'),
    demo: bool('ARBITER_DEMO', true),
    bootstrapTokenTtlSeconds: duration('ARBITER_BOOTSTRAP_TOKEN_TTL', '30d'),
    evalTimeoutMs: int('ARBITER_EVAL_TIMEOUT_MS', 10000, 1),
    maxRequestBytes: int('ARBITER_MAX_REQUEST_BYTES', 64 * 1024 * 1024, 1024),
    maxBundleBytes: int('ARBITER_BUNDLE_MAX_BYTES', 64 * 1024 * 1024, 1024),
    maxBundleUncompressedBytes: int('ARBITER_BUNDLE_MAX_UNCOMPRESSED_BYTES', 256 * 1024 * 1024, 1024),
    maxBundleFiles: int('ARBITER_BUNDLE_MAX_FILES', 10000, 1),
    wasmCrossCheckRate: fraction('ARBITER_WASM_CROSSCHECK_RATE', 0.01),
    auditRetentionSeconds: duration('ARBITER_AUDIT_RETENTION', '90d'),
    auditRetentionIntervalSeconds: Math.max(1, duration('ARBITER_AUDIT_RETENTION_INTERVAL', '1h')),
    auditDurability: auditDurability(str('ARBITER_AUDIT_DURABILITY')),
    logLevel: str('ARBITER_LOG_LEVEL') ?? 'info',
    agents: {
      signingAlgorithm: signingAlgorithm(str('ARBITER_SIGNING_ALGORITHM')),
      signingKeyFile: str('ARBITER_SIGNING_KEY_FILE'),
      signingScope: str('ARBITER_SIGNING_SCOPE') ?? 'write',
      staleAfterSeconds: Math.max(1, duration('ARBITER_AGENT_STALE_AFTER', '5m')),
      longPollMaxSeconds: Math.max(1, duration('ARBITER_LONG_POLL_MAX', '300s')),
      longPollSeconds: Math.max(1, duration('ARBITER_AGENT_LONG_POLL', '30s')),
      maxLogBytes: int('ARBITER_AGENT_LOG_MAX_BYTES', 8 * 1024 * 1024, 1024),
    },
  };
}

function signingAlgorithm(raw: string | undefined): 'RS256' | 'ES256' {
  if (raw === undefined || raw === 'RS256' || raw === 'ES256') return raw ?? 'RS256';
  throw new ConfigError(`ARBITER_SIGNING_ALGORITHM must be RS256 or ES256, got '${raw}'`);
}

function auditDurability(raw: string | undefined): AuditDurability {
  if (raw === undefined || raw === 'disk' || raw === 'process') return raw ?? 'disk';
  throw new ConfigError(`ARBITER_AUDIT_DURABILITY must be disk or process, got '${raw}'`);
}

/** The HS256 secret: from the environment, else from the data directory, else generated there. */
export function ensureJwtSecret(config: Config): string {
  if (config.jwt.secret) return config.jwt.secret;
  const file = join(config.dataDir, 'jwt.secret');
  return readOrCreateFile(file, () => randomBytes(32).toString('base64url') + '\n', 0o600).trim();
}
