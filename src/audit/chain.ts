// Verification of a tenant's hash chain: walks the records in seq order from the chain's anchor
// (moved forward by retention) to its head, recomputing every hash.
//
// The chain, per tenant (src/store/decisions.ts):
// - seq numbers records 1, 2, 3, ... in append order;
// - text = canonical JSON of the record without seq, prev_hash and hash: object keys sorted (by
//   UTF-16 code units), no whitespace, members whose value is undefined left out, integers beyond
//   2^53 printed exactly;
// - hash = hex(sha256(prev_hash + "\n" + seq + "\n" + text)); prev_hash is the previous record's
//   hash, 64 zeros for seq 1;
// - retention removes the oldest records and records, as the chain's anchor, the seq and
//   prev_hash the first remaining record must have; the head (last seq and hash) is kept apart
//   from the records, so a truncated tail is detected too.
import { chainHash } from '../store/decisions';
import type { Store } from '../store/types';

export interface ChainVerification {
  valid: boolean;
  /** Records checked (all of the tenant's remaining records when valid). */
  records: number;
  /** Decision id of the first record that does not fit the chain. */
  broken_at?: string;
  /** Seq at which the chain breaks. */
  broken_seq?: number;
  reason?: string;
}

/**
 * Hashes each record's stored canonical text as it is, without parsing it: any change to a stored
 * record changes its hash, and the walk costs one SHA-256 per record.
 */
export async function verifyChain(store: Pick<Store, 'getChainState' | 'iterateChain'>, tenant: string): Promise<ChainVerification> {
  const state = await store.getChainState(tenant);
  if (!state) return { valid: true, records: 0 };
  let expectedSeq = state.anchor_seq;
  let prev = state.anchor_hash;
  let records = 0;
  let lastId: string | undefined;
  const broken = (id: string | undefined, seq: number, reason: string): ChainVerification => ({
    valid: false,
    records,
    ...(id !== undefined && { broken_at: id }),
    broken_seq: seq,
    reason,
  });
  for await (const r of store.iterateChain(tenant, state.anchor_seq)) {
    const seq = r.seq;
    if (seq !== expectedSeq) return broken(r.decision_id, expectedSeq, `expected seq ${expectedSeq}, found ${r.seq}`);
    if (r.prev_hash !== prev) return broken(r.decision_id, seq, 'prev_hash does not match the hash of the previous record');
    if (chainHash(prev, seq, r.text) !== r.hash) return broken(r.decision_id, seq, 'record content does not match its hash');
    prev = r.hash;
    lastId = r.decision_id;
    expectedSeq++;
    records++;
  }
  if (expectedSeq - 1 !== state.head_seq || prev !== state.head_hash)
    return broken(lastId, expectedSeq, `chain ends at seq ${expectedSeq - 1} but its head is seq ${state.head_seq}`);
  return { valid: true, records };
}
