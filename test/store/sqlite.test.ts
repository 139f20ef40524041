import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite';
import type { Store } from '../../src/store/types';
import { loadMigrations, migrationsDir } from '../../src/store/migrations';
import { verifyChain } from '../../src/audit/chain';
import { decision, storeContract } from './contract';
import { until } from '../audit/helpers';

const run = promisify(execFile);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'arbiter-sqlite-'));
}

// The durability tests replace node:fs's fdatasync to hold or fail the store's syncs.
type Fdatasync = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void;
const realFdatasync = fs.fdatasync;

function replaceFdatasync(f: Fdatasync): void {
  (fs as { fdatasync: unknown }).fdatasync = f;
}

function restoreFdatasync(): void {
  replaceFdatasync(realFdatasync);
}

/** Syncs wait in the returned list until the test releases them. */
function holdFdatasync(): { fd: number; release: () => void }[] {
  const held: { fd: number; release: () => void }[] = [];
  replaceFdatasync((fd, cb) => held.push({ fd, release: () => realFdatasync(fd, cb) }));
  return held;
}

/** Every sync fails with EIO; `count` says how many were asked for. */
function failFdatasync(): { count: number } {
  const failed = { count: 0 };
  replaceFdatasync((_fd, cb) => {
    failed.count++;
    setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
  });
  return failed;
}

