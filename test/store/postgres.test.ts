// Runs the store contract against the real PostgreSQL server named by ARBITER_TEST_POSTGRES_URL
// (CI sets it; see .ci/run), in a schema per test run that is dropped afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { openPostgresStore } from '../../src/store/postgres';
import { loadMigrations, migrationsDir } from '../../src/store/migrations';
import { verifyChain } from '../../src/audit/chain';
import { AuditRecorder } from '../../src/audit/recorder';
import { prepareDecision, queueDecision } from '../../src/store/decisions';
import { appendCounts, appendRecords, type ChainHeads } from '../../src/store/postgres-append';
import type { BundleActivation, Store } from '../../src/store/types';
import { decision, storeContract } from './contract';

const url = process.env.ARBITER_TEST_POSTGRES_URL;
const SKIP = url ? false : 'skipped: ARBITER_TEST_POSTGRES_URL is not set (CI sets it; e.g. postgres://postgres@127.0.0.1:5432/test)';
const run = promisify(execFile);

const schemas: string[] = [];
function newSchema(): string {
  const s = `arbiter_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  schemas.push(s);
  return s;
}

/** Two stores on one fresh schema, as two replicas of one deployment; both closed afterwards. */
async function withTwoReplicas(fn: (a: Store, b: Store) => Promise<void>): Promise<void> {
  const schema = newSchema();
  const a = openPostgresStore(url!, { schema });
  const b = openPostgresStore(url!, { schema });
  await a.init();
  await b.init();
  try {
    await fn(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

/** A store on a fresh schema and a plain client on that schema (for locks and checks); both closed afterwards. */
async function withStoreAndAdmin(fn: (store: Store, admin: Client) => Promise<void>): Promise<void> {
  const schema = newSchema();
  const store = openPostgresStore(url!, { schema });
  await store.init();
  const admin = new Client({ connectionString: url, options: `-c search_path=${schema}` });
  await admin.connect();
  try {
    await fn(store, admin);
  } finally {
    await admin.end();
    await store.close();
  }
}

/** Holds a tenant's chain row lock on `admin` (until its ROLLBACK), so the store's appends wait for it. */
async function lockChainRow(admin: Client, tenant: string): Promise<void> {
  await admin.query('BEGIN');
  await admin.query('SELECT 1 FROM decision_chains WHERE tenant = $1 FOR UPDATE', [tenant]);
}

/** Resolves once PostgreSQL shows a statement on the chains waiting for a lock (5 s at most). */
async function untilAnAppendWaits(admin: Client): Promise<void> {
  const deadline = Date.now() + 5000;
  const waiting = async () =>
    Number((await admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%decision_chains%'`)).rows[0].n);
  while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

async function dropSchemas(): Promise<void> {
  if (!url || schemas.length === 0) return;
  const c = new Client({ connectionString: url });
  await c.connect();
  for (const s of schemas.splice(0)) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
}

