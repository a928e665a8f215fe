/**
 * HL7 v2 RDE (pharmacy/treatment encoded order, events O11 and O01) → MedicationRequest of the
 * patient's visit: the discharge list the reconciliation compares (docs/medication-reconciliation.md).
 * One MedicationRequest per ORC/RXE order group, identified by the placer order number (ORC-2), so a
 * resent message changes nothing and a later XO/DC/CA for the same order updates the same resource.
 *
 * Field map (HL7 v2.5.1 chapter 4A, Pharmacy/Treatment Orders; v2-to-FHIR IG RXE → MedicationRequest):
 * ORC-1 order control, ORC-2 placer number, ORC-9 transaction time; RXE-1 quantity/timing (its
 * interval's repeat pattern) or TQ1-3 repeat pattern for the frequency; RXE-2 give code; RXE-3/RXE-4
 * give amount minimum/maximum; RXE-5 give units; RXE-7 administration instructions; RXR-1 route.
 * Patients and visits are found the way the ADT handler files them (src/modules/transitions).
 */
import type { CodeableConcept, Dosage, Identifier, MedicationRequest } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { type Hl7Handler, Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import { type Hl7Message, type Hl7Segment, segmentLines } from '../../integrations/hl7/hl7-message.js';
import { findEncounter, visitIdentifier } from '../transitions/adt-encounter.js';
import { hl7DateTime, identifierQuery } from '../transitions/adt-fields.js';
import { findPatientByIdentifier, patientIdentifiers } from '../transitions/adt-patient.js';
import { HL7_ACCOUNT_PREFIX } from '../transitions/transitions.rules.js';
import { frequencyFromRepeatPattern } from './medication-entry.js';
import { NDC, RXNORM } from './medication-reconciliation.rules.js';

/** MedicationRequest.identifier system of placer order numbers, per namespace (ORC-2.2, else MSH-3). */
export const HL7_PLACER_PREFIX = 'urn:careloop:hl7-placer:';
/** The message that created a resource (docs/hl7-intake.md). */
export const HL7_MESSAGE_SYSTEM = 'https://careloop.org/fhir/hl7-message';

/** RDE events handled: O11 (v2.4+) and O01 (v2.3). */
export const rdeEvents = ['O11', 'O01'] as const;

/** ORC-1 order control (HL7 table 0119) → MedicationRequest.status. */
export const orderControlStatus: Record<string, MedicationRequest['status']> = {
  NW: 'active', // new order
  OK: 'active', // order accepted
  XO: 'active', // change order
  XX: 'active', // changed as requested
  RP: 'active', // order replace
  RO: 'active', // replacement order
  SC: 'active', // status changed
  RE: 'active', // observations to follow
  HD: 'on-hold', // hold order
  OH: 'on-hold', // order held as requested
  RL: 'active', // release previous hold
  DC: 'stopped', // discontinue order
  OD: 'stopped', // discontinued as requested
  CA: 'cancelled', // cancel order
  OC: 'cancelled', // order cancelled
};

/** HL7 table 0396 coding systems → FHIR code systems. */
const codingSystems: Record<string, string> = { RXNORM: RXNORM, RXN: RXNORM, NDC: NDC };

interface OrderGroup {
  orc: Hl7Segment;
  rxe?: Hl7Segment;
  rxr?: Hl7Segment;
  tq1: Hl7Segment[];
}

/** The ORC groups of the message in order, each with its RXE, the RXR after it and its TQ1s. */
function orderGroups(message: Hl7Message): OrderGroup[] {
  const seen: Record<string, number> = {};
  const groups: OrderGroup[] = [];
  for (const line of segmentLines(message.raw)) {
    const name = line.slice(0, 3);
    const index = seen[name] ?? 0;
    seen[name] = index + 1;
    const segment = message.segments(name)[index];
    if (!segment) continue;
    const group = groups.at(-1);
    if (name === 'ORC') groups.push({ orc: segment, tq1: [] });
    else if (!group) continue;
    else if (name === 'RXE') group.rxe ??= segment;
    // The RXR after the RXE is the give route; one before it belongs to the RXO (the order as asked).
    else if (name === 'RXR' && group.rxe) group.rxr ??= segment;
    else if (name === 'TQ1') group.tq1.push(segment);
  }
  return groups;
}

function codeOf(rxe: Hl7Segment): CodeableConcept {
  const f = rxe.field(2);
  const coding = [
    [f.value(1), f.value(2), f.value(3)],
    [f.value(4), f.value(5), f.value(6)],
  ]
    .filter(([code]) => code?.trim())
    .map(([code, display, system]) => {
      const known = codingSystems[system!.trim().toUpperCase()];
      return {
        system: known ?? `urn:careloop:hl7-coding-system:${encodeURIComponent(system!.trim() || 'local')}`,
        code: code!.trim(),
        ...(display?.trim() ? { display: display.trim() } : {}),
      };
    });
  const text = (f.value(9) || f.value(2) || f.value(5)).trim();
  return { ...(coding.length ? { coding } : {}), ...(text ? { text } : {}) };
}

function number(segment: Hl7Segment, n: number, location: string): number | undefined {
  const raw = segment.field(n).value(1).trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Hl7ProcessingError('AE', '102', location, `${location}: "${raw}" is not a number`);
  return value;
}

function dosageOf(group: OrderGroup): Dosage {
  const rxe = group.rxe!;
  const min = number(rxe, 3, 'RXE-3');
  const max = number(rxe, 4, 'RXE-4');
  const units = rxe.field(5);
  const unit = (units.value(2) || units.value(1)).trim();
  const ucum = /^(UCUM|ISO\+|ANS\+)$/i.test(units.value(3).trim());
  const quantity = (value: number) => ({
    value,
    ...(unit ? { unit } : {}),
    ...(ucum ? { system: 'http://unitsofmeasure.org', code: units.value(1).trim() } : {}),
  });
  const text = rxe
    .field(7)
    .repetitions()
    .map((r) => (r.value(2) || r.value(1)).trim())
    .filter(Boolean)
    .join('; ');
  const patterns = [...group.tq1.map((t) => t.field(3).value(1, 1)), rxe.field(1).value(2, 1)];
  const repeat = patterns.map((p) => (p.trim() ? frequencyFromRepeatPattern(p) : undefined)).find(Boolean);
  const route = group.rxr?.field(1);
  return {
    ...(text ? { text } : {}),
    ...(repeat
      ? {
          timing: {
            repeat: { frequency: repeat.frequency, period: repeat.period, periodUnit: repeat.periodUnit },
          },
        }
      : {}),
    ...(repeat?.asNeeded ? { asNeededBoolean: true } : {}),
    ...(route && !route.isEmpty()
      ? {
          route: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/v2-0162', code: route.value(1).trim() },
            ],
            ...(route.value(2).trim() ? { text: route.value(2).trim() } : {}),
          },
        }
      : {}),
    ...(min !== undefined
      ? {
          doseAndRate: [
            max !== undefined && max !== min
              ? { doseRange: { low: quantity(min), high: quantity(max) } }
              : { doseQuantity: quantity(min) },
          ],
        }
      : {}),
  };
}

