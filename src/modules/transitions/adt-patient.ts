/**
 * PID → Patient: find the patient the message is about (by its PID-3 identifiers) and keep the
 * demographics current. Only fields that were sent change anything: an empty field leaves what is
 * stored, the explicit null `""` erases it (HL7 v2.5.1 §2.5.3).
 */
import type { Identifier, Patient } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import type { Hl7Message, Hl7Segment } from '../../integrations/hl7/hl7-message.js';
import { demographicsOf } from '../patient-matching/matcher.js';
import { createMatchReviewTask, findPatientMatch } from '../patient-matching/patient-matching.service.js';
import {
  addressesOf,
  hl7Date,
  hl7DateTime,
  identifierQuery,
  identifiersOf,
  isErased,
  namesOf,
  telecomsOf,
} from './adt-fields.js';
import { sexMap } from './transitions.rules.js';

/** The outcome of looking a patient up, in the shape of the patient-matching module's answer. */
export interface PatientLookup {
  decision: 'identifier' | 'new';
  patientId?: string;
  candidates: { patientId: string }[];
}

/**
 * Finds the patient holding one of `identifiers` (the first that matches, MRNs first). A merged-away
 * patient (A40: inactive, link replaced-by) is followed to the one that replaced it.
 */
export async function findPatientByIdentifier(
  store: ResourceStore,
  identifiers: Identifier[],
): Promise<PatientLookup> {
  const ordered = [...identifiers].sort((a, b) => Number(b.use === 'usual') - Number(a.use === 'usual'));
  for (const identifier of ordered) {
    const [id] = await store.matchIds('Patient', identifierQuery(identifier), 1);
    if (!id) continue;
    let patientId = id;
    for (let hops = 0; hops < 5; hops++) {
      const patient = (await store.read('Patient', patientId)) as Patient;
      const next = patient.link?.find((l) => l.type === 'replaced-by')?.other.reference;
      if (patient.active !== false || !next?.startsWith('Patient/')) break;
      patientId = next.slice('Patient/'.length);
    }
    return { decision: 'identifier', patientId, candidates: [{ patientId }] };
  }
  return { decision: 'new', candidates: [] };
}

/** The PID-3 identifiers; AE 101 when there are none. */
export function patientIdentifiers(message: Hl7Message, pid: Hl7Segment): Identifier[] {
  const identifiers = identifiersOf(pid.field(3), message.sendingFacility);
  if (identifiers.length === 0)
    throw new Hl7ProcessingError('AE', '101', 'PID-3', 'PID-3: the patient identifier list is empty');
  return identifiers;
}

/** Applies the PID's demographics to `patient` (a copy is returned). */
export function applyPid(
  patient: Patient,
  pid: Hl7Segment,
  identifiers: Identifier[],
  timeZone: string,
): Patient {
  const next: Patient = { ...patient };
  const known = new Set((patient.identifier ?? []).map((i) => `${i.system}|${i.value}`));
  const added = identifiers.filter((i) => !known.has(`${i.system}|${i.value}`));
  if (added.length) next.identifier = [...(patient.identifier ?? []), ...added];

  /** Sets, erases or keeps one element from one field. */
  const take = <K extends keyof Patient>(n: number, key: K, value: () => Patient[K] | undefined) => {
    const field = pid.field(n);
    if (isErased(field)) delete next[key];
    else if (!field.isEmpty()) {
      const v = value();
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) next[key] = v;
    }
  };
  take(5, 'name', () => namesOf(pid.field(5)));
  take(7, 'birthDate', () => hl7Date(pid.field(7).value(1), 'PID-7'));
  take(8, 'gender', () => {
    const code = pid.field(8).value(1).trim();
    const gender = sexMap[code];
    if (!gender)
      throw new Hl7ProcessingError(
        'AE',
        '103',
        'PID-8',
        `PID-8: "${code}" is not in table 0001 (A F M N O U)`,
      );
    return gender;
  });
  take(11, 'address', () => addressesOf(pid.field(11)));
  if (isErased(pid.field(13))) delete next.telecom;
  else if (!pid.field(13).isEmpty() || !pid.field(14).isEmpty()) {
    const business = telecomsOf(pid.field(14)).map((t) => ({ ...t, use: t.use ?? ('work' as const) }));
    const telecom = [...telecomsOf(pid.field(13)), ...business];
    if (telecom.length) next.telecom = telecom;
  }
  take(15, 'communication', () => {
    const f = pid.field(15);
    const code = f.value(1).trim();
    const text = f.value(2).trim();
    if (!code && !text) return undefined;
    return [
      {
        language: {
          ...(code ? { coding: [{ system: 'urn:ietf:bcp:47', code: code.toLowerCase() }] } : {}),
          ...(text ? { text } : {}),
        },
        preferred: true,
      },
    ];
  });
  // PID-29 death date/time and PID-30 death indicator (Y/N) share one FHIR choice element.
  const deathAt = pid.field(29);
  const deathFlag = pid.field(30).value(1).trim().toUpperCase();
  if (isErased(deathAt) || isErased(pid.field(30))) {
    delete next.deceasedDateTime;
    delete next.deceasedBoolean;
  } else if (!deathAt.isEmpty() && deathFlag !== 'N') {
    delete next.deceasedBoolean;
    next.deceasedDateTime = hl7DateTime(deathAt.value(1), 'PID-29', timeZone);
  } else if (deathFlag === 'Y' || deathFlag === 'N') {
    delete next.deceasedDateTime;
    next.deceasedBoolean = deathFlag === 'Y';
  }
  return next;
}

