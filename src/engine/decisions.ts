// One decision, whatever endpoint asked for it: evaluate against the tenant's current PolicySet,
// apply the tenant's mask policy to what is recorded, and record it durably. `decide` resolves only
// after the audit record is committed, so the caller may answer the client then and not before.

import { newDecisionId } from '../store/decisions';
import type { DecisionRecord } from '../store/types';
import { fromJSON, toJSON, type Value } from '../rego/eval/values';
import type { PolicySet } from './policy-set';

export interface DecisionRecorder {
  record(r: DecisionRecord): Promise<void>;
}

/** Applies mask rules (the JSON of data.system.log.mask) to a record, as OPA's decision logger does. */
export type MaskFn = (record: DecisionRecord, rules: unknown[]) => DecisionRecord | void;

export interface DecisionRequest {
  set: PolicySet;
  path: string;
  input?: Value;
  principal: string;
  remoteAddr: string;
  strictBuiltinErrors?: boolean;
}

export interface DecisionOutcome {
  decisionId: string;
  result?: Value;
  /** The evaluation error (a RegoError), already recorded. */
  error?: unknown;
  evalNs: number;
}

export interface EvaluationErrorJSON {
  code: string;
  message: string;
  errors?: unknown[];
}

export class DecisionService {
  constructor(
    private readonly recorder: DecisionRecorder,
    private readonly options: { evalTimeoutMs: number; mask?: MaskFn; onMaskError?: (err: unknown) => void },
  ) {}

  async decide(req: DecisionRequest): Promise<DecisionOutcome> {
    const decisionId = newDecisionId();
    const started = process.hrtime.bigint();
    let result: Value | undefined;
    let error: unknown;
    try {
      result = req.set.evaluate(req.path, {
        input: req.input,
        strictBuiltinErrors: req.strictBuiltinErrors,
        timeoutMs: this.options.evalTimeoutMs,
      });
    } catch (e) {
      error = e;
    }
    const evalNs = Number(process.hrtime.bigint() - started);
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
    if (req.input !== undefined) record.input = toJSON(req.input);
    if (result !== undefined) record.result = toJSON(result);
    if (error !== undefined) record.error = errorJSON(error);
    if (req.set.hasMask) record = this.mask(req.set, record);
    await this.recorder.record(record);
    return { decisionId, result, error, evalNs };
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
