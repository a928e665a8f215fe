/**
 * The MLLP listener (HL7 v2 Minimal Lower Layer Protocol: each message framed as 0x0B message
 * 0x1C 0x0D, the ACK framed the same way on the same connection), plain TCP or TLS.
 *
 * Written over node:net rather than with node-hl7-server 2.5.0, which cannot be used here:
 * - it answers only a bare `sendResponse('AA' | 'AE' | 'AR')` built by itself: no ERR segment, no
 *   stored ACK for a duplicate, no ACK text of our own;
 * - input its parser refuses is reported as an event and never answered (the sender waits forever,
 *   then resends into the same hole): a silent drop;
 * - its frame buffer is never reset after a message and only the first end block of a chunk is
 *   handled, so several messages in one chunk (or on one connection) run together; there is no size
 *   limit, and ACKs of concurrently handled messages can leave out of order.
 *
 * Here each connection answers its messages one at a time, in the order received, each ACK written
 * only after the intake returned (after commit); several messages in one chunk and a message split
 * across chunks are both framed; a frame larger than the limit is answered AR and discarded.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Hl7Intake } from './hl7-intake.js';

const START = 0x0b;
const END = 0x1c;
const CR = 0x0d;

/** The default largest message accepted: HL7 messages are kilobytes; embedded documents (MDM, ORU with PDFs) can reach megabytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** What is kept of a message over the limit, for the record and its ACK (its header, at least). */
const OVERSIZE_PREFIX_BYTES = 64 * 1024;

export interface MllpServerOptions {
  port: number;
  host?: string;
  /** PEM text of the certificate (chain) and key: TLS instead of plain TCP. */
  tls?: { cert: string; key: string };
  intake: Pick<Hl7Intake, 'receive' | 'reject'>;
  maxMessageBytes?: number;
  /** Connection-level events for the operator's log (never message content). */
  onEvent?: (event: {
    kind: 'connection-error' | 'oversize';
    remoteAddress?: string;
    detail: string;
  }) => void;
}

export interface MllpServer {
  port: number;
  close(): Promise<void>;
}

/** A frame found by the framer: a whole message, or the start of one that was too large. */
export type MllpFrame =
  | { kind: 'message'; bytes: Buffer }
  | { kind: 'oversize'; prefix: Buffer; size: number };

/**
 * Finds MLLP frames in a byte stream: any number per chunk, any split across chunks. Bytes outside
 * a frame (a stray CR/LF between frames) are skipped; a sender that omits the start block still has
 * its message read up to the end block, so nothing it sent goes unanswered.
 */
export class MllpFramer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Set while discarding the rest of a frame over the limit. */
  private oversize: { prefix: Buffer; size: number } | undefined;

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Feeds bytes; returns the frames they complete, in order. */
  push(data: Buffer): MllpFrame[] {
    const frames: MllpFrame[] = [];
    let rest = data;
    while (rest.length > 0) {
      const end = findEnd(rest, this.previousByte());
      if (end === -1) {
        this.append(rest);
        break;
      }
      // `end` is the index of the CR after 0x1C in `rest` (0 when 0x1C ended the previous chunk).
      this.append(rest.subarray(0, end + 1));
      rest = rest.subarray(end + 1);
      const frame = this.take();
      if (frame) frames.push(frame);
    }
    return frames;
  }

  private previousByte(): number | undefined {
    const last = this.chunks[this.chunks.length - 1];
    return last ? last[last.length - 1] : undefined;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.oversize) {
      this.oversize.size += bytes.length;
      // Keep only the last byte: enough to see an end block split across chunks.
      this.chunks = [bytes.subarray(bytes.length - 1)];
      return;
    }
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.size > this.maxMessageBytes) {
      const all = Buffer.concat(this.chunks);
      this.oversize = {
        prefix: Buffer.from(stripFrame(all).subarray(0, OVERSIZE_PREFIX_BYTES)),
        size: all.length,
      };
      this.chunks = [all.subarray(all.length - 1)];
      this.size = 0;
    }
  }

  /** The frame ending now (buffer ends with 0x1C 0x0D). */
  private take(): MllpFrame | undefined {
    const oversize = this.oversize;
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    this.oversize = undefined;
    if (oversize) return { kind: 'oversize', prefix: oversize.prefix, size: oversize.size };
    const bytes = stripFrame(all.subarray(0, all.length - 2));
    // Only whitespace between frames: nothing was sent.
    if (bytes.every((b) => b === 0x0a || b === 0x0d || b === 0x20 || b === 0x09)) return undefined;
    return { kind: 'message', bytes };
  }
}

