// The audit log and agent statuses on a better-sqlite3 connection: the frequent writes and the
// potentially long reads. Used by the store itself (inline mode) and by its threads
// (sqlite-thread.ts), each with its own connection.
import type Database from 'better-sqlite3';
import { GENESIS_HASH, chainHash, type PreparedDecision } from './decisions';
import { canonicalJSON } from './json';
import { NotFoundError, type AgentStatus } from './types';

/** A validated DecisionQuery, in the store's own units (cursor decoded, times in microseconds). */
export interface DecisionFilter {
  tenant: string;
  limit: number;
  desc: boolean;
  after?: number;
  since?: number;
  until?: number;
  path?: string;
  bundle?: string;
  outcome?: string;
  principal?: string;
  source?: string;
}

/** A stored record as read: the canonical JSON and its chain fields, parsed by the caller. */
export interface StoredDecision {
  seq: number;
  decision_id: string;
  record: string;
  prev_hash: string;
  hash: string;
}

type Row = Record<string, any>;

/** What one append did: records stored, and records skipped because their decision id was already there. */
export interface AppendCounts {
  inserted: number;
  duplicates: number;
}

// page_size: a new file gets 8 KB pages (it must come first, before WAL mode and any table; an
// existing file keeps its own). Decision rows are about 1-3 KB: a 4 KB page held a single 2.2 KB
// row, leaving 45% of the file empty, and 8 KB pages made the file a third smaller at the same
// decision throughput (docs/performance.md).
// cache_size: 32 MB (negative = KiB) keeps the decision-id index in memory longer than the 8 MB default.
export const SQLITE_PRAGMAS = [
  'page_size = 8192',
  'busy_timeout = 10000',
  'journal_mode = WAL',
  'synchronous = FULL',
  'foreign_keys = ON',
  'cache_size = -32000',
];

/** WAL frames after a passive checkpoint, and how many of them are in the database file now. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/** Copies what it can of the WAL into the database file without waiting for any lock. */
export function checkpoint(db: Database.Database): CheckpointResult {
  return (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0];
}

export class SqliteAuditLog {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** One IMMEDIATE transaction: reads each tenant's head under the write lock, so every writer agrees. */
  append(records: PreparedDecision[]): AppendCounts {
    return this.appendGroups([records])[0];
  }

  /** Several callers' records in one IMMEDIATE transaction (one commit), with each caller's counts. */
  appendGroups(groups: PreparedDecision[][]): AppendCounts[] {
    return this.db.transaction(() => {
      const counts: AppendCounts[] = [];
      const heads = new Map<string, { seq: number; hash: string }>();
      const readHead = this.stmt('SELECT head_seq, head_hash FROM decision_chains WHERE tenant = ?');
      const insert = this.stmt(
        `INSERT INTO decisions (tenant, seq, decision_id, ts, path, principal, source, outcome, bundles, record, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant, decision_id) DO NOTHING`,
      );
      for (const records of groups) {
        const c = { inserted: 0, duplicates: 0 };
        for (const r of records) {
          let head = heads.get(r.tenant);
          if (!head) {
            const row = readHead.get(r.tenant) as Row | undefined;
            head = row ? { seq: row.head_seq, hash: row.head_hash } : { seq: 0, hash: GENESIS_HASH };
            heads.set(r.tenant, head);
          }
          const seq = head.seq + 1;
          const hash = chainHash(head.hash, seq, r.record);
          const bundles = JSON.stringify(r.bundles);
          if (insert.run(r.tenant, seq, r.decision_id, r.ts, r.path, r.principal, r.source, r.outcome, bundles, r.record, head.hash, hash).changes === 0) {
            c.duplicates++;
            continue;
          }
          c.inserted++;
          head.seq = seq;
          head.hash = hash;
        }
        counts.push(c);
      }
      const upsertHead = this.stmt(
        `INSERT INTO decision_chains (tenant, anchor_seq, anchor_hash, head_seq, head_hash) VALUES (?, 1, ?, ?, ?)
         ON CONFLICT (tenant) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash`,
      );
      for (const [tenant, head] of heads) if (head.seq > 0) upsertHead.run(tenant, GENESIS_HASH, head.seq, head.hash);
      return counts;
    }).immediate();
  }

  tenants(): string[] {
    return (this.stmt('SELECT tenant FROM decision_chains ORDER BY tenant').all() as Row[]).map((r) => r.tenant as string);
  }

