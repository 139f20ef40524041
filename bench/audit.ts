// Audit-log throughput: records/s through AuditRecorder into a store with durable commits.
// `clients` loops each record one decision and wait for its commit before the next, as the
// decision endpoints do (the response waits for the record). Input: a ~1 KB Deployment.
//
//   npx tsx bench/audit.ts [--seconds 5] [--clients 32,256] [--sqlite thread,inline] [--ids v7|v4]
//                          [--chunk N] [--work-us N] [--in-flight 1,2] [--max-batch N] [--postgres URL]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecorder } from '../src/audit/recorder';
import { openSqliteStore } from '../src/store/sqlite';
import { openPostgresStore } from '../src/store/postgres';
import { newDecisionId } from '../src/store/decisions';
import type { DecisionRecord, Store } from '../src/store/types';
import { arg } from './common';

const seconds = Number(arg('seconds', '5'));
const clientCounts = arg('clients', '32,256').split(',').map(Number);
const pgUrl = process.argv.includes('--postgres') ? arg('postgres', '') : undefined;
const sqliteModes = arg('sqlite', 'thread,inline').split(',').filter(Boolean);
// With --chunk N, each client records chunks of N events at once (recordAll), as the agent
// decision-log endpoint does with one uploaded chunk.
const chunk = Number(arg('chunk', '1'));
// v7: time-ordered ids, as the service mints them; v4: random ids, as OPA agents send them.
const idKind = arg('ids', 'v7');
const newId = idKind === 'v4' ? () => randomUUID() : () => newDecisionId();
// --work-us N: each decision first spends N µs of main-thread CPU, as the server does parsing the
// request and evaluating it (about 120 µs), so records arrive spread out as they do over HTTP
// instead of in lockstep.
const workUs = Number(arg('work-us', '0'));
// --in-flight: the recorder's maxInFlight values to compare ('' = its default for the store).
const inFlightValues = arg('in-flight', '').split(',').filter(Boolean).map(Number);
// --max-batch: the recorder's maxBatch (default: its own, or the chunk size if larger).
const maxBatch = process.argv.includes('--max-batch') ? Number(arg('max-batch', '')) : undefined;

function work(): void {
  if (workUs <= 0) return;
  const until = process.hrtime.bigint() + BigInt(Math.round(workUs * 1000));
  while (process.hrtime.bigint() < until);
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', team: 'payments', tier: 'frontend' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'registry.example.com/shop/web:1.4.2',
            ports: [{ containerPort: 8080 }],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
            env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'REGION', value: 'eu-west-1' }],
          },
        ],
      },
    },
  },
};

// Recorded inputs have sorted keys in practice: the service stores toJSON(input) (Rego order),
// and OPA agents marshal maps with sorted keys. Canonical JSON then reuses them as they are.
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
}

const input = sortKeys(deployment);

function record(tenant: string): DecisionRecord {
  return {
    decision_id: newId(),
    tenant,
    source: 'server',
    path: 'main/deny',
    input,
    result: [],
    bundles: { kubernetes: { version: 3, revision: 'v1.4.0', digest: 'sha256:' + 'ab'.repeat(32) } },
    principal: 'ci-pipeline',
    remote_addr: '10.1.2.3',
    timestamp: new Date().toISOString(),
    duration_ns: 42_000,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function measure(label: string, store: Store, clients: number, maxInFlight?: number): Promise<void> {
  const sizes: number[] = [];
  const recorder = new AuditRecorder(store, {
    ...(maxBatch !== undefined ? { maxBatch: Math.max(maxBatch, chunk) } : chunk > 4096 && { maxBatch: chunk }),
    ...(maxInFlight !== undefined && { maxInFlight }),
    onCommit: (c) => sizes.push(c.records),
  });
  const latencies: number[] = [];
  const tenant = `bench-${clients}-${Date.now()}`;
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const loop = async () => {
    while (Date.now() < deadline) {
      const t0 = process.hrtime.bigint();
      work();
      if (chunk === 1) await recorder.record(record(tenant));
      else await recorder.recordAll(Array.from({ length: chunk }, () => ({ ...record(tenant), source: 'agent' as const })));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      for (let i = 0; i < chunk; i++) latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  // Event-loop utilisation: the share of time the main thread was busy (this loop's own record
  // building included), which is what a decision server would not have for requests.
  const busy = performance.eventLoopUtilization(elu).utilization;
  const cpuUs = process.cpuUsage(cpu);
  await recorder.close();
  latencies.sort((a, b) => a - b);
  const batch = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  console.log(
    `${label.padEnd(13)}${maxInFlight !== undefined ? ` in-flight=${maxInFlight}` : ''} ids=${idKind} clients=${String(clients).padEnd(4)}${chunk > 1 ? ` chunk=${chunk}` : ''}${workUs > 0 ? ` work=${workUs}us` : ''} ${Math.round(latencies.length / elapsed)
      .toString()
      .padStart(6)} records/s  commits/s=${Math.round(sizes.length / elapsed)}  avg batch=${batch.toFixed(1)}  ` +
      `p50=${percentile(latencies, 50).toFixed(2)}ms p99=${percentile(latencies, 99).toFixed(2)}ms  ` +
      `main loop busy=${(busy * 100).toFixed(0)}%  process cpu/record=${((cpuUs.user + cpuUs.system) / latencies.length).toFixed(0)}us`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-'));
  try {
    for (const mode of sqliteModes) {
      const sqlite = openSqliteStore(join(dir, `bench-${mode}.db`), { writerThread: mode === 'thread' });
      await sqlite.init();
      for (const c of clientCounts)
        if (inFlightValues.length === 0) await measure(`sqlite/${mode}`, sqlite, c);
        else for (const n of inFlightValues) await measure(`sqlite/${mode}`, sqlite, c, n);
      await sqlite.close();
    }
    if (pgUrl) {
      const schema = `arbiter_bench_${process.pid}`;
      const pg = openPostgresStore(pgUrl, { schema });
      await pg.init();
      try {
        for (const c of clientCounts) await measure('postgres', pg, c);
      } finally {
        await pg.close();
        const { Client } = await import('pg');
        const admin = new Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
