// The PostgreSQL audit append: one transaction that extends each tenant's hash chain. Shared by the
// store's append thread (postgres-thread.ts, the default) and its inline path (postgres.ts), so
// both write exactly the same rows. Imports nothing that cannot run on a worker thread.
import type { ClientBase } from 'pg';
import { GENESIS_HASH, chainRow, type DecisionRow, type PreparedDecision } from './decisions';

/**
 * Appends records in one transaction on `c` (BEGIN ... COMMIT, rolled back on failure). Each
 * tenant's chain is serialised by locking its decision_chains row; tenants of a batch are locked in
 * sorted order, so two writers never deadlock. A record whose id is stored already, or repeated in
 * the batch, counts as a duplicate.
 */
export async function appendInTransaction(c: ClientBase, records: PreparedDecision[]): Promise<{ inserted: number; duplicates: number }> {
  const byTenant = new Map<string, PreparedDecision[]>();
  for (const p of records) {
    const list = byTenant.get(p.tenant);
    if (list) list.push(p);
    else byTenant.set(p.tenant, [p]);
  }
  const tenants = [...byTenant.keys()].sort();
  if (tenants.length === 0) return { inserted: 0, duplicates: 0 };
  await c.query('BEGIN');
  try {
    let inserted = 0;
    let duplicates = 0;
    for (const tenant of tenants) {
      const counts = await appendTenant(c, tenant, byTenant.get(tenant)!);
      inserted += counts.inserted;
      duplicates += counts.duplicates;
    }
    await c.query('COMMIT');
    return { inserted, duplicates };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

async function appendTenant(c: ClientBase, tenant: string, list: PreparedDecision[]): Promise<{ inserted: number; duplicates: number }> {
  // Creates the chain row if needed and locks it (the no-op update takes the row lock, as
  // FOR UPDATE would), returning the head as committed by whoever held the lock before.
  const head = (
    await c.query(
      `INSERT INTO decision_chains (tenant, anchor_seq, anchor_hash, head_seq, head_hash) VALUES ($1, 1, $2, 0, $2)
       ON CONFLICT (tenant) DO UPDATE SET tenant = excluded.tenant
       RETURNING head_seq, head_hash`,
      [tenant, GENESIS_HASH],
    )
  ).rows[0];
  // A separate statement, so its snapshot is taken after the lock and sees the ids the
  // previous holder committed.
  const existing = await c.query('SELECT decision_id FROM decisions WHERE tenant = $1 AND decision_id = ANY($2::text[])', [
    tenant,
    list.map((r) => r.decision_id),
  ]);
  const seen = new Set<string>(existing.rows.map((r) => r.decision_id));
  let seq = Number(head.head_seq);
  let hash: string = head.head_hash;
  let duplicates = 0;
  const rows: DecisionRow[] = [];
  for (const r of list) {
    if (seen.has(r.decision_id)) {
      duplicates++;
      continue;
    }
    seen.add(r.decision_id);
    const row = chainRow(r, seq + 1, hash);
    rows.push(row);
    seq = row.seq;
    hash = row.hash;
  }
  if (rows.length === 0) return { inserted: 0, duplicates };
  await c.query(
    `WITH appended AS (
       INSERT INTO decisions (tenant, seq, decision_id, ts, path, principal, source, outcome, bundles, record, prev_hash, hash)
       SELECT $1, u.seq, u.decision_id, u.ts, u.path, u.principal, u.source, u.outcome, u.bundles::jsonb, u.record, u.prev_hash, u.hash
       FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
         AS u(seq, decision_id, ts, path, principal, source, outcome, bundles, record, prev_hash, hash))
     UPDATE decision_chains SET head_seq = $13, head_hash = $14 WHERE tenant = $1`,
    [
      tenant,
      rows.map((r) => r.seq),
      rows.map((r) => r.decision_id),
      rows.map((r) => r.ts),
      rows.map((r) => r.path),
      rows.map((r) => r.principal),
      rows.map((r) => r.source),
      rows.map((r) => r.outcome),
      rows.map((r) => JSON.stringify(r.bundles)),
      rows.map((r) => r.record),
      rows.map((r) => r.prev_hash),
      rows.map((r) => r.hash),
      seq,
      hash,
    ],
  );
  return { inserted: rows.length, duplicates };
}
