// A thread of the SQLite store with its own connection. The writer appends and prunes decisions
// and records agent statuses, so hashing, inserts, waits for the write lock and the fsync of every
// commit happen off the main event loop; the reader answers audit
// queries and chain pages, so a long scan never blocks it either (WAL lets it read while the
// writer commits).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SQLITE_PRAGMAS, SqliteAuditLog, type DecisionFilter } from './sqlite-audit';
import type { AgentStatus, DecisionRecord } from './types';

export type ThreadRequest =
  | { id: number; op: 'append'; records: DecisionRecord[] }
  | { id: number; op: 'prune'; tenant: string; cutoff: number; batch: number }
  | { id: number; op: 'tenants' }
  | { id: number; op: 'agentStatus'; status: AgentStatus }
  | { id: number; op: 'query'; filter: DecisionFilter }
  | { id: number; op: 'page'; tenant: string; from: number; limit: number }
  | { id: number; op: 'close' };

export type ThreadReply = { id: number; result: unknown } | { id: number; error: { name: string; message: string } };

const db = new Database((workerData as { file: string }).file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
const log = new SqliteAuditLog(db);
const port = parentPort!;

port.on('message', (req: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    switch (req.op) {
      case 'append':
        reply = { id: req.id, result: log.append(req.records) };
        break;
      case 'prune':
        reply = { id: req.id, result: log.pruneBatch(req.tenant, req.cutoff, req.batch) };
        break;
      case 'tenants':
        reply = { id: req.id, result: log.tenants() };
        break;
      case 'agentStatus':
        log.upsertAgentStatus(req.status);
        reply = { id: req.id, result: null };
        break;
      case 'query':
        reply = { id: req.id, result: log.query(req.filter) };
        break;
      case 'page':
        reply = { id: req.id, result: log.page(req.tenant, req.from, req.limit) };
        break;
      case 'close':
        db.close();
        reply = { id: req.id, result: null };
        break;
    }
  } catch (e) {
    const err = e as Error;
    reply = { id: req.id, error: { name: err?.constructor?.name ?? 'Error', message: String(err?.message ?? e) } };
  }
  port.postMessage(reply);
});
