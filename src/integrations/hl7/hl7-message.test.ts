/**
 * The parser and the ACK on real messages nobody on this project wrote (Microsoft FHIR-Converter
 * samples, test/fixtures/hl7v2): every ADT sample parses whatever its version and line endings, escape
 * sequences come out decoded, and an ACK echoes the control id and swaps sender and receiver.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAck, errorLocation, escapeHl7, hl7Timestamp, readAckHeader } from './ack.js';
import { Hl7ProcessingError } from './hl7-handler.js';
import { parseHl7, segmentLines } from './hl7-message.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/hl7v2');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const adtFiles = readdirSync(fixtures).filter((f) => f.startsWith('ADT') && f.endsWith('.hl7'));

/** The error parseHl7 throws for `raw` (fails the test when it parses). */
function rejection(raw: string): Hl7ProcessingError {
  try {
    parseHl7(raw);
  } catch (err) {
    if (err instanceof Hl7ProcessingError) return err;
    throw err;
  }
  throw new Error('expected the message to be rejected');
}

const minimal = (msh: string, rest = 'PID|1||MRN123^^^HOSP^MR||DOE^JANE') => `${msh}\r${rest}\r`;

describe('parseHl7 on the ADT fixtures', () => {
  it('finds 29 ADT samples to read', () => {
    expect(adtFiles.length).toBe(29);
  });

  it.each(adtFiles)('parses %s with its header fields', (file) => {
    const raw = fixture(file);
    const firstLine = segmentLines(raw)[0]!.split('|');
    const message = parseHl7(raw);
    expect(message.messageType).toBe('ADT');
    expect(message.event).toBe(firstLine[8]!.split('^')[1]);
    expect(message.controlId).toBe(firstLine[9]);
    expect(message.version).toBe(firstLine[11]);
    expect(message.sendingApplication).toBe(firstLine[2]!.split('^')[0]);
    expect(message.raw).toBe(raw);
    // Every ADT carries a patient.
    expect(message.segment('PID')).toBeDefined();
  });

  it('reads fields, components, sub-components and repetitions 1-based (ADT-A01-01, v2.8)', () => {
    const m = parseHl7(fixture('ADT-A01-01.hl7'));
    // PID|1|1234567^4^M11^...|PATID1234^5^M11^test1&2.16.1&HCD^MR^GOOD HEALTH HOSPITAL~123456789^^^USSSA^SS|
    expect(m.get('PID-3')).toBe('PATID1234');
    expect(m.get('PID-3.4')).toBe('test1');
    expect(m.get('PID-3.4.2')).toBe('2.16.1');
    expect(m.get('PID-3.5')).toBe('MR');
    const ids = m.segment('PID')!.field(3).repetitions();
    expect(ids.map((r) => [r.value(1), r.value(4), r.value(5)])).toEqual([
      ['PATID1234', 'test1', 'MR'],
      ['123456789', 'USSSA', 'SS'],
    ]);
    // PID-5: EVERYMAN&&&&Aniston^ADAM^A^III^Dr.^MD^D... (family name with its sub-components)
    expect(m.get('PID-5.1')).toBe('EVERYMAN');
    expect(m.get('PID-5.1.5')).toBe('Aniston');
    expect(m.get('PID-5.2')).toBe('ADAM');
    expect(m.get('PID-7')).toBe('198808181126+0215');
    expect(m.get('PID-8')).toBe('M');
    expect(m.get('MSH-9.3')).toBe('ADT_A01');
    expect(m.get('MSH-1')).toBe('|');
    expect(m.get('MSH-2')).toBe('^~\\&');
    expect(m.get('EVN-1')).toBe('A01');
    expect(m.get('PV1-2')).toBe('P');
    // Absent parts are '' (never undefined, never a throw).
    expect(m.get('PID-99')).toBe('');
    expect(m.get('ZZZ-1')).toBe('');
    expect(m.segment('ZZZ')).toBeUndefined();
    expect(m.segment('PID')!.field(2).repetitions()).toHaveLength(1);
    expect(m.segment('PID')!.field(99).isEmpty()).toBe(true);
    expect(m.segment('PID')!.field(3).isEmpty()).toBe(false);
  });

  it('decodes escape sequences (\\T\\ in PV1-14 of ADT-A01-01, \\F\\ \\S\\ \\R\\ \\E\\ \\Xhh\\ \\.br\\)', () => {
    const m = parseHl7(fixture('ADT-A01-01.hl7'));
    expect(m.get('PV1-14')).toBe('NHS Provider-General (inc.A&E-this Hosp)');
    const escaped = parseHl7(
      minimal(
        'MSH|^~\\&|APP|FAC|CL|CLF|20261130120000||ADT^A08|C1|P|2.5.1',
        'NTE|1||pipe \\F\\ caret \\S\\ tilde \\R\\ backslash \\E\\ amp \\T\\ hex \\X41\\ line\\.br\\two',
      ),
    );
    expect(escaped.get('NTE-3')).toBe('pipe | caret ^ tilde ~ backslash \\ amp & hex A line\ntwo');
  });

  it('reads every segment of a repeating kind in order (ORU-R01-01: OBX, NTE)', () => {
    const m = parseHl7(fixture('ORU-R01-01.hl7'));
    expect(m.segments('OBX').length).toBe(5);
    expect(m.segments('NTE').length).toBe(4);
    expect(m.segments('NTE').some((s) => s.field(3).value().includes('O157:H7 & other STECs'))).toBe(true);
  });

  it('splits segments on CR, LF and CRLF alike, with or without a byte-order mark', () => {
    const raw = fixture('ADT01-23.hl7');
    expect(raw.charCodeAt(0)).toBe(0xfeff);
    const lines = segmentLines(raw);
    const variants = [lines.join('\r'), lines.join('\n'), lines.join('\r\n'), `${lines.join('\r')}\r`];
    for (const text of variants) {
      const m = parseHl7(text);
      expect(m.controlId).toBe('599102');
      expect(m.get('PID-5.1')).toBe('DUCK');
      expect(m.get('PV1-3.1')).toBe('PREOP');
      expect(m.segments('PV1')).toHaveLength(1);
    }
  });

  it('keeps an LF inside a field of a CR-separated message in that field', () => {
    const m = parseHl7('MSH|^~\\&|A|F|||20261130||ADT^A08|C2|P|2.5\rNTE|1||first\nsecond\rPID|1||X\r');
    expect(m.get('NTE-3')).toBe('first\nsecond');
    expect(m.get('PID-3')).toBe('X');
  });

  it('reads a field whose value is "MSH" (ADT04-23 PID-17), which the library alone takes for a batch', () => {
    const m = parseHl7(fixture('ADT04-23.hl7'));
    expect(m.get('PID-16')).toBe('S');
    expect(m.get('PID-17')).toBe('MSH');
    expect(m.get('PID-5.1')).toBe('BROS');
  });

  it('takes the event of an ADT from EVN-1 when MSH-9.2 is empty', () => {
    const m = parseHl7(minimal('MSH|^~\\&|A|F|||20261130||ADT|C3|P|2.3', 'EVN|A03|20261130'));
    expect(m.event).toBe('A03');
  });

  it('accepts versions 2.3 to 2.8 and processing ids P, T and D', () => {
    for (const version of ['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8'])
      expect(parseHl7(minimal(`MSH|^~\\&|A|F|||20261130||ADT^A01|C|P|${version}`)).version).toBe(version);
    for (const id of ['P', 'T', 'D', 'P^T'])
      expect(() => parseHl7(minimal(`MSH|^~\\&|A|F|||20261130||ADT^A01|C|${id}|2.5`))).not.toThrow();
  });
});

