/**
 * The intake of HL7 v2 messages, whatever carried them (MLLP, HTTP, a replay): parse, answer a
 * duplicate with its original ACK, otherwise process in ONE transaction (the log row and everything
 * the handler writes) and acknowledge AA only after it committed. Nothing is dropped: a message that
 * cannot be read or processed is kept in hl7_messages with why (a dead letter), answered AE or AR
 * with an ERR naming the field, and can be replayed once its cause is fixed.
 *
 * `receive` never throws: every input, however broken, gets an ACK.
 */
import { randomUUID } from 'node:crypto';
import { systemContext } from '../../access/access-context.js';
import { FhirError } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import type { Clock } from '../../platform/clock.js';
import { type AckError, type AckHeader, buildAck, readAckHeader } from './ack.js';
import { type Hl7Handlers, Hl7ProcessingError } from './hl7-handler.js';
import { findProcessed, type Hl7Status, insertHl7Message, isUniqueViolation } from './hl7-log.js';
import { type Hl7Message, parseHl7 } from './hl7-message.js';

/** What one message's processing is logged as: ids, types and codes, never its content. */
export interface Hl7IntakeLogEntry {
  id: string;
  status: Hl7Status;
  duplicate: boolean;
  messageType: string;
  event: string;
  ackCode: string;
  errorCode?: string;
  errorLocation?: string;
  /** For an internal error: the error's class, for the operator (its message stays in the table). */
  errorKind?: string;
  remoteAddress?: string;
}

export interface Hl7IntakeOptions {
  store: ResourceStore;
  handlers: Hl7Handlers;
  /** The organization's time zone (config.timeZone): MSH-7 of ACKs, deadlines in handlers. */
  timeZone: string;
  clock: Clock;
  /** Called once per message with what may be logged (no patient data). */
  log?: (entry: Hl7IntakeLogEntry) => void;
}

export interface ReceiveMeta {
  remoteAddress?: string;
}

/** What became of one message. */
export interface Hl7Attempt {
  /** The hl7_messages row: this attempt's, or for a duplicate the processed original's. */
  id: string;
  status: Hl7Status;
  /** The ACK text answered. */
  ack: string;
  /** True when the message had already been processed: `ack` is the original ACK, nothing was redone. */
  duplicate: boolean;
}

export interface Hl7Intake {
  /** Processes one message and returns the ACK text to answer; never throws. */
  receive(raw: string, meta?: ReceiveMeta): Promise<string>;
  /** Like receive, with what became of the message. */
  process(raw: string, meta?: ReceiveMeta): Promise<Hl7Attempt>;
  /** Rejects input the transport could not take whole (too large): recorded, answered AR. */
  reject(raw: string, error: AckError, meta?: ReceiveMeta): Promise<string>;
  readonly options: Hl7IntakeOptions;
}

/** Builds the intake over a store and the handlers by message type. */
export function createHl7Intake(options: Hl7IntakeOptions): Hl7Intake {
  return {
    options,
    receive: async (raw, meta) => (await processHl7Message(options, raw, meta ?? {})).ack,
    process: (raw, meta) => processHl7Message(options, raw, meta ?? {}),
    reject: async (raw, error, meta) => {
      const header = readAckHeader(raw);
      const receivedAt = options.clock.now();
      try {
        const attempt = await recordFailure(options, {
          id: randomUUID(),
          raw,
          receivedAt,
          header,
          key: headerKey(header),
          status: 'rejected',
          failure: new Hl7ProcessingError('AR', error.code, error.location, error.text),
          meta: meta ?? {},
        });
        return attempt.ack;
      } catch {
        return ackFor(options, header, unrecorded(), receivedAt);
      }
    },
  };
}

/** A replay that cannot be done: unknown id (not_found) or a message already processed (conflict). */
export class Hl7ReplayError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'Hl7ReplayError';
  }
}

/**
 * Processes a failed or rejected message again from its stored raw text, as a new attempt linked to
 * it (replayed_from). Used once the cause is fixed (the referenced data exists, a handler was
 * corrected); a message processed meanwhile (resent by the sender) is answered as the duplicate it is.
 */
