/**
 * RDE pharmacy orders into the discharge list, on both databases: the public RDE^O11 sample
 * (Microsoft FHIR-Converter, test/fixtures/hl7v2) and an RxNorm-coded discharge order that lands on
 * the reconciliation of its visit; each order is filed once however often it is resent; unknown
 * patients and visits are answered AE 204 with nothing written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MedicationRequest } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEncounter, buildPatient, buildTask } from '../../../test/support/factories.js';
import {
  databaseTargets,
  openTestDatabase,
  type TestDatabase,
  testStore,
} from '../../../test/support/test-databases.js';
import { systemContext } from '../../access/access-context.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import { parseHl7 } from '../../integrations/hl7/hl7-message.js';
import { HL7_AUTHORITY_PREFIX, HL7_VISIT_PREFIX } from '../transitions/transitions.rules.js';
import { RECONCILIATION_TASK_CODE, RXNORM, TASK_CODE_SYSTEM } from './medication-reconciliation.rules.js';
import { loadReconciliation } from './medication-reconciliation.service.js';
import { HL7_PLACER_PREFIX, handleRdeMessage } from './rde.handler.js';

const fixture = readFileSync(
  join(import.meta.dirname, '../../../test/fixtures/hl7v2/RDE-O11-01.hl7'),
  'utf8',
);

/** An RDE^O11 (v2.5.1) for MRN 7001 at GOODHOSP, visit V-88, with one order group. */
function rde(order: {
  control?: string;
  placer?: string;
  amount?: string;
  pattern?: string;
  visit?: string;
  mrn?: string;
}) {
  return [
    'MSH|^~\\&|PHARMACY|GOODHOSP|CARELOOP|CARELOOP|202611241030||RDE^O11^RDE_O11|CTRL-1|P|2.5.1',
    `PID|1||${order.mrn ?? '7001'}^^^GOODHOSP^MR||RIVERA^ANA`,
    `PV1|1|I|4E^401^A||||||||||||||||${order.visit ?? 'V-88'}^^^GOODHOSP^VN`,
    `ORC|${order.control ?? 'NW'}|${order.placer ?? 'ORD-1'}^PHARMACY|||||||20261124103000-0500`,
    `RXE|^${order.pattern ?? 'QD'}|314077^lisinopril 20 MG Oral Tablet^RXNORM|${order.amount ?? '1'}||TAB^tablet^HL70292|||||30^TAB`,
    'RXR|PO^Oral',
  ].join('\r');
}

