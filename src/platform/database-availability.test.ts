/**
 * What counts as "the database cannot be reached" (answered 503, logged once) and what is a query's
 * own failure (answered as before), on the shapes pg, pg-pool, Node and pg-boss hand over; and the
 * lost / regained events a restart makes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseAvailability, isDatabaseUnavailable } from './database-availability.js';

/** An error as pg's DatabaseError carries a SQLSTATE. */
function sqlState(code: string, message = 'server message'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailable', () => {
  it('recognizes a server going away or not yet back, and a socket that cannot reach it', () => {
    for (const error of [
      sqlState('57P01', 'terminating connection due to administrator command'),
      sqlState('57P02'),
      sqlState('57P03', 'the database system is starting up'),
      sqlState('08006'),
      sqlState('08001'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
    ])
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
  });

  it('looks inside what wraps it: a cause, an AggregateError of several addresses, a pg-boss worker report', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(new Error('job failed', { cause: refused }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([refused, refused]))).toBe(true);
    // pg-boss emits its workers' failures as plain objects spread from the error, queue name appended.
    const terminated = new Error('Connection terminated unexpectedly');
    expect(
      isDatabaseUnavailable({
        ...terminated,
        message: `${terminated.message} (Queue: tasks, Worker: 1)`,
        queue: 'tasks',
      }),
    ).toBe(true);
  });

  it('leaves a query that is wrong to its own answer: constraint, syntax, serialization, anything else', () => {
    for (const error of [
      sqlState('23505', 'duplicate key value violates unique constraint'),
      sqlState('42601', 'syntax error'),
      sqlState('40001', 'could not serialize access'),
      sqlState('57014', 'canceling statement due to statement timeout'),
      new Error('no such table: resources'),
      undefined,
      'Connection terminated unexpectedly',
    ])
      expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('DatabaseAvailability', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells of an outage once however many errors report it, and of its end once', () => {
    const availability = new DatabaseAvailability();
    const events: string[] = [];
    availability.onChange((e) => events.push(e.state === 'lost' ? `lost ${e.code}` : 'regained'));
    expect(availability.report(sqlState('57P01'))).toBe(true);
    expect(availability.report(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(availability.report(sqlState('23505'))).toBe(false);
    expect(availability.up).toBe(false);
    availability.reachable();
    availability.reachable();
    expect(availability.up).toBe(true);
    expect(events).toEqual(['lost 57P01', 'regained']);
  });

  it('probes a lost database with growing waits until it answers, then stops', async () => {
    vi.useFakeTimers();
    let answers = false;
    const probes: number[] = [];
    const start = Date.now();
    const availability = new DatabaseAvailability(
      async () => {
        probes.push(Date.now() - start);
        if (!answers) throw new Error('connect ECONNREFUSED');
      },
      { firstMs: 100, maxMs: 400 },
    );
    const events: string[] = [];
    availability.onChange((e) => events.push(e.state));
    availability.report(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    await vi.advanceTimersByTimeAsync(1500);
    // 100, then +200, +400, then every 400 (the cap).
    expect(probes).toEqual([100, 300, 700, 1100, 1500]);
    answers = true;
    await vi.advanceTimersByTimeAsync(400);
    expect(events).toEqual(['lost', 'regained']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probes).toHaveLength(6);
  });
});
