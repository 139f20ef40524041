// The discovery bundle of a tenant (protocols.md §5): its data, at `arbiter/discovery`, is the OPA
// configuration an agent of that tenant should run. Services are left out on purpose: OPA then
// uses the boot configuration's service (the one that fetched discovery), so the bundle stays the
// same whatever URL or credentials each agent uses.

import { createHash } from 'node:crypto';
import type { BundleFile } from '../bundle';
import type { PublishedKey } from './signing-keys';

/** Where the configuration sits in the discovery bundle; agents set `discovery.decision` to it. */
export const DISCOVERY_DECISION = 'arbiter/discovery';

export interface DiscoveryInput {
  /** Names of the tenant's active bundles. */
  bundles: string[];
  keys: PublishedKey[];
  signingKid: string;
  scope: string;
  longPollSeconds: number;
  /** Service name to reference explicitly; omitted references default to the boot configuration's. */
  service?: string;
}

export function discoveryConfig(d: DiscoveryInput): Record<string, unknown> {
  const service = d.service ? { service: d.service } : {};
  const bundles: Record<string, unknown> = {};
  for (const name of [...d.bundles].sort()) {
    bundles[name] = {
      ...service,
      resource: `bundles/${name}`,
      persist: false,
      polling: { min_delay_seconds: 10, max_delay_seconds: 20, long_polling_timeout_seconds: d.longPollSeconds },
      signing: { keyid: d.signingKid, scope: d.scope },
    };
  }
  const keys: Record<string, unknown> = {};
  for (const k of d.keys) keys[k.kid] = { algorithm: k.algorithm, key: k.key, scope: k.scope };
  return {
    bundles,
    keys,
    decision_logs: { ...service, reporting: { min_delay_seconds: 5, max_delay_seconds: 10 } },
    status: { ...service },
  };
}

/** The files of the discovery bundle; the revision is a digest of the configuration. */
export function discoveryFiles(config: Record<string, unknown>): { files: BundleFile[]; revision: string } {
  const data = JSON.stringify(config);
  const revision = createHash('sha256').update(data).digest('hex').slice(0, 32);
  const manifest = JSON.stringify({ revision, roots: [DISCOVERY_DECISION.split('/')[0]] });
  return {
    revision,
    files: [
      { path: '.manifest', content: Buffer.from(manifest) },
      { path: `${DISCOVERY_DECISION}/data.json`, content: Buffer.from(data) },
    ],
  };
}
