// The store for several replicas: PostgreSQL through a pg Pool.
//
// - Migrations run at init() under a session advisory lock, so replicas starting together apply
//   each one exactly once.
// - Each tenant's hash chain is serialised by locking its decision_chains row; tenants of a batch
//   are locked in sorted order, so two replicas never deadlock. An appender that knows the heads it
//   last committed appends in one statement that applies only if they are still current, else in
//   a transaction that reads them under the lock (postgres-append.ts). Commits are durable with
//   PostgreSQL's default synchronous_commit=on.
// - Audit appends run on a worker thread with a connection of its own (postgres-thread.ts), which
//   prepares the records, hashes the chain and inserts them, merging the batches that arrived while
//   the previous append waited for PostgreSQL, so that work stays off the event loop that answers
//   decisions.
// - Activations send NOTIFY inside their transaction; onBundleActivated LISTENs on a dedicated
//   connection, so every replica learns of a change as soon as it commits.
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { canonicalJSON, parseJSONExact } from './json';
import { DbThread } from './db-thread';
import { loadMigrations, migrationsDir } from './migrations';
import {
  checkLimit,
  checkRecord,
  prepareDecision,
  preparedFromQueue,
  decodeCursor,
  encodeCursor,
  normalizePath,
  timestampMicros,
  type PreparedDecision,
  type QueuedDecision,
} from './decisions';
import { appendCounts, appendRecords, pgText, type ChainHeads } from './postgres-append';
import type { PostgresThreadRequest } from './postgres-thread';
import {
  ConflictError,
  NotFoundError,
  type ActiveBundle,
  type AgentStatus,
  type AgentStatusChange,
  type BundleActivation,
  type BundleVersionMeta,
  type ChainEntry,
  type ChainState,
  type DecisionQuery,
  type DecisionRecord,
  type Store,
  type Tenant,
} from './types';

export interface PostgresStoreOptions {
  /** Schema holding every table (created when missing); default "public". */
  schema?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** Defaults to migrations/postgres of the project. */
  migrationsDir?: string;
  /**
   * Append the audit log on a worker thread with a connection of its own (default true), so
   * preparing records (canonical JSON), hashing the chain and encoding the INSERT do not block the
   * event loop. False appends on the main thread through the pool.
   */
  appendThread?: boolean;
}

type Row = Record<string, any>;
type AppendThread = DbThread<PostgresThreadRequest>;

const ITERATE_CHUNK = 500;
const DEFAULT_PRUNE_BATCH = 1000;
const RECONNECT_MS = 1000;

export function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Store {
  return new PostgresStore(url, opts);
}

function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

class PostgresStore implements Store {
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly channel: string;
  private readonly clientConfig: PoolConfig;
  private ready = false;
  private closed = false;
  private listener: Client | undefined;
  private listenerConnecting: Promise<void> | undefined;
  private readonly activationListeners = new Set<(e: BundleActivation) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private listenerConnectedBefore = false;
  private appender: AppendThread | undefined;
  /**
   * The append thread applies appends in call order on its one connection, so the recorder may hand
   * it the next batch while one waits for PostgreSQL; inline appends run on pool connections at once.
   */
  get orderedAppends(): boolean {
    return this.threadedAppends;
  }

  private get threadedAppends(): boolean {
    return this.opts.appendThread ?? true;
  }

  /** The chain heads the inline append path committed (the append thread keeps its own). */
  private readonly chainHeads: ChainHeads = new Map();

