/**
 * `careloop hl7 list | replay`: the HL7 v2 message log from the command line. `list` shows messages
 * by status (the dead letters: failed, rejected), never their raw text; `replay <id>` processes a
 * failed or rejected message again once its cause is fixed, with the server's own handlers.
 */
import { readAck } from '../integrations/hl7/ack.js';
import { hl7HandlersFor } from '../integrations/hl7/hl7-handlers.js';
import { Hl7ReplayError, replayHl7Message } from '../integrations/hl7/hl7-intake.js';
import { type Hl7Status, hl7Statuses, listHl7Messages } from '../integrations/hl7/hl7-log.js';
import { systemClock } from '../platform/clock.js';
import { parseFlags, positiveInt, UsageError } from './args.js';
import { openRuntime } from './runtime.js';

const help = `usage: careloop hl7 list [--status failed|rejected|processed] [--limit N]
       careloop hl7 replay <id>

  list     the HL7 v2 message log, newest first (default: every status, 50 messages)
  replay   process a failed or rejected message again from its stored text (a new attempt,
           linked to the old one); exits 1 when it fails again`;

export async function hl7Command(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { status: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean' } },
    true,
  );
  if (values.help) {
    console.log(help);
    return 0;
  }
  const sub = positionals[0];
  if (sub === 'list' && positionals.length === 1) {
    const status = values.status;
    if (status !== undefined && !(hl7Statuses as readonly string[]).includes(status))
      throw new UsageError(`--status must be one of ${hl7Statuses.join(', ')}, not "${status}"`);
    const limit = positiveInt(values.limit, 'limit', 50);
    return list(status as Hl7Status | undefined, limit);
  }
  if (sub === 'replay' && positionals.length === 2) return replay(positionals[1]!);
  throw new UsageError('hl7 takes a subcommand: list [--status S] or replay <id>');
}

async function list(status: Hl7Status | undefined, limit: number): Promise<number> {
  const { database } = await openRuntime();
  try {
    const { total, messages } = await listHl7Messages(database.db, { status, limit, offset: 0 });
    for (const m of messages) {
      const error = m.error ? `  ${m.error.code} ${m.error.location || '-'} ${m.error.text}` : '';
      const resolved = m.resolvedBy ? `  (processed later as ${m.resolvedBy})` : '';
      console.log(
        `${m.id}  ${m.receivedAt}  ${m.status.padEnd(9)}  ${m.type.padEnd(8)}  ${m.sender}  ${m.controlId}${error}${resolved}`,
      );
    }
    console.error(`${messages.length} of ${total} message(s)${status ? ` with status ${status}` : ''}`);
    return 0;
  } finally {
    await database.close();
  }
}

async function replay(id: string): Promise<number> {
  const { config, database, store } = await openRuntime();
  try {
    const attempt = await replayHl7Message(
      { store, handlers: hl7HandlersFor(config), timeZone: config.timeZone, clock: systemClock },
      id,
    );
    const ack = readAck(attempt.ack);
    const error = ack.errorCode ? ` (ERR ${ack.errorCode} at ${ack.location || '-'})` : '';
    console.log(
      attempt.duplicate
        ? `${id}: already processed as ${attempt.id} (the sender resent it); nothing was redone`
        : `${id}: replayed as ${attempt.id}: ${attempt.status}, MSA-1 ${ack.code}${error}`,
    );
    return attempt.status === 'processed' ? 0 : 1;
  } catch (err) {
    if (err instanceof Hl7ReplayError) {
      console.error(`careloop: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}
