// Prometheus metrics of the service (prom-client). One Metrics per process, on its own registry.
// With several cluster workers, the worker answering GET /metrics asks the primary, which gathers
// every worker's registry and its own (audit commits happen there) and merges them
// (`clusterMetrics`), so a scrape sees the whole machine whichever worker it reaches.

import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CommitInfo } from './audit/recorder';
import type { DecisionRecorder } from './engine/decisions';
import { classifyOutcome } from './store/decisions';
import type { AgentStatus, DecisionRecord } from './store/types';

/** Distinct (tenant, path) label pairs kept before further paths count as path="(other)". */
const MAX_PATH_SERIES = 2000;

type Snapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
export const OTHER_PATH = '(other)';

/** What the audit gauges read at scrape time. */
export interface AuditProbe {
  readonly queueDepth: number;
  readonly inFlight: number;
  readonly lagMs: number;
}

/** What the agent gauge reads at scrape time: the fleet of every tenant. */
export interface FleetProbe {
  listTenants(): Promise<{ id: string }[]>;
  listAgents(tenant: string): Promise<AgentStatus[]>;
}

/** Seconds, from half a millisecond to 2.5 s: decision and audit-commit latency share them. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class Metrics {
  readonly registry = new Registry();
  readonly decisions: Counter<'tenant' | 'path' | 'outcome'>;
  readonly decisionSeconds: Histogram<'tenant'>;
  readonly agentDecisions: Counter<'tenant'>;
  readonly auditCommitSeconds: Histogram;
  readonly auditCommittedRecords: Counter<'result'>;
  readonly bundleActivations: Counter<'tenant' | 'bundle' | 'change'>;
  readonly bundleValidationFailures: Counter<'tenant' | 'bundle'>;
  private readonly pathSeries = new Set<string>();
  private auditProbe?: AuditProbe;
  private fleetProbe?: { store: FleetProbe; staleAfterSeconds: number };
  private longPolls?: () => number;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'arbiter_' });
    this.decisions = new Counter({
      name: 'arbiter_decisions_total',
      help: 'Decisions answered by this service, by tenant, path and outcome (allowed, denied, undefined, error)',
      labelNames: ['tenant', 'path', 'outcome'],
      registers,
    });
    this.decisionSeconds = new Histogram({
      name: 'arbiter_decision_duration_seconds',
      help: 'Time from the start of evaluation to the audit commit of the decision (what the client waits for once its body is read)',
      labelNames: ['tenant'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.agentDecisions = new Counter({
      name: 'arbiter_agent_decisions_ingested_total',
      help: 'Decisions received from agents\' decision logs',
      labelNames: ['tenant'],
      registers,
    });
    this.auditCommitSeconds = new Histogram({
      name: 'arbiter_audit_commit_duration_seconds',
      help: 'Duration of one audit-log transaction (group commit)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.auditCommittedRecords = new Counter({
      name: 'arbiter_audit_records_total',
      help: 'Audit records written, by result (committed or failed)',
      labelNames: ['result'],
      registers,
    });
    const queueDepth: Gauge = new Gauge({
      name: 'arbiter_audit_queue_depth',
      help: 'Audit records waiting for or inside a commit',
      registers,
      collect: () => {
        const p = this.auditProbe;
        queueDepth.set(p ? p.queueDepth + p.inFlight : 0);
      },
    });
    const lag: Gauge = new Gauge({
      name: 'arbiter_audit_lag_seconds',
      help: 'Age of the oldest audit record not yet committed (0 when none waits)',
      aggregator: 'max',
      registers,
      collect: () => lag.set((this.auditProbe?.lagMs ?? 0) / 1000),
    });
    this.bundleActivations = new Counter({
      name: 'arbiter_bundle_activations_total',
      help: 'Changes of a bundle\'s active version made through this service (change: activate, deactivate)',
      labelNames: ['tenant', 'bundle', 'change'],
      registers,
    });
    this.bundleValidationFailures = new Counter({
      name: 'arbiter_bundle_validation_failures_total',
      help: 'Bundle uploads and activations rejected by validation',
      labelNames: ['tenant', 'bundle'],
      registers,
    });
    const longPolls: Gauge = new Gauge({
      name: 'arbiter_long_polls_waiting',
      help: 'Agent bundle requests held open waiting for a change',
      registers,
      collect: () => longPolls.set(this.longPolls?.() ?? 0),
    });
    const agents: Gauge<'tenant' | 'state'> = new Gauge({
      name: 'arbiter_agents',
      help: 'Agents by tenant and state: ok, failing (a bundle failed to download or activate) or stale (not heard from)',
      labelNames: ['tenant', 'state'],
      // Every process reads the same shared store: one answer, not a sum.
      aggregator: 'first',
      registers,
      collect: async () => {
        agents.reset();
        const probe = this.fleetProbe;
        if (!probe) return;
        const now = Date.now();
        for (const t of await probe.store.listTenants()) {
          const counts = { ok: 0, failing: 0, stale: 0 };
          for (const a of await probe.store.listAgents(t.id)) counts[agentState(a, now, probe.staleAfterSeconds)]++;
          for (const [state, n] of Object.entries(counts)) agents.set({ tenant: t.id, state }, n);
        }
      },
    });
  }

  watchAudit(probe: AuditProbe): void {
    this.auditProbe = probe;
  }

  watchFleet(store: FleetProbe, staleAfterSeconds: number): void {
    this.fleetProbe = { store, staleAfterSeconds };
  }

  watchLongPolls(waiting: () => number): void {
    this.longPolls = waiting;
  }

  /** For AuditRecorder's onCommit. */
  readonly onCommit = (info: CommitInfo): void => {
    this.auditCommitSeconds.observe(info.durationMs / 1000);
    this.auditCommittedRecords.inc({ result: info.error ? 'failed' : 'committed' }, info.records);
  };

  /** Counts one answered decision; `seconds` from evaluation start to commit. */
  observeDecision(record: DecisionRecord, seconds: number): void {
    if (record.source === 'agent') {
      this.agentDecisions.inc({ tenant: record.tenant });
      return;
    }
    this.decisions.inc({ tenant: record.tenant, path: this.pathLabel(record.tenant, record.path), outcome: classifyOutcome(record) });
    this.decisionSeconds.observe({ tenant: record.tenant }, seconds);
  }

  /** Clients choose paths: past MAX_PATH_SERIES distinct ones, new paths share one series. */
  private pathLabel(tenant: string, path: string): string {
    const key = tenant + '\u0000' + path;
    if (this.pathSeries.has(key)) return path;
    if (this.pathSeries.size >= MAX_PATH_SERIES) return OTHER_PATH;
    this.pathSeries.add(key);
    return path;
  }

  /** This process's metrics as JSON, for merging in the primary. */
  snapshot(): Promise<Snapshot> {
    return this.registry.getMetricsAsJSON();
  }
}

