/**
 * The contract between the HL7 v2 transport (this folder) and the modules that process messages
 * (ADT in src/modules/transitions, RDE in src/modules/medication-reconciliation). A handler runs
 * inside the message's one transaction: what it writes commits together with the message's log
 * row, or not at all.
 */
import type { ResourceStore } from '../../fhir/store/store.js';
import type { Hl7Message } from './hl7-message.js';

export interface Hl7HandlerContext {
  /** The store INSIDE the message's one transaction, acting as systemContext('hl7-intake'). Every write here commits with the message log row, or not at all. */
  store: ResourceStore;
  message: Hl7Message;
  /** When the message was received (the server clock). */
  receivedAt: Date;
  /** The hl7_messages row id: handlers record it on what they create (so a cancel event can find what its original event created). */
  messageId: string;
  /** The organization's time zone (config.timeZone) and business calendar for deadlines. */
  timeZone: string;
}

/** Processes one message of a type; throw Hl7ProcessingError to answer AE/AR (the transaction is rolled back). */
export type Hl7Handler = (context: Hl7HandlerContext) => Promise<void>;

/** Handlers by MSH-9.1 message type ('ADT', 'RDE'); a type with no handler is answered AR with ERR-3 200. */
export type Hl7Handlers = Record<string, Hl7Handler>;

/**
 * A message that cannot be processed. ackCode: AE (application error: the content is wrong — a
 * required field missing, a code not in its table) or AR (rejected: unsupported type, event,
 * version or processing id). errorCode: HL7 table 0357 (100 segment sequence error, 101 required
 * field missing, 102 data type error, 103 table value not found, 200 unsupported message type,
 * 201 unsupported event code, 202 unsupported processing id, 203 unsupported version id,
 * 204 unknown key identifier, 205 duplicate key, 207 application internal error).
 * location: the field, e.g. 'PID-3' or 'PV1-45' (goes into ERR-2).
 */
export class Hl7ProcessingError extends Error {
  constructor(
    readonly ackCode: 'AE' | 'AR',
    readonly errorCode: string,
    readonly location: string,
    message: string,
  ) {
    super(message);
    this.name = 'Hl7ProcessingError';
  }
}