/** True when the PID says the patient died (PID-30 Y, or a death date without N). */
export function pidReportsDeath(pid: Hl7Segment): boolean {
  const flag = pid.field(30).value(1).trim().toUpperCase();
  return flag === 'Y' || (flag !== 'N' && !pid.field(29).isEmpty() && !isErased(pid.field(29)));
}

/**
 * The message's patient: matched by the patient-matching module (identifier first, then demographics),
 * created when new and updated from the PID otherwise (one write, and none when nothing changed, so a
 * resend writes no new version). A doubtful match creates a new Patient and a data-steward review task.
 */
export async function upsertPatient(
  store: ResourceStore,
  message: Hl7Message,
  timeZone: string,
): Promise<Patient> {
  const pid = message.segment('PID');
  if (!pid) throw new Hl7ProcessingError('AE', '101', 'PID', 'the PID segment is missing');
  const identifiers = patientIdentifiers(message, pid);
  const incoming = applyPid({ resourceType: 'Patient', active: true }, pid, identifiers, timeZone);
  const match = await findPatientMatch(store, demographicsOf(incoming));
  let decision = match.decision;
  let stored =
    match.patientId && (decision === 'identifier' || decision === 'link')
      ? ((await store.read('Patient', match.patientId)) as Patient)
      : undefined;
  // A demographic match that already holds another number from the same assigning authority is
  // another person to that authority (it issues one MRN per person): a steward decides, not a score.
  if (stored && decision === 'link' && holdsOtherNumber(stored, identifiers)) {
    stored = undefined;
    decision = 'review';
  }
  if (!stored) {
    const created = (await store.create(incoming)).resource as Patient;
    if (decision === 'review')
      await createMatchReviewTask(store, {
        incomingPatientId: created.id!,
        candidates: match.candidates,
        source: `HL7 ${message.messageType}^${message.event} from ${message.sendingFacility || 'unknown facility'}`,
      });
    return created;
  }
  const next = applyPid(stored, pid, identifiers, timeZone);
  if (sameContent(stored, next)) return stored;
  return (await store.update('Patient', stored.id!, next)).resource as Patient;
}

/** True when `patient` has an identifier in one of the systems of `incoming` with a different value. */
function holdsOtherNumber(patient: Patient, incoming: Identifier[]): boolean {
  return incoming.some((i) =>
    (patient.identifier ?? []).some((p) => p.system === i.system && p.value !== i.value),
  );
}

/** Equal apart from meta (what the store adds). */
export function sameContent(a: object, b: object): boolean {
  const strip = (r: object) => JSON.stringify({ ...r, meta: undefined });
  return strip(a) === strip(b);
}
