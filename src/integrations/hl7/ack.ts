/**
 * Acknowledgements (HL7 v2 original mode, chapter 2): the ACK answers the sender with MSA-1 AA
 * (accepted and committed), AE (application error: the content is wrong) or AR (rejected: type,
 * event, version or processing id not supported, or the message unreadable), MSA-2 echoing the
 * original MSH-10, and for AE/AR an ERR segment naming the field (ERR-2), the table 0357 code
 * (ERR-3) and the severity (ERR-4).
 *
 * The ACK is written by hand rather than with node-hl7-client's builder: the builder refuses
 * control ids longer than 20 characters that real senders use (and must be echoed), stamps MSH-7
 * from the machine clock instead of ours, and has no ERR segment.
 *
 * The header is read leniently (`readAckHeader`) so that even a message the parser rejects gets an
 * ACK with its own control id; the ACK uses the sender's delimiters when they are readable, so the
 * swapped MSH-3..6 and MSA-2 are copied exactly as sent.
 */
import { randomBytes } from 'node:crypto';
import { segmentLines, validDelimiters } from './hl7-message.js';

/** HL7 table 0357 (message error condition codes) texts, as ERR-3.2 carries them. */
export const errorConditions: Record<string, string> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '104': 'Value too long',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** What an ACK needs from the original message's MSH, as sent (raw, in the sender's encoding). */
export interface AckHeader {
  fieldSeparator: string;
  encoding: string;
  /** True when the sender's delimiters were readable: raw fields below may be copied as they are. */
  delimitersReadable: boolean;
  /** Raw MSH-3, MSH-4, MSH-5, MSH-6 (all components). */
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** Raw MSH-9.1 and MSH-9.2. */
  messageType: string;
  event: string;
  /** Raw MSH-10, MSH-11 (all components) and MSH-12.1. */
  controlId: string;
  processingId: string;
  version: string;
}

const STANDARD = { fieldSeparator: '|', encoding: '^~\\&' };

/** Reads what it can of the first MSH; never throws (garbage gives empty fields). */
export function readAckHeader(raw: string): AckHeader {
  const line = segmentLines(raw).find((l) => l.startsWith('MSH')) ?? '';
  const fieldSeparator = line[3] ?? '';
  const encoding = line.slice(4).split(fieldSeparator)[0] ?? '';
  const readable = line !== '' && validDelimiters(fieldSeparator, encoding);
  const fields = readable ? line.split(fieldSeparator) : [];
  const component = readable ? encoding[0]! : '^';
  // fields[n - 1] is MSH-n: MSH-1 is the separator itself.
  const field = (n: number) => fields[n - 1] ?? '';
  const first = (n: number) => field(n).split(component)[0] ?? '';
  return {
    ...(readable ? { fieldSeparator, encoding: encoding.slice(0, 4) } : STANDARD),
    delimitersReadable: readable,
    sendingApplication: field(3),
    sendingFacility: field(4),
    receivingApplication: field(5),
    receivingFacility: field(6),
    messageType: first(9),
    event: field(9).split(component)[1] ?? '',
    controlId: field(10),
    processingId: field(11),
    version: first(12),
  };
}

export interface AckError {
  /** Table 0357 code, e.g. '101'. */
  code: string;
  /** The field, e.g. 'PID-3' or 'PV1-45' (ERR-2); '' when no field is to blame. */
  location: string;
  /** What is wrong, for people (ERR-8 from 2.5 on, MSA-3 before); never patient data. */
  text: string;
}

export interface AckOptions {
  header: AckHeader;
  ackCode: 'AA' | 'AE' | 'AR';
  error?: AckError;
  /** The event to name in MSH-9.2 when it came from elsewhere (EVN-1 for an ADT without MSH-9.2). */
  event?: string;
  now: Date;
  timeZone: string;
  /** MSH-10 of the ACK; a fresh one when absent. */
  controlId?: string;
}

