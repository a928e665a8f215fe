/**
 * HTTP routes of access control: the audit trail for auditors (JSON and FHIR AuditEvent), a patient's
 * "who accessed my record", the patients a patient or caregiver may act for, break-the-glass and
 * explicit assignments. Handlers parse, call the service, and present.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Patient } from 'fhir/r4.js';
import { z } from 'zod';
import { badRequest, notFound } from '../fhir/outcome.js';
import type { ResourceStore } from '../fhir/store/store.js';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/database.js';
import type { AccessContext } from './access-context.js';
import { accessLog, auditEventBundle, listAuditEvents } from './audit/audit.service.js';
import { toAuditEvent } from './audit/audit-event.js';
import { appendAudit, verifyAuditChain } from './audit/audit-trail.js';
import { breakGlass } from './break-glass/break-glass.service.js';
import { requireRole, requireUser } from './identity/authenticate.js';
import { forbidden } from './policy/visibility.js';
import { assertStandingRelationship } from './policy/write-access.js';

export interface AccessRoutesOptions {
  database: Database;
  clock: Clock;
  store: ResourceStore;
}

const auditQuery = z.object({
  patient: z
    .string()
    .regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a patient id')
    .optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(60).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw badRequest(`${issue.path.join('.') || 'query'}: ${issue.message}`, issue.path.join('.'));
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Registers the routes (no prefix: they span /audit, /api and /fhir/AuditEvent). */
export async function accessRoutes(app: FastifyInstance, options: AccessRoutesOptions): Promise<void> {
  const { database, clock, store } = options;
  const auditors = { preHandler: requireRole('auditor', 'admin') };

  /** Reading the trail is recorded in it: who looked at whose access history. */
  const recordAuditRead = async (request: FastifyRequest, what: string, patient?: string) => {
    const context = requireUser(request);
    await database.db.transaction().execute((trx) =>
      appendAudit(
        database,
        trx,
        {
          action: 'audit-read',
          outcome: 'success',
          actor: context.actor,
          role: context.role,
          ...(patient ? { patientIds: [patient] } : {}),
          purposeOfUse: context.purposeOfUse === 'TREAT' ? 'HOPERAT' : context.purposeOfUse,
          clientAddress: request.ip,
          detail: what,
        },
        clock.now(),
      ),
    );
  };

  app.get(
    '/audit/events',
    { schema: { tags: ['audit'], summary: 'Audit trail, newest first' }, ...auditors },
    async (request) => {
      const query = parse(auditQuery, request.query);
      await recordAuditRead(request, 'audit events', query.patient);
      const { events, next } = await listAuditEvents(database.db, query);
      return { events, ...(next !== undefined ? { next } : {}) };
    },
  );

  app.get(
    '/audit/break-glass',
    { schema: { tags: ['audit'], summary: 'Break-the-glass events to review' }, ...auditors },
    async (request) => {
      const query = parse(auditQuery, request.query);
      await recordAuditRead(request, 'break-the-glass review');
      const { events, next } = await listAuditEvents(database.db, { ...query, action: 'break-the-glass' });
      return { events, ...(next !== undefined ? { next } : {}) };
    },
  );

  app.get(
    '/audit/verify',
    { schema: { tags: ['audit'], summary: 'Verify the hash chain' }, ...auditors },
    async (request) => {
      await recordAuditRead(request, 'verify chain');
      return verifyAuditChain(database.db);
    },
  );

  // The trail as FHIR AuditEvent (read-only), for auditors. Static paths win over /fhir/:type, and
  // over compartment search (/fhir/Patient/{id}/{type}): a patient's AuditEvents are their trail.
  const auditEventSearch = async (request: FastifyRequest, reply: FastifyReply, patient?: string) => {
    const q = request.query as Record<string, string | undefined>;
    const query = parse(auditQuery, {
      patient: patient ?? q.patient?.replace(/^Patient\//, ''),
      actor: q.agent,
      action: q.subtype,
      since: q.date?.replace(/^ge/, ''),
      before: q._before,
      limit: q._count,
    });
    await recordAuditRead(request, 'AuditEvent search', query.patient);
    const base = `${request.protocol}://${request.host}/fhir`;
    return reply.type(FHIR_JSON).send(await auditEventBundle(database.db, query, base));
  };
  app.get(
    '/fhir/AuditEvent',
    { schema: { tags: ['FHIR R4'], summary: 'AuditEvent search (audit trail)' }, ...auditors },
    (request, reply) => auditEventSearch(request, reply),
  );
  app.get<{ Params: { id: string } }>(
    '/fhir/Patient/:id/AuditEvent',
    { schema: { tags: ['FHIR R4'], summary: "A patient's AuditEvents (audit trail)" }, ...auditors },
    (request, reply) => auditEventSearch(request, reply, request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/fhir/AuditEvent/:id',
    { schema: { tags: ['FHIR R4'], summary: 'AuditEvent read' }, ...auditors },
    async (request, reply) => {
      const seq = Number(request.params.id);
      const row = Number.isInteger(seq)
        ? await database.db
            .selectFrom('audit_events')
            .select(['seq', 'recorded', 'hash', 'entry'])
            .where('seq', '=', seq)
            .executeTakeFirst()
        : undefined;
      if (!row) throw notFound(`AuditEvent/${request.params.id} does not exist`);
      await recordAuditRead(request, `AuditEvent/${seq}`);
      return reply.type(FHIR_JSON).send(toAuditEvent({ ...row, seq: Number(row.seq) }));
    },
  );

  /** The patient a patient or caregiver acts for in this request (their own, or one they are authorized for). */
  const actingFor = async (context: AccessContext, requested?: string): Promise<string> => {
    const patients = await patientsOf(store, context);
    const id = requested ?? patients[0]?.id;
    if (!id || !patients.some((p) => p.id === id))
      throw notFound('no such patient among those you may act for');
    return id;
  };

  app.get(
    '/api/me/patients',
    { schema: { tags: ['portal'], summary: 'Patients I may act for' } },
    async (request) => {
      const context = requireUser(request);
      return { patients: await patientsOf(store, context) };
    },
  );

  app.get(
    '/api/me/access-log',
    { schema: { tags: ['portal'], summary: 'Who accessed my record' } },
    async (request) => {
      const context = requireUser(request);
      if (context.role !== 'patient' && context.role !== 'caregiver')
        throw forbidden('this list is for patients and their caregivers; auditors use /audit/events');
      const q = request.query as Record<string, string | undefined>;
      const patientId = await actingFor(context, q.patient);
      const { limit, before } = parse(auditQuery.pick({ limit: true, before: true }), q);
      return accessLog(database.db, patientId, { limit, before });
    },
  );

  app.post(
    '/api/break-glass',
    {
      schema: { tags: ['access'], summary: 'Emergency access to one patient' },
      // A grant opens a whole record: a token needs write scope on Patient to ask for one.
      config: { access: { writes: ['Patient'] } },
    },
    async (request) => {
      const context = requireUser(request);
      const body = parse(
        z.object({
          patientId: z.string().max(64).optional(),
          mrn: z.string().max(100).optional(),
          reason: z.string(),
        }),
        request.body ?? {},
      );
      const granted = await breakGlass(store, context, body);
      request.log.warn({ actor: context.actor }, 'break-the-glass access granted');
      return granted;
    },
  );

  app.post(
    '/api/assignments',
    {
      schema: { tags: ['access'], summary: 'Assign a patient to a user' },
      config: { access: { writes: ['Patient'] } },
    },
    async (request, reply) => {
      const context = requireUser(request);
      const body = parse(
        z.object({
          patientId: z.string().max(64),
          userId: z.string().max(64),
          until: z.iso.datetime({ offset: true }).optional(),
        }),
        request.body ?? {},
      );
      if (context.role !== 'care-coordinator' && context.role !== 'physician')
        throw forbidden('assignments are made by care coordinators and physicians');
      if (body.userId === context.userId) throw forbidden('you cannot assign a patient to yourself');
      // The one who assigns must reach the patient (404 otherwise, as for any record out of reach)
      // by a standing relationship: emergency access or an assignment is no ground to pass access on.
      const asUser = store.as(context);
      await asUser.read('Patient', body.patientId);
      await assertStandingRelationship(
        database.db,
        await asUser.grants(),
        body.patientId,
        'assigning the patient',
        clock.now().getTime(),
      );
      const user = await database.db
        .selectFrom('users')
        .select(['id', 'role'])
        .where('id', '=', body.userId)
        .executeTakeFirst();
      if (!user) throw badRequest('no such user', 'userId');
      if (['patient', 'caregiver', 'integration', 'auditor', 'admin'].includes(user.role))
        throw badRequest(`a ${user.role} cannot be assigned patients`, 'userId');
      const now = clock.now();
      await database.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('access_relationships')
          .values({
            patient_id: body.patientId,
            principal: `User/${user.id}`,
            kind: 'assignment',
            source_rid: null,
            starts_ms: now.getTime(),
            expires_ms: body.until ? Date.parse(body.until) : null,
            created_at: now.toISOString(),
            created_by: context.actor,
            reason: null,
          })
          .execute();
        await appendAudit(
          database,
          trx,
          {
            action: 'assignment',
            outcome: 'success',
            actor: context.actor,
            role: context.role,
            patientIds: [body.patientId],
            purposeOfUse: context.purposeOfUse,
            clientAddress: request.ip,
            detail: `assigned to User/${user.id}${body.until ? ` until ${body.until}` : ''}`,
          },
          now,
        );
      });
      return reply.code(201).send({ patientId: body.patientId, userId: user.id, until: body.until ?? null });
    },
  );
}

/** The patients a patient (themselves) or caregiver (by proxy consent) may act for, with display names. */
async function patientsOf(
  store: ResourceStore,
  context: AccessContext,
): Promise<{ id: string; name: string; birthDate?: string }[]> {
  if (context.role !== 'patient' && context.role !== 'caregiver') return [];
  const bundle = await store.as(context).search('Patient', [['_count', '50']], 'urn:careloop:me');
  return (bundle.entry ?? []).map((e) => {
    const patient = e.resource as Patient;
    const name = patient.name?.[0];
    return {
      id: patient.id!,
      name: name?.text ?? ([name?.given?.join(' '), name?.family].filter(Boolean).join(' ') || patient.id!),
      ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
    };
  });
}
