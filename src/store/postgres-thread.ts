// The PostgreSQL store's append thread, with a connection of its own (same server and schema as the
// store's pool). Records arrive as queueDecision's JSON text (or prepared on the main thread);
// parsing, canonical JSON, the chain hashes and pg's encoding of the INSERT all happen here, off
// the event loop that answers decisions.
//
// Appends run one transaction at a time on the one connection, in the order they arrive; a batch
// is prepared as soon as it arrives, while the transaction before it waits for PostgreSQL. A lost
// connection fails the append that was using it; the next append connects again.
//
// Must not import src/rego (the native re2 addon aborts the process on a worker thread).
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type ClientConfig } from 'pg';
import { threadFailure } from './db-thread';
import { preparedFromQueue, type PreparedDecision, type QueuedDecision } from './decisions';
import { appendInTransaction } from './postgres-append';

export type PostgresThreadRequest = { id: number; op: 'append'; records: QueuedDecision[] } | { id: number; op: 'close' };

const { config } = workerData as { config: ClientConfig };
const port = parentPort!;
let client: Client | undefined;
/** The requests taken so far, settled in order. */
let tail: Promise<void> = Promise.resolve();

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

function then(step: () => Promise<void>): void {
  tail = tail.then(step);
}

port.on('message', (req: PostgresThreadRequest) => {
  switch (req.op) {
    case 'append': {
      let records: PreparedDecision[];
      try {
        records = req.records.map(preparedFromQueue);
      } catch (e) {
        port.postMessage(threadFailure(req.id, e));
        return;
      }
      then(async () => {
        try {
          port.postMessage({ id: req.id, result: await appendInTransaction(await connection(), records) });
        } catch (e) {
          port.postMessage(threadFailure(req.id, e));
        }
      });
      return;
    }
    case 'close':
      // Answered after the appends taken before it.
      then(async () => {
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
        port.postMessage({ id: req.id, result: null });
      });
      return;
  }
});
