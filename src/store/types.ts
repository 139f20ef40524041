// The storage contract of the service. Two implementations: SQLite (embedded, default) and
// PostgreSQL (several replicas). Nothing above this layer knows which one it talks to; both must
// pass the same contract test suite (test/store/contract.ts).
//
// All methods are async so both backends fit. Every write that must be atomic is one method
// (one transaction) here, so callers never hold a transaction open across awaits.

export interface Tenant {
  id: string;
  name: string;
  created_at: string; // RFC 3339
}

export interface BundleVersionMeta {
  tenant: string;
  bundle: string;
  version: number; // 1, 2, ... per (tenant, bundle)
  revision: string; // from the manifest, may be ''
  digest: string; // 'sha256:<hex>' of the tar.gz as uploaded
  size: number; // bytes of the tar.gz
  created_at: string;
  created_by: string; // token subject
  active: boolean;
  /** The parsed manifest (roots, rego_version, wasm, metadata). */
  manifest: Record<string, unknown>;
}

export interface ActiveBundle {
  meta: BundleVersionMeta;
  /** The stored tar.gz. */
  archive: Buffer;
}

/** A recorded decision, from the service itself or from an agent's decision log. */
export interface DecisionRecord {
  decision_id: string;
  tenant: string;
  source: 'server' | 'agent';
  path: string;
  input?: unknown; // absent when undefined
  result?: unknown; // absent when undefined
  error?: unknown;
  bundles: Record<string, { version?: number; revision?: string; digest?: string }>;
  principal: string;
  remote_addr: string;
  timestamp: string; // RFC 3339 with nanoseconds where known
  duration_ns: number;
  labels?: Record<string, string>; // agent labels (labels.id identifies the agent)
  erased?: string[];
  masked?: string[];
  /** Set by the store when appended: position and hash chain. */
  seq?: number;
  prev_hash?: string;
  hash?: string;
}

export interface DecisionQuery {
  tenant: string;
  since?: string;
  until?: string;
  path?: string;
  bundle?: string;
  outcome?: 'allowed' | 'denied' | 'undefined' | 'error';
  principal?: string;
  source?: 'server' | 'agent';
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface AgentStatus {
  tenant: string;
  agent_id: string;
  labels: Record<string, string>;
  last_seen: string;
  status: unknown; // the last status document as the agent sent it
}

export interface Store {
  /** Applies migrations; must be called (and awaited) before anything else. */
  init(): Promise<void>;
  close(): Promise<void>;

  // Tenants
  createTenant(t: { id: string; name: string }): Promise<Tenant>; // throws ConflictError when it exists
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  deleteTenant(id: string): Promise<boolean>;

  // Registry: versions are immutable; activation is one atomic switch.
  /** Stores a new version (next number) and, when `activate`, makes it the active one, atomically. */
  addBundleVersion(v: Omit<BundleVersionMeta, 'version' | 'active' | 'created_at'> & { archive: Buffer; activate: boolean }): Promise<BundleVersionMeta>;
  listBundles(tenant: string): Promise<BundleVersionMeta[]>; // latest version of each bundle, with its active flag
  listBundleVersions(tenant: string, bundle: string): Promise<BundleVersionMeta[]>;
  getBundleVersion(tenant: string, bundle: string, version: number): Promise<ActiveBundle | undefined>;
  activateBundleVersion(tenant: string, bundle: string, version: number): Promise<BundleVersionMeta | undefined>;
  deactivateBundle(tenant: string, bundle: string): Promise<boolean>;
  /** Every active version of every tenant (or of one tenant), with archives, for building policy sets. */
  listActiveBundles(tenant?: string): Promise<ActiveBundle[]>;

  // Audit log: appended in batches (group commit); the store assigns seq and hash chain per tenant.
  appendDecisions(records: DecisionRecord[]): Promise<{ inserted: number; duplicates: number }>;
  getDecision(tenant: string, id: string): Promise<DecisionRecord | undefined>;
  queryDecisions(q: DecisionQuery): Promise<{ records: DecisionRecord[]; next_cursor?: string }>;
  /** Walks a tenant's chain in order, for verification and NDJSON export. */
  iterateDecisions(tenant: string, fromSeq?: number): AsyncIterable<DecisionRecord>;
  pruneDecisions(olderThan: string): Promise<number>;

  // Fleet
  upsertAgentStatus(s: AgentStatus): Promise<void>;
  listAgents(tenant: string): Promise<AgentStatus[]>;

  // Key-value settings (JWT secret, signing key ids, tenant signing keys).
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
}

export class ConflictError extends Error {}