describe.each(databaseTargets)('RDE handler ($name)', ({ name, available }) => {
  let db: TestDatabase;
  let store: ResourceStore;

  beforeAll(async () => {
    if (!available) return;
    db = await openTestDatabase(name);
    store = testStore(db.database);
    // As the ADT handler files them: PID-3 under its authority (CX-4), PV1-19 under the visit prefix.
    await store.update('Patient', 'p-fixture', {
      ...buildPatient({ identifier: [{ system: `${HL7_AUTHORITY_PREFIX}test1`, value: 'PATID1234' }] }),
      id: 'p-fixture',
    });
    await store.update('Encounter', 'e-fixture', {
      ...buildEncounter('p-fixture', {
        identifier: [{ system: `${HL7_VISIT_PREFIX}AccMng`, value: '40007716' }],
      }),
      id: 'e-fixture',
    });
    await store.update('Patient', 'p1', {
      ...buildPatient({ identifier: [{ system: `${HL7_AUTHORITY_PREFIX}GOODHOSP`, value: '7001' }] }),
      id: 'p1',
    });
    await store.update('Encounter', 'e1', {
      ...buildEncounter('p1', {
        identifier: [{ system: `${HL7_VISIT_PREFIX}GOODHOSP`, value: 'V-88' }],
        period: { start: '2026-11-20T08:00:00Z', end: '2026-11-24T15:00:00Z' },
      }),
      id: 'e1',
    });
  }, 60_000);
  afterAll(async () => db?.cleanup());

  /** Runs the handler as the transport does: in one transaction, as the HL7 intake's account. */
  const handle = (raw: string, messageId = 'msg-1') =>
    store.as(systemContext('hl7-intake')).transaction((s) =>
      handleRdeMessage({
        store: s,
        message: parseHl7(raw),
        receivedAt: new Date('2026-11-24T15:30:00Z'),
        messageId,
        timeZone: 'America/New_York',
      }),
    );
  const ordersOf = async (patient: string) => {
    const bundle = await store.search('MedicationRequest', [['patient', `Patient/${patient}`]], '');
    return (bundle.entry ?? []).map((e) => e.resource as MedicationRequest);
  };
  const rejection = async (raw: string): Promise<Hl7ProcessingError> => {
    try {
      await handle(raw);
    } catch (err) {
      if (err instanceof Hl7ProcessingError) return err;
      throw err;
    }
    throw new Error('expected the message to be refused');
  };

  it.runIf(available)('files the public RDE^O11 sample once, however often it is received', async () => {
    await handle(fixture, 'msg-a');
    await handle(fixture, 'msg-b');
    const orders = await ordersOf('p-fixture');
    expect(orders).toHaveLength(1);
    const [order] = orders;
    expect(order).toMatchObject({
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p-fixture' },
      encounter: { reference: 'Encounter/e-fixture' },
      identifier: [
        { system: `${HL7_PLACER_PREFIX}EPC`, value: '1163422591' },
        { system: 'https://careloop.org/fhir/hl7-message', value: 'msg-a' },
      ],
      medicationCodeableConcept: {
        coding: [{ system: 'http://hl7.org/fhir/sid/ndc', code: '0143963401' }],
        text: 'niCARdipine (CARDENE) in NaCl IV infusion 40 mg/200 mL (0.2 mg/mL)',
      },
      authoredOn: '2019-11-04T04:12:26.000Z', // ORC-9 06:27:26 at +02:15
    });
    const dosage = order!.dosageInstruction![0]!;
    expect(dosage.doseAndRate).toEqual([{ doseQuantity: { value: 5, unit: 'mg/hr' } }]);
    // TQ1-3 TID of the order's timing (the TQ1 after RXE carries a pattern CareLoop does not read).
    expect(dosage.timing).toEqual({ repeat: { frequency: 3, period: 1, periodUnit: 'd' } });
    expect(dosage.route).toMatchObject({ coding: [{ code: 'IV' }], text: 'Intravenous' });
    expect(dosage.text).toMatch(/^Titrate to BP less than 180; Starting dose is 5 mg\/hr/);
  });

  it.runIf(available)('puts an RxNorm discharge order on the reconciliation of its visit, once', async () => {
    await store.update('MedicationRequest', 'before-lisinopril', {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      medicationCodeableConcept: {
        coding: [{ system: RXNORM, code: '314076' }],
        text: 'Lisinopril 10 mg tablet',
      },
      authoredOn: '2026-05-01T09:00:00Z',
      dosageInstruction: [{ text: 'Take 1 tablet by mouth once daily' }],
    });
    await store.update('Task', 'rec1', {
      ...buildTask('p1', {
        code: { coding: [{ system: TASK_CODE_SYSTEM, code: RECONCILIATION_TASK_CODE }] },
        focus: { reference: 'Encounter/e1' },
      }),
      id: 'rec1',
    });
    await handle(rde({}), 'msg-1');
    await handle(rde({}), 'msg-1-resent');
    const discharge = (await ordersOf('p1')).filter((o) => o.encounter?.reference === 'Encounter/e1');
    expect(discharge).toHaveLength(1);
    expect(discharge[0]!.authoredOn).toBe('2026-11-24T15:30:00.000Z');
    const view = await loadReconciliation(store, 'rec1');
    expect(view.lines.map((l) => [l.kind, l.detail])).toEqual([['dose-changed', 'dose 10 mg → 20 mg']]);
    expect(view.lines[0]!.after?.reference).toBe(`MedicationRequest/${discharge[0]!.id}`);

    // A change order (XO) edits the same MedicationRequest; a discontinue (DC) takes it off the list.
    await handle(rde({ control: 'XO', amount: '2', pattern: 'BID' }), 'msg-2');
    const changed = (await store.read('MedicationRequest', discharge[0]!.id!)) as MedicationRequest;
    expect(changed.dosageInstruction?.[0]).toMatchObject({
      timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
      doseAndRate: [{ doseQuantity: { value: 2, unit: 'tablet' } }],
    });
    expect((await loadReconciliation(store, 'rec1')).lines[0]!.detail).toBe(
      'dose 10 mg → 40 mg; frequency once daily → twice daily',
    );
    await handle(rde({ control: 'DC' }), 'msg-3');
    expect(((await store.read('MedicationRequest', discharge[0]!.id!)) as MedicationRequest).status).toBe(
      'stopped',
    );
    expect((await loadReconciliation(store, 'rec1')).lines.map((l) => l.kind)).toEqual(['stopped']);
  });

  it.runIf(available)('reads an RDE^O01 (v2.3) order the same way, frequency from RXE-1', async () => {
    const raw = rde({ placer: 'ORD-O01', pattern: 'Q8H' })
      .replace('RDE^O11^RDE_O11', 'RDE^O01')
      .replace('|P|2.5.1', '|P|2.3');
    await handle(raw, 'msg-o01');
    const [order] = (await ordersOf('p1')).filter((o) => o.identifier?.[0]?.value === 'ORD-O01');
    expect(order?.status).toBe('active');
    expect(order?.dosageInstruction?.[0]?.timing).toEqual({
      repeat: { frequency: 1, period: 8, periodUnit: 'h' },
    });
  });

  it.runIf(available)('answers AE 204 for an unknown patient or visit and writes nothing', async () => {
    const before = (await ordersOf('p1')).length;
    const patient = await rejection(rde({ mrn: '999999', placer: 'ORD-9' }));
    expect([patient.ackCode, patient.errorCode, patient.location]).toEqual(['AE', '204', 'PID-3']);
    const visit = await rejection(rde({ visit: 'V-404', placer: 'ORD-9' }));
    expect([visit.ackCode, visit.errorCode, visit.location]).toEqual(['AE', '204', 'PV1-19']);
    const unknownOrder = await rejection(rde({ control: 'DC', placer: 'ORD-404' }));
    expect([unknownOrder.errorCode, unknownOrder.location]).toEqual(['204', 'ORC-2']);
    const control = await rejection(rde({ control: 'ZZ', placer: 'ORD-9' }));
    expect([control.errorCode, control.location]).toEqual(['103', 'ORC-1']);
    const amount = await rejection(rde({ amount: 'two', placer: 'ORD-9' }));
    expect([amount.errorCode, amount.location]).toEqual(['102', 'RXE-3']);
    expect((await ordersOf('p1')).length).toBe(before);
    const event = await rejection(rde({}).replace('RDE^O11^RDE_O11', 'RDE^O25^RDE_O25'));
    expect([event.ackCode, event.errorCode]).toEqual(['AR', '201']);
  });
});
