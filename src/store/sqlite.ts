// The embedded store: one SQLite file through better-sqlite3, in WAL mode.
//
// Durability: journal_mode=WAL. Registry writes commit with synchronous=FULL (the fsync of the
// WAL inside COMMIT). Audit appends commit with synchronous=NORMAL and resolve only after an
// fdatasync of the WAL (WalSync, sqlite-sync.ts): the same sync, taken out of COMMIT, so the writer
// thread can commit every append that waited for it as one transaction before one sync, and an
// inline append does not block the event loop on the disk. Either way nothing resolves before it
// is on disk (unless ARBITER_AUDIT_DURABILITY=process asks for less); the group commit in
// src/audit/recorder.ts and the writer pay one fsync per group of batches, not per decision.
//
// better-sqlite3 is synchronous; every method runs one statement or one transaction to the end
// before returning, so no transaction is ever open across an await.
import Database from 'better-sqlite3';
import { parseJSONExact } from './json';
import { loadMigrations, migrationsDir } from './migrations';
import {
  SQLITE_PRAGMAS,
  SqliteAuditLog,
  checkpoint,
  type CheckpointResult,
  type DecisionFilter,
  type StoredDecision,
} from './sqlite-audit';
import { WalSync } from './sqlite-sync';
import { DbThread } from './db-thread';
import type { ThreadRequest, ThreadRole } from './sqlite-thread';
import {
  checkLimit,
  checkRecord,
  decodeCursor,
  encodeCursor,
  normalizePath,
  prepareDecision,
  preparedFromQueue,
  queuedLength,
  timestampMicros,
  type PreparedDecision,
  type QueuedDecision,
} from './decisions';
import {
  ConflictError,
  NotFoundError,
  type ActiveBundle,
  type AgentStatus,
  type AgentStatusChange,
  type AuditDurability,
  type BundleActivation,
  type BundleVersionMeta,
  type ChainEntry,
  type ChainState,
  type DecisionQuery,
  type DecisionRecord,
  type Store,
  type Tenant,
} from './types';

export interface SqliteStoreOptions {
  /** Defaults to migrations/sqlite of the project. */
  migrationsDir?: string;
  /**
   * Append and prune the audit log on a worker thread with its own connection (default true), so
   * hashing, inserts and each commit's fsync do not block the event loop. Reads stay on the main
   * connection; WAL lets them see every commit that has been acknowledged. Ignored (inline) for
   * an in-memory database.
   */
  writerThread?: boolean;
  /**
   * Answer queryDecisions and iterateDecisions on a worker thread with its own connection (default
   * true), so a long scan does not block the event loop. Ignored for an in-memory database.
   */
  readerThread?: boolean;
  /**
   * Copy the WAL into the database file on a thread of its own (default true), instead of after
   * a commit on the connection that made it, where it would delay the next commit. Ignored for an
   * in-memory database.
   */
  checkpointThread?: boolean;
  /** When an audit append resolves: after the sync of its commit (`disk`, the default) or after the commit. */
  auditDurability?: AuditDurability;
}

type Row = Record<string, any>;

const ITERATE_CHUNK = 500;
// A background checkpoint after about this much appended record text (roughly 1,000 WAL pages
// with the indexes, SQLite's own autocheckpoint interval).
const CHECKPOINT_EVERY_BYTES = 2_000_000;
// The WAL starts over only when a commit begins after a complete checkpoint, which a checkpoint
// running beside a stream of commits never is. Once it holds this much, the appending connection
// itself copies the rest (what came in during the background copy) between two commits, and the
// next commit writes the WAL from its start again. Further background passes stop once one copies
// less than SMALL_REST_BYTES. (Frames are pages: the sizes are turned into frames per file.)
const WAL_RESTART_BYTES = 12 * 1024 * 1024;
const SMALL_REST_BYTES = 1024 * 1024;
const MAX_EXTRA_PASSES = 4;
const DEFAULT_PRUNE_BATCH = 1000;

