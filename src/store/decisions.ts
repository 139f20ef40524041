// Decision-log rules shared by every store: the hash chain, the outcome classification, the
// timestamp and cursor encodings. Keeping them in one place keeps SQLite and PostgreSQL identical.
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJSON } from './json';
import { InvalidArgumentError, type DecisionRecord, type DecisionQuery } from './types';

/** prev_hash of a tenant's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** The canonical JSON stored and hashed for a record: every field but seq, prev_hash and hash. */
export function recordText(record: DecisionRecord): string {
  const { seq: _s, prev_hash: _p, hash: _h, ...fields } = record;
  return canonicalJSON(fields);
}

/**
 * hash = sha256(prev_hash + "\n" + seq + "\n" + recordText), hex. The seq is hashed apart from
 * the text so the text can be prepared before the chain's head is known (and locked).
 */
export function chainHash(prevHash: string, seq: number, text: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n`).update(text).digest('hex');
}

export type Outcome = NonNullable<DecisionQuery['outcome']>;

/**
 * How a decision counts in the `outcome` filter and in metrics:
 * - `error`: the record has an error;
 * - `undefined`: no result;
 * - `denied`: the result is `false`; or a non-empty array (a deny/violation set as JSON); or an
 *   object whose `allowed` or `allow` member is `false` (also under `response`, as in an
 *   AdmissionReview), or whose `deny` / `violation` / `violations` member is a non-empty array;
 * - `allowed`: any other result (true, an empty set, a document).
 */
export function classifyOutcome(record: Pick<DecisionRecord, 'result' | 'error'>): Outcome {
  if (record.error !== undefined && record.error !== null) return 'error';
  const r = record.result;
  if (r === undefined) return 'undefined';
  return deniedResult(r) ? 'denied' : 'allowed';
}

function deniedResult(r: unknown): boolean {
  if (r === false) return true;
  if (Array.isArray(r)) return r.length > 0;
  if (r === null || typeof r !== 'object') return false;
  const o = r as Record<string, unknown>;
  if (o.allowed === false || o.allow === false) return true;
  for (const k of ['deny', 'violation', 'violations']) {
    const v = o[k];
    if (Array.isArray(v) && v.length > 0) return true;
  }
  const response = o.response;
  return response !== null && typeof response === 'object' && (response as Record<string, unknown>).allowed === false;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

// Records arrive in bursts from the same second (a decision-log chunk, a group commit): the last
// second's Date.parse is kept, which is most of the cost of converting a timestamp.
let lastSecond = '';
let lastSecondMs = NaN;

/** Microseconds since the epoch of an RFC 3339 timestamp (nanoseconds are truncated). */
export function timestampMicros(ts: string): number {
  const m = typeof ts === 'string' ? RFC3339.exec(ts) : null;
  if (!m) throw invalidTimestamp(ts);
  const second = `${m[1]}T${m[2]}${m[4].toUpperCase()}`;
  if (second !== lastSecond) {
    const ms = Date.parse(second);
    if (Number.isNaN(ms) || !onTheCalendar(m[1], m[2])) throw invalidTimestamp(ts);
    lastSecond = second;
    lastSecondMs = ms;
  }
  const fraction = m[3] === undefined ? 0 : Number(m[3].padEnd(6, '0').slice(0, 6));
  return lastSecondMs * 1000 + fraction;
}

// Date.parse rolls February 30th over into March and reads hour 24 as the next day; RFC 3339 (and
// OPA's Go parser) refuse both.
function onTheCalendar(date: string, time: string): boolean {
  const [year, month, day] = date.split('-').map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth && Number(time.slice(0, 2)) <= 23;
}

function invalidTimestamp(ts: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`invalid RFC 3339 timestamp: ${JSON.stringify(ts)}`);
}

/** Paths are compared without a leading slash (OPA agents may send either form). */
export function normalizePath(path: string): string {
  return path.replace(/^\/+/, '');
}

export function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ after: seq })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (Number.isSafeInteger(parsed.after) && (parsed.after as number) >= 0) return parsed.after as number;
  } catch {
    // fall through to the typed error
  }
  throw new InvalidArgumentError('invalid cursor');
}

export const MAX_PAGE = 1000;

export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new InvalidArgumentError(`limit must be an integer from 1 to ${MAX_PAGE}`);
  return limit;
}

/** Validates what the store relies on before anything of a batch is written. */
export function checkRecord(r: DecisionRecord): void {
  if (typeof r.decision_id !== 'string' || r.decision_id === '') throw new InvalidArgumentError('decision_id must be a non-empty string');
  if (typeof r.tenant !== 'string' || r.tenant === '') throw new InvalidArgumentError('tenant must be a non-empty string');
  if (typeof r.path !== 'string') throw new InvalidArgumentError('path must be a string');
  if (r.source !== 'server' && r.source !== 'agent') throw new InvalidArgumentError('source must be "server" or "agent"');
  timestampMicros(r.timestamp);
}

/** Everything a store writes for one appended record. */
export interface DecisionRow {
  tenant: string;
  seq: number;
  decision_id: string;
  ts: number;
  path: string;
  principal: string;
  source: string;
  outcome: Outcome;
  bundles: string[];
  record: string;
  prev_hash: string;
  hash: string;
}

/** Everything of a row that does not depend on its place in the chain. */
export type PreparedDecision = Omit<DecisionRow, 'seq' | 'prev_hash' | 'hash'>;

export function prepareDecision(r: DecisionRecord): PreparedDecision {
  return {
    tenant: r.tenant,
    decision_id: r.decision_id,
    ts: timestampMicros(r.timestamp),
    path: normalizePath(r.path),
    principal: r.principal ?? '',
    source: r.source,
    outcome: classifyOutcome(r),
    bundles: Object.keys(r.bundles ?? {}),
    record: recordText(r),
  };
}

/**
 * The JSON text a decision's input was parsed from, when the client sent it as plain JSON: `text`
 * itself, or its member `input` (a `{"input": ...}` body). A record that carries it under RAW_INPUT
 * is queued with that text instead of a re-encoding of its input, which is the larger part of a
 * record; the store reads the input back from it. Only attach it when `input` is exactly what
 * JSON.parse gives for the text (no masking, no big integers kept as bigint).
 */
export interface RawInput {
  text: string;
  member?: 'input';
}

export const RAW_INPUT = Symbol('arbiter.rawInput');

export type RecordWithRawInput = DecisionRecord & { [RAW_INPUT]?: RawInput };

/**
 * A record on its way to a store that prepares records itself (SQLite: on its writer thread): its
 * plain JSON text, which costs the caller a native JSON.stringify instead of the canonical
 * encoding, and the text of its input apart when the client's own text can stand for it. Only
 * when the text reads back as the same record: a bigint (which JSON.stringify refuses) or a `null`
 * in the record's text (a non-finite number would print as one, and canonicalJSON rejects those)
 * keeps the record prepared here. A `null` in the client's input text is a real null.
 */
export type QueuedDecision = PreparedDecision | string | QueuedWithRawInput;

export interface QueuedWithRawInput {
  /** The record without its input, as JSON text. */
  queued: string;
  input: RawInput;
}

export function queueDecision(r: RecordWithRawInput): QueuedDecision {
  const raw = r[RAW_INPUT];
  let text: string;
  try {
    if (raw && r.input !== undefined) {
      const { input: _input, ...rest } = r;
      text = JSON.stringify(rest);
      if (!text.includes('null')) return { queued: text, input: raw };
    } else text = JSON.stringify(r);
  } catch {
    return prepareDecision(r);
  }
  return text.includes('null') ? prepareDecision(r) : text;
}

export function preparedFromQueue(q: QueuedDecision): PreparedDecision {
  if (typeof q === 'string') return prepareDecision(JSON.parse(q) as DecisionRecord);
  if ('queued' in q) {
    const r = JSON.parse(q.queued) as DecisionRecord;
    const parsed: unknown = JSON.parse(q.input.text);
    r.input = q.input.member ? (parsed as Record<string, unknown>)[q.input.member] : parsed;
    return prepareDecision(r);
  }
  return q;
}

/** Record text a queued decision adds to the log, roughly (for checkpoint pacing). */
export function queuedLength(q: QueuedDecision): number {
  if (typeof q === 'string') return q.length;
  return 'queued' in q ? q.queued.length + q.input.text.length : q.record.length;
}

export function chainRow(p: PreparedDecision, seq: number, prevHash: string): DecisionRow {
  return { ...p, seq, prev_hash: prevHash, hash: chainHash(prevHash, seq, p.record) };
}

/**
 * A new decision id: a UUIDv7 (RFC 9562), so ids recorded together sort together. The unique index
 * on (tenant, decision_id) then grows at its end instead of dirtying a random page per record,
 * which halves the cost of an SQLite insert compared with random (v4) ids.
 */
export function newDecisionId(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
