/**
 * HL7 v2 test helpers: a real MLLP client over node:net (its own framing, independent of the
 * server's), an ADT message builder, and a transport-test handler that does a real store write
 * (a Patient from PID) so the transport is tested against real commits and real failures; and
 * CareLoop's ADT handler run as the intake runs it (adtSender).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { systemContext } from '../../src/access/access-context.js';
import type { ResourceStore } from '../../src/fhir/store/store.js';
import {
  type Hl7Handler,
  type Hl7Handlers,
  Hl7ProcessingError,
} from '../../src/integrations/hl7/hl7-handler.js';
import { parseHl7 } from '../../src/integrations/hl7/hl7-message.js';
import { createAdtHandler } from '../../src/modules/transitions/adt.service.js';
import { createBusinessCalendar } from '../../src/platform/business-calendar.js';
import type { Clock } from '../../src/platform/clock.js';

export const TEST_MRN_SYSTEM = 'urn:careloop-test:mrn';
export const TEST_NPI_SYSTEM = 'urn:careloop-test:npi';
export const TEST_MESSAGE_SYSTEM = 'https://careloop.org/fhir/hl7-message';

/** An ADT message (CR-separated) with the given control id and parts. */
export function adtMessage(
  controlId: string,
  options: {
    mrn?: string;
    family?: string;
    given?: string;
    attending?: string;
    event?: string;
    type?: string;
    version?: string;
    sender?: string;
    facility?: string;
    /** PV1-2 patient class (default O). */
    patientClass?: string;
    /** PV1-19 visit number. */
    visit?: string;
    /** EVN-2 and PV1-44 (admission), HL7 DTM. */
    at?: string;
  } = {},
): string {
  const event = options.event ?? 'A04';
  const at = options.at ?? '20261130120000';
  const pv1 = ['PV1', '1', options.patientClass ?? 'O', 'CLINIC^101^1', '', '', '', options.attending ?? ''];
  pv1[19] = options.visit ?? '';
  pv1[44] = at;
  return `${[
    `MSH|^~\\&|${options.sender ?? 'EHR'}|${options.facility ?? 'GHH'}|CARELOOP|CL|${at}||${options.type ?? `ADT^${event}^ADT_A01`}|${controlId}|P|${options.version ?? '2.5.1'}`,
    `EVN|${event}|${at}`,
    `PID|1||${options.mrn ?? 'MRN-1'}^^^GHH^MR||${options.family ?? 'DOE'}^${options.given ?? 'JANE'}||19700101|F`,
    Array.from(pv1, (f) => f ?? '').join('|'),
  ].join('\r')}\r`;
}

/**
 * The transport tests' handler: a Patient per message (unconditional: deduplication is the
 * transport's job, so a duplicate processed twice would show as two Patients). It refuses a message
 * without PID-3 (AE 101), one whose attending doctor (PV1-7) is not on file (AE 204, fixed by adding
 * the Practitioner and replaying), and throws an unexpected error for family name CRASH.
 */
export function patientWritingHandlers(options: { holdMs?: number } = {}): Hl7Handlers {
  const writePatient: Hl7Handler = async ({ store, message, messageId }) => {
    const mrn = message.get('PID-3');
    if (!mrn)
      throw new Hl7ProcessingError('AE', '101', 'PID-3', 'PID-3 (patient identifier list) is required');
    // Only the test's own doctors (NPI-...) are checked: the fixtures' attending doctors are not.
    const attending = message.get('PV1-7');
    if (attending.startsWith('NPI-')) {
      const known = await store.matchIds('Practitioner', `identifier=${TEST_NPI_SYSTEM}|${attending}`, 1);
      if (known.length === 0)
        throw new Hl7ProcessingError(
          'AE',
          '204',
          'PV1-7',
          `PV1-7: attending doctor ${attending} is not on file`,
        );
    }
    await store.create({
      resourceType: 'Patient',
      identifier: [
        { system: TEST_MRN_SYSTEM, value: mrn },
        { system: TEST_MESSAGE_SYSTEM, value: messageId },
      ],
      name: [{ family: message.get('PID-5.1'), given: [message.get('PID-5.2')] }],
    });
    if (message.get('PID-5.1') === 'CRASH') throw new Error('simulated fault after a write');
    // Hold the transaction open: an ACK sent before commit would reach the test before the data.
    if (options.holdMs) await new Promise((r) => setTimeout(r, options.holdMs));
  };
  return { ADT: writePatient };
}

/** A real MLLP client: frames what it sends, reads ACK frames in order. */
export class MllpClient {
  private buffer = Buffer.alloc(0);
  private readonly acks: string[] = [];
  private waiting: ((ack: string) => void)[] = [];
  private listener: ((ack: string) => void) | undefined;
  closed = false;
  /** Resolves when the connection is closed (by either side). */
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      for (;;) {
        const end = this.buffer.indexOf(Buffer.from([0x1c, 0x0d]));
        if (end === -1) break;
        const frame = this.buffer.subarray(0, end);
        this.buffer = this.buffer.subarray(end + 2);
        const start = frame.indexOf(0x0b);
        const ack = frame.subarray(start + 1).toString('utf8');
        const waiter = this.waiting.shift();
        if (this.listener) this.listener(ack);
        else if (waiter) waiter(ack);
        else this.acks.push(ack);
      }
    });
    let markClosed = () => {};
    this.whenClosed = new Promise((resolve) => {
      markClosed = resolve;
    });
    socket.on('close', () => {
      this.closed = true;
      markClosed();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, options: { tls?: { ca: string } } = {}): Promise<MllpClient> {
    const socket = options.tls
      ? tls.connect({ port, host: '127.0.0.1', ca: options.tls.ca, servername: 'localhost' })
      : net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new MllpClient(socket);
  }

  /** Frames one message (0x0B message 0x1C 0x0D). */
  static frame(message: string | Buffer): Buffer {
    const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    return Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]);
  }

  /** Hands every ACK from now on to `listener` instead of nextAck (for pipelined bursts). */
  onAck(listener: (ack: string) => void): void {
    this.listener = listener;
  }

  send(message: string | Buffer): void {
    this.socket.write(MllpClient.frame(message));
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next ACK, in arrival order; rejects after `timeoutMs`. */
  nextAck(timeoutMs = 20_000): Promise<string> {
    const ready = this.acks.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        reject(new Error(`no ACK within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (ack: string) => {
        clearTimeout(timer);
        resolve(ack);
      };
      this.waiting.push(done);
    });
  }

  /** Sends one message and waits for its ACK. */
  async request(message: string | Buffer): Promise<string> {
    const ack = this.nextAck();
    this.send(message);
    return ack;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The fields of an ACK's segment (`MSA`, `ERR`), split on `|`. */
export function ackSegment(ack: string, name: string): string[] {
  return (
    ack
      .split('\r')
      .find((l) => l.startsWith(name))
      ?.split('|') ?? []
  );
}

/**
 * Runs CareLoop's ADT handler on a message as the HL7 intake does (one transaction, as
 * Device/careloop-hl7-intake, received at the app's clock): for tests of what ADT events make.
 */
export function adtSender(
  app: { store: ResourceStore; clock: Clock },
  timeZone: string,
): (raw: string) => Promise<unknown> {
  const handler = createAdtHandler({ calendar: createBusinessCalendar() });
  return (raw) =>
    app.store.transaction((tx) =>
      handler({
        store: tx.as(systemContext('hl7-intake')),
        message: parseHl7(raw),
        receivedAt: app.clock.now(),
        messageId: randomUUID(),
        timeZone,
      }),
    );
}
