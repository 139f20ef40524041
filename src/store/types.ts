// The storage contract of the service. Two implementations: SQLite (embedded, default) and
// PostgreSQL (several replicas). Nothing above this layer knows which one it talks to; both must
// pass the same contract test suite (test/store/contract.ts).
//
// All methods are async so both backends fit. Every write that must be atomic is one method
// (one transaction) here, so callers never hold a transaction open across awaits.
import type { PreparedDecision, QueuedDecision } from './decisions';

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
  /** Set by listBundles only: the bundle's active version, when one is active. */
  active_version?: number;
}

/** A change of a bundle's active version; `version` is absent when the bundle was deactivated. */
export interface BundleActivation {
  tenant: string;
  bundle: string;
  version?: number;
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

/**
 * Filters of queryDecisions. `since` (inclusive) and `until` (exclusive) are RFC 3339 and compare
 * with the decision's timestamp to the microsecond; `path` matches the path and everything below
 * it, with or without a leading slash; `bundle` matches records that name the bundle; `outcome`
 * follows classifyOutcome in src/store/decisions.ts.
 */
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
  /** Page order by seq; default 'desc' (newest first). */
  order?: 'asc' | 'desc';
}

/**
 * Where a tenant's chain starts and ends. `anchor_seq`/`anchor_hash` are the seq and prev_hash the
 * first remaining record must have (1 and GENESIS_HASH until retention prunes); `head_seq`/`head_hash`
 * are those of the last appended record (0 and GENESIS_HASH before any).
 */
export interface ChainState {
  tenant: string;
  anchor_seq: number;
  anchor_hash: string;
  head_seq: number;
  head_hash: string;
}

/** A record as stored in the chain: `text` is the canonical JSON its hash covers (see chain.ts). */
export interface ChainEntry {
  seq: number;
  decision_id: string;
  text: string;
  prev_hash: string;
  hash: string;
}

export interface AgentStatusChange {
  tenant: string;
  agent_id: string;
  received_at: string;
  status: unknown;
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
  /** Deletes the tenant with its bundles and agents; its decisions stay in the audit log (retention prunes them). */
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
  /**
   * Calls `cb` after an activation, rollback or deactivation has committed: on PostgreSQL in every
   * process on the database (LISTEN/NOTIFY), on SQLite in this process. Resolves to an unsubscribe.
   * `onResync` is called when notifications may have been missed (PostgreSQL: the listening
   * connection was lost and is back): reload every tenant's active bundles then.
   */
  onBundleActivated(cb: (e: BundleActivation) => void, opts?: { onResync?: () => void }): Promise<() => Promise<void>>;

  // Audit log: appended in batches (group commit); the store assigns seq and hash chain per tenant.
  /**
   * One transaction, durable when it resolves. Records must be JSON-shaped (plain objects and
   * arrays; bigint for integers beyond 2^53). A record whose (tenant, decision_id) is already
   * stored, or repeated in the batch, is counted as a duplicate and not inserted. Malformed
   * records reject the whole batch with InvalidArgumentError.
   */
  appendDecisions(records: DecisionRecord[]): Promise<{ inserted: number; duplicates: number }>;
  /**
   * True when concurrent appendDecisions calls are applied in call order (SQLite: one writer), so a
   * caller may start the next append while the previous one waits for the disk.
   */
  readonly orderedAppends?: boolean;
  /**
   * appendDecisions for records already encoded by prepareDecision (src/store/decisions.ts), which
   * validates them: lets a caller encode each record when it arrives instead of all at commit time.
   */
  appendPrepared?(records: PreparedDecision[]): Promise<{ inserted: number; duplicates: number }>;
  /**
   * appendPrepared where records may also be queueDecision's JSON text, which the store prepares
   * where it does not cost the caller (SQLite: on its writer thread).
   */
  appendQueued?(records: QueuedDecision[]): Promise<{ inserted: number; duplicates: number }>;
  getDecision(tenant: string, id: string): Promise<DecisionRecord | undefined>;
  queryDecisions(q: DecisionQuery): Promise<{ records: DecisionRecord[]; next_cursor?: string }>;
  /** Walks a tenant's chain in order, for verification and NDJSON export. */
  iterateDecisions(tenant: string, fromSeq?: number): AsyncIterable<DecisionRecord>;
  /** The same walk without parsing: each record's stored canonical text and chain fields. */
  iterateChain(tenant: string, fromSeq?: number): AsyncIterable<ChainEntry>;
  /**
   * Removes, per tenant, the longest prefix of the chain whose records all have a timestamp before
   * `olderThan`, in transactions of at most `batchSize` records, and moves the chain anchor so what
   * remains still verifies. Returns the number of records removed.
   */
  pruneDecisions(olderThan: string, opts?: { batchSize?: number }): Promise<number>;
  /** Anchor and head of a tenant's chain; undefined when the tenant never had a decision. */
  getChainState(tenant: string): Promise<ChainState | undefined>;

  // Fleet
  upsertAgentStatus(s: AgentStatus): Promise<void>;
  listAgents(tenant: string): Promise<AgentStatus[]>;
  /** Status documents that differed from the agent's previous one, newest first. */
  listAgentStatusHistory(tenant: string, agentId: string, limit: number): Promise<AgentStatusChange[]>;

  // Key-value settings (JWT secret, signing key ids, tenant signing keys).
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
}

export class ConflictError extends Error {}
/** A referenced tenant (or other parent) does not exist. */
export class NotFoundError extends Error {}
/** A malformed argument: bad cursor, timestamp, limit. The HTTP layer answers 400. */
export class InvalidArgumentError extends Error {}

/**
 * When a decision's audit record counts as written, so that its answer may be sent:
 * - `disk`: committed and synced to disk (fdatasync); survives a power cut or a kernel crash;
 * - `process`: committed to the database (for SQLite: written to the operating system, synced
 *   in the background right after); survives Arbiter being killed, but a power cut or kernel
 *   crash may lose the last few milliseconds of answered decisions.
 */
export type AuditDurability = 'disk' | 'process';
