import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from './sqlite-checkpointer.js';

describe('the SQLite checkpointer', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'careloop-checkpoint-'));
    const path = join(dir, 'test.db');
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.exec('create table blobs (id integer primary key, body blob)');
    return { sqlite, path };
  };

  it('keeps the log short without commits checkpointing by themselves', async () => {
    const { sqlite, path } = open();
    const checkpointer = startCheckpointer(sqlite, path, 20);
    try {
      // Commits no longer checkpoint until the log holds ~40 MB (the backstop).
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      const insert = sqlite.prepare('insert into blobs (body) values (?)');
      // 8 MB in 80 commits, with pauses in which the thread can copy the log back.
      for (let i = 0; i < 80; i++) {
        insert.run(Buffer.alloc(100_000, i));
        await new Promise((r) => setTimeout(r, 10));
      }
      // The log restarts from its beginning once the thread has copied it: it stays far below 8 MB.
      expect(statSync(`${path}-wal`).size).toBeLessThan(3_000_000);
    } finally {
      await checkpointer.stop();
    }
    // Stopping ran a last checkpoint: nothing in the log is left uncopied.
    const [state] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    expect(state!.checkpointed).toBe(state!.log);
    expect((sqlite.prepare('select count(*) as n from blobs').get() as { n: number }).n).toBe(80);
    sqlite.close();
  });
});
