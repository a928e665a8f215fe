/**
 * PV1 → Encounter (with its Location, attending Practitioner and facility Organization found or
 * created by identifier), DG1 → Condition and PR1 → Procedure, each created once per visit so a resent
 * message changes nothing.
 */
import type { Coding, Condition, Encounter, Identifier, Procedure, Reference } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import type { Hl7Field, Hl7Message, Hl7Segment } from '../../integrations/hl7/hl7-message.js';
import { authorityOf, authoritySystem, hl7DateTime, identifierQuery, isErased } from './adt-fields.js';
import {
  admissionTypeMap,
  DIAGNOSIS_ID_SYSTEM,
  dispositionNames,
  HL7_ACCOUNT_PREFIX,
  HL7_FACILITY_SYSTEM,
  HL7_LOCATION_SYSTEM,
  HL7_VISIT_PREFIX,
  icd10Systems,
  otherCodeSystems,
  patientClassMap,
  unknownClass,
  V2_ADMISSION_TYPE,
  V2_DISPOSITION,
} from './transitions.rules.js';

/** A CX (visit or account number) as an Encounter.identifier under `prefix` + its authority (else MSH-4). */
export function visitKey(
  field: Hl7Field | undefined,
  prefix: string,
  message: Hl7Message,
): Identifier | undefined {
  const value = field?.value(1).trim();
  if (!field || !value || value === '""') return undefined;
  const authority = authorityOf(field, 4) || message.sendingFacility;
  return { system: `${prefix}${encodeURIComponent(authority)}`, value };
}

/** The visit's key: PV1-19 visit number, else PID-18 account number (each with its authority). */
export function visitIdentifier(message: Hl7Message): Identifier | undefined {
  return (
    visitKey(message.segment('PV1')?.field(19), HL7_VISIT_PREFIX, message) ??
    visitKey(message.segment('PID')?.field(18), HL7_ACCOUNT_PREFIX, message)
  );
}

/** The visit key, or AE 101 naming PV1-19 when neither it nor PID-18 was sent. */
export function requireVisitIdentifier(message: Hl7Message): Identifier {
  const identifier = visitIdentifier(message);
  if (!identifier)
    throw new Hl7ProcessingError(
      'AE',
      '101',
      'PV1-19',
      'PV1-19: the visit number is missing (and there is no PID-18 account number to fall back on)',
    );
  return identifier;
}

/** The Encounter holding `identifier`, if any. */
export async function findEncounter(
  store: ResourceStore,
  identifier: Identifier,
): Promise<Encounter | undefined> {
  const [id] = await store.matchIds('Encounter', identifierQuery(identifier), 1);
  return id ? ((await store.read('Encounter', id)) as Encounter) : undefined;
}

/** When the event happened: EVN-6 (occurred), else EVN-2 (recorded), else MSH-7, else reception. */
export function eventTime(message: Hl7Message, receivedAt: Date, timeZone: string): string {
  const evn = message.segment('EVN');
  return (
    hl7DateTime(evn?.field(6).value(1) ?? '', 'EVN-6', timeZone) ??
    hl7DateTime(evn?.field(2).value(1) ?? '', 'EVN-2', timeZone) ??
    hl7DateTime(message.get('MSH-7'), 'MSH-7', timeZone) ??
    receivedAt.toISOString()
  );
}

/** PV1-2 → Encounter.class (v3 NullFlavor UNK when unknown). */
export function classOf(pv1: Hl7Segment | undefined): Coding {
  return patientClassMap[pv1?.field(2).value(1).trim() ?? ''] ?? unknownClass;
}

async function findOrCreate<T extends { resourceType: string }>(
  store: ResourceStore,
  resource: T & { identifier?: Identifier[] },
): Promise<Reference> {
  const { resource: saved } = await store.create(resource, {
    ifNoneExist: identifierQuery(resource.identifier![0]!),
  });
  return { reference: `${saved.resourceType}/${saved.id}` };
}

/** PV1-3 (PL: point of care ^ room ^ bed ^ facility …) → a Location found or created by its key. */
export async function locationOf(store: ResourceStore, field: Hl7Field): Promise<Reference | undefined> {
  const parts = [field.value(4, 1), field.value(1, 1), field.value(2, 1), field.value(3, 1)].map((p) =>
    p.trim(),
  );
  if (field.isEmpty() || parts.every((p) => !p)) return undefined;
  const key = parts.join('^');
  const name = parts.slice(1).filter(Boolean).join(' ') || parts[0]!;
  const ref = await findOrCreate(store, {
    resourceType: 'Location',
    identifier: [{ system: HL7_LOCATION_SYSTEM, value: key }],
    status: 'active',
    name,
    mode: 'instance',
    ...(parts[3]
      ? {
          physicalType: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
                code: 'bd',
                display: 'Bed',
              },
            ],
          },
        }
      : {}),
  });
  return { ...ref, display: name };
}

