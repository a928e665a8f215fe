/**
 * HL7 v2 over HTTP and the dead-letter routes (docs/hl7-intake.md):
 * - POST /hl7/v2: one ER7 message in the body, the ACK in the answer (200 whatever MSA-1 says, as
 *   HL7 over HTTP does: the ACK carries the verdict);
 * - GET /api/hl7/messages: the message log by status (the dead-letter list), never the raw text;
 * - GET /api/hl7/messages/:id: one message, the raw text for administrators (audited);
 * - POST /api/hl7/messages/:id/replay: process a failed or rejected message again.
 * All for integration accounts and administrators.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { appendAudit } from '../../access/audit/audit-trail.js';
import { requireRole, requireUser } from '../../access/identity/authenticate.js';
import { badRequest } from '../../fhir/outcome.js';
import { readAck } from './ack.js';
import { createHl7Intake, type Hl7IntakeOptions, Hl7ReplayError, replayHl7Message } from './hl7-intake.js';
import { getHl7Message, hl7Statuses, listHl7Messages } from './hl7-log.js';
import { decodeMessage } from './mllp-server.js';

export const HL7_CONTENT_TYPES = ['x-application/hl7-v2+er7', 'application/hl7-v2', 'text/plain'];
const ER7 = 'x-application/hl7-v2+er7; charset=utf-8';

const listQuery = z
  .object({
    status: z.enum(hl7Statuses).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
const idParams = z.object({ id: z.string().min(1).max(100) });

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  throw badRequest(`${path || 'query'}: ${issue.message}`, path || undefined);
}

/** Registers the HL7 routes; `intake` gives the store, handlers, clock and zone messages are processed with. */
export async function hl7Routes(app: FastifyInstance, options: { intake: Hl7IntakeOptions }): Promise<void> {
  const intake = createHl7Intake(options.intake);
  const { store } = options.intake;
  const allowed = requireRole('integration', 'admin');
  const tags = ['hl7'];

  // Parsed here only: the rest of the app keeps its JSON-only parsers.
  app.addContentTypeParser(HL7_CONTENT_TYPES, { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, decodeMessage(body as Buffer)),
  );

  app.post(
    '/hl7/v2',
    // Authentication before the body is read: an anonymous caller gets 401, not a parse error.
    { onRequest: allowed, schema: { tags, summary: 'Receive one HL7 v2 message (ER7); answers its ACK' } },
    async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      const ack = await intake.receive(raw, { remoteAddress: request.ip });
      return reply.code(200).type(ER7).send(ack);
    },
  );

  app.get(
    '/api/hl7/messages',
    {
      preHandler: allowed,
      schema: { tags, summary: 'The HL7 message log by status (dead letters: failed, rejected)' },
    },
    async (request) => {
      const query = parse(listQuery, request.query);
      return listHl7Messages(store.database.db, query);
    },
  );

  app.get(
    '/api/hl7/messages/:id',
    {
      preHandler: allowed,
      schema: { tags, summary: 'One HL7 message with its ACK (and raw text for administrators)' },
    },
    async (request, reply) => {
      const { id } = parse(idParams, request.params);
      const access = requireUser(request);
      const withRaw = access.role === 'admin';
      const message = await getHl7Message(store.database.db, id, { withRaw });
      if (!message) return notFound(reply, id);
      if (withRaw) await auditRawRead(request, options.intake, id);
      return { message };
    },
  );

  app.post(
    '/api/hl7/messages/:id/replay',
    { preHandler: allowed, schema: { tags, summary: 'Process a failed or rejected HL7 message again' } },
    async (request, reply) => {
      const { id } = parse(idParams, request.params);
      try {
        const attempt = await replayHl7Message(options.intake, id);
        return { attempt: { ...attempt, ackCode: readAck(attempt.ack).code } };
      } catch (err) {
        if (!(err instanceof Hl7ReplayError)) throw err;
        if (err.code === 'not_found') return notFound(reply, id);
        return reply.code(409).send({ error: { code: 'conflict', message: err.message } });
      }
    },
  );
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: { code: 'not_found', message: `no HL7 message has the id "${id}"` } });
}

/** Reading a message's raw text discloses patient data: it goes in the audit trail. */
async function auditRawRead(request: FastifyRequest, intake: Hl7IntakeOptions, id: string): Promise<void> {
  const access = requireUser(request);
  const database = intake.store.database;
  await database.db.transaction().execute((trx) =>
    appendAudit(
      database,
      trx,
      {
        action: 'read',
        outcome: 'success',
        actor: access.actor,
        role: access.role,
        purposeOfUse: access.purposeOfUse,
        clientAddress: request.ip,
        detail: `HL7 message ${id} (raw text)`,
      },
      intake.clock.now(),
    ),
  );
}