/** The index of the CR that completes an end block (0x1C 0x0D) in `data`, or -1. */
function findEnd(data: Buffer, previous: number | undefined): number {
  if (previous === END && data[0] === CR) return 0;
  let from = 0;
  for (;;) {
    const i = data.indexOf(END, from);
    if (i === -1 || i + 1 >= data.length) return -1;
    if (data[i + 1] === CR) return i + 1;
    from = i + 1;
  }
}

/** The message between the start block and the end: anything before the last start block is noise. */
function stripFrame(bytes: Buffer): Buffer {
  const start = bytes.lastIndexOf(START);
  let body = start === -1 ? bytes : bytes.subarray(start + 1);
  if (body.length > 0 && body[body.length - 1] === END) body = body.subarray(0, body.length - 1);
  return body;
}

/**
 * Text of a message: UTF-8 unless MSH-18 names an 8-bit set (8859/1 and the like), which is read
 * as Latin-1 so that no byte is lost or replaced.
 */
export function decodeMessage(bytes: Buffer): string {
  return bytes.toString(charsetOf(bytes));
}

/** The Node encoding of a message's bytes, from MSH-18 (the ACK is written in the same one). */
function charsetOf(bytes: Buffer): 'utf8' | 'latin1' {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const firstLine = head.replace(/^[^M]*/, '').split(/[\r\n]/)[0] ?? '';
  const separator = firstLine[3] ?? '|';
  const component = firstLine[4] ?? '^';
  const charset = (firstLine.split(separator)[17] ?? '').split(component)[0]!.trim();
  return /^8859\//.test(charset) ? 'latin1' : 'utf8';
}

/** Starts listening; resolves once the port is bound (port 0 picks a free one, given back). */
export async function startMllpServer(options: MllpServerOptions): Promise<MllpServer> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const sockets = new Set<net.Socket>();
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const remoteAddress = socket.remoteAddress;
    const framer = new MllpFramer(maxMessageBytes);
    // One message at a time per connection: ACKs leave in the order the messages came.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      // Closing: no new work starts. A message not answered is not lost: the sender resends it.
      if (closing) return;
      let frames: MllpFrame[];
      try {
        frames = framer.push(data);
      } catch (err) {
        options.onEvent?.({ kind: 'connection-error', remoteAddress, detail: (err as Error).message });
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        queue = queue
          .then(async () => {
            const bytes = frame.kind === 'message' ? frame.bytes : frame.prefix;
            const ack = await answer(frame);
            if (!socket.destroyed)
              socket.write(
                Buffer.concat([
                  Buffer.from([START]),
                  Buffer.from(ack, charsetOf(bytes)),
                  Buffer.from([END, CR]),
                ]),
              );
          })
          .catch((err: unknown) => {
            // The intake answers everything; should that ever fail, the sender must not wait forever.
            options.onEvent?.({ kind: 'connection-error', remoteAddress, detail: (err as Error).message });
            socket.destroy();
          });
        const tracked = queue;
        inFlight.add(tracked);
        void tracked.finally(() => inFlight.delete(tracked));
      }
    });
    const answer = async (frame: MllpFrame): Promise<string> => {
      if (frame.kind === 'message')
        return options.intake.receive(decodeMessage(frame.bytes), { remoteAddress });
      options.onEvent?.({ kind: 'oversize', remoteAddress, detail: `${frame.size} bytes` });
      return options.intake.reject(
        decodeMessage(frame.prefix),
        {
          code: '104',
          location: '',
          text: `the message is ${frame.size} bytes, more than the ${maxMessageBytes} accepted; only its first ${frame.prefix.length} bytes were kept`,
        },
        { remoteAddress },
      );
    };
    socket.on('error', (err) => {
      // A peer resetting the connection is routine; it must never take the listener down.
      options.onEvent?.({ kind: 'connection-error', remoteAddress, detail: err.message });
    });
    socket.on('close', () => sockets.delete(socket));
  };

  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onConnection)
    : net.createServer(onConnection);
  server.on('tlsClientError', (err: Error) =>
    options.onEvent?.({ kind: 'connection-error', detail: `TLS: ${err.message}` }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.onEvent?.({ kind: 'connection-error', detail: err.message }));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: async () => {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Messages being processed finish and are answered; then connections are closed.
      await Promise.race([Promise.all([...inFlight]), new Promise((r) => setTimeout(r, 10_000).unref())]);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
