// Cross-check of Wasm decisions against Arbiter's Rego engine: when a bundle ships both the Rego
// source and policy.wasm for an entrypoint, a sample of decisions is evaluated by both and the
// outcomes compared. Mismatches are counted (Prometheus), handed to a callback (the service logs
// them with the decision id) and kept, a bounded list per bundle version, for
// GET /tenants/{t}/bundles/{name}/versions/{n}/crosscheck.

import { Counter, type Registry } from 'prom-client';
import { RegoError } from '../rego/errors';
import { RObject, RSet, equals, fromJSON, toJSON, type Value } from '../rego/eval/values';

/** One side's outcome as reported: a result, undefined, or an error. */
export type CrossCheckSide =
  | { outcome: 'result'; result: unknown }
  | { outcome: 'undefined' }
  | { outcome: 'error'; error: { code: string; message: string } };

export interface CrossCheckResult {
  match: boolean;
  /** Why the outcomes differ; absent when they match. */
  reason?: 'result_differs' | 'defined_differs' | 'error_differs';
  wasm: CrossCheckSide;
  rego: CrossCheckSide;
}

/**
 * Compares what the Wasm module and the Rego engine answered for one decision. Each side is the
 * result (JSON, or a Rego Value), undefined, or the Error the evaluation threw. Results are equal
 * as Rego values (1 equals 1.0, object member order is irrelevant). Two errors match whatever
 * their codes: both refused the decision.
 */
export function crossCheck(wasmOutcome: unknown, regoOutcome: unknown): CrossCheckResult {
  const wasm = describe(wasmOutcome);
  const rego = describe(regoOutcome);
  let reason: CrossCheckResult['reason'];
  if (wasm.outcome === 'error' || rego.outcome === 'error') {
    if (wasm.outcome !== rego.outcome) reason = 'error_differs';
  } else if (wasm.outcome !== rego.outcome) {
    reason = 'defined_differs';
  } else if (wasm.outcome === 'result' && rego.outcome === 'result') {
    if (!equals(fromJSON(wasm.result), fromJSON(rego.result))) reason = 'result_differs';
  }
  return reason ? { match: false, reason, wasm, rego } : { match: true, wasm, rego };
}

function describe(outcome: unknown): CrossCheckSide {
  if (outcome === undefined) return { outcome: 'undefined' };
  if (outcome instanceof RegoError) return { outcome: 'error', error: { code: outcome.code, message: outcome.rawMessage } };
  if (outcome instanceof Error) return { outcome: 'error', error: { code: 'eval_internal_error', message: outcome.message } };
  const json = outcome instanceof RObject || outcome instanceof RSet || Array.isArray(outcome) ? toJSON(outcome as Value) : outcome;
  return { outcome: 'result', result: json };
}

/** The Rego rule an entrypoint names: 'example/allow' -> 'data.example.allow'. */
export function entrypointRuleName(entrypoint: string): string {
  return `data.${entrypoint.replace(/^\/+|\/+$/g, '').split('/').join('.')}`;
}

/** What the service knows about the decision being checked. */
export interface CrossCheckSubject {
  tenant: string;
  bundle: string;
  version: number;
  entrypoint: string;
  decisionId: string;
}

export interface CrossCheckMismatch {
  decision_id: string;
  entrypoint: string;
  /** RFC 3339. */
  at: string;
  reason: NonNullable<CrossCheckResult['reason']>;
  wasm: CrossCheckSide;
  rego: CrossCheckSide;
}

/** The body of GET /tenants/{t}/bundles/{name}/versions/{n}/crosscheck. */
export interface CrossCheckReport {
  bundle: string;
  version: number;
  sample_rate: number;
  checked: number;
  mismatched: number;
  /** Newest first; at most `maxMismatches` of them. */
  mismatches: CrossCheckMismatch[];
}

export interface CrossCheckerOptions {
  /** Fraction of eligible decisions to check, 0 (never) to 1 (every one). */
  rate: number;
  /** Mismatches kept per bundle version (default 100); the oldest are dropped first. */
  maxMismatches?: number;
  /** Registers arbiter_wasm_crosscheck_total{tenant,bundle,outcome="match"|"mismatch"} here. */
  registry?: Registry;
  /** Called for every mismatch, e.g. to log it with its decision id. */
  onMismatch?: (subject: CrossCheckSubject, mismatch: CrossCheckMismatch) => void;
  /** Source of randomness for sampling (tests fix it). */
  random?: () => number;
}

