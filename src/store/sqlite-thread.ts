// A thread of the SQLite store with its own connection. The writer appends and prunes decisions
// and records agent statuses, so hashing, inserts, waits for the write lock and the fsync of every
// commit happen off the main event loop; the reader answers audit
// queries and chain pages, so a long scan never blocks it either (WAL lets it read while the
// writer commits).
//
// Writes commit with synchronous=NORMAL and are answered once the WAL is synced (see
// sqlite-sync.ts). Appends that arrived while the writer was busy are taken from the port together
// and committed as one transaction with one sync (group commit at the disk): the longer a commit
// and its sync take, the more the next one carries. With the `process` audit durability, appends
// are answered right after their commit and the sync that covers them runs in the background (a
// failed one fails the next append). The writer
// does not checkpoint after its commits (copying the WAL into the database file would stall the
// next commit); a third thread, the checkpointer, does it in the background (see sqlite.ts).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
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

type AppendRequest = Extract<ThreadRequest, { op: 'append' }>;

const { file, role, auditDurability } = workerData as { file: string; role: ThreadRole; auditDurability: AuditDurability };
const db = new Database(file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
db.pragma('synchronous = NORMAL');
if (role === 'writer') db.pragma('wal_autocheckpoint = 0');
const walSync = new WalSync(db);
const log = new SqliteAuditLog(db);
const port = parentPort!;

/** Answers a write once it is durable. */
function afterSync(id: number, result: unknown): DbThreadReply {
  walSync.syncNow();
  return { id, result };
}

/**
 * Commits `first` and every append queued behind it as one transaction and answers each, after
 * one sync (or at once, with the sync in the background, for the `process` durability). Returns
 * the first other request found in the queue, to be handled next.
 */
function appendWaiting(first: AppendRequest): ThreadRequest | undefined {
  const appends = [first];
  let next: ThreadRequest | undefined;
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const req = m.message as ThreadRequest;
    if (req.op !== 'append') {
      next = req;
      break;
    }
    appends.push(req);
  }
  let replies: DbThreadReply[];
  try {
    if (auditDurability === 'process') walSync.throwIfBackgroundFailed();
    replies = commitAppends(appends);
  } catch (e) {
    replies = appends.map((a) => threadFailure(a.id, e));
  }
  if (replies.some((r) => 'result' in r)) {
    if (auditDurability === 'process') walSync.syncInBackground();
    else {
      try {
        walSync.syncNow();
      } catch (e) {
        replies = replies.map((r) => ('result' in r ? threadFailure(r.id, e) : r));
      }
    }
  }
  for (const r of replies) port.postMessage(r);
  return next;
}

/** One transaction for all; if it fails, each append alone, so a refused one fails only itself. */
function commitAppends(appends: AppendRequest[]): DbThreadReply[] {
  if (appends.length > 1) {
    try {
      const counts = log.appendGroups(appends.map((a) => a.records.map(preparedFromQueue)));
      return appends.map((a, i) => ({ id: a.id, result: counts[i] }));
    } catch {
      // fall through to one transaction per append
    }
  }
  return appends.map((a) => {
    try {
      return { id: a.id, result: log.append(a.records.map(preparedFromQueue)) };
    } catch (e) {
      return threadFailure(a.id, e);
    }
  });
}

port.on('message', (req: ThreadRequest) => {
  for (let next: ThreadRequest | undefined = req; next !== undefined; ) {
    if (next.op === 'append') next = appendWaiting(next);
    else {
      handle(next);
      next = undefined;
    }
  }
});

function handle(req: Exclude<ThreadRequest, AppendRequest>): void {
  let reply: DbThreadReply;
  try {
    switch (req.op) {
      case 'prune':
        reply = afterSync(req.id, log.pruneBatch(req.tenant, req.cutoff, req.batch));
        break;
      case 'agentStatus':
        log.upsertAgentStatus(req.status);
        reply = afterSync(req.id, null);
        break;
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
        // Answered after a last sync, which also waits for a background sync still running.
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
}
