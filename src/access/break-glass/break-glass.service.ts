/**
 * Break-the-glass: a clinician who has no care relationship with a patient states an emergency reason
 * and gets time-limited access to that one patient. The grant is an access relationship that expires
 * on its own; the event is flagged in the audit trail (action `break-the-glass`, purpose ETREAT) and
 * appears in the privacy officer's review list (GET /audit/break-glass).
 */
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import type { AccessContext } from '../access-context.js';
import { appendAudit } from '../audit/audit-trail.js';
import { breakGlassMinutes, breakGlassRoles } from '../policy/permission-matrix.js';
import { forbidden } from '../policy/visibility.js';

export interface BreakGlassRequest {
  /** The patient's id, or their medical record number (any identifier value). */
  patientId?: string;
  mrn?: string;
  reason: string;
}

/** Grants `context`'s user emergency access to one patient; returns the patient and the expiry. */
export async function breakGlass(
  store: ResourceStore,
  context: AccessContext,
  request: BreakGlassRequest,
): Promise<{ patientId: string; expiresAt: string }> {
  if (!breakGlassRoles.includes(context.role as never) || !context.userId)
    throw forbidden(`emergency access is for ${breakGlassRoles.join(', ')} roles`);
  const reason = (request.reason ?? '').trim();
  if (reason.length < 10) throw badRequest('state the emergency in at least 10 characters', 'reason');
  if (reason.length > 1000) throw badRequest('must be at most 1000 characters', 'reason');
  if (!request.patientId && !request.mrn) throw badRequest('give the patient id or MRN', 'patientId');
  const now = store.options.clock.now();
  const expires = new Date(now.getTime() + breakGlassMinutes * 60_000);
  // The lookup runs as the server: the clinician cannot see the patient yet, which is why they are here.
  try {
    return await grant(store, context, request, reason, now, expires);
  } catch (err) {
    // A failed attempt is recorded too: probing for patients by MRN leaves a trace.
    await store.database.db.transaction().execute((trx) =>
      appendAudit(
        store.database,
        trx,
        {
          action: 'break-the-glass',
          outcome: 'failure',
          actor: context.actor,
          role: context.role,
          purposeOfUse: 'ETREAT',
          ...(context.clientAddress ? { clientAddress: context.clientAddress } : {}),
          detail: `refused: ${(err as Error).message}`,
        },
        now,
      ),
    );
    throw err;
  }
}

async function grant(
  store: ResourceStore,
  context: AccessContext,
  request: BreakGlassRequest,
  reason: string,
  now: Date,
  expires: Date,
): Promise<{ patientId: string; expiresAt: string }> {
  return store.transaction(async (system) => {
    let patientId = request.patientId;
    if (!patientId) {
      const ids = await system.matchIds('Patient', `identifier=${encodeURIComponent(request.mrn!)}`, 2);
      if (ids.length !== 1)
        throw notFound(
          ids.length === 0
            ? 'no patient has that MRN'
            : 'that MRN matches more than one patient; use the patient id',
        );
      patientId = ids[0]!;
    } else {
      const exists = await system.executor
        .selectFrom('resources')
        .select('id')
        .where('resource_type', '=', 'Patient')
        .where('id', '=', patientId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (!exists) throw notFound(`Patient/${patientId} does not exist`);
    }
    await system.executor
      .insertInto('access_relationships')
      .values({
        patient_id: patientId,
        principal: `User/${context.userId}`,
        kind: 'break-the-glass',
        source_rid: null,
        starts_ms: now.getTime(),
        expires_ms: expires.getTime(),
        created_at: now.toISOString(),
        created_by: context.actor,
        reason,
      })
      .execute();
    await appendAudit(
      store.database,
      system.executor,
      {
        action: 'break-the-glass',
        outcome: 'success',
        actor: context.actor,
        role: context.role,
        patientIds: [patientId],
        resources: [`Patient/${patientId}`],
        purposeOfUse: 'ETREAT',
        ...(context.clientAddress ? { clientAddress: context.clientAddress } : {}),
        detail: `emergency access until ${expires.toISOString()}: ${reason}`,
      },
      now,
    );
    return { patientId, expiresAt: expires.toISOString() };
  });
}
