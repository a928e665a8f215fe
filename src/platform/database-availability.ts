/**
 * Whether the database can be reached, and what an error that says it cannot looks like. A
 * PostgreSQL restart, failover or maintenance window closes every connection and refuses new ones
 * for a while; that is an outage to wait out, not a bug: requests answer 503 with Retry-After
 * (server/errors.ts), HL7 messages get no AA (the sender resends), and the pools open new
 * connections once the database answers again. The operator's log says when it was lost and when
 * it was regained: once each, with an error code, never a query or its values.
 */

/** Seconds a client is told to wait (Retry-After) when the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATEs of a server that is going away or not yet back: 57P01 admin_shutdown (fast or immediate
 * stop, pg_terminate_backend), 57P02 crash_shutdown (another backend crashed), 57P03
 * cannot_connect_now (starting up, shutting down, in recovery). Class 08 (connection exception) is
 * matched as a class below.
 */
const SERVER_GOING_AWAY = new Set(['57P01', '57P02', '57P03']);

/** Socket errors of a server that is down, restarting, or moved (a failover behind DNS). */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Errors pg raises without a code: the socket closed under a client ("Connection terminated
 * unexpectedly", "... due to connection timeout"), a pool that waited past connectionTimeoutMillis,
 * and a client used after its connection broke.
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /is not queryable/,
];

/**
 * True when `error` (or what it wraps) says the database cannot be reached right now, as opposed
 * to a query that is wrong. Accepts what pg, pg-pool and Kysely throw, Node's AggregateError of a
 * connect to several addresses, and the plain objects pg-boss emits for its workers' failures.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (/^08[0-9A-Z]{3}$/.test(code) || SERVER_GOING_AWAY.has(code))) return true;
  if (typeof code === 'string' && SOCKET_ERRORS.has(code)) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message))) return true;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** A short, data-free name for what was seen: the SQLSTATE or socket code, else the kind of failure. */
export function unavailabilityCode(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code) return code;
  if (typeof message === 'string' && /^Connection terminated/.test(message)) return 'connection-terminated';
  if (typeof message === 'string' && /timeout/.test(message)) return 'connect-timeout';
  return 'unreachable';
}

export type AvailabilityEvent = { state: 'lost'; code: string } | { state: 'regained'; downSeconds: number };

/** How often a lost database is tried again: the first wait, doubled each time up to the last. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

/**
 * The database's reachability as this process last saw it. Anything that meets a connection error
 * (a pool's client, a request, a pg-boss worker) `report`s it; the first report of an outage marks
 * the database lost and starts probing it (`probe`, e.g. `select 1`) with backoff. A new connection
 * opened (`reachable`, from a pool) or a probe that succeeds marks it regained. Listeners hear each
 * change once: a restart is one line lost and one line regained in the log, not one per request.
 */
export class DatabaseAvailability {
  private lost: { at: number; code: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly listeners = new Set<(event: AvailabilityEvent) => void>();

  constructor(
    private readonly probe?: () => Promise<unknown>,
    private readonly backoff: Backoff = { firstMs: 250, maxMs: 4000 },
  ) {}

  /** False from a reported outage until the database answers again. */
  get up(): boolean {
    return !this.lost;
  }

  /** Calls `listener` on each change; returns the function that stops it. */
  onChange(listener: (event: AvailabilityEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Takes note of an error met on any connection: one that says the database is unreachable marks
   * it lost (once per outage) and starts probing. Returns whether it was such an error.
   */
  report(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.lost || this.closed) return true;
    this.lost = { at: Date.now(), code: unavailabilityCode(error) };
    this.emit({ state: 'lost', code: this.lost.code });
    this.scheduleProbe(this.backoff.firstMs);
    return true;
  }

  /** Takes note that the database answered (a new connection was opened): regained, if it was lost. */
  reachable(): void {
    const lost = this.lost;
    if (!lost) return;
    this.lost = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.closed)
      this.emit({ state: 'regained', downSeconds: Math.round((Date.now() - lost.at) / 100) / 10 });
  }

  /** Stops probing (the database is being closed). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduleProbe(waitMs: number): void {
    if (this.closed || !this.probe) return;
    this.timer = setTimeout(() => void this.tryProbe(waitMs), waitMs);
    // A probe must not keep a finished command (migrate, import) alive.
    this.timer.unref();
  }

  private async tryProbe(lastWaitMs: number): Promise<void> {
    try {
      await this.probe!();
    } catch {
      if (this.lost) this.scheduleProbe(Math.min(lastWaitMs * 2, this.backoff.maxMs));
      return;
    }
    this.reachable();
  }

  private emit(event: AvailabilityEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A logger's failure is not the database's.
      }
    }
  }
}