/** How an agent counts in arbiter_agents. */
export function agentState(a: AgentStatus, now: number, staleAfterSeconds: number): 'ok' | 'failing' | 'stale' {
  if (!((now - Date.parse(a.last_seen)) / 1000 <= staleAfterSeconds)) return 'stale';
  const status = (typeof a.status === 'object' && a.status !== null ? a.status : {}) as { bundles?: unknown; discovery?: unknown };
  const reports = [status.discovery, ...(typeof status.bundles === 'object' && status.bundles !== null ? Object.values(status.bundles) : [])];
  const failed = (r: unknown) => typeof r === 'object' && r !== null && ('code' in r || 'message' in r);
  return reports.some(failed) ? 'failing' : 'ok';
}

/** A recorder, optionally able to commit a group in one transaction (agent log chunks). */
export type CountableRecorder = DecisionRecorder & { recordAll?(records: DecisionRecord[]): Promise<void> };

/** Wraps a recorder so every decision it records is counted once it is durable. */
export function instrumentRecorder(inner: CountableRecorder, metrics: Metrics): CountableRecorder {
  const counted: CountableRecorder = {
    record: async (r: DecisionRecord) => {
      const recordStarted = process.hrtime.bigint();
      await inner.record(r);
      const waitedNs = Number(process.hrtime.bigint() - recordStarted);
      metrics.observeDecision(r, (r.duration_ns + waitedNs) / 1e9);
    },
  };
  if (inner.recordAll) {
    const recordAll = inner.recordAll.bind(inner);
    counted.recordAll = async (records: DecisionRecord[]) => {
      await recordAll(records);
      for (const r of records) metrics.observeDecision(r, 0);
    };
  }
  return counted;
}

