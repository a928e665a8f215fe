/**
 * HL7 v2 messages as handlers read them: `parseHl7(raw)` checks the header (MSH) and wraps
 * node-hl7-client's parser behind the small, 1-based API of docs/hl7-intake.md, so handlers never
 * meet the library's 0-based node tree or its escaped raw text.
 *
 * Real feeds differ from the standard in small ways that are accepted here: segments ended by CR
 * (the standard), LF or CRLF; a UTF-8 byte-order mark; trailing blanks after a segment. What cannot
 * be read safely is rejected (AR) with the field named, never guessed.
 */
import { Message } from 'node-hl7-client';
import { Hl7ProcessingError } from './hl7-handler.js';

/** One parsed HL7 v2 message (escape sequences decoded; segments split on CR, LF or CRLF). */
export interface Hl7Message {
  raw: string;
  /** MSH-12, e.g. '2.5.1'. */
  version: string;
  /** MSH-9.1, e.g. 'ADT'. */
  messageType: string;
  /** MSH-9.2, e.g. 'A03' (for ADT, EVN-1 when MSH-9.2 is empty). */
  event: string;
  /** MSH-10. */
  controlId: string;
  /** MSH-3 and MSH-4 (first components). */
  sendingApplication: string;
  sendingFacility: string;
  /** All segments with this name, in order (e.g. 'DG1'). */
  segments(name: string): Hl7Segment[];
  /** The first segment with this name. */
  segment(name: string): Hl7Segment | undefined;
  /** Shorthand: first segment, first repetition, e.g. get('PID-5.1'), get('PV1-45'), get('PID-3.4.1'). '' when absent. */
  get(path: string): string;
}

export interface Hl7Segment {
  name: string;
  /** Field n numbered as in the standard (PID-3 → 3; MSH-9 → 9). '' parts when absent. */
  field(n: number): Hl7Field;
}

export interface Hl7Field {
  /** The first repetition's component (1-based) and sub-component (1-based); '' when absent. value() with no argument = the whole first repetition's first component. */
  value(component?: number, subcomponent?: number): string;
  /** Every repetition (at least one, possibly empty). */
  repetitions(): Hl7Field[];
  /** True when the field has no content. */
  isEmpty(): boolean;
}

/**
 * The versions accepted (MSH-12.1). 2.3 to 2.8 share the segments CareLoop reads (MSH, EVN, PID,
 * PV1, DG1, RXE, ...) in the positions it reads them; earlier versions differ and are rejected.
 */
export const supportedVersions: readonly string[] = [
  '2.3',
  '2.3.1',
  '2.4',
  '2.5',
  '2.5.1',
  '2.6',
  '2.7',
  '2.7.1',
  '2.8',
  '2.8.1',
  '2.8.2',
];

/** MSH-11.1 processing ids (HL7 table 0103): production, training, debugging. */
export const processingIds: readonly string[] = ['P', 'T', 'D'];

/** A node of node-hl7-client's tree, as far as this module uses it. */
interface LibraryNode {
  get(index: number): LibraryNode;
  toArray(): LibraryNode[];
  toString(): string;
  toRaw(): string;
}

/**
 * The message's segments as text lines. A message with any CR is split on CR (and CRLF), so an LF
 * that a sender left inside a text field stays in that field; a message with no CR at all (files,
 * some interface engines) is split on LF.
 */
export function segmentLines(raw: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stray NUL and MLLP block characters are what is stripped
  const text = raw.replace(/^[\uFEFF\s\x00\x0b]+/, '');
  const lines = text.includes('\r') ? text.split(/\r\n?/) : text.split('\n');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stray NUL and MLLP block characters are what is stripped
  return lines.map((line) => line.replace(/[\s\x00\x1c]+$/, '')).filter((line) => line !== '');
}

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

/** Parses and checks one message; throws Hl7ProcessingError (AR) naming the field for input it cannot accept. */
export function parseHl7(raw: string): Hl7Message {
  const lines = segmentLines(raw);
  const first = lines[0] ?? '';
  if (!first.startsWith('MSH'))
    throw new Hl7ProcessingError('AR', '100', 'MSH', 'the message does not begin with an MSH segment');
  const fieldSeparator = first[3] ?? '';
  const encoding = first.slice(4).split(fieldSeparator)[0] ?? '';
  if (!validDelimiters(fieldSeparator, encoding))
    throw new Hl7ProcessingError(
      'AR',
      '102',
      'MSH-2',
      'MSH-1 and MSH-2 must give the field separator and four distinct encoding characters (e.g. |^~\\&)',
    );
  for (const [index, line] of lines.entries()) {
    const name = line.split(fieldSeparator)[0]!;
    if (!SEGMENT_NAME.test(name))
      throw new Hl7ProcessingError(
        'AR',
        '100',
        '',
        `line ${index + 1} is not a segment (a segment starts with a three-character name such as PID)`,
      );
    if (index > 0 && ['MSH', 'BHS', 'FHS', 'BTS', 'FTS'].includes(name))
      throw new Hl7ProcessingError(
        'AR',
        '100',
        `${name}`,
        'one message per frame: batches and several MSH segments in one message are not accepted',
      );
  }
  let library: Message;
  let segmentNodes: LibraryNode[];
  try {
    library = new Message({ text: shieldMsh(lines.join('\r'), encoding[2]!) });
    segmentNodes = (library as unknown as LibraryNode).toArray();
  } catch (err) {
    throw new Hl7ProcessingError(
      'AR',
      '102',
      'MSH',
      `the message could not be parsed: ${(err as Error).message}`,
    );
  }
  const segments = segmentNodes.map((node) => new Segment(node, fieldSeparator, encoding));
  const message = new ParsedMessage(raw, segments);
  const msh = segments[0]!;
  const type = msh.field(9);
  message.messageType = type.value(1);
  if (!message.messageType)
    throw new Hl7ProcessingError('AR', '101', 'MSH-9', 'MSH-9 (message type) is required');
  message.event = type.value(2);
  if (!message.event && message.messageType === 'ADT') message.event = message.get('EVN-1');
  if (!message.event)
    throw new Hl7ProcessingError('AR', '101', 'MSH-9.2', 'MSH-9.2 (trigger event) is required');
  message.controlId = msh.field(10).value();
  if (!message.controlId)
    throw new Hl7ProcessingError('AR', '101', 'MSH-10', 'MSH-10 (message control id) is required');
  const processingId = msh.field(11).value();
  if (!processingId)
    throw new Hl7ProcessingError('AR', '101', 'MSH-11', 'MSH-11 (processing id) is required');
  if (!processingIds.includes(processingId))
    throw new Hl7ProcessingError(
      'AR',
      '202',
      'MSH-11',
      `processing id "${processingId}" is not supported (P, T or D)`,
    );
  message.version = msh.field(12).value();
  if (!message.version)
    throw new Hl7ProcessingError('AR', '101', 'MSH-12', 'MSH-12 (version id) is required');
  if (!supportedVersions.includes(message.version))
    throw new Hl7ProcessingError(
      'AR',
      '203',
      'MSH-12',
      `version "${message.version}" is not supported (2.3 to 2.8)`,
    );
  message.sendingApplication = msh.field(3).value();
  message.sendingFacility = msh.field(4).value();
  return message;
}

