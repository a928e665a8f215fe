/**
 * Never a drop, never a double, through a crash: the real `careloop serve` (real ADT handler) takes a
 * burst of 1,000 A01/A04 messages over MLLP, is killed with SIGKILL mid-burst, restarted, and the
 * sender resends every message it holds no ACK for (as an interface engine does). Afterwards every
 * control id is in hl7_messages exactly once as processed and made exactly one Encounter: what was
 * acknowledged had been committed, and what was committed but not acknowledged was answered as a
 * duplicate on resend, not processed again. On SQLite (a file shared with the child process) and on
 * PostgreSQL (a schema the child reaches through its URL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import type { Encounter } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { ackSegment, adtMessage, MllpClient } from '../../../test/support/hl7.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/support/test-databases.js';

const bin = join(import.meta.dirname, '../../../bin/careloop.js');
const MESSAGES = 1000;
const CONNECTIONS = 4;
/** Killed once this many ACKs have arrived: well inside the burst. */
const KILL_AFTER = 300;

/** The DATABASE_URL another process uses to reach a test database (its own schema on PostgreSQL). */
function urlFor(db: TestDatabase): string {
  return db.schema ? `${db.url}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}` : db.url;
}

/** Starts `careloop serve` and resolves once its MLLP port answers. */
async function startServe(env: NodeJS.ProcessEnv, mllpPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`careloop serve exited ${child.exitCode}: ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port: mllpPort, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`careloop serve did not open its MLLP port in time: ${stderr}`);
}

function messageFor(i: number): { controlId: string; text: string } {
  const controlId = `K9-${i}`;
  const admit = i % 2 === 0;
  return {
    controlId,
    text: adtMessage(controlId, {
      event: admit ? 'A01' : 'A04',
      patientClass: admit ? 'I' : 'O',
      mrn: `MRN-K9-${i}`,
      family: `CRASHTEST${i}`,
      visit: `V-K9-${i}`,
    }),
  };
}

/**
 * Sends `indices` pipelined over several connections and collects ACKed control ids; `onAck` may
 * kill the server. Resolves when every connection has its answers or was closed.
 */
async function sendBurst(
  port: number,
  indices: number[],
  acked: Map<string, string>,
  onAck: (count: number) => void = () => {},
): Promise<void> {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => MllpClient.connect(port)));
  await Promise.all(
    clients.map(async (client, c) => {
      const mine = indices.filter((_, k) => k % CONNECTIONS === c);
      let answered = 0;
      const done = new Promise<void>((resolve) => {
        if (mine.length === 0) resolve();
        client.onAck((ack) => {
          const [, code, controlId] = ackSegment(ack, 'MSA');
          if (code === 'AA' && controlId) acked.set(controlId, ack);
          answered += 1;
          onAck(acked.size);
          if (answered === mine.length) resolve();
        });
      });
      client.writeRaw(Buffer.concat(mine.map((i) => MllpClient.frame(messageFor(i).text))));
      await Promise.race([done, client.whenClosed]);
      client.close();
    }),
  );
}

describe.each(databaseTargets)('MLLP through a kill -9 ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    if (available) db = await openTestDatabase(name);
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await db?.cleanup();
  });

  it.runIf(available)(
    'keeps every message exactly once: acknowledged means committed, resent means answered, not redone',
    async () => {
      const mllpPort = await freePort();
      const env = {
        ...process.env,
        DATABASE_URL: urlFor(db),
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        CARELOOP_MLLP_PORT: String(mllpPort),
        LOG_LEVEL: 'warn',
      };
      const all = Array.from({ length: MESSAGES }, (_, i) => i);
      const acked = new Map<string, string>();

      child = await startServe(env, mllpPort);
      const first = child;
      let killed = false;
      await sendBurst(mllpPort, all, acked, (count) => {
        if (!killed && count >= KILL_AFTER) {
          killed = true;
          first.kill('SIGKILL');
        }
      });
      expect(killed).toBe(true);
      const beforeCrash = new Map(acked);
      expect(beforeCrash.size).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(beforeCrash.size).toBeLessThan(MESSAGES);

      // What was acknowledged before the crash is in the database.
      const committed = await db.database.db
        .selectFrom('hl7_messages')
        .select('control_id')
        .where('status', '=', 'processed')
        .execute();
      const committedIds = new Set(committed.map((r) => r.control_id));
      for (const controlId of beforeCrash.keys()) expect(committedIds.has(controlId), controlId).toBe(true);

      child = await startServe(env, mllpPort);
      const missing = all.filter((i) => !acked.has(messageFor(i).controlId));
      await sendBurst(mllpPort, missing, acked);
      expect(acked.size).toBe(MESSAGES);
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
      child = undefined;

      // Messages committed before the crash but never acknowledged were answered with their stored ACK.
      const resentButCommitted = missing.filter((i) => committedIds.has(messageFor(i).controlId));
      for (const i of resentButCommitted) {
        const { controlId } = messageFor(i);
        const [row] = await db.database.db
          .selectFrom('hl7_messages')
          .select('ack')
          .where('control_id', '=', controlId)
          .where('status', '=', 'processed')
          .execute();
        expect(acked.get(controlId)).toBe(row!.ack);
      }

      const rows = await db.database.db
        .selectFrom('hl7_messages')
        .select(['control_id', 'status'])
        .where('control_id', 'like', 'K9-%')
        .execute();
      const processed = new Map<string, number>();
      for (const r of rows) {
        expect(r.status, r.control_id).toBe('processed');
        processed.set(r.control_id, (processed.get(r.control_id) ?? 0) + 1);
      }
      expect(processed.size).toBe(MESSAGES);
      expect([...processed.values()].every((n) => n === 1)).toBe(true);

      const encounters = await db.database.db
        .selectFrom('resources')
        .select('content')
        .where('resource_type', '=', 'Encounter')
        .where('deleted', '=', 0)
        .execute();
      const perVisit = new Map<string, number>();
      for (const { content } of encounters) {
        const encounter = JSON.parse(content) as Encounter;
        for (const id of encounter.identifier ?? [])
          if (id.value?.startsWith('V-K9-')) perVisit.set(id.value, (perVisit.get(id.value) ?? 0) + 1);
      }
      expect(perVisit.size).toBe(MESSAGES);
      expect([...perVisit.values()].every((n) => n === 1)).toBe(true);
    },
    600_000,
  );
});