  constructor(
    url: string,
    private readonly opts: PostgresStoreOptions,
  ) {
    this.schema = opts.schema ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(this.schema)) throw new Error(`invalid schema name ${JSON.stringify(this.schema)}`);
    this.channel = `arbiter_bundle_activated_${this.schema}`.slice(0, 63);
    this.clientConfig = { connectionString: url, options: `-c search_path=${this.schema}` };
    this.pool = new Pool({ ...this.clientConfig, max: opts.maxConnections ?? 10 });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  async init(): Promise<void> {
    const migrations = loadMigrations(this.opts.migrationsDir ?? migrationsDir('postgres'));
    const client = await this.pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext($1))`, [`arbiter-migrations:${this.schema}`]);
      try {
        // A role without CREATE on the database can still run in the existing public schema.
        if (this.schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
        const applied = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        for (const m of migrations) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(m.sql);
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              m.version,
              m.name,
              new Date().toISOString(),
            ]);
            await client.query('COMMIT');
          } catch (e) {
            await client.query('ROLLBACK');
            throw new Error(`migration ${m.version}_${m.name} failed: ${(e as Error).message}`);
          }
        }
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`arbiter-migrations:${this.schema}`]);
      }
    } finally {
      client.release();
    }
    this.ready = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    // Answered by the thread once the appends it was given are done; then its connection is closed.
    const appender = this.appender;
    this.appender = undefined;
    await appender?.close().catch(() => undefined);
    await this.pool.end();
  }

  private async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (!this.ready) throw new Error('store is not initialized: await init() first');
    return (await this.pool.query(sql, params)).rows;
  }

  /** Runs fn in one transaction on one connection. */
  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    if (!this.ready) throw new Error('store is not initialized: await init() first');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tenants

  async createTenant(t: { id: string; name: string }): Promise<Tenant> {
    const tenant: Tenant = { id: t.id, name: t.name, created_at: new Date().toISOString() };
    const rows = await this.query('INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id', [
      tenant.id,
      tenant.name,
      tenant.created_at,
    ]);
    if (rows.length === 0) throw new ConflictError(`tenant ${t.id} already exists`);
    return tenant;
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    return (await this.query('SELECT id, name, created_at FROM tenants WHERE id = $1', [id]))[0] as Tenant | undefined;
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.query('SELECT id, name, created_at FROM tenants ORDER BY id')) as Tenant[];
  }

  async deleteTenant(id: string): Promise<boolean> {
    return this.tx(async (c) => {
      const active = (await c.query('SELECT bundle FROM active_bundles WHERE tenant = $1', [id])).rows.map((r) => r.bundle as string);
      if ((await c.query('DELETE FROM tenants WHERE id = $1 RETURNING id', [id])).rowCount === 0) return false;
      // Other replicas must drop the tenant's policies: its active bundles are deactivated with it
      // (bundle '' announces a tenant that had none, so replicas forget it too).
      for (const bundle of active.length > 0 ? active : ['']) await this.notify(c, { tenant: id, bundle });
      return true;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Registry

  async addBundleVersion(
    v: Omit<BundleVersionMeta, 'version' | 'active' | 'created_at'> & { archive: Buffer; activate: boolean },
  ): Promise<BundleVersionMeta> {
    return this.tx(async (c) => {
      // Locking the tenant row numbers concurrent uploads (from any replica) one after the other.
      if ((await c.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [v.tenant])).rowCount === 0)
        throw new NotFoundError(`tenant ${v.tenant} does not exist`);
      const last = await c.query('SELECT MAX(version) AS v FROM bundle_versions WHERE tenant = $1 AND bundle = $2', [v.tenant, v.bundle]);
      const version = (last.rows[0].v ?? 0) + 1;
      const createdAt = new Date().toISOString();
      await c.query(
        `INSERT INTO bundle_versions (tenant, bundle, version, revision, digest, size, created_at, created_by, manifest, archive)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [v.tenant, v.bundle, version, v.revision, v.digest, v.size, createdAt, v.created_by, JSON.stringify(v.manifest), v.archive],
      );
      if (v.activate) await this.setActive(c, v.tenant, v.bundle, version, createdAt);
      return {
        tenant: v.tenant,
        bundle: v.bundle,
        version,
        revision: v.revision,
        digest: v.digest,
        size: v.size,
        created_at: createdAt,
        created_by: v.created_by,
        active: v.activate,
        manifest: v.manifest,
      };
    });
  }

  private async setActive(c: PoolClient, tenant: string, bundle: string, version: number, at: string): Promise<void> {
    await c.query(
      `INSERT INTO active_bundles (tenant, bundle, version, activated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, bundle) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at`,
      [tenant, bundle, version, at],
    );
    await this.notify(c, { tenant, bundle, version });
  }

  /** Delivered by PostgreSQL when (and only if) the transaction commits. */
  private async notify(c: PoolClient, e: BundleActivation): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(e)]);
  }

  async listBundles(tenant: string): Promise<BundleVersionMeta[]> {
    const rows = await this.query(
      `SELECT DISTINCT ON (v.bundle) v.tenant, v.bundle, v.version, v.revision, v.digest, v.size, v.created_at, v.created_by,
              v.manifest, a.version AS active_version
       FROM bundle_versions v LEFT JOIN active_bundles a ON a.tenant = v.tenant AND a.bundle = v.bundle
       WHERE v.tenant = $1 ORDER BY v.bundle, v.version DESC`,
      [tenant],
    );
    return rows.map((r) => {
      const meta = toMeta(r, r.active_version === r.version);
      if (r.active_version !== null) meta.active_version = r.active_version;
      return meta;
    });
  }

  async listBundleVersions(tenant: string, bundle: string): Promise<BundleVersionMeta[]> {
    const rows = await this.query(
      `SELECT v.tenant, v.bundle, v.version, v.revision, v.digest, v.size, v.created_at, v.created_by, v.manifest,
              a.version AS active_version
       FROM bundle_versions v LEFT JOIN active_bundles a ON a.tenant = v.tenant AND a.bundle = v.bundle
       WHERE v.tenant = $1 AND v.bundle = $2 ORDER BY v.version`,
      [tenant, bundle],
    );
    return rows.map((r) => toMeta(r, r.active_version === r.version));
  }

  async getBundleVersion(tenant: string, bundle: string, version: number): Promise<ActiveBundle | undefined> {
    const r = (
      await this.query(
        `SELECT v.*, a.version AS active_version
         FROM bundle_versions v LEFT JOIN active_bundles a ON a.tenant = v.tenant AND a.bundle = v.bundle
         WHERE v.tenant = $1 AND v.bundle = $2 AND v.version = $3`,
        [tenant, bundle, version],
      )
    )[0];
    return r && { meta: toMeta(r, r.active_version === r.version), archive: r.archive };
  }

  async activateBundleVersion(tenant: string, bundle: string, version: number): Promise<BundleVersionMeta | undefined> {
    return this.tx(async (c) => {
      const r = (
        await c.query(
          `SELECT tenant, bundle, version, revision, digest, size, created_at, created_by, manifest
           FROM bundle_versions WHERE tenant = $1 AND bundle = $2 AND version = $3`,
          [tenant, bundle, version],
        )
      ).rows[0];
      if (!r) return undefined;
      await this.setActive(c, tenant, bundle, version, new Date().toISOString());
      return toMeta(r, true);
    });
  }

  async deactivateBundle(tenant: string, bundle: string): Promise<boolean> {
    return this.tx(async (c) => {
      const res = await c.query('DELETE FROM active_bundles WHERE tenant = $1 AND bundle = $2', [tenant, bundle]);
      if (res.rowCount === 0) return false;
      await this.notify(c, { tenant, bundle });
      return true;
    });
  }

  async listActiveBundles(tenant?: string): Promise<ActiveBundle[]> {
    const rows = await this.query(
      `SELECT v.* FROM active_bundles a
       JOIN bundle_versions v ON v.tenant = a.tenant AND v.bundle = a.bundle AND v.version = a.version
       WHERE $1::text IS NULL OR a.tenant = $1 ORDER BY a.tenant, a.bundle`,
      [tenant ?? null],
    );
    return rows.map((r) => ({ meta: toMeta(r, true), archive: r.archive }));
  }

  async onBundleActivated(cb: (e: BundleActivation) => void, opts: { onResync?: () => void } = {}): Promise<() => Promise<void>> {
    const listener = (e: BundleActivation) => cb(e);
    const resync = opts.onResync && (() => opts.onResync!());
    this.activationListeners.add(listener);
    if (resync) this.resyncListeners.add(resync);
    await this.ensureListener();
    return async () => {
      this.activationListeners.delete(listener);
      if (resync) this.resyncListeners.delete(resync);
    };
  }

  /** One LISTEN connection per store, reconnected after a failure while anyone listens. */
  private ensureListener(): Promise<void> {
    if (this.listener || this.closed) return Promise.resolve();
    this.listenerConnecting ??= this.connectListener().finally(() => {
      this.listenerConnecting = undefined;
    });
    return this.listenerConnecting;
  }

  private async connectListener(): Promise<void> {
    const client = new Client(this.clientConfig);
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      const e = JSON.parse(msg.payload) as BundleActivation;
      for (const cb of this.activationListeners) callSafely(() => cb(e));
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (e) {
      client.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.listener = client;
    // Notifications sent while the connection was down are gone: subscribers must reload.
    if (this.listenerConnectedBefore) for (const cb of this.resyncListeners) callSafely(cb);
    this.listenerConnectedBefore = true;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.activationListeners.size === 0) return;
    setTimeout(() => this.ensureListener().catch(() => this.scheduleReconnect()), RECONNECT_MS).unref();
  }

  // ---------------------------------------------------------------------------------------------
  // Audit log

  async appendDecisions(records: DecisionRecord[]): Promise<{ inserted: number; duplicates: number }> {
    for (const r of records) checkRecord(r);
    return this.appendPrepared(records.map(prepareDecision));
  }

  async appendPrepared(records: PreparedDecision[]): Promise<{ inserted: number; duplicates: number }> {
    return this.appendQueued(records);
  }

  // Records queued as JSON text are parsed, encoded, hashed and inserted on the append thread, off
  // the event loop that answers requests.
  async appendQueued(records: QueuedDecision[]): Promise<{ inserted: number; duplicates: number }> {
    if (!this.ready) throw new Error('store is not initialized: await init() first');
    if (this.closed) throw new Error('store is closed');
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    const thread = this.liveAppender();
    if (thread) return thread.call<{ inserted: number; duplicates: number }>({ op: 'append', records });
    const prepared = records.map(preparedFromQueue);
    const client = await this.pool.connect();
    try {
      return appendCounts(prepared, await appendRecords(client, prepared, this.chainHeads));
    } finally {
      client.release();
    }
  }

  /**
   * The append thread, started with the first append and replaced by a new one if it died (a crash
   * fails the appends it had in hand; the next ones go to its successor). Undefined inline.
   */
  private liveAppender(): AppendThread | undefined {
    if (!this.threadedAppends) return undefined;
    if (!this.appender || this.appender.failed)
      this.appender = new DbThread<PostgresThreadRequest>('postgres-thread', { config: this.clientConfig }, 'PostgreSQL append');
    return this.appender;
  }

  async getDecision(tenant: string, id: string): Promise<DecisionRecord | undefined> {
    const r = (await this.query('SELECT seq, record, prev_hash, hash FROM decisions WHERE tenant = $1 AND decision_id = $2', [tenant, pgText(id)]))[0];
    return r && toRecord(r);
  }

  async queryDecisions(q: DecisionQuery): Promise<{ records: DecisionRecord[]; next_cursor?: string }> {
    const limit = checkLimit(q.limit);
    const desc = (q.order ?? 'desc') === 'desc';
    const params: unknown[] = [q.tenant];
    const where = ['tenant = $1'];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (q.cursor !== undefined) where.push(`seq ${desc ? '<' : '>'} ${param(decodeCursor(q.cursor))}`);
    if (q.since !== undefined) where.push(`ts >= ${param(timestampMicros(q.since))}`);
    if (q.until !== undefined) where.push(`ts < ${param(timestampMicros(q.until))}`);
    if (q.path !== undefined) {
      // The path itself or anything below it; '0' is the character after '/'.
      const p = pgText(normalizePath(q.path));
      where.push(`(path = ${param(p)} OR (path >= ${param(p + '/')} AND path < ${param(p + '0')}))`);
    }
    if (q.bundle !== undefined) where.push(`bundles ? ${param(pgText(q.bundle))}`);
    for (const k of ['outcome', 'principal', 'source'] as const) if (q[k] !== undefined) where.push(`${k} = ${param(pgText(q[k]!))}`);
    const rows = await this.query(
      `SELECT seq, record, prev_hash, hash FROM decisions WHERE ${where.join(' AND ')}
       ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${param(limit + 1)}`,
      params,
    );
    const more = rows.length > limit;
    if (more) rows.pop();
    const records = rows.map(toRecord);
    return more ? { records, next_cursor: encodeCursor(Number(rows[rows.length - 1].seq)) } : { records };
  }

  async *iterateDecisions(tenant: string, fromSeq = 0): AsyncIterable<DecisionRecord> {
    for await (const rows of this.chainPages(tenant, fromSeq)) for (const r of rows) yield toRecord(r);
  }

  async *iterateChain(tenant: string, fromSeq = 0): AsyncIterable<ChainEntry> {
    for await (const rows of this.chainPages(tenant, fromSeq))
      for (const r of rows) yield { seq: Number(r.seq), decision_id: r.decision_id, text: r.record, prev_hash: r.prev_hash, hash: r.hash };
  }

  private async *chainPages(tenant: string, fromSeq: number): AsyncIterable<Row[]> {
    let next = fromSeq;
    while (true) {
      const rows = await this.query(
        'SELECT seq, decision_id, record, prev_hash, hash FROM decisions WHERE tenant = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
        [tenant, next, ITERATE_CHUNK],
      );
      yield rows;
      if (rows.length < ITERATE_CHUNK) return;
      next = Number(rows[rows.length - 1].seq) + 1;
    }
  }

  async getChainState(tenant: string): Promise<ChainState | undefined> {
    const r = (await this.query('SELECT tenant, anchor_seq, anchor_hash, head_seq, head_hash FROM decision_chains WHERE tenant = $1', [tenant]))[0];
    if (!r || Number(r.head_seq) === 0) return undefined;
    return { tenant: r.tenant, anchor_seq: Number(r.anchor_seq), anchor_hash: r.anchor_hash, head_seq: Number(r.head_seq), head_hash: r.head_hash };
  }

  async pruneDecisions(olderThan: string, opts: { batchSize?: number } = {}): Promise<number> {
    const cutoff = timestampMicros(olderThan);
    const batch = opts.batchSize ?? DEFAULT_PRUNE_BATCH;
    const tenants = (await this.query('SELECT tenant FROM decision_chains ORDER BY tenant')).map((r) => r.tenant as string);
    let removed = 0;
    for (const tenant of tenants) {
      while (true) {
        const n = await this.tx((c) => this.pruneBatch(c, tenant, cutoff, batch));
        removed += n;
        if (n < batch) break;
      }
    }
    return removed;
  }

  /** Removes up to `batch` leading records older than `cutoff` and moves the anchor past them. */
  private async pruneBatch(c: PoolClient, tenant: string, cutoff: number, batch: number): Promise<number> {
    const chain = (await c.query('SELECT anchor_seq, head_seq, head_hash FROM decision_chains WHERE tenant = $1 FOR UPDATE', [tenant])).rows[0];
    const rows = (
      await c.query('SELECT seq, ts, prev_hash FROM decisions WHERE tenant = $1 AND seq >= $2 ORDER BY seq LIMIT $3', [
        tenant,
        chain.anchor_seq,
        batch + 1,
      ])
    ).rows;
    let count = 0;
    while (count < rows.length && count < batch && Number(rows[count].ts) < cutoff) count++;
    if (count === 0) return 0;
    const lastRemoved = Number(rows[count - 1].seq);
    await c.query('DELETE FROM decisions WHERE tenant = $1 AND seq <= $2', [tenant, lastRemoved]);
    // The new anchor is what the first remaining record points back to: the hash of the last removed one.
    let anchorHash: string;
    if (lastRemoved === Number(chain.head_seq)) anchorHash = chain.head_hash;
    else if (count < rows.length) anchorHash = rows[count].prev_hash;
    else anchorHash = (await c.query('SELECT prev_hash FROM decisions WHERE tenant = $1 AND seq = $2', [tenant, lastRemoved + 1])).rows[0].prev_hash;
    await c.query('UPDATE decision_chains SET anchor_seq = $2, anchor_hash = $3 WHERE tenant = $1', [tenant, lastRemoved + 1, anchorHash]);
    return count;
  }

  // ---------------------------------------------------------------------------------------------
  // Fleet

  async upsertAgentStatus(s: AgentStatus): Promise<void> {
    const status = canonicalJSON(s.status ?? null);
    const agentId = pgText(s.agent_id);
    await this.tx(async (c) => {
      if ((await c.query('SELECT 1 FROM tenants WHERE id = $1', [s.tenant])).rowCount === 0) throw new NotFoundError(`tenant ${s.tenant} does not exist`);
      const prev = (await c.query('SELECT status FROM agents WHERE tenant = $1 AND agent_id = $2 FOR UPDATE', [s.tenant, agentId])).rows[0];
      await c.query(
        `INSERT INTO agents (tenant, agent_id, labels, last_seen, status) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant, agent_id) DO UPDATE SET labels = excluded.labels, last_seen = excluded.last_seen, status = excluded.status`,
        [s.tenant, agentId, JSON.stringify(s.labels ?? {}), s.last_seen, status],
      );
      if (prev?.status !== status)
        await c.query('INSERT INTO agent_status_history (tenant, agent_id, received_at, status) VALUES ($1, $2, $3, $4)', [
          s.tenant,
          agentId,
          s.last_seen,
          status,
        ]);
    });
  }

  async listAgents(tenant: string): Promise<AgentStatus[]> {
    const rows = await this.query('SELECT tenant, agent_id, labels, last_seen, status FROM agents WHERE tenant = $1 ORDER BY agent_id', [tenant]);
    return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels), status: parseJSONExact(r.status) }) as AgentStatus);
  }

  async listAgentStatusHistory(tenant: string, agentId: string, limit: number): Promise<AgentStatusChange[]> {
    const rows = await this.query(
      `SELECT tenant, agent_id, received_at, status FROM agent_status_history
       WHERE tenant = $1 AND agent_id = $2 ORDER BY id DESC LIMIT $3`,
      [tenant, pgText(agentId), checkLimit(limit)],
    );
    return rows.map((r) => ({ ...r, status: parseJSONExact(r.status) }) as AgentStatusChange);
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.query('SELECT value FROM settings WHERE key = $1', [key]))[0]?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}

/** A subscriber's exception must not keep the others from hearing about a change. */
function callSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    // the subscriber's own problem
  }
}

function toMeta(r: Row, active: boolean): BundleVersionMeta {
  return {
    tenant: r.tenant,
    bundle: r.bundle,
    version: r.version,
    revision: r.revision,
    digest: r.digest,
    size: Number(r.size),
    created_at: r.created_at,
    created_by: r.created_by,
    active,
    manifest: JSON.parse(r.manifest),
  };
}

function toRecord(r: Row): DecisionRecord {
  return { ...(parseJSONExact(r.record) as DecisionRecord), seq: Number(r.seq), prev_hash: r.prev_hash, hash: r.hash };
}
