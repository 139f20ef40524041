// A thread of the SQLite store with its own connection. The writer appends and prunes decisions
// and records agent statuses, so hashing, inserts, waits for the write lock and the fsync of every
// commit happen off the main event loop; the reader answers audit
// queries and chain pages, so a long scan never blocks it either (WAL lets it read while the
// writer commits).
//
// Writes commit with synchronous=NORMAL and are answered once WalSync has synced the WAL (see
// sqlite-sync.ts): while one sync runs, the next requests are already being committed. With the
// `process` audit durability, appends are answered right after their commit and the sync that
// covers them runs in the background (a failed one fails the next append). The writer
// does not checkpoint after its commits (copying the WAL into the database file would stall the
// next commit); a third thread, the checkpointer, does it in the background (see sqlite.ts).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { threadFailure, type DbThreadReply } from './db-thread';
import { SQLITE_PRAGMAS, SqliteAuditLog, checkpoint, type DecisionFilter } from './sqlite-audit';
import { WalSync } from './sqlite-sync';
import { preparedFromQueue, type QueuedDecision } from './decisions';
import type { AgentStatus, AuditDurability } from './types';

export type ThreadRequest =
  | { id: number; op: 'append'; records: QueuedDecision[] }
  | { id: number; op: 'prune'; tenant: string; cutoff: number; batch: number }
  | { id: number; op: 'tenants' }
  | { id: number; op: 'agentStatus'; status: AgentStatus }
  | { id: number; op: 'query'; filter: DecisionFilter }
  | { id: number; op: 'page'; tenant: string; from: number; limit: number }
  | { id: number; op: 'checkpoint' }
  | { id: number; op: 'close' };

export type ThreadRole = 'writer' | 'reader' | 'checkpointer';

const { file, role, auditDurability } = workerData as { file: string; role: ThreadRole; auditDurability: AuditDurability };
const db = new Database(file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
db.pragma('synchronous = NORMAL');
if (role === 'writer') db.pragma('wal_autocheckpoint = 0');
const walSync = new WalSync(db);
const log = new SqliteAuditLog(db);
const port = parentPort!;

/** Answers a write once it is durable. */
function afterSync(id: number, result: unknown): void {
  walSync.sync().then(
    () => port.postMessage({ id, result }),
    (e: unknown) => port.postMessage(threadFailure(id, e)),
  );
}

port.on('message', (req: ThreadRequest) => {
  let reply: DbThreadReply;
  try {
    switch (req.op) {
      case 'append':
        if (auditDurability === 'process') {
          walSync.throwIfBackgroundFailed();
          reply = { id: req.id, result: log.append(req.records.map(preparedFromQueue)) };
          walSync.syncInBackground();
          break;
        }
        afterSync(req.id, log.append(req.records.map(preparedFromQueue)));
        return;
      case 'prune':
        afterSync(req.id, log.pruneBatch(req.tenant, req.cutoff, req.batch));
        return;
      case 'agentStatus':
        log.upsertAgentStatus(req.status);
        afterSync(req.id, null);
        return;
      case 'checkpoint':
        reply = { id: req.id, result: checkpoint(db) };
        break;
      case 'tenants':
        reply = { id: req.id, result: log.tenants() };
        break;
      case 'query':
        reply = { id: req.id, result: log.query(req.filter) };
        break;
      case 'page':
        reply = { id: req.id, result: log.page(req.tenant, req.from, req.limit) };
        break;
      case 'close':
        // Answered after the syncs of earlier writes, which the thread's queue already started.
        void walSync
          .sync()
          .catch(() => undefined)
          .then(() => {
            walSync.close();
            db.close();
            port.postMessage({ id: req.id, result: null });
          });
        return;
    }
  } catch (e) {
    reply = threadFailure(req.id, e);
  }
  port.postMessage(reply);
});