/** Builds the ACK's text, segments ended by CR. */
export function buildAck(options: AckOptions): string {
  const { header, ackCode, error } = options;
  const sep = header.fieldSeparator;
  const [component, , , subcomponent] = header.encoding.split('') as [string, string, string, string];
  const esc = (text: string) => escapeHl7(text, sep, header.encoding);
  // Raw fields are copied only when they were read with the sender's own delimiters, which the ACK uses.
  const copy = (rawField: string) => (header.delimitersReadable ? rawField : esc(rawField));
  const version = header.version || '2.5.1';
  const preV25 = isBefore25(version);
  const msh = [
    'MSH',
    header.encoding,
    copy(header.receivingApplication),
    copy(header.receivingFacility),
    copy(header.sendingApplication),
    copy(header.sendingFacility),
    hl7Timestamp(options.now, options.timeZone),
    '',
    ['ACK', copy(options.event ?? header.event), 'ACK'].join(component),
    esc(options.controlId ?? newAckControlId()),
    copy(header.processingId) || 'P',
    copy(header.version) || version,
  ].join(sep);
  const msa = ['MSA', ackCode, copy(header.controlId)];
  if (error && preV25) msa.push(esc(error.text));
  const segments = [msh, msa.join(sep)];
  if (error) {
    const condition = [error.code, errorConditions[error.code] ?? '', 'HL70357'].map(esc).join(component);
    const location = errorLocation(error.location);
    const err = [
      'ERR',
      // ERR-1 (segment^sequence^field^code&text&system) is how 2.3 and 2.4 say where and what;
      // from 2.5 on ERR-2 and ERR-3 say it and ERR-1 is left empty.
      preV25 && location.length
        ? [
            ...location.slice(0, 3).map(esc),
            [error.code, errorConditions[error.code] ?? '', 'HL70357'].map(esc).join(subcomponent),
          ].join(component)
        : '',
      location.map(esc).join(component),
      condition,
      'E',
    ];
    if (!preV25) err.push('', '', '', esc(error.text));
    segments.push(err.join(sep));
  }
  return `${segments.join('\r')}\r`;
}

/** The parts of an ERL (ERR-2) from a location such as 'PID-3', 'PID-3.4', 'MSH-9.2' or 'DG1[2]-3'. */
export function errorLocation(location: string): string[] {
  const match = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:-(\d+)(?:\.(\d+)(?:\.(\d+))?)?)?$/.exec(location);
  if (!match) return [];
  const [, segment, sequence, field, component, subcomponent] = match;
  const parts = [segment!, sequence ?? '1'];
  if (field) parts.push(field);
  if (component) parts.push('1', component);
  if (subcomponent) parts.push(subcomponent);
  return parts;
}

/** Escapes text for a field (HL7 v2 chapter 2: \F\ \S\ \R\ \E\ \T\). */
export function escapeHl7(text: string, fieldSeparator = '|', encoding = '^~\\&'): string {
  const [component, repetition, esc, subcomponent] = encoding.split('');
  const map = new Map<string, string>([
    [esc!, `${esc}E${esc}`],
    [fieldSeparator, `${esc}F${esc}`],
    [component!, `${esc}S${esc}`],
    [repetition!, `${esc}R${esc}`],
    [subcomponent!, `${esc}T${esc}`],
  ]);
  // Segment separators cannot appear inside a field: line breaks become spaces.
  return [...text.replace(/[\r\n]+/g, ' ')].map((c) => map.get(c) ?? c).join('');
}

function isBefore25(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major === 2 && (minor ?? 0) < 5;
}

/** A new MSH-10 for an ACK: 20 characters, the most every version allows. */
export function newAckControlId(): string {
  return `ACK${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/**
 * One formatter per time zone: building an Intl.DateTimeFormat costs about 0.3 ms, which every ACK
 * paid (bench/results/NOTES.md, HL7 intake); formatting with a built one takes microseconds.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** HL7 DTM (YYYYMMDDHHMMSS+ZZZZ) of `at` in the organization's time zone. */
export function hl7Timestamp(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offsetMinutes = Math.round((local - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}${offset}`;
}

/** The MSA-1 code and ERR of an ACK text (for tests, the CLI and the API's presenters). */
export function readAck(ack: string): {
  code: string;
  controlId: string;
  errorCode?: string;
  location?: string;
} {
  const lines = segmentLines(ack);
  const sep = lines[0]?.[3] ?? '|';
  const msa = lines.find((l) => l.startsWith('MSA'))?.split(sep) ?? [];
  const err = lines.find((l) => l.startsWith('ERR'))?.split(sep);
  return {
    code: msa[1] ?? '',
    controlId: msa[2] ?? '',
    ...(err ? { errorCode: err[3]?.split('^')[0] ?? '', location: err[2] ?? '' } : {}),
  };
}
