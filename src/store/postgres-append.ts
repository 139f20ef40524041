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

// PostgreSQL text holds neither NUL nor unpaired UTF-16 surrogates (JSON's \u0000 and lone \ud800
// escapes are refused as well), while ids, paths, principals and bundle names come from clients and
// agents as any JavaScript string. Those columns (lookups and filters, not the chained record text,
// whose canonical JSON escapes such characters) store them with U+FFFD in their place, and every
// lookup maps its argument the same way.
// NUL is matched on purpose here, so the control-character rule does not apply.
// eslint-disable-next-line no-control-regex
const NOT_STORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function pgText(s: string): string {
  return s.replace(NOT_STORABLE, '\ufffd');
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
    list.map((r) => pgText(r.decision_id)),
  ]);
  const seen = new Set<string>(existing.rows.map((r) => r.decision_id));
  let seq = Number(head.head_seq);
  let hash: string = head.head_hash;
  let duplicates = 0;
  const rows: DecisionRow[] = [];
  for (const r of list) {
    const id = pgText(r.decision_id);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    // The hash covers the record text alone, so the stored columns may differ from it (pgText).
    const row = chainRow(r, seq + 1, hash);
    row.decision_id = id;
    row.path = pgText(row.path);
    row.principal = pgText(row.principal);
    row.bundles = row.bundles.map(pgText);
    rows.push(row);
    seq = row.seq;
    hash = row.hash;
  }
  if (rows.length === 0) return { inserted: 0, duplicates };
  await c.query(
    `WITH appended AS (
       INSERT INTO decisions (tenant, seq, decision_id, ts, path, principal, source, outcome, bundles, record, prev_hash, hash)
       SELECT $1, u.seq, u.decision_id, u.ts, u.path, u.principal, u.source, u.outcome, u.bundles, u.record, u.prev_hash, u.hash
       -- One JSON text for the whole batch: JSON.stringify is native, where array parameters are
       -- escaped element by element in JavaScript.
       FROM json_to_recordset($2::json)
         AS u(seq bigint, decision_id text, ts bigint, path text, principal text, source text, outcome text, bundles jsonb, record text, prev_hash text, hash text))
     UPDATE decision_chains SET head_seq = $3, head_hash = $4 WHERE tenant = $1`,
    [tenant, JSON.stringify(rows), seq, hash],
  );
  return { inserted: rows.length, duplicates };
}
