/**
 * The audit trail as FHIR R4 AuditEvent, for auditors and for exchange (R4 auditevent.html). Each
 * stored entry maps to one AuditEvent: REST interactions as type `rest` with the restful-interaction
 * subtype, sign-in and sign-out as DICOM user authentication, the rest as CareLoop's own subtypes.
 */
import type { AuditEvent, AuditEventEntity } from 'fhir/r4.js';
import type { AuditEntry } from './audit-trail.js';

const restful: Record<string, string> = {
  read: 'read',
  vread: 'vread',
  search: 'search-type',
  history: 'history-type',
  create: 'create',
  update: 'update',
  patch: 'patch',
  delete: 'delete',
  write: 'batch',
  everything: 'operation',
};

const crud: Record<string, AuditEvent['action']> = {
  read: 'R',
  vread: 'R',
  search: 'E',
  history: 'R',
  everything: 'E',
  create: 'C',
  update: 'U',
  patch: 'U',
  write: 'U',
  delete: 'D',
};

/** The stored audit row as AuditEvent/{seq}. */
export function toAuditEvent(row: {
  seq: number;
  recorded: string;
  hash: string;
  entry: string;
}): AuditEvent {
  const e = JSON.parse(row.entry) as AuditEntry;
  const rest = restful[e.action];
  const auth = e.action === 'sign-in' || e.action === 'sign-in-failed' || e.action === 'sign-out';
  const entity: AuditEventEntity[] = [
    ...(e.patientIds ?? []).map((id) => ({
      what: { reference: `Patient/${id}` },
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '1',
        display: 'Person',
      },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
    })),
    ...(e.resources ?? [])
      .filter((r) => /^[A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(r))
      .map((r) => ({
        what: { reference: r },
        type: {
          system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
          code: '2',
          display: 'System Object',
        },
        role: {
          system: 'http://terminology.hl7.org/CodeSystem/object-role',
          code: '4',
          display: 'Domain Resource',
        },
      })),
  ];
  return {
    resourceType: 'AuditEvent',
    id: String(row.seq),
    meta: { versionId: '1', lastUpdated: row.recorded },
    type: rest
      ? {
          system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
          code: 'rest',
          display: 'RESTful Operation',
        }
      : auth
        ? {
            system: 'http://dicom.nema.org/resources/ontology/DCM',
            code: '110114',
            display: 'User Authentication',
          }
        : {
            system: 'https://careloop.org/fhir/CodeSystem/audit-event-type',
            code: 'careloop',
            display: 'CareLoop event',
          },
    subtype: [
      rest
        ? { system: 'http://hl7.org/fhir/restful-interaction', code: rest }
        : auth
          ? {
              system: 'http://dicom.nema.org/resources/ontology/DCM',
              code: e.action === 'sign-out' ? '110123' : '110122',
              display: e.action === 'sign-out' ? 'Logout' : 'Login',
            }
          : { system: 'https://careloop.org/fhir/CodeSystem/audit-event-subtype', code: e.action },
    ],
    ...(crud[e.action] ? { action: crud[e.action] } : {}),
    recorded: row.recorded,
    // R4 AuditEvent.outcome: 0 success, 4 minor failure (a refusal), 8 serious failure.
    outcome: e.outcome === 'success' ? '0' : e.outcome === 'denied' ? '4' : '8',
    ...(e.detail ? { outcomeDesc: e.detail } : {}),
    ...(e.purposeOfUse
      ? {
          purposeOfEvent: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: e.purposeOfUse },
              ],
            },
          ],
        }
      : {}),
    agent: [
      {
        ...(e.role ? { type: { text: e.role } } : {}),
        who: e.actor ? { reference: e.actor } : { display: 'anonymous' },
        requestor: true,
        ...(e.clientAddress ? { network: { address: e.clientAddress, type: '2' as const } } : {}),
      },
      ...(e.onBehalfOf
        ? [{ who: { reference: e.onBehalfOf }, requestor: false, type: { text: 'on behalf of' } }]
        : []),
    ],
    source: {
      observer: { display: 'CareLoop' },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    ...(entity.length ? { entity } : {}),
    // The chain hash, so an exported event can be checked against the trail.
    extension: [
      { url: 'https://careloop.org/fhir/StructureDefinition/audit-chain-hash', valueString: row.hash },
    ],
  };
}