function placerOf(message: Hl7Message, orc: Hl7Segment): Identifier {
  for (const n of [2, 3]) {
    const value = orc.field(n).value(1).trim();
    if (!value) continue;
    const namespace = orc.field(n).value(2).trim() || message.sendingApplication;
    return { system: `${HL7_PLACER_PREFIX}${encodeURIComponent(namespace)}`, value };
  }
  throw new Hl7ProcessingError(
    'AE',
    '101',
    'ORC-2',
    'ORC-2: the placer order number is missing (and ORC-3 too)',
  );
}

async function saveOrder(
  store: ResourceStore,
  group: OrderGroup,
  context: { message: Hl7Message; messageId: string; timeZone: string; receivedAt: Date },
  subject: string,
  encounter: string | undefined,
): Promise<void> {
  const { message } = context;
  const control = group.orc.field(1).value(1).trim().toUpperCase();
  const status = orderControlStatus[control];
  if (!status)
    throw new Hl7ProcessingError(
      'AE',
      '103',
      'ORC-1',
      `ORC-1: order control "${control}" is not one CareLoop reads (table 0119)`,
    );
  if (!group.rxe) throw new Hl7ProcessingError('AE', '100', 'RXE', 'RXE: an order group has no RXE segment');
  const placer = placerOf(message, group.orc);
  const [existingId] = await store.matchIds('MedicationRequest', identifierQuery(placer), 1);
  const existing = existingId
    ? ((await store.read('MedicationRequest', existingId)) as MedicationRequest)
    : undefined;
  if (!existing && (status === 'stopped' || status === 'cancelled'))
    throw new Hl7ProcessingError(
      'AE',
      '204',
      'ORC-2',
      `ORC-2: no order ${placer.value} is known to ${control === 'DC' ? 'discontinue' : 'cancel'}`,
    );
  // A resent new order changes nothing: the order was filed the first time.
  if (existing && control === 'NW') return;
  const medication = codeOf(group.rxe);
  if (!medication.coding && !medication.text)
    throw new Hl7ProcessingError('AE', '101', 'RXE-2', 'RXE-2: the give code is missing');
  const request: MedicationRequest = {
    resourceType: 'MedicationRequest',
    identifier: existing?.identifier ?? [placer, { system: HL7_MESSAGE_SYSTEM, value: context.messageId }],
    status,
    intent: 'order',
    medicationCodeableConcept: medication,
    subject: { reference: subject },
    ...(encounter ? { encounter: { reference: encounter } } : {}),
    authoredOn:
      hl7DateTime(group.orc.field(9).value(1), 'ORC-9', context.timeZone) ??
      existing?.authoredOn ??
      context.receivedAt.toISOString(),
    dosageInstruction: [dosageOf(group)],
    ...(status === 'stopped' || status === 'cancelled'
      ? { statusReason: { text: `HL7 ORC-1 ${control}` } }
      : {}),
  };
  if (existing) await store.update('MedicationRequest', existing.id!, { ...request, id: existing.id });
  else await store.create(request, { ifNoneExist: identifierQuery(placer) });
}

