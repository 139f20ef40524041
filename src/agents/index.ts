// Everything the service keeps for cluster agents: Arbiter's signing keys, the signed archives it
// serves, the long-poll waiters, tenants' upload keys, and the recording of agents' decision logs.

import type { BundleLimits } from '../bundle';
import type { Config } from '../config';
import type { DecisionRecorder } from '../engine/decisions';
import type { DecisionRecord, Store } from '../store/types';
import { ChangeHub } from './change-hub';
import { SignedBundles } from './signed-bundles';
import { ArbiterKeys } from './signing-keys';
import { TenantKeys } from './tenant-keys';

export { ChangeHub, type WaitOutcome } from './change-hub';
export { ArbiterKeys, type PublishedKey } from './signing-keys';
export { TenantKeys, parseTenantSigning, TenantKeysError, type TenantSigning } from './tenant-keys';
export { chunkToRecords, LogChunkError } from './logs';
export { fleetView, statusToKeep, StatusError, type FleetView } from './fleet';
export { discoveryConfig, discoveryFiles, DISCOVERY_DECISION } from './discovery';

/** The agents' settings of the configuration, with where keys live and the bundle limits. */
export type AgentOptions = Config['agents'] & {
  dataDir: string;
  bundleLimits?: BundleLimits;
};

/** A recorder that may commit a group in one transaction (AuditRecorder does). */
export type GroupRecorder = DecisionRecorder & { recordAll?(records: DecisionRecord[]): Promise<void> };

export class AgentServices {
  readonly keys: ArbiterKeys;
  readonly hub = new ChangeHub();
  readonly signed: SignedBundles;
  readonly tenantKeys: TenantKeys;

  constructor(
    store: Store,
    private readonly recorder: GroupRecorder,
    readonly options: AgentOptions,
  ) {
    this.keys = new ArbiterKeys(options.dataDir, options.signingAlgorithm, options.signingScope, options.signingKeyFile);
    this.signed = new SignedBundles(this.keys.signing, options.signingScope, options.bundleLimits);
    this.tenantKeys = new TenantKeys(store);
  }

  /**
   * Records a chunk of agent decisions and resolves once durable: one transaction through a local
   * AuditRecorder or, from a worker, through the primary's (RemoteRecorder.recordAll).
   */
  async recordChunk(records: DecisionRecord[]): Promise<void> {
    if (this.recorder.recordAll) await this.recorder.recordAll(records);
    else await Promise.all(records.map((r) => this.recorder.record(r)));
  }
}
