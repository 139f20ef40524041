// The SQLite store's audit writer thread: appends and prunes on its own connection, so hashing,
// inserting and the fsync of every commit happen off the main thread's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SQLITE_PRAGMAS, SqliteAuditLog } from './sqlite-audit';
import type { DecisionRecord } from './types';

export type WriterRequest =
  | { id: number; op: 'append'; records: DecisionRecord[] }
  | { id: number; op: 'prune'; tenant: string; cutoff: number; batch: number }
  | { id: number; op: 'tenants' }
  | { id: number; op: 'close' };

export type WriterReply = { id: number; result: unknown } | { id: number; error: { name: string; message: string } };

const db = new Database((workerData as { file: string }).file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
const log = new SqliteAuditLog(db);
const port = parentPort!;

port.on('message', (req: WriterRequest) => {
  let reply: WriterReply;
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