type SqliteThread = DbThread<ThreadRequest>;

/** A thread of sqlite-thread.ts with its own connection to the file. */
function sqliteThread(file: string, role: ThreadRole, auditDurability: AuditDurability = 'disk'): SqliteThread {
  return new DbThread<ThreadRequest>('sqlite-thread', { file, role, auditDurability }, `SQLite ${role}`);
}

export function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Store {
  return new SqliteStore(file, opts);
}

class SqliteStore implements Store {
  private db: Database.Database;
  private ready = false;
  private readonly auditLog: SqliteAuditLog;
  private writer: SqliteThread | undefined;
  private reader: SqliteThread | undefined;
  /** Started with the first append that needs a checkpoint (processes that only read never do). */
  private checkpointer: SqliteThread | undefined;
  private backgroundCheckpoints = false;
  /** Record text appended since the last background checkpoint started. */
  private uncheckpointedBytes = 0;
  private checkpointRunning = false;
  private readonly activationListeners = new Set<(e: BundleActivation) => void>();
  private readonly statements = new Map<string, Database.Statement>();
  /** Inline appends on a database file: syncs the main connection's WAL. */
  private walSync: WalSync | undefined;
  /** Appends go through one writer (thread or this connection) in call order. */
  readonly orderedAppends = true;

  constructor(
    private readonly file: string,
    private readonly opts: SqliteStoreOptions,
  ) {
    this.db = new Database(file);
    for (const p of SQLITE_PRAGMAS) this.db.pragma(p);
    this.auditLog = new SqliteAuditLog(this.db);
  }

