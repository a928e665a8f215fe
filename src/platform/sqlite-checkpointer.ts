/**
 * WAL checkpoints off the request path. SQLite copies the write-ahead log back into the database
 * file when a commit finds the log past `wal_autocheckpoint` pages, inside that commit and on the
 * thread that made it: with the server's single connection on the event loop, every ~20th audited
 * request paid for copying ~4 MB and an fsync, and the requests queued behind it waited too (the
 * worklist's p95 was twice its median; bench/results/NOTES.md). Here a worker thread with its own
 * connection runs PASSIVE checkpoints (they never block the writer or readers) on a timer, and the
 * main connection's automatic checkpoint is raised to a backstop that only a stalled checkpointer
 * would reach.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** Pages the log may hold before a commit checkpoints by itself (~40 MB): the backstop. */
const BACKSTOP_PAGES = 10_000;

/**
 * The worker's code, as a script (no TypeScript loader is needed in the thread, under tsx, vitest or
 * plain node).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint runs) or closing: the next tick tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage('stopped');
});
`;

export interface Checkpointer {
  /** Runs a last checkpoint and stops the thread. */
  stop(): Promise<void>;
}

/** Starts checkpointing the WAL of `sqlite` (a file database) every `intervalMs` on a worker thread. */
export function startCheckpointer(sqlite: SQLite.Database, path: string, intervalMs = 250): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
  // The thread must not keep a command (migrate, import) running after its work is done.
  worker.unref();
  // A thread that fails leaves the backstop: commits checkpoint by themselves again, later.
  worker.on('error', () => {});
  return {
    stop: async () => {
      const stopped = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}
