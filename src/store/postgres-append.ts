// The PostgreSQL audit append: extends each tenant's hash chain. Shared by the store's append thread
// (postgres-thread.ts, the default) and its inline path (postgres.ts), so both write exactly the
// same rows. Imports nothing that cannot run on a worker thread.
import type { ClientBase } from 'pg';
import { GENESIS_HASH, chainRow, type DecisionRow, type PreparedDecision } from './decisions';

/** What an append skipped: records whose id was stored already or came earlier in the batch. */
export type Skipped = Set<PreparedDecision>;

/**
 * Each tenant's chain head as this appender last committed it. Other replicas may have moved a
 * head since, so a head taken from here is only a guess, which the append checks.
 */
export type ChainHeads = Map<string, { seq: number; hash: string }>;

/**
 * Appends records, each tenant's in chain order, and returns the duplicates it skipped; all of them
 * or, on failure, none. When `heads` knows every tenant's head, the rows are chained from those
 * heads and written in one statement that applies only if they are all still current: one round
 * trip and one commit, without holding the chains' row locks across round trips
 * (appendExpectingHeads). A head another writer moved comes back from that statement, and the rows
 * are chained again from it, a few times at most: replicas appending to one tenant take turns at
 * its chain row for a statement each. Otherwise (a head unknown, an id already stored, or turns
 * lost every time) the locking transaction appends them (appendInTransaction). `heads` learns
 * what was committed.
 */
export async function appendRecords(c: ClientBase, records: PreparedDecision[], heads: ChainHeads): Promise<Skipped> {
  const byTenant = groupByTenant(records);
  const skipped: Skipped = new Set();
  for (let attempt = 0; attempt < EXPECTING_ATTEMPTS && [...byTenant.keys()].every((t) => heads.has(t)); attempt++) {
    const outcome = await appendExpectingHeads(c, byTenant, heads, skipped);
    if (outcome === 'appended') return skipped;
    if (outcome === 'refused') break;
  }
  await appendInTransaction(c, byTenant, heads, skipped);
  return skipped;
}

const EXPECTING_ATTEMPTS = 3;

/** appendRecords' counts. */
export function appendCounts(records: PreparedDecision[], skipped: Skipped): { inserted: number; duplicates: number } {
  let duplicates = 0;
  for (const r of records) if (skipped.has(r)) duplicates++;
  return { inserted: records.length - duplicates, duplicates };
}

function groupByTenant(records: PreparedDecision[]): Map<string, PreparedDecision[]> {
  const byTenant = new Map<string, PreparedDecision[]>();
  for (const p of records) {
    const list = byTenant.get(p.tenant);
    if (list) list.push(p);
    else byTenant.set(p.tenant, [p]);
  }
  return byTenant;
}

const UNIQUE_VIOLATION = '23505';

/**
 * A batch's rows as two parameters: the short columns as one JSON text (JSON.stringify is native,
 * where array parameters are escaped element by element in JavaScript), and the record texts, the
 * bulk of a row, joined by line breaks, so that PostgreSQL neither parses nor unescapes them
 * (json_to_recordset spent two thirds of the insert unescaping the records' quotes). Canonical JSON
 * escapes every control character, so a record never holds a line break; one that did would shift
 * every record after it, hence the check.
 */
function rowParams(rows: DecisionRow[]): [columns: string, records: string] {
  const records: string[] = [];
  for (const row of rows) {
    if (row.record.includes('\n')) throw new Error(`the record of decision ${row.decision_id} holds a line break`);
    records.push(row.record);
  }
  // The key list leaves the record out of the JSON without copying each row.
  return [JSON.stringify(rows, SHORT_COLUMNS), records.join('\n')];
}

const SHORT_COLUMNS: (keyof DecisionRow)[] = ['tenant', 'seq', 'decision_id', 'ts', 'path', 'principal', 'source', 'outcome', 'bundles', 'prev_hash', 'hash'];

/** The rows of rowParams(), in parameters $columns and $records, zipped back together as `u`. */
function rowsFrom(columns: string, records: string): string {
  return `ROWS FROM (
      json_to_recordset(${columns}::json)
        AS (tenant text, seq bigint, decision_id text, ts bigint, path text, principal text, source text, outcome text, bundles jsonb, prev_hash text, hash text),
      unnest(string_to_array(${records}, E'\\n')))
    AS u(tenant, seq, decision_id, ts, path, principal, source, outcome, bundles, prev_hash, hash, record)`;
}

// The chain rows are locked in tenant order (FOR UPDATE waits for a concurrent writer's commit and
// then reads the head it left), the heads advance only if every one is the expected, and only the
// rows of advanced tenants are inserted. The heads found are returned either way.
const APPEND_EXPECTING_HEADS = `WITH move AS (
         SELECT * FROM json_to_recordset($1::json) AS m(tenant text, old_seq bigint, old_hash text, new_seq bigint, new_hash text)
       ), current AS (
         SELECT c.tenant, c.head_seq, c.head_hash, c.head_seq = m.old_seq AND c.head_hash = m.old_hash AS expected
         FROM decision_chains c JOIN move m ON c.tenant = m.tenant
         ORDER BY c.tenant FOR UPDATE OF c
       ), advanced AS (
         UPDATE decision_chains c SET head_seq = m.new_seq, head_hash = m.new_hash
         FROM move m WHERE c.tenant = m.tenant AND (SELECT count(*) FROM current WHERE expected) = $4
         RETURNING c.tenant
       ), appended AS (
         INSERT INTO decisions (tenant, seq, decision_id, ts, path, principal, source, outcome, bundles, record, prev_hash, hash)
         SELECT u.tenant, u.seq, u.decision_id, u.ts, u.path, u.principal, u.source, u.outcome, u.bundles, u.record, u.prev_hash, u.hash
         FROM ${rowsFrom('$2', '$3')} JOIN advanced a ON a.tenant = u.tenant
       )
       SELECT (SELECT count(*) FROM advanced) AS advanced,
         (SELECT json_agg(json_build_object('tenant', tenant, 'seq', head_seq, 'hash', head_hash)) FROM current) AS heads`;