/**
 * node-hl7-client takes any "MSH|" in the text for the start of another message and refuses it as a
 * batch, even inside a field (ADT04-23's PID-16 is "MSH"). Beyond the header, that "H" is written
 * as the hex escape \X48\, which the library decodes back: the values read are unchanged.
 */
function shieldMsh(text: string, esc: string): string {
  return `MSH${text.slice(3).replaceAll('MSH|', `MS${esc}X48${esc}|`)}`;
}

/** True for a field separator and encoding characters a parser can rely on: no letters, digits or repeats. */
export function validDelimiters(fieldSeparator: string, encoding: string): boolean {
  if (fieldSeparator.length !== 1 || encoding.length < 4 || encoding.length > 5) return false;
  const all = [fieldSeparator, ...encoding.slice(0, 4)];
  return new Set(all).size === all.length && all.every((c) => /[^\sA-Za-z0-9]/.test(c));
}

const PATH = /^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;

class ParsedMessage implements Hl7Message {
  version = '';
  messageType = '';
  event = '';
  controlId = '';
  sendingApplication = '';
  sendingFacility = '';

  constructor(
    readonly raw: string,
    private readonly all: Segment[],
  ) {}

  segments(name: string): Hl7Segment[] {
    return this.all.filter((s) => s.name === name);
  }

  segment(name: string): Hl7Segment | undefined {
    return this.all.find((s) => s.name === name);
  }

  get(path: string): string {
    const match = PATH.exec(path);
    if (!match) throw new Error(`"${path}" is not a field path such as PID-5.1 or PID-3.4.1`);
    const [, name, field, component, subcomponent] = match;
    const segment = this.segment(name!);
    if (!segment) return '';
    return segment
      .field(Number(field))
      .value(component ? Number(component) : 1, subcomponent ? Number(subcomponent) : 1);
  }
}

class Segment implements Hl7Segment {
  readonly name: string;

  constructor(
    private readonly node: LibraryNode,
    private readonly fieldSeparator: string,
    private readonly encoding: string,
  ) {
    this.name = node.get(0).toRaw();
  }

  field(n: number): Hl7Field {
    if (!Number.isInteger(n) || n < 1) return emptyField;
    if (this.name === 'MSH') {
      // MSH-1 is the field separator itself and MSH-2 the encoding characters: neither is split.
      if (n === 1) return new TextField(this.fieldSeparator);
      if (n === 2) return new TextField(this.encoding);
      return new Field(this.node.get(n - 1).toArray());
    }
    return new Field(this.node.get(n).toArray());
  }
}

/** A field over the library's repetition nodes (repetition → component → sub-component). */
class Field implements Hl7Field {
  constructor(private readonly reps: LibraryNode[]) {}

  value(component = 1, subcomponent = 1): string {
    const repetition = this.reps[0];
    if (!repetition || component < 1 || subcomponent < 1) return '';
    return decoded(repetition.get(component - 1).get(subcomponent - 1));
  }

  repetitions(): Hl7Field[] {
    return this.reps.length === 0 ? [emptyField] : this.reps.map((r) => new Field([r]));
  }

  isEmpty(): boolean {
    return this.reps.every((r) => r.toRaw() === '');
  }
}

/** MSH-1 and MSH-2: plain text, one component. */
class TextField implements Hl7Field {
  constructor(private readonly text: string) {}
  value(component = 1, subcomponent = 1): string {
    return component === 1 && subcomponent === 1 ? this.text : '';
  }
  repetitions(): Hl7Field[] {
    return [this];
  }
  isEmpty(): boolean {
    return this.text === '';
  }
}

const emptyField: Hl7Field = new TextField('');

/**
 * The library decodes \F\ \S\ \T\ \R\ \E\ and \Xhh\; the formatting command \.br\ (a line break in
 * formatted text) is turned into a newline here, so text reads as the sender meant it.
 */
function decoded(node: LibraryNode): string {
  return node.toString().replace(/\\\.br\\/g, '\n');
}