  async init(): Promise<void> {
    const migrations = loadMigrations(this.opts.migrationsDir ?? migrationsDir('sqlite'));
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    // IMMEDIATE takes the write lock first, so processes opening the same file apply each migration once.
    const apply = this.db.transaction(() => {
      const applied = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => r.version));
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, new Date().toISOString());
      }
    });
    apply.immediate();
    // An in-memory database exists only on this connection, so a writer thread could not share it.
    const inMemory = this.file === '' || this.file === ':memory:' || this.file.startsWith('file::memory:');
    if ((this.opts.writerThread ?? true) && !inMemory) this.writer = sqliteThread(this.file, 'writer', this.opts.auditDurability);
    if ((this.opts.readerThread ?? true) && !inMemory) this.reader = sqliteThread(this.file, 'reader');
    if ((this.opts.checkpointThread ?? true) && !inMemory) {
      this.backgroundCheckpoints = true;
      this.db.pragma('wal_autocheckpoint = 0');
    }
    if (!this.writer && !inMemory) this.walSync = new WalSync(this.db);
    this.ready = true;
  }

  async close(): Promise<void> {
    const threads = [this.writer, this.reader, this.checkpointer];
    this.writer = this.reader = this.checkpointer = undefined;
    this.backgroundCheckpoints = false;
    await Promise.all(threads.map((t) => t?.close()));
    await this.walSync?.sync().catch(() => undefined);
    this.walSync?.close();
    if (this.db.open) this.db.close();
  }

  /**
   * The writer thread, replaced by a new one if it died (a crash of the thread fails the commits
   * it had in hand; the next ones go to its successor). Undefined in inline mode.
   */
  private liveWriter(): SqliteThread | undefined {
    if (this.writer?.failed) this.writer = sqliteThread(this.file, 'writer', this.opts.auditDurability);
    return this.writer;
  }

  private liveReader(): SqliteThread | undefined {
    if (this.reader?.failed) this.reader = sqliteThread(this.file, 'reader');
    return this.reader;
  }

  private liveCheckpointer(): SqliteThread | undefined {
    if (this.backgroundCheckpoints && (!this.checkpointer || this.checkpointer.failed))
      this.checkpointer = sqliteThread(this.file, 'checkpointer');
    return this.checkpointer;
  }

  /** Starts a background checkpoint once enough was appended since the last one. */
  private appended(records: QueuedDecision[]): void {
    if (!this.backgroundCheckpoints) return;
    for (const r of records) this.uncheckpointedBytes += queuedLength(r);
    if (this.uncheckpointedBytes < CHECKPOINT_EVERY_BYTES || this.checkpointRunning) return;
    this.uncheckpointedBytes = 0;
    this.checkpointRunning = true;
    void this.backgroundCheckpoint().finally(() => (this.checkpointRunning = false));
  }

  private async backgroundCheckpoint(): Promise<void> {
    try {
      const pass = () => this.liveCheckpointer()?.call<CheckpointResult>({ op: 'checkpoint' });
      const pageSize = this.db.pragma('page_size', { simple: true }) as number;
      let done = await pass();
      if (!done || done.log < WAL_RESTART_BYTES / pageSize) return;
      // Each further pass copies what came in during the one before, in less time, until little
      // is left: the appender then stops commits only for that rest and its database sync.
      for (let i = 0; i < MAX_EXTRA_PASSES; i++) {
        const next = await pass();
        if (!next) return;
        const copied = next.checkpointed - done.checkpointed;
        done = next;
        if (copied < SMALL_REST_BYTES / pageSize) break;
      }
      const writer = this.liveWriter();
      if (writer) await writer.call({ op: 'checkpoint' });
      else if (this.db.open) checkpoint(this.db);
    } catch {
      // A failed checkpoint leaves the WAL longer until the next one; commits are not affected.
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private assertReady(): void {
    if (!this.ready) throw new Error('store is not initialized: await init() first');
  }

  private get conn(): Database.Database {
    this.assertReady();
    return this.db;
  }

  // ---------------------------------------------------------------------------------------------
  // Tenants

  async createTenant(t: { id: string; name: string }): Promise<Tenant> {
    const tenant: Tenant = { id: t.id, name: t.name, created_at: new Date().toISOString() };
    const res = this.stmt('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING')
      .run(tenant.id, tenant.name, tenant.created_at);
    if (res.changes === 0) throw new ConflictError(`tenant ${t.id} already exists`);
    return tenant;
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    return this.stmt('SELECT id, name, created_at FROM tenants WHERE id = ?').get(id) as Tenant | undefined;
  }

  async listTenants(): Promise<Tenant[]> {
    return this.stmt('SELECT id, name, created_at FROM tenants ORDER BY id').all() as Tenant[];
  }

  async deleteTenant(id: string): Promise<boolean> {
    return this.stmt('DELETE FROM tenants WHERE id = ?').run(id).changes > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Registry

  async addBundleVersion(
    v: Omit<BundleVersionMeta, 'version' | 'active' | 'created_at'> & { archive: Buffer; activate: boolean },
  ): Promise<BundleVersionMeta> {
    const db = this.conn;
    const add = db.transaction((): BundleVersionMeta => {
      if (!this.stmt('SELECT 1 FROM tenants WHERE id = ?').get(v.tenant)) throw new NotFoundError(`tenant ${v.tenant} does not exist`);
      const last = this.stmt('SELECT MAX(version) AS v FROM bundle_versions WHERE tenant = ? AND bundle = ?')
        .get(v.tenant, v.bundle) as Row;
      const version = (last.v ?? 0) + 1;
      const createdAt = new Date().toISOString();
      this.stmt(
        `INSERT INTO bundle_versions (tenant, bundle, version, revision, digest, size, created_at, created_by, manifest, archive)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(v.tenant, v.bundle, version, v.revision, v.digest, v.size, createdAt, v.created_by, JSON.stringify(v.manifest), v.archive);
      if (v.activate) this.setActive(v.tenant, v.bundle, version, createdAt);
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
    const meta = add.immediate();
    if (v.activate) this.activated({ tenant: v.tenant, bundle: v.bundle, version: meta.version });
    return meta;
  }

  private activated(e: BundleActivation): void {
    for (const cb of this.activationListeners) {
      try {
        cb(e);
      } catch {
        // The change is committed; a failing listener must not turn it into an error for the caller.
      }
    }
  }

  async onBundleActivated(cb: (e: BundleActivation) => void): Promise<() => Promise<void>> {
    const listener = (e: BundleActivation) => cb(e);
    this.activationListeners.add(listener);
    return async () => {
      this.activationListeners.delete(listener);
    };
  }

  private setActive(tenant: string, bundle: string, version: number, at: string): void {
    this.stmt(
      `INSERT INTO active_bundles (tenant, bundle, version, activated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant, bundle) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at`,
    ).run(tenant, bundle, version, at);
  }

  async listBundles(tenant: string): Promise<BundleVersionMeta[]> {
    const rows = this.stmt(
      `SELECT v.tenant, v.bundle, v.version, v.revision, v.digest, v.size, v.created_at, v.created_by, v.manifest,
              a.version AS active_version
       FROM bundle_versions v LEFT JOIN active_bundles a ON a.tenant = v.tenant AND a.bundle = v.bundle
       WHERE v.tenant = ? AND v.version = (SELECT MAX(version) FROM bundle_versions x WHERE x.tenant = v.tenant AND x.bundle = v.bundle)
       ORDER BY v.bundle`,
    ).all(tenant) as Row[];
    return rows.map((r) => {
      const meta = toMeta(r, r.active_version === r.version);
      if (r.active_version !== null) meta.active_version = r.active_version;
      return meta;
    });
  }

  async listBundleVersions(tenant: string, bundle: string): Promise<BundleVersionMeta[]> {
    const rows = this.stmt(
      `SELECT v.tenant, v.bundle, v.version, v.revision, v.digest, v.size, v.created_at, v.created_by, v.manifest,
              a.version AS active_version
       FROM bundle_versions v LEFT JOIN active_bundles a ON a.tenant = v.tenant AND a.bundle = v.bundle
       WHERE v.tenant = ? AND v.bundle = ? ORDER BY v.version`,
    ).all(tenant, bundle) as Row[];
    return rows.map((r) => toMeta(r, r.active_version === r.version));
  }

  async getBundleVersion(tenant: string, bundle: string, version: number): Promise<ActiveBundle | undefined> {
    const r = this.stmt(
      `SELECT v.*, a.version AS active_version
       FROM bundle_versions v LEFT JOIN active_bundles a ON a.tenant = v.tenant AND a.bundle = v.bundle
       WHERE v.tenant = ? AND v.bundle = ? AND v.version = ?`,
    ).get(tenant, bundle, version) as Row | undefined;
    return r && { meta: toMeta(r, r.active_version === r.version), archive: r.archive };
  }

  async activateBundleVersion(tenant: string, bundle: string, version: number): Promise<BundleVersionMeta | undefined> {
    const db = this.conn;
    const activate = db.transaction((): BundleVersionMeta | undefined => {
      const r = this.stmt(
        `SELECT tenant, bundle, version, revision, digest, size, created_at, created_by, manifest
         FROM bundle_versions WHERE tenant = ? AND bundle = ? AND version = ?`,
      ).get(tenant, bundle, version) as Row | undefined;
      if (!r) return undefined;
      this.setActive(tenant, bundle, version, new Date().toISOString());
      return toMeta(r, true);
    });
    const meta = activate.immediate();
    if (meta) this.activated({ tenant, bundle, version });
    return meta;
  }

  async deactivateBundle(tenant: string, bundle: string): Promise<boolean> {
    const removed = this.stmt('DELETE FROM active_bundles WHERE tenant = ? AND bundle = ?').run(tenant, bundle).changes > 0;
    if (removed) this.activated({ tenant, bundle });
    return removed;
  }

  async listActiveBundles(tenant?: string): Promise<ActiveBundle[]> {
    const rows = this.stmt(
      `SELECT v.* FROM active_bundles a
       JOIN bundle_versions v ON v.tenant = a.tenant AND v.bundle = a.bundle AND v.version = a.version
       WHERE ? IS NULL OR a.tenant = ? ORDER BY a.tenant, a.bundle`,
    ).all(tenant ?? null, tenant ?? null) as Row[];
    return rows.map((r) => ({ meta: toMeta(r, true), archive: r.archive }));
  }

  // ---------------------------------------------------------------------------------------------
  // Audit log

  async appendDecisions(records: DecisionRecord[]): Promise<{ inserted: number; duplicates: number }> {
    for (const r of records) checkRecord(r);
    return this.appendPrepared(records.map(prepareDecision));
  }

  // The writer thread gets flat rows of strings: copying those to it costs a fraction of cloning
  // each record's object tree, and the canonical text is needed anyway.
  async appendPrepared(records: PreparedDecision[]): Promise<{ inserted: number; duplicates: number }> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    if (this.liveWriter()) return this.appendQueued(records);
    if (!this.walSync) return this.auditLog.append(records);
    // Inline: the transaction without the fsync, so the event loop is not blocked by the disk;
    // the connection is back to FULL for every other write.
    const inBackground = this.opts.auditDurability === 'process';
    if (inBackground) this.walSync.throwIfBackgroundFailed();
    this.db.pragma('synchronous = NORMAL');
    let counts: { inserted: number; duplicates: number };
    try {
      counts = this.auditLog.append(records);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
    if (inBackground) this.walSync.syncInBackground();
    else await this.walSync.sync();
    this.appended(records);
    return counts;
  }

  // With a writer thread, records queued as JSON text are parsed and encoded there, off the
  // event loop that answers requests.
  async appendQueued(records: QueuedDecision[]): Promise<{ inserted: number; duplicates: number }> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    const writer = this.liveWriter();
    if (!writer) return this.appendPrepared(records.map(preparedFromQueue));
    const counts = await writer.call<{ inserted: number; duplicates: number }>({ op: 'append', records });
    this.appended(records);
    return counts;
  }

  async getDecision(tenant: string, id: string): Promise<DecisionRecord | undefined> {
    const r = this.stmt('SELECT seq, record, prev_hash, hash FROM decisions WHERE tenant = ? AND decision_id = ?')
      .get(tenant, id) as Row | undefined;
    return r && toRecord(r);
  }

  async queryDecisions(q: DecisionQuery): Promise<{ records: DecisionRecord[]; next_cursor?: string }> {
    const limit = checkLimit(q.limit);
    const filter: DecisionFilter = { tenant: q.tenant, limit, desc: (q.order ?? 'desc') === 'desc' };
    if (q.cursor !== undefined) filter.after = decodeCursor(q.cursor);
    if (q.since !== undefined) filter.since = timestampMicros(q.since);
    if (q.until !== undefined) filter.until = timestampMicros(q.until);
    if (q.path !== undefined) filter.path = normalizePath(q.path);
    for (const k of ['bundle', 'outcome', 'principal', 'source'] as const) if (q[k] !== undefined) filter[k] = q[k];
    const reader = this.liveReader();
    const rows = reader ? await reader.call<StoredDecision[]>({ op: 'query', filter }) : this.auditLog.query(filter);
    const more = rows.length > limit;
    if (more) rows.pop();
    const records = rows.map(toRecord);
    return more ? { records, next_cursor: encodeCursor(rows[rows.length - 1].seq) } : { records };
  }

  async *iterateDecisions(tenant: string, fromSeq = 0): AsyncIterable<DecisionRecord> {
    for await (const rows of this.chainPages(tenant, fromSeq)) for (const r of rows) yield toRecord(r);
  }

  async *iterateChain(tenant: string, fromSeq = 0): AsyncIterable<ChainEntry> {
    for await (const rows of this.chainPages(tenant, fromSeq))
      for (const r of rows) yield { seq: r.seq, decision_id: r.decision_id, text: r.record, prev_hash: r.prev_hash, hash: r.hash };
  }

  private async *chainPages(tenant: string, fromSeq: number): AsyncIterable<StoredDecision[]> {
    // Keyset pages, so memory stays bounded whatever the chain's length. On the reader thread each
    // page is a real wait, which lets the event loop serve requests between pages (inline, an open
    // better-sqlite3 iterator would also lock the connection against the recorder's commits).
    let next = fromSeq;
    while (true) {
      const reader = this.liveReader();
      const rows = reader
        ? await reader.call<StoredDecision[]>({ op: 'page', tenant, from: next, limit: ITERATE_CHUNK })
        : this.auditLog.page(tenant, next, ITERATE_CHUNK);
      yield rows;
      if (rows.length < ITERATE_CHUNK) return;
      next = rows[rows.length - 1].seq + 1;
    }
  }

  async getChainState(tenant: string): Promise<ChainState | undefined> {
    return this.stmt('SELECT tenant, anchor_seq, anchor_hash, head_seq, head_hash FROM decision_chains WHERE tenant = ?')
      .get(tenant) as ChainState | undefined;
  }

  async pruneDecisions(olderThan: string, opts: { batchSize?: number } = {}): Promise<number> {
    const cutoff = timestampMicros(olderThan);
    const batch = opts.batchSize ?? DEFAULT_PRUNE_BATCH;
    const writer = this.liveWriter();
    const tenants = writer ? await writer.call<string[]>({ op: 'tenants' }) : this.auditLog.tenants();
    let removed = 0;
    for (const tenant of tenants) {
      while (true) {
        const n = writer ? await writer.call<number>({ op: 'prune', tenant, cutoff, batch }) : this.auditLog.pruneBatch(tenant, cutoff, batch);
        removed += n;
        if (n < batch) break;
        // Inline, let the recorder's commits in between batches.
        if (!writer) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return removed;
  }

  // ---------------------------------------------------------------------------------------------
  // Fleet

  async upsertAgentStatus(s: AgentStatus): Promise<void> {
    // On the writer thread when there is one: waiting there for the write lock (held through each
    // audit commit) does not stall the event loop.
    this.assertReady();
    const writer = this.liveWriter();
    if (writer) await writer.call({ op: 'agentStatus', status: s });
    else this.auditLog.upsertAgentStatus(s);
  }

  async listAgents(tenant: string): Promise<AgentStatus[]> {
    const rows = this.stmt('SELECT tenant, agent_id, labels, last_seen, status FROM agents WHERE tenant = ? ORDER BY agent_id')
      .all(tenant) as Row[];
    return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels), status: parseJSONExact(r.status) }) as AgentStatus);
  }

  async listAgentStatusHistory(tenant: string, agentId: string, limit: number): Promise<AgentStatusChange[]> {
    const rows = this.stmt(
      `SELECT tenant, agent_id, received_at, status FROM agent_status_history
       WHERE tenant = ? AND agent_id = ? ORDER BY id DESC LIMIT ?`,
    ).all(tenant, agentId, checkLimit(limit)) as Row[];
    return rows.map((r) => ({ ...r, status: parseJSONExact(r.status) }) as AgentStatusChange);
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  async getSetting(key: string): Promise<string | undefined> {
    return (this.stmt('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined)?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.stmt('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }
}

function toMeta(r: Row, active: boolean): BundleVersionMeta {
  return {
    tenant: r.tenant,
    bundle: r.bundle,
    version: r.version,
    revision: r.revision,
    digest: r.digest,
    size: r.size,
    created_at: r.created_at,
    created_by: r.created_by,
    active,
    manifest: JSON.parse(r.manifest),
  };
}

function toRecord(r: Row): DecisionRecord {
  return { ...(parseJSONExact(r.record) as DecisionRecord), seq: r.seq, prev_hash: r.prev_hash, hash: r.hash };
}
