// The OPA configuration of a cluster agent of one tenant, as docs/agents.md describes it: either
// complete (bundles, keys, decision logs, status) or the small boot configuration that fetches
// the rest through discovery. Also a command that fetches Arbiter's public keys and writes the
// configuration to a file (JSON, which OPA reads as YAML), e.g. for the compose file's agent:
//
//   node dist/src/agents/agent-config.js --arbiter http://arbiter:8181 --tenant demo \
//     --token-file /data/demo.token [--agent-token-path /arbiter/demo.token] \
//     [--discovery | --bundle kubernetes ...] [--label cluster=prod-eu-1 ...] [--out config.json]

import { readFileSync, writeFileSync } from 'node:fs';
import { DISCOVERY_DECISION } from './discovery';
import type { PublishedKey } from './signing-keys';

export interface AgentConfigRequest {
  /** Arbiter's base URL as the agent reaches it. */
  arbiterUrl: string;
  tenant: string;
  /** Where the agent reads its bearer token (scope `agent`). */
  tokenPath: string;
  keys: PublishedKey[];
  labels?: Record<string, string>;
  /** Bundles to configure; ignored with discovery. */
  bundles?: string[];
  discovery?: boolean;
  longPollSeconds?: number;
}

const SERVICE = 'arbiter';

export function agentConfig(r: AgentConfigRequest): Record<string, unknown> {
  const active = r.keys[0];
  if (!active) throw new Error('Arbiter published no keys');
  const signing = { keyid: active.kid, scope: active.scope };
  const polling = { min_delay_seconds: 10, max_delay_seconds: 20, long_polling_timeout_seconds: r.longPollSeconds ?? 30 };
  const keys = Object.fromEntries(r.keys.map((k) => [k.kid, { algorithm: k.algorithm, key: k.key, scope: k.scope }]));
  const base = {
    services: {
      [SERVICE]: { url: `${r.arbiterUrl.replace(/\/+$/, '')}/tenants/${encodeURIComponent(r.tenant)}`, credentials: { bearer: { token_path: r.tokenPath } } },
    },
    ...(r.labels && Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}),
    keys,
  };
  if (r.discovery) {
    return { ...base, discovery: { service: SERVICE, resource: 'discovery', decision: DISCOVERY_DECISION, signing, polling } };
  }
  const bundles = Object.fromEntries(
    (r.bundles ?? []).map((name) => [name, { service: SERVICE, resource: `bundles/${name}`, persist: true, polling, signing }]),
  );
  return {
    ...base,
    bundles,
    decision_logs: { service: SERVICE, reporting: { min_delay_seconds: 5, max_delay_seconds: 10 } },
    status: { service: SERVICE },
  };
}

function parseArgs(argv: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const takesValue = m[1] !== 'discovery';
    (out[m[1]] ??= []).push(takesValue ? (argv[++i] ?? '') : 'true');
  }
  return out;
}

async function run(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const one = (name: string, fallback?: string): string => {
    const v = a[name]?.at(-1) ?? fallback;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const arbiterUrl = one('arbiter');
  const tokenFile = one('token-file');
  const token = readFileSync(tokenFile, 'utf8').trim();
  const res = await fetch(`${arbiterUrl.replace(/\/+$/, '')}/keys`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /keys answered ${res.status}`);
  const { keys } = (await res.json()) as { keys: PublishedKey[] };
  const labels = Object.fromEntries((a.label ?? []).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  const config = agentConfig({
    arbiterUrl,
    tenant: one('tenant'),
    tokenPath: one('agent-token-path', tokenFile),
    keys,
    labels,
    bundles: a.bundle ?? [],
    discovery: a.discovery !== undefined,
  });
  const text = JSON.stringify(config, null, 2) + '\n';
  const out = a.out?.at(-1);
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

if (require.main === module) {
  run().catch((e: Error) => {
    process.stderr.write(`agent-config: ${e.message}\n`);
    process.exit(1);
  });
}
