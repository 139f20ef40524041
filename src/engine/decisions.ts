// One decision, whatever endpoint asked for it: evaluate against the tenant's current PolicySet,
// apply the tenant's mask policy to what is recorded, and record it durably. `decide` resolves only
// after the audit record is committed, so the caller may answer the client then and not before.

import { randomFillSync } from 'node:crypto';
import { RAW_INPUT, type RawInput, type RecordWithRawInput } from '../store/decisions';
import type { DecisionRecord } from '../store/types';
import { fromJSON, toJSON, type Value } from '../rego/eval/values';
import type { EvalRequest, PolicySet } from './policy-set';

export interface DecisionRecorder {
  record(r: DecisionRecord): Promise<void>;
}

/** Applies mask rules (the JSON of data.system.log.mask) to a record, as OPA's decision logger does. */
export type MaskFn = (record: DecisionRecord, rules: unknown[]) => DecisionRecord | void;

export interface DecisionRequest {
  set: PolicySet;
  path: string;
  input?: Value;
  /** The input as the client sent it (JSON-shaped), recorded as is; derived from `input` when absent. */
  inputJSON?: unknown;
  /** The JSON text `inputJSON` was parsed from, if JSON.parse read it as it is (see RawInput). */
  rawInput?: RawInput;
  principal: string;
  remoteAddr: string;
  strictBuiltinErrors?: boolean;
  /**
   * Computes the result instead of evaluating `path` alone, for decisions made of several rules
   * (admission, the Flagger gate, Conftest checks); `path` is still what the record names.
   */
  evaluate?: (set: PolicySet, options: EvalRequest) => Value | undefined;
}

export interface DecisionOutcome {
  decisionId: string;
  result?: Value;
  /** `result` as JSON, the form the response and the record share. */
  resultJSON?: unknown;
  /** The evaluation error (a RegoError), already recorded. */
  error?: unknown;
  evalNs: number;
}

// Random bits for decision ids, drawn 4 KiB at a time rather than one system call per decision.
const ID_POOL = Buffer.allocUnsafe(16 * 256);
let idPoolPos = ID_POOL.length;

/** A UUIDv7 (time-ordered, so the audit log's unique index grows at its end). */
export function newDecisionId(now = Date.now()): string {
  if (idPoolPos >= ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolPos = 0;
  }
  const b = ID_POOL;
  const at = idPoolPos;
  idPoolPos += 16;
  b.writeUIntBE(now, at, 6);
  b[at + 6] = 0x70 | (b[at + 6] & 0x0f);
  b[at + 8] = 0x80 | (b[at + 8] & 0x3f);
  // Formatted byte by byte from a table: one string instead of a hex string and five slices.
  let id = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) id += '-';
    id += HEX[b[at + i]];
  }
  return id;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export interface EvaluationErrorJSON {
  code: string;
  message: string;
  errors?: unknown[];
}

/** Samples Wasm answers for re-evaluation by the Rego engine (src/engine/wasm-crosscheck.ts). */
export interface WasmSampler {
  sample(
    subject: { tenant: string; bundle: string; version: number; entrypoint: string; decisionId: string },
    wasmOutcome: unknown,
    regoEvaluate: () => unknown,
  ): boolean;
}

export class DecisionService {
  constructor(
    private readonly recorder: DecisionRecorder,
    private readonly options: { evalTimeoutMs: number; mask?: MaskFn; onMaskError?: (err: unknown) => void; wasmSampler?: WasmSampler },
  ) {}

  async decide(req: DecisionRequest): Promise<DecisionOutcome> {
    const decisionId = newDecisionId();
    const started = process.hrtime.bigint();
    let result: Value | undefined;
    let error: unknown;
    try {
      const options: EvalRequest = { input: req.input, strictBuiltinErrors: req.strictBuiltinErrors, timeoutMs: this.options.evalTimeoutMs };
      if (req.evaluate) result = req.evaluate(req.set, options);
      else {
        const out = req.set.evaluateGuarded(req.path, options);
        result = out instanceof Promise ? await out : out;
      }
    } catch (e) {
      error = e;
    }
    const evalNs = Number(process.hrtime.bigint() - started);
    if (this.options.wasmSampler) this.crossCheck(req, decisionId, error !== undefined ? error : result);
    let record: DecisionRecord = {
      decision_id: decisionId,
      tenant: req.set.tenant,
      source: 'server',
      path: req.path,
      bundles: req.set.provenance,
      principal: req.principal,
      remote_addr: req.remoteAddr,
      timestamp: new Date().toISOString(),
      duration_ns: evalNs,
    };
    const resultJSON = result === undefined ? undefined : toJSON(result);
    if (req.input !== undefined) record.input = req.inputJSON !== undefined ? req.inputJSON : toJSON(req.input);
    if (resultJSON !== undefined) record.result = resultJSON;
    if (error !== undefined) record.error = errorJSON(error);
    if (req.set.hasMask) record = this.mask(req.set, record);
    else if (req.rawInput && req.inputJSON !== undefined) (record as RecordWithRawInput)[RAW_INPUT] = req.rawInput;
    await this.recorder.record(record);
    return { decisionId, result, resultJSON, error, evalNs };
  }

  private crossCheck(req: DecisionRequest, decisionId: string, wasmOutcome: unknown): void {
    const owner = req.set.wasmBundleFor(req.path);
    if (!owner || !req.set.hasRegoRule(req.path)) return;
    this.options.wasmSampler!.sample(
      { tenant: req.set.tenant, bundle: owner.name, version: owner.version, entrypoint: req.path, decisionId },
      wasmOutcome,
      () => req.set.evaluateRego(req.path, { input: req.input, strictBuiltinErrors: req.strictBuiltinErrors, timeoutMs: this.options.evalTimeoutMs }),
    );
  }

  private mask(set: PolicySet, record: DecisionRecord): DecisionRecord {
    if (!this.options.mask) return record;
    try {
      const event: Record<string, unknown> = { decision_id: record.decision_id, path: record.path, bundles: record.bundles };
      if (record.input !== undefined) event.input = record.input;
      if (record.result !== undefined) event.result = record.result;
      const rules = set.evaluate('system/log/mask', { input: fromJSON(event), timeoutMs: this.options.evalTimeoutMs });
      if (rules === undefined) return record;
      const list = toJSON(rules);
      if (!Array.isArray(list) || list.length === 0) return record;
      return this.options.mask(record, list) ?? record;
    } catch (e) {
      // A broken mask policy must not leak what it was meant to hide: record no input or result.
      this.options.onMaskError?.(e);
      const erased: string[] = [];
      if (record.input !== undefined) erased.push('/input');
      if (record.result !== undefined) erased.push('/result');
      const { input: _input, result: _result, ...rest } = record;
      return { ...rest, erased };
    }
  }
}

export function errorJSON(e: unknown): EvaluationErrorJSON {
  const err = e as { name?: string; code?: string; message?: string; errors?: unknown[] };
  if (err && err.name === 'RegoError') {
    return { code: 'internal_error', message: 'error(s) occurred while evaluating query', errors: err.errors };
  }
  return { code: 'internal_error', message: err?.message ?? String(e) };
}