/** PV1-7 (XCN: id ^ family ^ given … ^ authority) → a Practitioner found or created by identifier. */
export async function practitionerOf(
  store: ResourceStore,
  field: Hl7Field,
  fallbackAuthority: string,
): Promise<Reference | undefined> {
  const id = field.value(1).trim();
  const family = field.value(2, 1).trim();
  const given = [field.value(3), field.value(4)].map((v) => v.trim()).filter(Boolean);
  const prefix = field.value(6).trim();
  const display = [prefix, ...given, family].filter(Boolean).join(' ') || undefined;
  if (!id) return display ? { display } : undefined;
  const authority = authorityOf(field, 9) || fallbackAuthority;
  const ref = await findOrCreate(store, {
    resourceType: 'Practitioner',
    identifier: [{ system: authoritySystem(authority), value: id }],
    active: true,
    ...(family || given.length
      ? {
          name: [
            {
              ...(family ? { family } : {}),
              ...(given.length ? { given } : {}),
              ...(prefix ? { prefix: [prefix] } : {}),
            },
          ],
        }
      : {}),
  });
  return { ...ref, ...(display ? { display } : {}) };
}

/** The facility (PV1-39, else MSH-4) → an Organization found or created by name. */
export async function facilityOf(store: ResourceStore, message: Hl7Message): Promise<Reference | undefined> {
  const name = (message.segment('PV1')?.field(39).value(1).trim() || message.sendingFacility).trim();
  if (!name || name === '""') return undefined;
  const ref = await findOrCreate(store, {
    resourceType: 'Organization',
    identifier: [{ system: HL7_FACILITY_SYSTEM, value: name }],
    active: true,
    name,
  });
  return { ...ref, display: name };
}

export interface VisitFacts {
  message: Hl7Message;
  patientId: string;
  visit: Identifier;
  timeZone: string;
}

/**
 * The Encounter as the PV1 describes it, on top of `stored` (new when undefined): class, admission
 * type, attending, admit/discharge times, disposition, facility and current location. Status and
 * the location history are the event's business (adt.service.ts).
 */
export async function applyPv1(
  store: ResourceStore,
  stored: Encounter | undefined,
  facts: VisitFacts,
): Promise<Encounter> {
  const { message, timeZone } = facts;
  const pv1 = message.segment('PV1');
  const encounter: Encounter = stored
    ? { ...stored }
    : {
        resourceType: 'Encounter',
        identifier: [
          {
            ...facts.visit,
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'VN' }] },
          },
        ],
        status: 'in-progress',
        class: classOf(pv1),
        subject: { reference: `Patient/${facts.patientId}` },
      };
  if (!pv1) return encounter;
  if (!pv1.field(2).isEmpty()) encounter.class = classOf(pv1);
  const admissionType = pv1.field(4).value(1).trim();
  if (admissionType && !isErased(pv1.field(4))) {
    const mapped = admissionTypeMap[admissionType];
    encounter.priority = {
      coding: [...(mapped ? [mapped.priority] : []), { system: V2_ADMISSION_TYPE, code: admissionType }],
    };
  }
  const attending = await practitionerOf(store, pv1.field(7), message.sendingFacility);
  if (attending) {
    const others = (encounter.participant ?? []).filter(
      (p) => !p.type?.some((t) => t.coding?.some((c) => c.code === 'ATND')),
    );
    encounter.participant = [
      ...others,
      {
        type: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
                code: 'ATND',
                display: 'attender',
              },
            ],
          },
        ],
        individual: attending,
      },
    ];
  }
  const service = pv1.field(10).value(1).trim();
  if (service && !isErased(pv1.field(10)))
    encounter.serviceType = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0069', code: service }],
    };
  const admitted = hl7DateTime(pv1.field(44).value(1), 'PV1-44', timeZone);
  if (admitted) encounter.period = { ...encounter.period, start: admitted };
  // PV1-45 repeats in v2.5+; the first repetition is the discharge.
  const discharged = hl7DateTime(pv1.field(45).repetitions()[0]?.value(1) ?? '', 'PV1-45', timeZone);
  if (discharged) encounter.period = { ...encounter.period, end: discharged };
  const disposition = pv1.field(36).value(1).trim();
  if (disposition && !isErased(pv1.field(36)))
    encounter.hospitalization = {
      ...encounter.hospitalization,
      dischargeDisposition: {
        coding: [
          {
            system: V2_DISPOSITION,
            code: disposition,
            ...(dispositionNames[disposition] ? { display: dispositionNames[disposition] } : {}),
          },
        ],
      },
    };
  const facility = await facilityOf(store, message);
  if (facility) encounter.serviceProvider = facility;
  return encounter;
}