/** A store on a fresh file, initialised; closed and its folder removed afterwards. */
async function withStore(opts: SqliteStoreOptions, test: (store: Store, file: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const file = join(dir, 'a.db');
  const store = openSqliteStore(file, opts);
  try {
    await store.init();
    await test(store, file);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A store appending inline on a fresh file, so its fdatasync calls go through this thread's node:fs;
 * fdatasync is restored before the store is closed.
 */
function withInlineStore(opts: SqliteStoreOptions, test: (store: Store, file: string) => Promise<void>): Promise<void> {
  return withStore({ writerThread: false, readerThread: false, ...opts }, async (store, file) => {
    try {
      await test(store, file);
    } finally {
      restoreFdatasync();
    }
  });
}

/** Whether another connection to the file sees the decision. */
function committedElsewhere(file: string, decisionId: string): boolean {
  const other = new Database(file, { readonly: true });
  try {
    return other.prepare('SELECT 1 FROM decisions WHERE decision_id = ?').get(decisionId) !== undefined;
  } finally {
    other.close();
  }
}

for (const threads of [true, false]) {
  storeContract(`sqlite (${threads ? 'writer and reader threads' : 'inline'})`, async () => {
    const dir = tempDir();
    const store = openSqliteStore(join(dir, 'arbiter.db'), { writerThread: threads, readerThread: threads });
    await store.init();
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

describe('SQLite store specifics', () => {
  it('applies each migration once, durably, and keeps data across reopen', async () => {
    const dir = tempDir();
    const file = join(dir, 'arbiter.db');
    try {
      const first = openSqliteStore(file);
      await first.init();
      await first.createTenant({ id: 'keep', name: 'Keep' });
      await first.appendDecisions([decision('keep'), decision('keep')]);
      await first.close();

      const second = openSqliteStore(file);
      await second.init();
      assert.equal((await second.getTenant('keep'))?.name, 'Keep');
      await second.appendDecisions([decision('keep')]);
      assert.deepEqual(await verifyChain(second, 'keep'), { valid: true, records: 3 });
      await second.close();

      const db = new Database(file, { readonly: true });
      const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      const expected = loadMigrations(migrationsDir('sqlite')).map((m) => ({ version: m.version, name: m.name }));
      assert.deepEqual(applied, expected);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits with synchronous=FULL', () =>
    withStore({}, async (store) => {
      // The pragma is per connection: read it through the store's own connection.
      const db = (store as unknown as { db: Database.Database }).db;
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
    }));

  it('resolves an append only after an fdatasync of the WAL that covers it, with registry writes still FULL', () =>
    withInlineStore({}, async (store, file) => {
      const held = holdFdatasync();
      const first = decision('durable');
      let resolved = false;
      const appending = store.appendDecisions([first]).then((r) => ((resolved = true), r));
      // Committed (another connection sees it) but not reported before the sync.
      assert.ok(committedElsewhere(file, first.decision_id));
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(resolved, false, 'resolved before the WAL was synced');
      assert.equal(held.length, 1);
      assert.equal(fs.fstatSync(held[0].fd).ino, fs.statSync(`${file}-wal`).ino, 'synced a file other than the WAL');
      // A second append while the sync runs commits at once and is covered by the next sync.
      const second = store.appendDecisions([decision('durable')]);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(held.length, 1, 'a second sync started while one was running');
      held.shift()!.release();
      assert.deepEqual(await appending, { inserted: 1, duplicates: 0 });
      await until(() => held.length === 1, 'the second sync');
      held.shift()!.release();
      assert.deepEqual(await second, { inserted: 1, duplicates: 0 });
      const db = (store as unknown as { db: Database.Database }).db;
      assert.equal(db.pragma('synchronous', { simple: true }), 2, 'the connection was left at NORMAL');
      restoreFdatasync();
      assert.deepEqual(await verifyChain(store, 'durable'), { valid: true, records: 2 });
    }));

  it('rejects the appends a failed WAL sync covered, and the next append syncs again', () =>
    withInlineStore({}, async (store) => {
      failFdatasync();
      await assert.rejects(store.appendDecisions([decision('eio')]), /EIO/);
      restoreFdatasync();
      assert.deepEqual(await store.appendDecisions([decision('eio')]), { inserted: 1, duplicates: 0 });
    }));

  it('with process durability, resolves an append once committed while the sync that covers it runs in the background', () =>
    withInlineStore({ auditDurability: 'process' }, async (store, file) => {
      const held = holdFdatasync();
      const first = decision('quick');
      assert.deepEqual(await store.appendDecisions([first]), { inserted: 1, duplicates: 0 }, 'resolved while its sync is held');
      assert.equal(held.length, 1, 'no background sync was started');
      assert.equal(fs.fstatSync(held[0].fd).ino, fs.statSync(`${file}-wal`).ino, 'synced a file other than the WAL');
      assert.ok(committedElsewhere(file, first.decision_id), 'not committed when resolved');
      // Further appends do not wait either, and the running sync is not joined by a second one.
      assert.deepEqual(await store.appendDecisions([decision('quick')]), { inserted: 1, duplicates: 0 });
      assert.equal(held.length, 1);
      held.shift()!.release();
      await until(() => held.length === 1, 'the sync covering the second append');
      held.shift()!.release();
      restoreFdatasync();
      assert.deepEqual(await verifyChain(store, 'quick'), { valid: true, records: 2 });
    }));

  it('with process durability, a failed background sync fails the next append (which is not committed), once', () =>
    withInlineStore({ auditDurability: 'process' }, async (store) => {
      const failed = failFdatasync();
      assert.deepEqual(await store.appendDecisions([decision('eio')]), { inserted: 1, duplicates: 0 }, 'acknowledged after its commit');
      await until(() => failed.count === 1, 'the background sync');
      await new Promise((r) => setImmediate(r));
      restoreFdatasync();
      const refused = decision('eio');
      await assert.rejects(store.appendDecisions([refused]), /background sync to disk failed: EIO/);
      assert.equal(await store.getDecision('eio', refused.decision_id), undefined, 'a refused append was committed');
      assert.deepEqual(await store.appendDecisions([decision('eio')]), { inserted: 1, duplicates: 0 }, 'the failure was reported more than once');
      assert.deepEqual(await verifyChain(store, 'eio'), { valid: true, records: 2 });
    }));

  it('copies the WAL into the database in the background and starts it over, so it does not grow with the log', async () => {
    const dir = tempDir();
    const file = join(dir, 'a.db');
    const store = openSqliteStore(file);
    try {
      await store.init();
      const padding = 'x'.repeat(1500);
      for (let i = 0; i < 30; i++) {
        const batch = Array.from({ length: 500 }, () => decision('wal', { input: { padding } }));
        await store.appendDecisions(batch);
        if (i === 3) {
          // About 3 MB appended: the checkpointer has started copying into the database file.
          await until(() => fs.statSync(file).size > 1_000_000, 'a background checkpoint', 20_000);
        }
      }
      // 22 MB of records (about 40 MB of database) went through a WAL that was written from its
      // start again on the way; without that it would hold every page written, more than the
      // database file (the restart point is 12 MB, plus what arrives during the last passes).
      const walSize = fs.statSync(`${file}-wal`).size;
      const dbSize = fs.statSync(file).size;
      assert.ok(walSize < dbSize * 0.75, `WAL of ${walSize} bytes next to a database of ${dbSize} bytes`);
      assert.deepEqual(await verifyChain(store, 'wal'), { valid: true, records: 15_000 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works on an in-memory database (appends inline, since a writer thread cannot share it)', async () => {
    const store = openSqliteStore(':memory:');
    try {
      await store.init();
      await store.appendDecisions([decision('mem'), decision('mem')]);
      assert.deepEqual(await verifyChain(store, 'mem'), { valid: true, records: 2 });
    } finally {
      await store.close();
    }
  });

  it('keeps one gapless, verifiable chain with writers in several processes on one file', async () => {
    const dir = tempDir();
    const file = join(dir, 'shared.db');
    const store = openSqliteStore(file);
    try {
      await store.init();
      const writer = join(__dirname, 'fixtures', 'writer.ts');
      const outputs = await Promise.all(
        [0, 1, 2].map(() => run(process.execPath, ['--import', 'tsx', writer, file, 'multi', '300'], { timeout: 60_000 })),
      );
      assert.deepEqual(outputs.map((o) => o.stdout.trim()), ['done 300', 'done 300', 'done 300']);
      assert.deepEqual(await verifyChain(store, 'multi'), { valid: true, records: 900 });
      const writers = new Set<string>();
      for await (const r of store.iterateDecisions('multi')) writers.add(r.principal);
      assert.equal(writers.size, 3);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers appends committed together by the writer each with its own counts, and a refused one alone', () =>
    withStore({}, async (store) => {
      const again = decision('burst');
      await store.appendDecisions([again]);
      // Posted to the writer in one turn, so most wait for it while it commits the first.
      const batches = Array.from({ length: 40 }, (_, i) => (i % 10 === 3 ? [decision('burst'), again] : [decision('burst'), decision('other')]));
      const appends = batches.map((b) => store.appendDecisions(b));
      const refused = store.appendQueued!(['{"not": json']);
      const counts = await Promise.all(appends);
      await assert.rejects(refused, /not valid JSON/);
      batches.forEach((b, i) => assert.deepEqual(counts[i], b.includes(again) ? { inserted: 1, duplicates: 1 } : { inserted: 2, duplicates: 0 }, `batch ${i}`));
      assert.deepEqual(await verifyChain(store, 'burst'), { valid: true, records: 41 });
      assert.deepEqual(await verifyChain(store, 'other'), { valid: true, records: 36 });
    }));

  it('gives a new file 8 KB pages, which rows of about 2 KB share, and leaves an older file its own', async () => {
    const dir = tempDir();
    const pageSize = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        const leaves = db.prepare("SELECT count(*) AS n FROM dbstat WHERE name = 'decisions' AND pagetype = 'leaf'").get() as { n: number };
        return { size: db.pragma('page_size', { simple: true }) as number, leaves: leaves.n };
      } finally {
        db.close();
      }
    };
    const fill = async (file: string) => {
      const store = openSqliteStore(file);
      await store.init();
      // Rows of about 2.2 KB, as a decision with a 1 KB input and a few bundles makes.
      await store.appendDecisions(Array.from({ length: 60 }, () => decision('pages', { input: { manifest: 'x'.repeat(1800) } })));
      await store.close();
    };
    try {
      const fresh = join(dir, 'fresh.db');
      await fill(fresh);
      const made = pageSize(fresh);
      assert.equal(made.size, 8192);
      assert.ok(made.leaves <= 20, `${made.leaves} leaf pages for 60 rows: rows do not share pages`);
      const older = join(dir, 'older.db');
      const db = new Database(older);
      db.pragma('page_size = 4096');
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE kept (x)');
      db.close();
      await fill(older);
      assert.equal(pageSize(older).size, 4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replaces a writer thread that died and keeps the chain intact', () =>
    withStore({}, async (store) => {
      await store.appendDecisions([decision('restart')]);
      const writer = (store as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer;
      await writer.worker.terminate();
      await store.appendDecisions([decision('restart'), decision('restart')]);
      assert.deepEqual(await verifyChain(store, 'restart'), { valid: true, records: 3 });
    }));

  it('lets the event loop run between chain pages while a long chain is verified', () =>
    withStore({}, async (store) => {
      await store.appendDecisions(Array.from({ length: 3000 }, () => decision('long-verify')));
      let turns = 0;
      const timer = setInterval(() => turns++, 0);
      const v = await verifyChain(store, 'long-verify');
      clearInterval(timer);
      assert.deepEqual(v, { valid: true, records: 3000 });
      // Six pages of 500: timers fire between them instead of waiting for the whole walk.
      assert.ok(turns >= 3, `only ${turns} timer turns during verification`);
    }));

  it('refuses to work before init', async () => {
    const dir = tempDir();
    const store = openSqliteStore(join(dir, 'a.db'));
    try {
      await assert.rejects(store.listTenants(), /not initialized/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detects tampering with a stored record, a deleted record and a truncated tail', async () => {
    const dir = tempDir();
    const file = join(dir, 'a.db');
    const store = openSqliteStore(file);
    try {
      await store.init();
      const rs = Array.from({ length: 6 }, () => decision('tamper'));
      await store.appendDecisions(rs);
      const raw = new Database(file);
      const row = raw.prepare('SELECT record FROM decisions WHERE tenant = ? AND seq = 3').get('tamper') as { record: string };
      raw.prepare('UPDATE decisions SET record = ? WHERE tenant = ? AND seq = 3').run(row.record.replace('"ci"', '"mallory"'), 'tamper');
      let v = await verifyChain(store, 'tamper');
      assert.equal(v.valid, false);
      assert.equal(v.broken_at, rs[2].decision_id);
      assert.equal(v.records, 2);
      raw.prepare('UPDATE decisions SET record = ? WHERE tenant = ? AND seq = 3').run(row.record, 'tamper');
      assert.equal((await verifyChain(store, 'tamper')).valid, true);

      raw.prepare('DELETE FROM decisions WHERE tenant = ? AND seq = 4').run('tamper');
      v = await verifyChain(store, 'tamper');
      assert.equal(v.valid, false);
      assert.equal(v.broken_at, rs[4].decision_id);

      raw.prepare('DELETE FROM decisions WHERE tenant = ? AND seq >= 4').run('tamper');
      v = await verifyChain(store, 'tamper');
      assert.equal(v.valid, false);
      assert.match(v.reason ?? '', /head is seq 6/);

      raw.prepare('DELETE FROM decisions WHERE tenant = ? AND seq = 1').run('tamper');
      v = await verifyChain(store, 'tamper');
      assert.equal(v.broken_at, rs[1].decision_id);
      raw.close();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