/**
 * The one-statement append, for a batch whose tenants' heads are all in `heads` (APPEND_EXPECTING_HEADS):
 * 'appended'; 'stale' when another writer had moved a head, which `heads` now holds; 'refused'
 * when a chain row is missing or an id is already stored (the unique index fails the statement),
 * which only the locking transaction handles.
 */
async function appendExpectingHeads(
  c: ClientBase,
  byTenant: Map<string, PreparedDecision[]>,
  heads: ChainHeads,
  skipped: Skipped,
): Promise<'appended' | 'stale' | 'refused'> {
  const moves: { tenant: string; old_seq: number; old_hash: string; new_seq: number; new_hash: string }[] = [];
  const rows: DecisionRow[] = [];
  const repeated: PreparedDecision[] = [];
  for (const [tenant, list] of byTenant) {
    const head = heads.get(tenant)!;
    const chained = chainFrom(list, head.seq, head.hash, new Set());
    repeated.push(...chained.skipped);
    rows.push(...chained.rows);
    moves.push({ tenant, old_seq: head.seq, old_hash: head.hash, new_seq: chained.seq, new_hash: chained.hash });
  }
  let result: { advanced: string; heads: { tenant: string; seq: number | string; hash: string }[] | null };
  try {
    // Named, so each connection parses and plans it once.
    const values = [JSON.stringify(moves), ...rowParams(rows), moves.length];
    result = (await c.query({ name: 'arbiter-append-expecting-heads', text: APPEND_EXPECTING_HEADS, values })).rows[0];
  } catch (e) {
    if ((e as { code?: string }).code === UNIQUE_VIOLATION) return 'refused';
    for (const t of byTenant.keys()) heads.delete(t);
    throw e;
  }
  if (Number(result.advanced) === moves.length) {
    for (const m of moves) heads.set(m.tenant, { seq: m.new_seq, hash: m.new_hash });
    for (const r of repeated) skipped.add(r);
    return 'appended';
  }
  const found = result.heads ?? [];
  for (const h of found) heads.set(h.tenant, { seq: Number(h.seq), hash: h.hash });
  return found.length === moves.length ? 'stale' : 'refused';
}

/**
 * Chains a tenant's records after (seq, hash), skipping ids in `seen` or repeated in the list,
 * with the stored columns mapped to what PostgreSQL text can hold (pgText).
 */
function chainFrom(list: PreparedDecision[], seq: number, hash: string, seen: Set<string>): { rows: DecisionRow[]; seq: number; hash: string; skipped: PreparedDecision[] } {
  const rows: DecisionRow[] = [];
  const skipped: PreparedDecision[] = [];
  for (const r of list) {
    const id = pgText(r.decision_id);
    if (seen.has(id)) {
      skipped.push(r);
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
  return { rows, seq, hash, skipped };
}

/**
 * Appends the batch (by tenant) in one transaction on `c` (BEGIN ... COMMIT, rolled back on failure). Each
 * tenant's chain is serialised by locking its decision_chains row; tenants of a batch are locked in
 * sorted order, so two writers never deadlock. A record whose id is stored already, or repeated in
 * the batch, is skipped (added to `skipped`). `heads` learns the heads committed.
 */
async function appendInTransaction(c: ClientBase, byTenant: Map<string, PreparedDecision[]>, heads: ChainHeads, skipped: Skipped): Promise<void> {
  const tenants = [...byTenant.keys()].sort();
  if (tenants.length === 0) return;
  const committed: ChainHeads = new Map();
  const repeated: PreparedDecision[] = [];
  await c.query('BEGIN');
  try {
    for (const tenant of tenants) {
      const appended = await appendTenant(c, tenant, byTenant.get(tenant)!);
      committed.set(tenant, appended.head);
      repeated.push(...appended.skipped);
    }
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  for (const [tenant, head] of committed) heads.set(tenant, head);
  for (const r of repeated) skipped.add(r);
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

async function appendTenant(c: ClientBase, tenant: string, list: PreparedDecision[]): Promise<{ head: { seq: number; hash: string }; skipped: PreparedDecision[] }> {
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
  const chained = chainFrom(list, Number(head.head_seq), head.head_hash, new Set<string>(existing.rows.map((r) => r.decision_id)));
  const appended = { head: { seq: chained.seq, hash: chained.hash }, skipped: chained.skipped };
  if (chained.rows.length === 0) return appended;
  await c.query(
    `WITH appended AS (
       INSERT INTO decisions (tenant, seq, decision_id, ts, path, principal, source, outcome, bundles, record, prev_hash, hash)
       SELECT u.tenant, u.seq, u.decision_id, u.ts, u.path, u.principal, u.source, u.outcome, u.bundles, u.record, u.prev_hash, u.hash
       FROM ${rowsFrom('$2', '$3')})
     UPDATE decision_chains SET head_seq = $4, head_hash = $5 WHERE tenant = $1`,
    [tenant, ...rowParams(chained.rows), chained.seq, chained.hash],
  );
  return appended;
}