if (!url) {
  describe('Store contract: postgres', { skip: SKIP }, () => {
    it('runs against a real PostgreSQL server', () => undefined);
  });
} else {
  after(dropSchemas);

  for (const appendThread of [true, false]) {
    storeContract(`postgres (${appendThread ? 'append thread' : 'inline appends'})`, async () => {
      const store = openPostgresStore(url, { schema: newSchema(), appendThread });
      await store.init();
      return { store, cleanup: () => store.close() };
    });
  }

  describe('PostgreSQL store specifics', () => {
    it('applies migrations once when several replicas start together', async () => {
      const schema = newSchema();
      const stores = Array.from({ length: 4 }, () => openPostgresStore(url, { schema, maxConnections: 2 }));
      try {
        await Promise.all(stores.map((s) => s.init()));
        await stores[0].createTenant({ id: 'shared', name: 'Shared' });
        assert.equal((await stores[3].getTenant('shared'))?.name, 'Shared');
        const c = new Client({ connectionString: url });
        await c.connect();
        const applied = (await c.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`)).rows;
        // 002 compresses records with lz4 where the server was built with it (Debian's and the image's are).
        const compression = (
          await c.query(`SELECT attcompression FROM pg_attribute WHERE attrelid = '"${schema}".decisions'::regclass AND attname = 'record'`)
        ).rows[0].attcompression;
        await c.end();
        assert.deepEqual(applied, loadMigrations(migrationsDir('postgres')).map((m) => ({ version: m.version, name: m.name })));
        assert.equal(compression, 'l');
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('keeps one gapless, verifiable chain with writers in several processes', async () => {
      const schema = newSchema();
      const store = openPostgresStore(url, { schema });
      await store.init();
      try {
        const writer = join(__dirname, 'fixtures', 'writer.ts');
        const outputs = await Promise.all(
          [0, 1, 2].map(() => run(process.execPath, ['--import', 'tsx', writer, `${url}#${schema}`, 'multi', '400'], { timeout: 60_000 })),
        );
        assert.deepEqual(outputs.map((o) => o.stdout.trim()), ['done 400', 'done 400', 'done 400']);
        assert.deepEqual(await verifyChain(store, 'multi'), { valid: true, records: 1200 });
        const writers = new Set<string>();
        for await (const r of store.iterateDecisions('multi')) writers.add(r.principal);
        assert.equal(writers.size, 3);
      } finally {
        await store.close();
      }
    });

    it('counts a chunk retried through two replicas at once only once', async () => {
      await withTwoReplicas(async (a, b) => {
      let inserted = 0;
      let duplicates = 0;
      for (let round = 0; round < 20; round++) {
        const chunk = Array.from({ length: 10 }, () => decision('retry', { source: 'agent' }));
        const results = await Promise.all([a.appendDecisions(chunk), b.appendDecisions(chunk)]);
        for (const r of results) {
          inserted += r.inserted;
          duplicates += r.duplicates;
        }
      }
      assert.deepEqual({ inserted, duplicates }, { inserted: 200, duplicates: 200 });
      assert.deepEqual(await verifyChain(a, 'retry'), { valid: true, records: 200 });
      });
    });

    it('interleaves the append threads of two stores on one schema into one chain, each in call order', async () => {
      await withTwoReplicas(async (a, b) => {
      const recorders = [new AuditRecorder(a), new AuditRecorder(b)];
      const lone = Array.from({ length: 400 }, (_, i) => decision('mix', { principal: i % 2 === 0 ? 'a' : 'b' }));
      // The same agent chunks through both stores, as a retried upload would come in.
      const chunks = Array.from({ length: 10 }, () => Array.from({ length: 5 }, () => decision('mix', { source: 'agent' })));
      await Promise.all([
        ...lone.map((r, i) => recorders[i % 2].record(r)),
        ...chunks.flatMap((c) => recorders.map((rec) => rec.recordAll(c))),
      ]);
      // Batches handed to one store's thread at once are applied in the order they were given.
      const ordered = Array.from({ length: 8 }, () => [decision('mix'), decision('mix')]);
      await Promise.all(ordered.map((batch) => a.appendQueued!(batch.map(queueDecision))));
      assert.deepEqual(await verifyChain(a, 'mix'), { valid: true, records: 400 + 50 + 16 });
      const seqOf = new Map<string, number>();
      for await (const r of b.iterateDecisions('mix')) {
        assert.equal(seqOf.has(r.decision_id), false, `${r.decision_id} is stored once`);
        seqOf.set(r.decision_id, r.seq!);
      }
      for (const r of [...lone, ...chunks.flat()]) assert.ok(seqOf.has(r.decision_id), r.decision_id);
      const seqs = ordered.flat().map((r) => seqOf.get(r.decision_id)!);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
      });
    });

    it('appends in one statement from the head it remembers or the one another writer left, and locks the chain when an id is stored or the chain is gone', async () => {
      const schema = newSchema();
      const other = openPostgresStore(url, { schema });
      await other.init();
      const c = new Client({ connectionString: url, options: `-c search_path=${schema}` });
      await c.connect();
      // Which statements reach PostgreSQL, by their first word.
      const sent: string[] = [];
      const query = c.query.bind(c) as (text: string | { text: string }, values?: unknown[]) => Promise<unknown>;
      (c as unknown as { query: typeof query }).query = (text, values) => {
        sent.push((typeof text === 'string' ? text : text.text).trim().split(/\s+/)[0]);
        return query(text, values);
      };
      const heads: ChainHeads = new Map();
      const append = async (...records: ReturnType<typeof decision>[]) => {
        sent.length = 0;
        const prepared = records.map(prepareDecision);
        const counts = appendCounts(prepared, await appendRecords(c, prepared, heads));
        return { counts, sent: [...sent] };
      };
      const LOCKING = ['BEGIN', 'INSERT', 'SELECT', 'WITH', 'COMMIT'];
      try {
        assert.deepEqual(await append(decision('heads'), decision('heads')), { counts: { inserted: 2, duplicates: 0 }, sent: LOCKING });
        assert.equal(heads.get('heads')!.seq, 2);
        const third = decision('heads');
        assert.deepEqual(await append(third, third), { counts: { inserted: 1, duplicates: 1 }, sent: ['WITH'] });
        assert.equal(heads.get('heads')!.seq, 3);
        // Another replica appends: the remembered head is stale, nothing is written with it, and the
        // statement hands back the head it found, from which the records are chained again.
        await other.appendDecisions([decision('heads')]);
        assert.deepEqual(await append(decision('heads')), { counts: { inserted: 1, duplicates: 0 }, sent: ['WITH', 'WITH'] });
        assert.equal(heads.get('heads')!.seq, 5);
        // An id stored before fails the one statement on the unique index; the transaction filters it.
        assert.deepEqual(await append(third, decision('heads')), { counts: { inserted: 1, duplicates: 1 }, sent: ['WITH', ...LOCKING] });
        assert.deepEqual(await verifyChain(other, 'heads'), { valid: true, records: 6 });
        // Record texts travel joined by line breaks, so one holding a line break is refused, not split.
        const broken = { ...prepareDecision(decision('heads')), record: '{"a":"\n"}' };
        await assert.rejects(appendRecords(c, [prepareDecision(decision('heads')), broken], heads), /holds a line break/);
        // A failed append forgets the heads of its tenants, which the next one reads under the lock.
        assert.deepEqual(await append(decision('heads')), { counts: { inserted: 1, duplicates: 0 }, sent: LOCKING });
        assert.deepEqual(await verifyChain(other, 'heads'), { valid: true, records: 7 });
        // A chain row gone (its tenant deleted) is not guessed at: the locking transaction starts a new chain.
        await c.query(`DELETE FROM decisions WHERE tenant = 'heads'`);
        await c.query(`DELETE FROM decision_chains WHERE tenant = 'heads'`);
        assert.deepEqual(await append(decision('heads')), { counts: { inserted: 1, duplicates: 0 }, sent: ['WITH', ...LOCKING] });
        assert.deepEqual(await verifyChain(other, 'heads'), { valid: true, records: 1 });
      } finally {
        await c.end();
        await other.close();
      }
    });

    it('commits the batches that waited for the append thread together, each answered on its own', () =>
      withStoreAndAdmin(async (store, admin) => {
        await store.appendDecisions([decision('merge')]);
        // The thread's next append waits for the lock while more batches arrive.
        await lockChainRow(admin, 'merge');
        const first = store.appendQueued!([queueDecision(decision('merge'))]);
        await untilAnAppendWaits(admin);
        const repeated = decision('merge');
        const later = [
          store.appendQueued!([queueDecision(repeated), queueDecision(repeated)]),
          // PostgreSQL refuses a NUL character in text: this batch fails, the others must not.
          store.appendQueued!([queueDecision(decision('bad\u0000tenant'))]),
          store.appendQueued!([queueDecision(decision('merge')), queueDecision(decision('other'))]),
        ];
        await new Promise((r) => setTimeout(r, 100)); // all three are with the thread
        await admin.query('ROLLBACK');
        assert.deepEqual(await first, { inserted: 1, duplicates: 0 });
        const [repeatedCounts, bad, lastCounts] = await Promise.allSettled(later);
        assert.deepEqual(repeatedCounts, { status: 'fulfilled', value: { inserted: 1, duplicates: 1 } });
        assert.equal(bad.status, 'rejected');
        assert.match((bad as PromiseRejectedResult).reason.code, /^[0-9A-Z]{5}$/, 'a SQLSTATE from PostgreSQL');
        assert.deepEqual(lastCounts, { status: 'fulfilled', value: { inserted: 2, duplicates: 0 } });
        assert.deepEqual(await verifyChain(store, 'merge'), { valid: true, records: 4 });
        assert.deepEqual(await verifyChain(store, 'other'), { valid: true, records: 1 });
        // Without the refused batch, the waiting batches share one transaction (one xmin).
        const good = [store.appendQueued!([queueDecision(decision('merge'))])];
        await lockChainRow(admin, 'merge');
        const held = store.appendQueued!([queueDecision(decision('merge'))]);
        await untilAnAppendWaits(admin);
        const together = [0, 1, 2].map(() => decision('merge'));
        good.push(held, ...together.map((d) => store.appendQueued!([queueDecision(d)])));
        await new Promise((r) => setTimeout(r, 100));
        await admin.query('ROLLBACK');
        await Promise.all(good);
        const xmins = await admin.query(`SELECT count(DISTINCT xmin::text) AS n FROM decisions WHERE decision_id = ANY($1::text[])`, [
          together.map((d) => d.decision_id),
        ]);
        assert.equal(Number(xmins.rows[0].n), 1);
        assert.deepEqual(await verifyChain(store, 'merge'), { valid: true, records: 9 });
      }));

    it('fails the appends of an append thread that died and replaces it on the next append', () =>
      withStoreAndAdmin(async (store, admin) => {
        await store.appendDecisions([decision('restart')]);
        // The next append waits for the lock inside the thread.
        await lockChainRow(admin, 'restart');
        const lost = decision('restart');
        const pending = store.appendQueued!([queueDecision(lost)]);
        await untilAnAppendWaits(admin);
        const thread = (store as unknown as { appender: { worker: { terminate(): Promise<number> } } }).appender;
        await thread.worker.terminate();
        await assert.rejects(pending, /PostgreSQL append thread exited/);
        await admin.query('ROLLBACK');
        await store.appendDecisions([decision('restart'), decision('restart')]);
        // The dead thread's statement had reached PostgreSQL, which may still commit it once the lock
        // is free (as with any commit whose answer is lost): reported failed, stored at most once.
        const lostStored = (await store.getDecision('restart', lost.decision_id)) !== undefined;
        assert.deepEqual(await verifyChain(store, 'restart'), { valid: true, records: lostStored ? 4 : 3 });
      }));

    it('rejects a failed append with the database error and keeps appending after it', async () => {
      const store = openPostgresStore(url, { schema: newSchema() });
      await store.init();
      try {
        // PostgreSQL refuses a NUL character in text, which JSON and the store's checks allow.
        const bad = decision('bad\u0000tenant');
        await assert.rejects(store.appendQueued!([queueDecision(bad), queueDecision(decision('fine'))]), (e: Error & { code?: string }) => {
          assert.match(e.code ?? '', /^[0-9A-Z]{5}$/, `a SQLSTATE from PostgreSQL: ${e.message}`);
          return true;
        });
        assert.deepEqual(await store.appendQueued!([queueDecision(decision('fine'))]), { inserted: 1, duplicates: 0 });
        assert.deepEqual(await verifyChain(store, 'fine'), { valid: true, records: 1 });
      } finally {
        await store.close();
      }
    });

    it('recognises stored ids whatever characters they hold', async () => {
      const store = openPostgresStore(url, { schema: newSchema() });
      await store.init();
      try {
        const ids = ['a"b', 'c\\d', '{x,y}', 'NULL', ' spaced ', "it's", 'é\u2028😀', '\\"', ''.padEnd(300, 'z')];
        const records = ids.map((id) => decision("ten'ant\\", { decision_id: id }));
        assert.deepEqual(await store.appendQueued!(records.map(queueDecision)), { inserted: ids.length, duplicates: 0 });
        assert.deepEqual(await store.appendQueued!(records.map(queueDecision)), { inserted: 0, duplicates: ids.length });
        for (const id of ids) assert.equal((await store.getDecision("ten'ant\\", id))?.decision_id, id);
        assert.deepEqual(await verifyChain(store, "ten'ant\\"), { valid: true, records: ids.length });
      } finally {
        await store.close();
      }
    });

    it('finishes the appends in flight when closed, and refuses appends after', async () => {
      const schema = newSchema();
      const store = openPostgresStore(url, { schema });
      await store.init();
      const appends = Array.from({ length: 5 }, () => store.appendQueued!([queueDecision(decision('closing'))]));
      await store.close();
      assert.deepEqual(await Promise.all(appends), Array.from({ length: 5 }, () => ({ inserted: 1, duplicates: 0 })));
      await assert.rejects(store.appendDecisions([decision('closing')]), /closed/);
      const reopened = openPostgresStore(url, { schema });
      await reopened.init();
      try {
        assert.deepEqual(await verifyChain(reopened, 'closing'), { valid: true, records: 5 });
      } finally {
        await reopened.close();
      }
    });

    describe('onBundleActivated', () => {
      let a: Store;
      let b: Store;
      let schemaOfNotifyTests = '';
      before(async () => {
        const schema = newSchema();
        schemaOfNotifyTests = schema;
        a = openPostgresStore(url, { schema });
        b = openPostgresStore(url, { schema });
        await a.init();
        await b.init();
      });
      after(async () => {
        await a.close();
        await b.close();
      });

      it('tells every replica about activations, rollbacks and deactivations once committed', async () => {
        const seen: BundleActivation[] = [];
        const unsubscribe = await a.onBundleActivated((e) => seen.push(e));
        const waitFor = async (n: number) => {
          const deadline = Date.now() + 1000;
          while (seen.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          assert.equal(seen.length, n, `expected ${n} notifications within 1 s, got ${JSON.stringify(seen)}`);
        };
        await b.createTenant({ id: 'notify', name: 'N' });
        const v = { tenant: 'notify', bundle: 'main', revision: '', digest: 'sha256:x', size: 1, created_by: 't', manifest: {}, archive: Buffer.from('x') };
        await b.addBundleVersion({ ...v, activate: false });
        await b.addBundleVersion({ ...v, activate: true });
        await waitFor(1);
        assert.deepEqual(seen[0], { tenant: 'notify', bundle: 'main', version: 2 });
        await b.activateBundleVersion('notify', 'main', 1);
        await b.deactivateBundle('notify', 'main');
        await waitFor(3);
        assert.deepEqual(seen.slice(1), [{ tenant: 'notify', bundle: 'main', version: 1 }, { tenant: 'notify', bundle: 'main' }]);
        // Nothing is announced for a version that does not exist.
        assert.equal(await b.activateBundleVersion('notify', 'main', 9), undefined);
        await unsubscribe();
        await b.activateBundleVersion('notify', 'main', 2);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(seen.length, 3);
      });

      it('reconnects a lost listening connection and asks subscribers to resync', async () => {
        const seen: BundleActivation[] = [];
        let resyncs = 0;
        const unsubscribe = await a.onBundleActivated((e) => seen.push(e), { onResync: () => resyncs++ });
        const admin = new Client({ connectionString: url });
        await admin.connect();
        const killed = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`,
          [`LISTEN "arbiter_bundle_activated_${schemaOfNotifyTests}"`],
        );
        await admin.end();
        assert.equal(killed.rowCount, 1);
        const deadline = Date.now() + 5000;
        while (resyncs === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(resyncs, 1);
        await b.activateBundleVersion('notify', 'main', 1);
        const until = Date.now() + 1000;
        while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(seen, [{ tenant: 'notify', bundle: 'main', version: 1 }]);
        await unsubscribe();
      });
    });
  });
}