export async function replayHl7Message(
  options: Hl7IntakeOptions,
  id: string,
): Promise<Hl7Attempt & { replayedFrom: string }> {
  const row = await options.store.database.db
    .selectFrom('hl7_messages')
    .select(['raw', 'status'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new Hl7ReplayError('not_found', `no HL7 message has the id "${id}"`);
  if (row.status === 'processed')
    throw new Hl7ReplayError(
      'conflict',
      `HL7 message ${id} was processed; only failed or rejected messages can be replayed`,
    );
  const attempt = await processHl7Message(options, row.raw, {}, id);
  return { ...attempt, replayedFrom: id };
}

async function processHl7Message(
  options: Hl7IntakeOptions,
  raw: string,
  meta: ReceiveMeta,
  replayedFrom?: string,
): Promise<Hl7Attempt> {
  const id = randomUUID();
  const receivedAt = options.clock.now();
  const header = readAckHeader(raw);
  const base = { id, raw, receivedAt, header, meta, replayedFrom };
  try {
    let message: Hl7Message;
    try {
      message = parseHl7(raw);
    } catch (err) {
      return await recordFailure(options, {
        ...base,
        key: headerKey(header),
        status: 'rejected',
        failure: asProcessingError(err),
      });
    }
    const key = {
      sender: senderOf(message.sendingApplication, message.sendingFacility),
      controlId: message.controlId,
      messageType: message.messageType,
      event: message.event,
      version: message.version,
    };
    const db = options.store.database.db;
    const original = await findProcessed(db, key.sender, key.controlId);
    if (original) return duplicateOf(options, original, key, meta);
    const handler = options.handlers[message.messageType];
    if (!handler)
      return await recordFailure(options, {
        ...base,
        key,
        status: 'rejected',
        failure: new Hl7ProcessingError(
          'AR',
          '200',
          'MSH-9',
          `message type "${message.messageType}" is not processed by this interface`,
        ),
      });
    const ack = buildAck({
      header,
      ackCode: 'AA',
      event: message.event,
      now: receivedAt,
      timeZone: options.timeZone,
    });
    try {
      await options.store.transaction(async (tx) => {
        // The row goes in first: its unique (sender, control id) index makes a concurrent duplicate
        // wait here (PostgreSQL) or fail here, before any of its work is done.
        await insertHl7Message(tx.executor, {
          ...rowOf(base, key),
          status: 'processed',
          ack,
          error_code: null,
          error_location: null,
          error_text: null,
          processed_at: options.clock.now().toISOString(),
        });
        const context = { ...systemContext('hl7-intake'), clientAddress: meta.remoteAddress };
        await handler({
          store: tx.as(context),
          message,
          receivedAt,
          messageId: id,
          timeZone: options.timeZone,
        });
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        const winner = await findProcessed(db, key.sender, key.controlId);
        if (winner) return duplicateOf(options, winner, key, meta);
      }
      return await recordFailure(options, {
        ...base,
        key,
        status: 'failed',
        failure: asProcessingError(err),
      });
    }
    // Committed: only now is the sender told AA.
    log(options, { id, status: 'processed', duplicate: false, ...key, ackCode: 'AA', meta });
    return { id, status: 'processed', ack, duplicate: false };
  } catch (err) {
    // Recording itself failed (the database is unreachable): nothing is kept, so the sender must
    // keep the message and send it again — AE, never AR, which would tell it to give up.
    const failure = unrecorded();
    log(options, {
      id,
      status: 'failed',
      duplicate: false,
      ...headerKey(header),
      ackCode: 'AE',
      failure,
      errorKind: (err as Error)?.name ?? 'Error',
      meta,
    });
    return { id, status: 'failed', ack: ackFor(options, header, failure, receivedAt), duplicate: false };
  }
}

/** The answer when not even the failure could be recorded: AE (resend later), never AR (give up). */
function unrecorded(): Hl7ProcessingError {
  return new Hl7ProcessingError(
    'AE',
    '207',
    '',
    'the message could not be recorded (storage unavailable); send it again',
  );
}

interface MessageKey {
  sender: string;
  controlId: string;
  messageType: string;
  event: string;
  version: string;
}

interface FailureRecord {
  id: string;
  raw: string;
  receivedAt: Date;
  header: AckHeader;
  key: MessageKey;
  status: 'failed' | 'rejected';
  failure: Hl7ProcessingError & { internal?: string; kind?: string };
  meta: ReceiveMeta;
  replayedFrom?: string;
}

/** Keeps a message that was not processed (its own transaction: the processing one was rolled back). */
async function recordFailure(options: Hl7IntakeOptions, record: FailureRecord): Promise<Hl7Attempt> {
  const { failure } = record;
  const ack = ackFor(options, record.header, failure, record.receivedAt, record.key.event);
  await insertHl7Message(options.store.database.db, {
    ...rowOf(record, record.key),
    status: record.status,
    ack,
    error_code: failure.errorCode,
    error_location: failure.location,
    error_text: failure.internal ?? failure.message,
    processed_at: null,
  });
  log(options, {
    id: record.id,
    status: record.status,
    duplicate: false,
    ...record.key,
    ackCode: failure.ackCode,
    failure,
    errorKind: failure.kind,
    meta: record.meta,
  });
  return { id: record.id, status: record.status, ack, duplicate: false };
}

function ackFor(
  options: Hl7IntakeOptions,
  header: AckHeader,
  failure: Hl7ProcessingError,
  now: Date,
  event?: string,
): string {
  return buildAck({
    header,
    ackCode: failure.ackCode,
    event: event || undefined,
    error: { code: failure.errorCode, location: failure.location, text: failure.message },
    now,
    timeZone: options.timeZone,
  });
}

function duplicateOf(
  options: Hl7IntakeOptions,
  original: { id: string; ack: string },
  key: MessageKey,
  meta: ReceiveMeta,
): Hl7Attempt {
  log(options, { id: original.id, status: 'processed', duplicate: true, ...key, ackCode: 'AA', meta });
  return { id: original.id, status: 'processed', ack: original.ack, duplicate: true };
}

/**
 * Any error that is not the handler's own verdict: a store validation refusal (what the handler
 * built is not valid FHIR) or an internal failure. AE 207: the content may be fine, the sender may
 * resend; the error's message is kept in the table (not in the ACK, not in logs).
 */
function asProcessingError(err: unknown): Hl7ProcessingError & { internal?: string; kind?: string } {
  if (err instanceof Hl7ProcessingError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const failure = new Hl7ProcessingError(
    'AE',
    '207',
    '',
    'application internal error; the message is kept for replay',
  ) as Hl7ProcessingError & { internal?: string; kind?: string };
  failure.internal = err instanceof FhirError ? `${message} (FHIR validation)` : message;
  failure.kind = err instanceof Error ? err.name : typeof err;
  return failure;
}

/** The key of a message the parser rejected: what the lenient header reading found. */
function headerKey(header: AckHeader): MessageKey {
  const component = header.encoding[0] ?? '^';
  return {
    sender: senderOf(
      header.sendingApplication.split(component)[0] ?? '',
      header.sendingFacility.split(component)[0] ?? '',
    ),
    controlId: header.controlId,
    messageType: header.messageType,
    event: header.event,
    version: header.version,
  };
}

/** hl7_messages.sender: MSH-3 and MSH-4 (first components), `app|facility`. */
export function senderOf(application: string, facility: string): string {
  return `${application}|${facility}`;
}

function rowOf(
  record: { id: string; raw: string; receivedAt: Date; replayedFrom?: string },
  key: MessageKey,
) {
  return {
    id: record.id,
    sender: key.sender,
    // A message whose control id cannot be read is still recorded, under a generated one.
    control_id: key.controlId || `unreadable-${record.id}`,
    message_type: key.messageType,
    event: key.event,
    version: key.version,
    received_at: record.receivedAt.toISOString(),
    // PostgreSQL text cannot hold NUL; no HL7 message has one, but garbage may: kept visibly as ␀.
    raw: record.raw.replaceAll('\0', '\u2400'),
    replayed_from: record.replayedFrom ?? null,
  };
}

function log(
  options: Hl7IntakeOptions,
  entry: Omit<Hl7IntakeLogEntry, 'remoteAddress' | 'errorCode' | 'errorLocation'> & {
    failure?: Hl7ProcessingError;
    meta: ReceiveMeta;
  },
): void {
  if (!options.log) return;
  const { failure, meta } = entry;
  try {
    options.log({
      id: entry.id,
      status: entry.status,
      duplicate: entry.duplicate,
      messageType: entry.messageType,
      event: entry.event,
      ackCode: entry.ackCode,
      ...(entry.errorKind ? { errorKind: entry.errorKind } : {}),
      ...(failure ? { errorCode: failure.errorCode, errorLocation: failure.location } : {}),
      ...(meta.remoteAddress ? { remoteAddress: meta.remoteAddress } : {}),
    });
  } catch {
    // A logger's failure is not the message's.
  }
}