describe('parseHl7 rejections (AR with the field named)', () => {
  it.each([
    ['no MSH', 'PID|1||X\r', '100', 'MSH'],
    ['garbage bytes', '\x00\x01\xff garbage \x7f', '100', 'MSH'],
    ['an empty message', '', '100', 'MSH'],
    ['no encoding characters', 'MSH|\rPID|1\r', '102', 'MSH-2'],
    ['missing MSH-9', minimal('MSH|^~\\&|A|F|||20261130|||C|P|2.5'), '101', 'MSH-9'],
    ['missing trigger event', minimal('MSH|^~\\&|A|F|||20261130||ORU|C|P|2.5'), '101', 'MSH-9.2'],
    ['missing MSH-10', minimal('MSH|^~\\&|A|F|||20261130||ADT^A01||P|2.5'), '101', 'MSH-10'],
    ['missing MSH-11', minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C||2.5'), '101', 'MSH-11'],
    ['processing id X', minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C|X|2.5'), '202', 'MSH-11'],
    ['missing MSH-12', minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C|P|'), '101', 'MSH-12'],
    ['version 2.2', minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C|P|2.2'), '203', 'MSH-12'],
    ['version 3.0', minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C|P|3.0'), '203', 'MSH-12'],
    [
      'a line that is no segment',
      minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C|P|2.5', 'this is not hl7'),
      '100',
      '',
    ],
    [
      'two messages in one',
      minimal('MSH|^~\\&|A|F|||20261130||ADT^A01|C|P|2.5', 'MSH|^~\\&|A|F|||20261130||ADT^A01|D|P|2.5'),
      '100',
      'MSH',
    ],
  ])('rejects %s', (_what, raw, code, location) => {
    const err = rejection(raw);
    expect(err.ackCode).toBe('AR');
    expect(err.errorCode).toBe(code);
    expect(err.location).toBe(location);
    expect(err.message.length).toBeGreaterThan(10);
  });
});

describe('buildAck', () => {
  const now = new Date('2026-11-30T17:05:09Z');
  const seg = (ack: string, name: string) =>
    ack
      .split('\r')
      .find((l) => l.startsWith(name))!
      .split('|');

  it('answers AA echoing MSH-10 in MSA-2 and swapping MSH-3..6 (ADT-A01-01, v2.8)', () => {
    const raw = fixture('ADT-A01-01.hl7');
    const ack = buildAck({
      header: readAckHeader(raw),
      ackCode: 'AA',
      now,
      timeZone: 'America/New_York',
      controlId: 'ACK1',
    });
    const msh = seg(ack, 'MSH');
    const original = segmentLines(raw)[0]!.split('|');
    expect(msh[2]).toBe(original[4]); // MSH-3 = original MSH-5
    expect(msh[3]).toBe(original[5]); // MSH-4 = original MSH-6
    expect(msh[4]).toBe(original[2]); // MSH-5 = original MSH-3
    expect(msh[5]).toBe(original[3]); // MSH-6 = original MSH-4
    expect(msh[2]).toBe('EHRApp^1.Edu^ISO');
    expect(msh[6]).toBe('20261130120509-0500'); // MSH-7 now, in the organization's zone
    expect(msh[8]).toBe('ACK^A01^ACK');
    expect(msh[9]).toBe('ACK1');
    expect(msh[10]).toBe('P');
    expect(msh[11]).toBe('2.8');
    expect(seg(ack, 'MSA')).toEqual(['MSA', 'AA', 'MSG00001']);
    expect(ack).not.toContain('ERR');
    expect(ack.endsWith('\r')).toBe(true);
    // The ACK is itself a message our parser accepts.
    const parsed = parseHl7(ack);
    expect(parsed.messageType).toBe('ACK');
    expect(parsed.get('MSA-2')).toBe('MSG00001');
  });

  it('echoes a control id longer than 20 characters exactly (ADT04-23, v2.3)', () => {
    const ack = buildAck({
      header: readAckHeader(fixture('ADT04-23.hl7')),
      ackCode: 'AA',
      now,
      timeZone: 'UTC',
    });
    expect(seg(ack, 'MSA')[2]).toBe('Q123456789T123456789X123456');
    expect(seg(ack, 'MSH')[11]).toBe('2.3');
    expect(seg(ack, 'MSH')[9]!.length).toBeLessThanOrEqual(20);
  });

  it('adds an ERR naming the field for AE from 2.5 on (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 text)', () => {
    const header = readAckHeader(fixture('ADT-A01-01.hl7'));
    const ack = buildAck({
      header,
      ackCode: 'AE',
      error: { code: '101', location: 'PID-3', text: 'PID-3 (patient identifier list) is required' },
      now,
      timeZone: 'UTC',
    });
    expect(seg(ack, 'MSA')).toEqual(['MSA', 'AE', 'MSG00001']);
    const err = seg(ack, 'ERR');
    expect(err[1]).toBe('');
    expect(err[2]).toBe('PID^1^3');
    expect(err[3]).toBe('101^Required field missing^HL70357');
    expect(err[4]).toBe('E');
    expect(err[8]).toBe('PID-3 (patient identifier list) is required');
  });

  it('says what is wrong in MSA-3 and ERR-1 before 2.5 (ADT01-23, v2.3)', () => {
    const ack = buildAck({
      header: readAckHeader(fixture('ADT01-23.hl7')),
      ackCode: 'AR',
      error: { code: '203', location: 'MSH-12', text: 'version "2.3" is not supported' },
      now,
      timeZone: 'UTC',
    });
    expect(seg(ack, 'MSA')).toEqual(['MSA', 'AR', '599102', 'version "2.3" is not supported']);
    const err = seg(ack, 'ERR');
    expect(err[1]).toBe('MSH^1^12^203&Unsupported version id&HL70357');
    expect(err[2]).toBe('MSH^1^12');
    expect(err[3]).toBe('203^Unsupported version id^HL70357');
  });

  it('answers unreadable input with standard delimiters and escapes what it copies', () => {
    const ack = buildAck({
      header: readAckHeader('\x00garbage|^~'),
      ackCode: 'AR',
      error: { code: '100', location: 'MSH', text: 'no MSH | here' },
      now,
      timeZone: 'UTC',
    });
    expect(ack.startsWith('MSH|^~\\&|')).toBe(true);
    expect(seg(ack, 'MSA')).toEqual(['MSA', 'AR', '']);
    expect(seg(ack, 'ERR')[8]).toBe('no MSH \\F\\ here');
    expect(seg(ack, 'ERR')[2]).toBe('MSH^1');
  });

  it('writes ERR-2 locations as segment^sequence^field^repetition^component^sub-component', () => {
    expect(errorLocation('PV1-45')).toEqual(['PV1', '1', '45']);
    expect(errorLocation('MSH-9.2')).toEqual(['MSH', '1', '9', '1', '2']);
    expect(errorLocation('PID-3.4.1')).toEqual(['PID', '1', '3', '1', '4', '1']);
    expect(errorLocation('DG1[2]-3')).toEqual(['DG1', '2', '3']);
    expect(errorLocation('')).toEqual([]);
  });

  it('escapes delimiters in text and formats times with the zone offset', () => {
    expect(escapeHl7('a|b^c~d\\e&f\rg')).toBe('a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f g');
    expect(hl7Timestamp(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('20260701080000-0400');
    expect(hl7Timestamp(new Date('2026-07-01T12:00:00Z'), 'Asia/Kolkata')).toBe('20260701173000+0530');
  });
});