// ---------------------------------------------------------------------------------------------
// Cluster: the worker that is scraped asks the primary, which asks every worker.

interface MetricsRequest {
  type: 'arbiter:metrics-request';
  id: number;
}

interface MetricsReply {
  type: 'arbiter:metrics-reply';
  id: number;
  metrics?: Snapshot;
  text?: string;
}

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

const CLUSTER_TIMEOUT_MS = 5000;

/** In a worker: answers the primary's requests for this worker's metrics; returns how to ask for the whole machine's. */
export function workerMetrics(metrics: Metrics): () => Promise<string> {
  let nextId = 1;
  const waiting = new Map<number, (text: string | undefined) => void>();
  process.on('message', (m: unknown) => {
    if (isMessage<MetricsRequest>(m, 'arbiter:metrics-request')) {
      void metrics.snapshot().then((snapshot) => process.send?.({ type: 'arbiter:metrics-reply', id: m.id, metrics: snapshot } satisfies MetricsReply));
    } else if (isMessage<MetricsReply>(m, 'arbiter:metrics-reply') && m.text !== undefined) {
      waiting.get(m.id)?.(m.text);
      waiting.delete(m.id);
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary process did not answer for metrics'));
      }, CLUSTER_TIMEOUT_MS);
      waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text ?? '');
      });
      process.send?.({ type: 'arbiter:metrics-request', id } satisfies MetricsRequest);
    });
}

/**
 * In the primary: answers a worker's request with the merged metrics of every worker
 * and of the primary. Returns true when the message was one of this protocol's.
 */
export function createClusterMetrics(metrics: Metrics, workers: () => Worker[]): (from: Worker, m: unknown) => boolean {
  let nextId = 1;
  const pending = new Map<number, (snapshot: Snapshot | undefined) => void>();
  const gather = async (): Promise<string> => {
    const asks = workers().map(
      (w) =>
        new Promise<Snapshot | undefined>((resolve) => {
          const id = nextId++;
          const timer = setTimeout(() => {
            pending.delete(id);
            resolve(undefined);
          }, CLUSTER_TIMEOUT_MS);
          pending.set(id, (s) => {
            clearTimeout(timer);
            resolve(s);
          });
          if (!w.isConnected() || !w.send({ type: 'arbiter:metrics-request', id } satisfies MetricsRequest)) resolve(undefined);
        }),
    );
    const parts = [await metrics.snapshot(), ...(await Promise.all(asks)).filter((s): s is Snapshot => s !== undefined)];
    return AggregatorRegistry.aggregate(parts).metrics();
  };
  return (from, m) => {
    if (isMessage<MetricsReply>(m, 'arbiter:metrics-reply') && m.metrics) {
      pending.get(m.id)?.(m.metrics);
      pending.delete(m.id);
      return true;
    }
    if (!isMessage<MetricsRequest>(m, 'arbiter:metrics-request')) return false;
    void gather()
      .catch((e: Error) => `# metrics unavailable: ${e.message}\n`)
      .then((text) => {
        if (from.isConnected()) from.send({ type: 'arbiter:metrics-reply', id: m.id, text } satisfies MetricsReply);
      });
    return true;
  };
}

export const METRICS_CONTENT_TYPE = new Registry().contentType;