/** The RDE handler: registered by message type 'RDE' in src/integrations/hl7/hl7-handlers.ts. */
export const handleRdeMessage: Hl7Handler = async ({ store, message, receivedAt, messageId, timeZone }) => {
  if (!(rdeEvents as readonly string[]).includes(message.event))
    throw new Hl7ProcessingError(
      'AR',
      '201',
      'MSH-9.2',
      `MSH-9.2: RDE event "${message.event}" is not supported (O11, O01)`,
    );
  const pid = message.segment('PID');
  if (!pid) throw new Hl7ProcessingError('AE', '100', 'PID', 'PID: the message has no patient segment');
  const found = await findPatientByIdentifier(store, patientIdentifiers(message, pid));
  if (!found.patientId)
    throw new Hl7ProcessingError('AE', '204', 'PID-3', 'PID-3: no patient with these identifiers is known');
  const subject = `Patient/${found.patientId}`;
  const visit = visitIdentifier(message);
  let encounter: string | undefined;
  if (visit) {
    const found = await findEncounter(store, visit);
    // The visit key is PV1-19, or PID-18 (account number) when PV1-19 was not sent.
    const location = visit.system?.startsWith(HL7_ACCOUNT_PREFIX) ? 'PID-18' : 'PV1-19';
    if (!found || found.subject?.reference !== subject)
      throw new Hl7ProcessingError(
        'AE',
        '204',
        location,
        `${location}: visit ${visit.value} is not known for this patient`,
      );
    encounter = `Encounter/${found.id}`;
  }
  const groups = orderGroups(message);
  if (groups.length === 0) throw new Hl7ProcessingError('AE', '100', 'ORC', 'ORC: the message has no order');
  for (const group of groups)
    await saveOrder(store, group, { message, messageId, timeZone, receivedAt }, subject, encounter);
};
