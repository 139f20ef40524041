// The PostgreSQL store's append thread, with a connection of its own (same server and schema as the
// store's pool). Records arrive as queueDecision's JSON text (or prepared on the main thread);
// parsing, canonical JSON, the chain hashes and pg's encoding of the INSERT all happen here, off
// the event loop that answers decisions.
//
// Appends run one at a time on the one connection, in the order they arrive; a batch is prepared
// as soon as it arrives, while the append before it waits for PostgreSQL. Batches that arrived
// meanwhile go to PostgreSQL together, as one append (group commit: a statement and a commit cost
// about as much for 8 records as for 40). If that merged append fails, each batch is tried again
// alone, so a batch PostgreSQL refuses fails only itself. The thread remembers the chain heads it
// committed, so most appends are one statement (appendRecords). A lost connection fails the
// append that was using it; the next append connects again.
//
// Must not import src/rego (the native re2 addon aborts the process on a worker thread).
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type ClientConfig } from 'pg';
import { threadFailure } from './db-thread';
import { preparedFromQueue, type PreparedDecision, type QueuedDecision } from './decisions';
import { appendCounts, appendRecords, type ChainHeads } from './postgres-append';

export type PostgresThreadRequest = { id: number; op: 'append'; records: QueuedDecision[] } | { id: number; op: 'close' };

/** An append request with its records prepared. */
type Batch = { id: number; records: PreparedDecision[] };
type Work = ({ op: 'append' } & Batch) | { id: number; op: 'close' };

const { config } = workerData as { config: ClientConfig };
const port = parentPort!;
let client: Client | undefined;
const heads: ChainHeads = new Map();
/** Requests taken and not yet started, in arrival order. */
const waiting: Work[] = [];
let working = false;

async function connection(): Promise<Client> {
  if (client) return client;
  const c = new Client(config);
  const lost = () => {
    if (client === c) client = undefined;
    c.end().catch(() => undefined);
  };
  // A connection error must not kill the thread: the transaction using it fails, the next reconnects.
  c.on('error', lost);
  c.on('end', lost);
  try {
    await c.connect();
  } catch (e) {
    c.end().catch(() => undefined);
    throw e;
  }
  client = c;
  return c;
}

/** Appends the batches as one; answers each with its own counts. Throws if the append failed. */
async function appendTogether(batches: Batch[]): Promise<void> {
  const skipped = await appendRecords(await connection(), batches.flatMap((b) => b.records), heads);
  for (const b of batches) port.postMessage({ id: b.id, result: appendCounts(b.records, skipped) });
}

async function appendAlone(batch: Batch): Promise<void> {
  try {
    await appendTogether([batch]);
  } catch (e) {
    port.postMessage(threadFailure(batch.id, e));
  }
}

/** Starts the next piece of work once the one before has finished: the waiting appends, or a close. */
function next(): void {
  if (working || waiting.length === 0) return;
  working = true;
  const done = () => {
    working = false;
    next();
  };
  const first = waiting[0];
  if (first.op === 'close') {
    // Answered after the appends taken before it.
    waiting.shift();
    const c = client;
    client = undefined;
    void (c?.end().catch(() => undefined) ?? Promise.resolve()).then(() => {
      port.postMessage({ id: first.id, result: null });
      done();
    });
    return;
  }
  const batches: Batch[] = [];
  while (waiting.length > 0 && waiting[0].op === 'append') batches.push(waiting.shift() as Batch);
  const attempt =
    batches.length === 1
      ? appendAlone(batches[0])
      : appendTogether(batches).catch(async () => {
          for (const b of batches) await appendAlone(b);
        });
  void attempt.then(done);
}

port.on('message', (req: PostgresThreadRequest) => {
  if (req.op === 'append') {
    let records: PreparedDecision[];
    try {
      records = req.records.map(preparedFromQueue);
    } catch (e) {
      port.postMessage(threadFailure(req.id, e));
      return;
    }
    waiting.push({ id: req.id, op: 'append', records });
  } else waiting.push(req);
  next();
});