  /** Removes up to `batch` leading records older than `cutoff` and moves the anchor past them. */
  pruneBatch(tenant: string, cutoff: number, batch: number): number {
    return this.db.transaction(() => {
      const chain = this.stmt('SELECT anchor_seq, head_seq, head_hash FROM decision_chains WHERE tenant = ?').get(tenant) as Row;
      const rows = this.stmt('SELECT seq, ts, prev_hash FROM decisions WHERE tenant = ? AND seq >= ? ORDER BY seq LIMIT ?').all(
        tenant,
        chain.anchor_seq,
        batch + 1,
      ) as Row[];
      let count = 0;
      while (count < rows.length && count < batch && rows[count].ts < cutoff) count++;
      if (count === 0) return 0;
      const lastRemoved = rows[count - 1].seq as number;
      this.stmt('DELETE FROM decisions WHERE tenant = ? AND seq <= ?').run(tenant, lastRemoved);
      // The new anchor is what the first remaining record points back to: the hash of the last removed one.
      let anchorHash: string;
      if (lastRemoved === chain.head_seq) anchorHash = chain.head_hash;
      else if (count < rows.length) anchorHash = rows[count].prev_hash;
      else anchorHash = (this.stmt('SELECT prev_hash FROM decisions WHERE tenant = ? AND seq = ?').get(tenant, lastRemoved + 1) as Row).prev_hash;
      this.stmt('UPDATE decision_chains SET anchor_seq = ?, anchor_hash = ? WHERE tenant = ?').run(lastRemoved + 1, anchorHash, tenant);
      return count;
    }).immediate();
  }

  /** Up to limit + 1 matching records (the extra one tells the caller there is another page). */
  query(f: DecisionFilter): StoredDecision[] {
    const where = ['tenant = @tenant'];
    const params: Record<string, unknown> = { tenant: f.tenant, limit: f.limit + 1 };
    if (f.after !== undefined) {
      params.after = f.after;
      where.push(f.desc ? 'seq < @after' : 'seq > @after');
    }
    if (f.since !== undefined) {
      params.since = f.since;
      where.push('ts >= @since');
    }
    if (f.until !== undefined) {
      params.until = f.until;
      where.push('ts < @until');
    }
    if (f.path !== undefined) {
      // The path itself or anything below it; '0' is the character after '/'.
      Object.assign(params, { path: f.path, below: f.path + '/', beyond: f.path + '0' });
      where.push('(path = @path OR (path >= @below AND path < @beyond))');
    }
    if (f.bundle !== undefined) {
      params.bundle = f.bundle;
      where.push('EXISTS (SELECT 1 FROM json_each(decisions.bundles) WHERE value = @bundle)');
    }
    for (const k of ['outcome', 'principal', 'source'] as const) {
      if (f[k] === undefined) continue;
      params[k] = f[k];
      where.push(`${k} = @${k}`);
    }
    return this.stmt(
      `SELECT seq, decision_id, record, prev_hash, hash FROM decisions WHERE ${where.join(' AND ')}
       ORDER BY seq ${f.desc ? 'DESC' : 'ASC'} LIMIT @limit`,
    ).all(params) as StoredDecision[];
  }

  /** A tenant's records from seq `from` on, in order. */
  page(tenant: string, from: number, limit: number): StoredDecision[] {
    return this.stmt('SELECT seq, decision_id, record, prev_hash, hash FROM decisions WHERE tenant = ? AND seq >= ? ORDER BY seq LIMIT ?').all(
      tenant,
      from,
      limit,
    ) as StoredDecision[];
  }

  /** Keeps the latest status per agent, and a history row when the status document changed. */
  upsertAgentStatus(s: AgentStatus): void {
    const status = canonicalJSON(s.status ?? null);
    this.db.transaction(() => {
      if (!this.stmt('SELECT 1 FROM tenants WHERE id = ?').get(s.tenant)) throw new NotFoundError(`tenant ${s.tenant} does not exist`);
      const prev = this.stmt('SELECT status FROM agents WHERE tenant = ? AND agent_id = ?').get(s.tenant, s.agent_id) as Row | undefined;
      this.stmt(
        `INSERT INTO agents (tenant, agent_id, labels, last_seen, status) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (tenant, agent_id) DO UPDATE SET labels = excluded.labels, last_seen = excluded.last_seen, status = excluded.status`,
      ).run(s.tenant, s.agent_id, JSON.stringify(s.labels ?? {}), s.last_seen, status);
      if (prev?.status !== status)
        this.stmt('INSERT INTO agent_status_history (tenant, agent_id, received_at, status) VALUES (?, ?, ?, ?)').run(
          s.tenant,
          s.agent_id,
          s.last_seen,
          status,
        );
    }).immediate();
  }
}
