/**
 * The HL7 v2 transport over real MLLP sockets, on SQLite and PostgreSQL: AA only after commit,
 * duplicates answered with the original ACK and processed once (also when two connections race),
 * framing of several messages per chunk and of a message split across chunks, every kind of bad
 * input answered AE/AR with an ERR naming the field and kept as a dead letter, replay once the cause
 * is fixed, and a listener that keeps answering through all of it.
 *
 * The handler is the test's own (test/support/hl7.ts) and writes a real Patient per message.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackSegment,
  adtMessage,
  MllpClient,
  patientWritingHandlers,
  TEST_MRN_SYSTEM,
  TEST_NPI_SYSTEM,
} from '../../../test/support/hl7.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { fixedClock } from '../../platform/clock.js';
import { type Database, openDatabase } from '../../platform/database.js';
import {
  createHl7Intake,
  type Hl7IntakeLogEntry,
  type Hl7IntakeOptions,
  Hl7ReplayError,
  replayHl7Message,
} from './hl7-intake.js';
import { type MllpServer, startMllpServer } from './mllp-server.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/hl7v2');

describe.each(databaseTargets)('HL7 v2 over MLLP ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;
  /** A second connection to the same data: it sees only what was committed. */
  let reader: Database;
  let readerStore: ResourceStore;
  let server: MllpServer;
  let options: Hl7IntakeOptions;
  const logged: Hl7IntakeLogEntry[] = [];

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    const clock = fixedClock('2026-11-30T17:00:00Z');
    store = testStore(db.database, { clock });
    reader = await openDatabase(db.url, db.schema ? { schema: db.schema } : {});
    readerStore = testStore(reader, { clock });
    options = {
      store,
      handlers: patientWritingHandlers({ holdMs: 40 }),
      timeZone: 'America/New_York',
      clock,
      log: (entry) => logged.push(entry),
    };
    server = await startMllpServer({
      port: 0,
      host: '127.0.0.1',
      intake: createHl7Intake(options),
      maxMessageBytes: 64 * 1024,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await reader?.close();
    await db?.cleanup();
  });

  const patientsWithMrn = async (mrn: string): Promise<number> => {
    const bundle: Bundle = await readerStore.search(
      'Patient',
      [['identifier', `${TEST_MRN_SYSTEM}|${mrn}`]],
      '',
    );
    return bundle.entry?.length ?? 0;
  };
  const rowsOf = (controlId: string) =>
    reader.db
      .selectFrom('hl7_messages')
      .selectAll()
      .where('control_id', '=', controlId)
      .orderBy('received_at')
      .execute();

  it.runIf(available)('answers AA only once the message and what it made are committed', async () => {
    const client = await MllpClient.connect(server.port);
    const ack = await client.request(adtMessage('AA-1', { mrn: 'MRN-AA-1', family: 'RIVERA' }));
    // Read at once through another connection: the ACK must not arrive before the commit.
    expect(await patientsWithMrn('MRN-AA-1')).toBe(1);
    const [row] = await rowsOf('AA-1');
    expect(row).toMatchObject({ status: 'processed', sender: 'EHR|GHH', message_type: 'ADT', event: 'A04' });
    expect(row!.ack).toBe(ack);
    expect(ackSegment(ack, 'MSA')).toEqual(['MSA', 'AA', 'AA-1']);
    expect(ackSegment(ack, 'MSH').slice(2, 6)).toEqual(['CARELOOP', 'CL', 'EHR', 'GHH']);
    expect(ackSegment(ack, 'MSH')[8]).toBe('ACK^A04^ACK');
    expect(ack).not.toContain('ERR');
    client.close();
  });

  it.runIf(available)('answers a resent message with its original ACK and processes it once', async () => {
    const first = await MllpClient.connect(server.port);
    const message = adtMessage('DUP-1', { mrn: 'MRN-DUP-1' });
    const ack = await first.request(message);
    const again = await first.request(message);
    first.close();
    const other = await MllpClient.connect(server.port);
    const fromAnotherConnection = await other.request(message);
    other.close();
    expect(again).toBe(ack);
    expect(fromAnotherConnection).toBe(ack);
    expect(await patientsWithMrn('MRN-DUP-1')).toBe(1);
    expect((await rowsOf('DUP-1')).map((r) => r.status)).toEqual(['processed']);
  });

  it.runIf(available)('processes a message sent on two connections at the same moment once', async () => {
    const pairs = await Promise.all(
      [1, 2, 3, 4].map(async (i) => {
        const [a, b] = await Promise.all([MllpClient.connect(server.port), MllpClient.connect(server.port)]);
        const message = adtMessage(`RACE-${i}`, { mrn: `MRN-RACE-${i}` });
        const acks = await Promise.all([a.request(message), b.request(message)]);
        a.close();
        b.close();
        return acks;
      }),
    );
    for (const [i, [a, b]] of pairs.entries()) {
      expect(a).toBe(b);
      expect(ackSegment(a!, 'MSA')[1]).toBe('AA');
      expect(await patientsWithMrn(`MRN-RACE-${i + 1}`)).toBe(1);
      expect(await rowsOf(`RACE-${i + 1}`)).toHaveLength(1);
    }
  });

  it.runIf(available)(
    'frames several messages in one chunk and a message split byte by byte, in order',
    async () => {
      const client = await MllpClient.connect(server.port);
      const burst = Buffer.concat(
        [1, 2, 3].map((i) => MllpClient.frame(adtMessage(`CHUNK-${i}`, { mrn: `MRN-CHUNK-${i}` }))),
      );
      // Noise between frames (a stray CR LF) is not a message.
      client.writeRaw(Buffer.concat([burst, Buffer.from('\r\n')]));
      const acks = [await client.nextAck(), await client.nextAck(), await client.nextAck()];
      expect(acks.map((a) => ackSegment(a, 'MSA').slice(1))).toEqual([
        ['AA', 'CHUNK-1'],
        ['AA', 'CHUNK-2'],
        ['AA', 'CHUNK-3'],
      ]);
      const split = MllpClient.frame(adtMessage('SPLIT-1', { mrn: 'MRN-SPLIT-1' }));
      const pending = client.nextAck();
      for (const byte of split) {
        client.writeRaw(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      expect(ackSegment(await pending, 'MSA')).toEqual(['MSA', 'AA', 'SPLIT-1']);
      for (const mrn of ['MRN-CHUNK-1', 'MRN-CHUNK-2', 'MRN-CHUNK-3', 'MRN-SPLIT-1'])
        expect(await patientsWithMrn(mrn)).toBe(1);
      client.close();
    },
  );

  it.runIf(available)(
    'reads every ADT fixture (LF-separated, byte-order marks, v2.3 to 2.8) off the wire',
    async () => {
      const client = await MllpClient.connect(server.port);
      for (const file of ['ADT-A01-01.hl7', 'ADT01-23.hl7', 'ADT04-23.hl7', 'ADT04-28.hl7']) {
        const raw = readFileSync(join(fixtures, file));
        const ack = await client.request(raw);
        const controlId = raw.toString('utf8').split('\n')[0]!.split('|')[9];
        expect(ackSegment(ack, 'MSA').slice(1, 3), file).toEqual(['AA', controlId]);
      }
      client.close();
    },
  );

  const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x7f, 0x80, 0x41]);
  it.runIf(available).each([
    ['no MSH', Buffer.from('PID|1||X^^^H^MR||DOE^JOHN\r'), 'AR', '100', 'MSH^1', 'rejected'],
    ['garbage bytes', garbage, 'AR', '100', 'MSH^1', 'rejected'],
    [
      'a missing MSH-10',
      Buffer.from(adtMessage('', { mrn: 'MRN-BAD-10' })),
      'AR',
      '101',
      'MSH^1^10',
      'rejected',
    ],
    [
      'an unsupported version',
      Buffer.from(adtMessage('BAD-VERSION', { version: '2.2' })),
      'AR',
      '203',
      'MSH^1^12',
      'rejected',
    ],
    [
      'an unknown message type',
      Buffer.from(adtMessage('BAD-TYPE', { type: 'ZZZ^Z01' })),
      'AR',
      '200',
      'MSH^1^9',
      'rejected',
    ],
    ['a missing PID-3', Buffer.from(adtMessage('BAD-PID', { mrn: '' })), 'AE', '101', 'PID^1^3', 'failed'],
    [
      'a handler crash after a write',
      Buffer.from(adtMessage('BAD-CRASH', { mrn: 'MRN-CRASH', family: 'CRASH' })),
      'AE',
      '207',
      '',
      'failed',
    ],
  ])(
    'answers %s with %s, ERR naming the field, keeps it as a dead letter and goes on',
    async (_what, bytes, code, errorCode, location, status) => {
      const client = await MllpClient.connect(server.port);
      const before = await reader.db.selectFrom('hl7_messages').select('id').execute();
      const ack = await client.request(bytes);
      expect(ackSegment(ack, 'MSA')[1]).toBe(code);
      const err = ackSegment(ack, 'ERR');
      expect(err[2]).toBe(location);
      expect(err[3]!.split('^')[0]).toBe(errorCode);
      expect(err[4]).toBe('E');
      // What is wrong, in words: ERR-8 from 2.5 on, MSA-3 before (the 2.2 message).
      expect((err[8] ?? ackSegment(ack, 'MSA')[3])!.length).toBeGreaterThan(10);
      const known = new Set(before.map((r) => r.id));
      const added = (await reader.db.selectFrom('hl7_messages').selectAll().execute()).filter(
        (r) => !known.has(r.id),
      );
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ status, error_code: errorCode, ack });
      expect(added[0]!.raw).toBe(bytes.toString('utf8').replaceAll('\0', '\u2400'));
      expect(added[0]!.control_id.length).toBeGreaterThan(0);
      // Nothing half-written: the crashing handler's Patient was rolled back.
      expect(await patientsWithMrn('MRN-CRASH')).toBe(0);
      // The same connection still answers the next message.
      const next = await client.request(
        adtMessage(`AFTER-${errorCode}-${code}`, { mrn: `MRN-AFTER-${errorCode}` }),
      );
      expect(ackSegment(next, 'MSA')[1]).toBe('AA');
      client.close();
    },
  );

  it.runIf(available)('keeps the internal error in the table, not in the ACK', async () => {
    const [row] = await rowsOf('BAD-CRASH');
    expect(row!.error_text).toContain('simulated fault');
    expect(row!.ack).not.toContain('simulated fault');
  });

  it.runIf(available)('replays a dead letter once its cause is fixed, and only once', async () => {
    const client = await MllpClient.connect(server.port);
    const message = adtMessage('REPLAY-1', { mrn: 'MRN-REPLAY-1', attending: 'NPI-77' });
    const ack = await client.request(message);
    client.close();
    expect(ackSegment(ack, 'MSA')[1]).toBe('AE');
    expect(ackSegment(ack, 'ERR')[2]).toBe('PV1^1^7');
    const [failed] = await rowsOf('REPLAY-1');
    expect(failed).toMatchObject({ status: 'failed', error_code: '204', error_location: 'PV1-7' });

    // Still not on file: the replay fails again, as a new attempt linked to the first.
    const early = await replayHl7Message(options, failed!.id);
    expect(early).toMatchObject({ status: 'failed', duplicate: false, replayedFrom: failed!.id });
    await store.create({
      resourceType: 'Practitioner',
      identifier: [{ system: TEST_NPI_SYSTEM, value: 'NPI-77' }],
    });
    const replayed = await replayHl7Message(options, failed!.id);
    expect(replayed).toMatchObject({ status: 'processed', duplicate: false, replayedFrom: failed!.id });
    expect(ackSegment(replayed.ack, 'MSA')).toEqual(['MSA', 'AA', 'REPLAY-1']);
    expect(await patientsWithMrn('MRN-REPLAY-1')).toBe(1);
    const rows = await rowsOf('REPLAY-1');
    expect(rows.map((r) => [r.status, r.replayed_from])).toEqual([
      ['failed', null],
      ['failed', failed!.id],
      ['processed', failed!.id],
    ]);
    // Replaying the dead letter again redoes nothing; a processed message is not replayed.
    const twice = await replayHl7Message(options, failed!.id);
    expect(twice).toMatchObject({ duplicate: true, id: replayed.id, ack: replayed.ack });
    expect(await patientsWithMrn('MRN-REPLAY-1')).toBe(1);
    await expect(replayHl7Message(options, replayed.id)).rejects.toThrow(Hl7ReplayError);
    await expect(replayHl7Message(options, 'no-such-id')).rejects.toMatchObject({ code: 'not_found' });
  });

  it.runIf(available)('processes a failed message the sender resends after the fix', async () => {
    const client = await MllpClient.connect(server.port);
    const message = adtMessage('RESEND-1', { mrn: 'MRN-RESEND-1', attending: 'NPI-88' });
    expect(ackSegment(await client.request(message), 'MSA')[1]).toBe('AE');
    await store.create({
      resourceType: 'Practitioner',
      identifier: [{ system: TEST_NPI_SYSTEM, value: 'NPI-88' }],
    });
    expect(ackSegment(await client.request(message), 'MSA')[1]).toBe('AA');
    client.close();
    expect((await rowsOf('RESEND-1')).map((r) => r.status)).toEqual(['failed', 'processed']);
    expect(await patientsWithMrn('MRN-RESEND-1')).toBe(1);
  });

  it.runIf(available)(
    'rejects a frame over the size limit with AR, keeps its header and goes on',
    async () => {
      const client = await MllpClient.connect(server.port);
      const huge = `${adtMessage('HUGE-1', { mrn: 'MRN-HUGE' })}NTE|1||${'x'.repeat(100 * 1024)}\r`;
      const ack = await client.request(huge);
      expect(ackSegment(ack, 'MSA')).toEqual(['MSA', 'AR', 'HUGE-1']);
      expect(ackSegment(ack, 'ERR')[3]).toBe('104^Value too long^HL70357');
      const [row] = await rowsOf('HUGE-1');
      expect(row).toMatchObject({ status: 'rejected', error_code: '104' });
      expect(row!.raw.length).toBeLessThan(huge.length);
      expect(await patientsWithMrn('MRN-HUGE')).toBe(0);
      expect(
        ackSegment(await client.request(adtMessage('AFTER-HUGE', { mrn: 'MRN-AFTER-HUGE' })), 'MSA')[1],
      ).toBe('AA');
      client.close();
    },
  );

  it.runIf(available)('keeps answering after a client drops mid-frame', async () => {
    const dropper = await MllpClient.connect(server.port);
    dropper.writeRaw(MllpClient.frame(adtMessage('DROPPED', { mrn: 'MRN-DROPPED' })).subarray(0, 40));
    dropper.close();
    const client = await MllpClient.connect(server.port);
    expect(
      ackSegment(await client.request(adtMessage('AFTER-DROP', { mrn: 'MRN-AFTER-DROP' })), 'MSA')[1],
    ).toBe('AA');
    client.close();
    expect(await rowsOf('DROPPED')).toHaveLength(0);
  });

  it.runIf(available)('logs ids and codes, never message content', () => {
    expect(logged.length).toBeGreaterThan(20);
    const text = JSON.stringify(logged);
    for (const secret of ['RIVERA', 'MRN-AA-1', 'DOE', 'JANE', '19700101', 'simulated fault'])
      expect(text).not.toContain(secret);
    expect(logged.some((e) => e.duplicate && e.status === 'processed')).toBe(true);
    expect(
      logged.some((e) => e.status === 'failed' && e.errorCode === '204' && e.errorLocation === 'PV1-7'),
    ).toBe(true);
  });
});

describe('MLLP over TLS', () => {
  it('answers over a TLS connection with a certificate from the configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const db = await openTestDatabase('sqlite');
    const clock = fixedClock('2026-11-30T17:00:00Z');
    const server = await startMllpServer({
      port: 0,
      host: '127.0.0.1',
      tls: { cert, key },
      intake: createHl7Intake({
        store: testStore(db.database, { clock }),
        handlers: patientWritingHandlers(),
        timeZone: 'UTC',
        clock,
      }),
    });
    try {
      const client = await MllpClient.connect(server.port, { tls: { ca: cert } });
      expect(ackSegment(await client.request(adtMessage('TLS-1', { mrn: 'MRN-TLS' })), 'MSA')).toEqual([
        'MSA',
        'AA',
        'TLS-1',
      ]);
      client.close();
    } finally {
      await server.close();
      await db.cleanup();
    }
  });
});
