// Durable commits without holding the connection through the fsync.
//
// The audit log's connection commits with synchronous=NORMAL, which writes the transaction's WAL
// frames (write(2), page cache) but does not fsync them, and then asks WalSync for an fdatasync of
// the WAL file before the commit is reported durable. That is the one sync synchronous=FULL would
// have done inside COMMIT, so a reported commit is on disk exactly as with FULL. On the main
// thread (inline appends) the sync runs on libuv's thread pool, so the event loop goes on and one
// sync covers every commit that finished before it started; the writer thread syncs in place
// (syncNow) after committing every append waiting for it as one transaction.
//
// Why this is safe:
// - fdatasync works on the file, not the descriptor: it flushes every page of the WAL that any
//   descriptor wrote before the call, the commit frames included, and the file size.
// - The WAL file is the same inode for as long as our connection is open: SQLite deletes it only
//   when the last connection closes, and restarts or truncates it in place.
// - WAL recovery replays only frames with valid salts and checksums up to a commit frame, so a
//   crash before the sync loses exactly the unreported commits, at the end of the log; with NORMAL
//   SQLite keeps the database consistent in every case (checkpoints sync the WAL before copying it
//   and the database after).
import { close as closeFd, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';

export class WalSync {
  private fd: number | undefined;
  private syncing = false;
  /** Commits that finished after the running sync started: the next sync covers them. */
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly walFile: string;
  /** A sync nobody waited for that failed, until throwIfBackgroundFailed reports it. */
  private backgroundFailure: Error | undefined;

  constructor(db: Database.Database) {
    const main = (db.pragma('database_list') as { name: string; file: string }[]).find((d) => d.name === 'main');
    if (!main?.file) throw new Error('WalSync needs a database file');
    this.walFile = `${main.file}-wal`;
  }

  /** Resolves once everything the connection committed before the call is on disk. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.syncing) this.start();
    });
  }

  /**
   * Syncs what the connection committed so far, blocking the calling thread: for the store's writer
   * thread, which has nothing else to do meanwhile, and where a sync on libuv's pool would be
   * answered only after a further turn of its event loop (measured: 0.65 ms from call to callback
   * under load, for a sync that takes about 0.25 ms).
   */
  syncNow(): void {
    try {
      this.fd ??= openSync(this.walFile, 'r');
      fdatasyncSync(this.fd);
    } catch (e) {
      // As after a failed asynchronous sync: the file is opened again for the next one.
      this.close();
      throw e;
    }
  }

  /**
   * Covers what the connection committed so far with a sync that nobody waits for (the `process`
   * audit durability). Its failure is kept for throwIfBackgroundFailed.
   */
  syncInBackground(): void {
    this.waiting.push({ resolve: () => undefined, reject: (e) => (this.backgroundFailure = e) });
    if (!this.syncing) this.start();
  }

  /**
   * Throws, once, the failure of a background sync: called before the next commit, which then
   * fails (and is not acknowledged) instead of the disk error going unnoticed.
   */
  throwIfBackgroundFailed(): void {
    const failure = this.backgroundFailure;
    this.backgroundFailure = undefined;
    if (failure) throw new Error(`the audit log's background sync to disk failed: ${failure.message}`);
  }

  close(): void {
    if (this.fd !== undefined) closeFd(this.fd, () => undefined);
    this.fd = undefined;
  }

  private start(): void {
    const covered = this.waiting;
    this.waiting = [];
    this.syncing = true;
    const done = (err: Error | null) => {
      this.syncing = false;
      if (err) {
        // After a failed fsync the kernel may have dropped the pages: report every covered commit
        // as failed and reopen the file for the next one.
        this.close();
        for (const c of covered) c.reject(err);
      } else for (const c of covered) c.resolve();
      if (this.waiting.length > 0) this.start();
    };
    try {
      this.fd ??= openSync(this.walFile, 'r');
    } catch (e) {
      done(e as Error);
      return;
    }
    fdatasync(this.fd, done);
  }
}