interface VersionStats {
  checked: number;
  mismatched: number;
  mismatches: CrossCheckMismatch[];
}

export class CrossChecker {
  readonly rate: number;
  private readonly maxMismatches: number;
  private readonly random: () => number;
  private readonly counter?: Counter<'tenant' | 'bundle' | 'outcome'>;
  private readonly stats = new Map<string, VersionStats>();

  constructor(private readonly options: CrossCheckerOptions) {
    if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError(`cross-check rate must be within [0, 1], got ${options.rate}`);
    this.rate = options.rate;
    this.maxMismatches = options.maxMismatches ?? 100;
    this.random = options.random ?? Math.random;
    if (options.registry) {
      this.counter = new Counter({
        name: 'arbiter_wasm_crosscheck_total',
        help: 'Wasm decisions re-evaluated by the Rego engine, by outcome of the comparison',
        labelNames: ['tenant', 'bundle', 'outcome'],
        registers: [options.registry],
      });
    }
  }

  /** Whether to cross-check the next eligible decision. */
  shouldSample(): boolean {
    return this.rate > 0 && (this.rate >= 1 || this.random() < this.rate);
  }

  /**
   * The call for the decision path: when this decision is drawn, evaluates it with the Rego
   * engine (`regoEvaluate`, after the current I/O callbacks, so the response is not delayed) and
   * records the comparison with the Wasm outcome. Returns whether it was drawn.
   */
  sample(subject: CrossCheckSubject, wasmOutcome: unknown, regoEvaluate: () => unknown): boolean {
    if (!this.shouldSample()) return false;
    setImmediate(() => {
      let regoOutcome: unknown;
      try {
        regoOutcome = regoEvaluate();
      } catch (e) {
        regoOutcome = e;
      }
      this.record(subject, wasmOutcome, regoOutcome);
    });
    return true;
  }

  /** Compares the two outcomes of one decision and records the comparison. */
  record(subject: CrossCheckSubject, wasmOutcome: unknown, regoOutcome: unknown): CrossCheckResult {
    const result = crossCheck(wasmOutcome, regoOutcome);
    const stats = this.statsFor(subject.tenant, subject.bundle, subject.version, true)!;
    stats.checked++;
    this.counter?.inc({ tenant: subject.tenant, bundle: subject.bundle, outcome: result.match ? 'match' : 'mismatch' });
    if (!result.match) {
      stats.mismatched++;
      const mismatch: CrossCheckMismatch = {
        decision_id: subject.decisionId,
        entrypoint: subject.entrypoint,
        at: new Date().toISOString(),
        reason: result.reason!,
        wasm: result.wasm,
        rego: result.rego,
      };
      stats.mismatches.unshift(mismatch);
      if (stats.mismatches.length > this.maxMismatches) stats.mismatches.length = this.maxMismatches;
      this.options.onMismatch?.(subject, mismatch);
    }
    return result;
  }

  report(tenant: string, bundle: string, version: number): CrossCheckReport {
    const stats = this.statsFor(tenant, bundle, version, false);
    return {
      bundle,
      version,
      sample_rate: this.rate,
      checked: stats?.checked ?? 0,
      mismatched: stats?.mismatched ?? 0,
      mismatches: stats ? [...stats.mismatches] : [],
    };
  }

  /** Drops what is kept for a tenant (e.g. when it is deleted), or for one of its bundles. */
  forget(tenant: string, bundle?: string): void {
    for (const key of [...this.stats.keys()]) {
      const [t, b] = JSON.parse(key) as [string, string, number];
      if (t === tenant && (bundle === undefined || b === bundle)) this.stats.delete(key);
    }
  }

  private statsFor(tenant: string, bundle: string, version: number, create: boolean): VersionStats | undefined {
    const key = JSON.stringify([tenant, bundle, version]);
    let stats = this.stats.get(key);
    if (!stats && create) {
      stats = { checked: 0, mismatched: 0, mismatches: [] };
      this.stats.set(key, stats);
    }
    return stats;
  }
}