/** Points the Encounter at `location` as its current place (the previous one completed at `at`). */
export function moveTo(encounter: Encounter, location: Reference | undefined, at: string): Encounter {
  if (!location) return encounter;
  const history = [...(encounter.location ?? [])];
  const current = history.findLast((l) => l.status === 'active');
  if (current?.location.reference === location.reference) return encounter;
  const closed = history.map((l) =>
    l.status === 'active' ? { ...l, status: 'completed' as const, period: { ...l.period, end: at } } : l,
  );
  return { ...encounter, location: [...closed, { location, status: 'active', period: { start: at } }] };
}

/** The CE of DG1-3 / PR1-3 as a CodeableConcept: ICD-10 (and other known systems) coded, else the text. */
function codeOf(
  field: Hl7Field,
  fallbackText: string,
): { coding?: Coding[]; text?: string; key: string } | undefined {
  const code = field.value(1).trim();
  const text = field.value(2).trim() || fallbackText.trim();
  const systemName = field.value(3).trim().toUpperCase();
  const system = icd10Systems[systemName] ?? otherCodeSystems[systemName];
  if (code && system)
    return {
      coding: [{ system, code, ...(text ? { display: text } : {}) }],
      ...(text ? { text } : {}),
      key: `${system}|${code}`,
    };
  if (!text && !code) return undefined;
  return { text: text || code, key: `text|${text || code}` };
}

/** DG1 → encounter-diagnosis Conditions linked to the Encounter, once per (encounter, code). */
export async function recordDiagnoses(
  store: ResourceStore,
  message: Hl7Message,
  encounter: Encounter,
  timeZone: string,
): Promise<Condition[]> {
  const out: Condition[] = [];
  for (const dg1 of message.segments('DG1')) {
    const code = codeOf(dg1.field(3), dg1.field(4).value(1));
    if (!code) continue;
    const identifier = { system: DIAGNOSIS_ID_SYSTEM, value: `${encounter.id}:${code.key}` };
    const recorded = hl7DateTime(dg1.field(5).value(1), 'DG1-5', timeZone);
    const condition: Condition = {
      resourceType: 'Condition',
      identifier: [identifier],
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/condition-category',
              code: 'encounter-diagnosis',
              display: 'Encounter Diagnosis',
            },
          ],
        },
      ],
      code: { ...(code.coding ? { coding: code.coding } : {}), ...(code.text ? { text: code.text } : {}) },
      subject: encounter.subject!,
      encounter: { reference: `Encounter/${encounter.id}` },
      ...(recorded ? { recordedDate: recorded } : {}),
    };
    const { resource } = await store.create(condition, { ifNoneExist: identifierQuery(identifier) });
    out.push(resource as Condition);
  }
  return out;
}

/** PR1 → completed Procedures during the stay, once per (encounter, code). */
export async function recordProcedures(
  store: ResourceStore,
  message: Hl7Message,
  encounter: Encounter,
  timeZone: string,
): Promise<Procedure[]> {
  const out: Procedure[] = [];
  for (const pr1 of message.segments('PR1')) {
    const code = codeOf(pr1.field(3), pr1.field(4).value(1));
    if (!code) continue;
    const identifier = { system: DIAGNOSIS_ID_SYSTEM, value: `${encounter.id}:procedure:${code.key}` };
    const performed = hl7DateTime(pr1.field(5).value(1), 'PR1-5', timeZone);
    const procedure: Procedure = {
      resourceType: 'Procedure',
      identifier: [identifier],
      status: 'completed',
      code: { ...(code.coding ? { coding: code.coding } : {}), ...(code.text ? { text: code.text } : {}) },
      subject: encounter.subject!,
      encounter: { reference: `Encounter/${encounter.id}` },
      ...(performed ? { performedDateTime: performed } : {}),
    };
    const { resource } = await store.create(procedure, { ifNoneExist: identifierQuery(identifier) });
    out.push(resource as Procedure);
  }
  return out;
}
