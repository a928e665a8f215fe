/**
 * Prescriptions following common US first-line guidance (ACC/AHA 2017 hypertension, ADA Standards of Care,
 * ACC/AHA heart-failure and atrial-fibrillation guidelines, GINA asthma steps), with some switches and
 * discontinuations so that lists contain stopped as well as active orders.
 */
import type { Dosage, MedicationRequest } from 'fhir/r4.js';
import { concept, ref, SYS, ucum } from './codes.js';
import type { ChronicKey } from './conditions-data.js';
import { DRUGS, type DrugKey, ROUTES } from './medications-data.js';
import { has, type PatientContext, patientRef, put } from './patient-context.js';
import type { StaffMember } from './staffing.js';
import { DAY, fhirDate, fhirDateTime, YEAR } from './time.js';

interface Regimen {
  /** Tablets/puffs/units per administration. */
  readonly dose: number;
  /** Administrations per day (0 = as needed). */
  readonly perDay: number;
  readonly text: string;
}

const DAILY: Regimen = { dose: 1, perDay: 1, text: 'Take 1 tablet by mouth once daily' };
const TWICE: Regimen = { dose: 1, perDay: 2, text: 'Take 1 tablet by mouth twice daily' };

interface Order {
  readonly drug: DrugKey;
  readonly reason: ChronicKey;
  readonly regimen: Regimen;
  readonly prescriber: StaffMember;
  readonly stopped?: string;
}

function dosage(order: Order): Dosage {
  const drug = DRUGS[order.drug];
  const { regimen } = order;
  const dose: Dosage = { sequence: 1, text: regimen.text };
  if (regimen.perDay > 0) {
    dose.timing = { repeat: { frequency: regimen.perDay, period: 1, periodUnit: 'd' } };
  } else {
    dose.timing = { repeat: { frequency: 1, period: 4, periodMax: 6, periodUnit: 'h' } };
    dose.asNeededBoolean = true;
  }
  const [routeCode, routeDisplay] = ROUTES[drug.route];
  dose.route = concept(SYS.snomed, routeCode, routeDisplay);
  dose.doseAndRate = [{ doseQuantity: ucum(regimen.dose, drug.doseUnit[0], drug.doseUnit[1]) }];
  return dose;
}

/** Decides the patient's medication orders from their conditions and history. */
function planOrders(ctx: PatientContext): Order[] {
  const { rng, dir } = ctx;
  const orders: Order[] = [];
  const taking = new Set<DrugKey>();
  const pcp = ctx.pcp;
  const cardiologist = rng.pick(dir.staff.cardiology);
  const endocrinologist = rng.pick(dir.staff.endocrinology);
  const avoid = new Set<DrugKey>();
  const add = (
    drug: DrugKey,
    reason: ChronicKey,
    regimen = DAILY,
    prescriber = pcp,
    stopped?: string,
  ): void => {
    if (!stopped && (taking.has(drug) || avoid.has(drug))) return;
    orders.push({ drug, reason, regimen, prescriber, stopped });
    if (!stopped) taking.add(drug);
  };
  const takingAny = (...drugs: DrugKey[]): boolean => drugs.some((d) => taking.has(d));
  const dm2 = has(ctx, 'diabetes2');
  const renal = dm2 || has(ctx, 'diabetes1') || has(ctx, 'ckd');

  if (has(ctx, 'hypertension') && ctx.htnTreated) {
    // ACC/AHA 2017: thiazide or CCB first for Black patients without CKD/diabetes; ACE inhibitor with diabetes/CKD.
    const black = ctx.race === 'black';
    const first: DrugKey = renal
      ? 'lisinopril10'
      : black
        ? rng.pick(['amlodipine5', 'hctz25'] as const)
        : rng.pick(['lisinopril10', 'lisinopril10', 'amlodipine5', 'hctz25'] as const);
    const stronger: Partial<Record<DrugKey, DrugKey>> = {
      lisinopril10: 'lisinopril20',
      amlodipine5: 'amlodipine10',
    };
    if (first === 'lisinopril10' && rng.chance(0.1)) {
      // ACE-inhibitor cough affects ~10% of patients: stopped and replaced by a calcium-channel blocker.
      add('lisinopril10', 'hypertension', DAILY, pcp, 'Adverse effect: persistent dry cough');
      avoid.add('lisinopril10').add('lisinopril20');
      add('amlodipine5', 'hypertension');
    } else if (stronger[first] && rng.chance(0.15)) {
      add(first, 'hypertension', DAILY, pcp, 'Dose increased');
      add(stronger[first], 'hypertension');
    } else {
      add(first, 'hypertension');
    }
    if (rng.chance(0.35)) {
      add(takingAny('amlodipine5', 'amlodipine10') ? 'hctz25' : 'amlodipine5', 'hypertension');
    }
  }

  if (dm2 && rng.chance(0.85)) {
    // ADA Standards of Care: metformin first line, titrated to 1,000 mg twice daily as tolerated.
    const full = rng.chance(0.5);
    if (full) add('metformin500', 'diabetes2', TWICE, pcp, 'Dose titrated');
    add(
      'metformin500',
      'diabetes2',
      full
        ? { dose: 2, perDay: 2, text: 'Take 2 tablets by mouth twice daily with meals' }
        : { ...TWICE, text: 'Take 1 tablet by mouth twice daily with meals' },
    );
  }
  // ~30% of adults with diabetes use insulin (CDC NDSR 2023); all with type 1.
  if (has(ctx, 'diabetes1') || (dm2 && ctx.a1c && (ctx.a1c.start > 9 || rng.chance(0.2)))) {
    const units = rng.int(10, 40);
    add(
      'insulinGlargine',
      has(ctx, 'diabetes1') ? 'diabetes1' : 'diabetes2',
      { dose: units, perDay: 1, text: `Inject ${units} units under the skin once daily at bedtime` },
      ctx.a1c && ctx.a1c.start > 9 ? endocrinologist : pcp,
    );
  }

  // Statins: coronary disease (high intensity), hyperlipidemia, and diabetes at 40-75 (ACC/AHA 2018).
  const onStatin = () => takingAny('atorvastatin20', 'atorvastatin40', 'atorvastatin80');
  if (has(ctx, 'cad')) add(rng.chance(0.6) ? 'atorvastatin80' : 'atorvastatin40', 'cad', DAILY, cardiologist);
  if (has(ctx, 'hyperlipidemia') && !onStatin() && rng.chance(0.8)) {
    add(rng.chance(0.5) ? 'atorvastatin20' : 'atorvastatin40', 'hyperlipidemia');
  }
  if (dm2 && ctx.age >= 40 && ctx.age <= 75 && !onStatin() && rng.chance(0.6))
    add('atorvastatin20', 'diabetes2');
  if (has(ctx, 'cad') && rng.chance(0.8)) add('aspirin81', 'cad', DAILY, cardiologist);

  if (has(ctx, 'heartFailure')) {
    if (rng.chance(0.85)) add('furosemide40', 'heartFailure', DAILY, cardiologist);
    if (rng.chance(0.8)) {
      const beta = rng.pick(['carvedilol6', 'carvedilol12', 'carvedilol25'] as const);
      add(
        beta,
        'heartFailure',
        { ...TWICE, text: 'Take 1 tablet by mouth twice daily with food' },
        cardiologist,
      );
    }
    if (!takingAny('lisinopril10', 'lisinopril20') && rng.chance(0.6)) {
      add('lisinopril10', 'heartFailure', DAILY, cardiologist);
    }
    if (rng.chance(0.3)) add('spironolactone25', 'heartFailure', DAILY, cardiologist);
  }
  if (has(ctx, 'afib')) {
    // Anticoagulation per CHA2DS2-VASc; DOACs now dominate over warfarin.
    const r = rng.next();
    if (r < 0.7) add('apixaban5', 'afib', TWICE, cardiologist);
    else if (r < 0.85)
      add(
        'warfarin5',
        'afib',
        {
          dose: 1,
          perDay: 1,
          text: 'Take 1 tablet by mouth once daily in the evening or as directed by the anticoagulation clinic',
        },
        cardiologist,
      );
    const onBeta = takingAny('carvedilol6', 'carvedilol12', 'carvedilol25');
    if (!onBeta && rng.chance(0.6)) add('metoprololEr25', 'afib', DAILY, cardiologist);
  }

  const inhaler = (text: string): Regimen => ({ dose: 2, perDay: 0, text });
  const rescue = (why: string) => inhaler(`Inhale 2 puffs every 4 to 6 hours as needed for ${why}`);
  if (has(ctx, 'copd') && rng.chance(0.95)) add('albuterol', 'copd', rescue('shortness of breath'));
  if (has(ctx, 'asthma')) {
    if (rng.chance(0.9)) add('albuterol', 'asthma', rescue('wheezing'));
    // GINA step 2+: a daily inhaled corticosteroid for persistent asthma (about half of patients).
    const controller: Regimen = {
      dose: 2,
      perDay: 2,
      text: 'Inhale 2 puffs twice daily; rinse mouth after use',
    };
    if (rng.chance(0.5)) add('fluticasone', 'asthma', controller);
  }

  // SSRIs are first-line for depression and generalized anxiety (APA, NICE); some switch after a poor response.
  if (has(ctx, 'depression') && ctx.age >= 12) {
    const r = rng.next();
    if (r < 0.2) add('escitalopram10', 'depression', DAILY, pcp, 'Ineffective; switched to sertraline');
    if (r < 0.55) add('sertraline50', 'depression');
    else if (r < 0.85) add('escitalopram10', 'depression');
  }
  const onSsri = takingAny('sertraline50', 'escitalopram10');
  if (has(ctx, 'anxiety') && ctx.age >= 12 && !onSsri && rng.chance(0.5)) {
    add(rng.chance(0.6) ? 'escitalopram10' : 'sertraline50', 'anxiety');
  }
  return orders;
}

/** Adds MedicationRequests for the patient's treatment; active orders were renewed within the last year. */
export function addMedications(ctx: PatientContext): void {
  const { rng } = ctx;
  let active = 0;
  for (const order of planOrders(ctx)) {
    const condition = ctx.chronic.get(order.reason);
    if (!condition) continue;
    const drug = DRUGS[order.drug];
    const stopped = order.stopped !== undefined || ctx.death !== undefined;
    const earliest = Math.max(condition.onset, ctx.birth);
    // Prescriptions expire after a year, so an active order's authoredOn is its latest renewal.
    const latest = ctx.windowEnd - (order.stopped ? 340 : 1) * DAY;
    const from = Math.max(earliest, order.stopped ? latest - 3 * YEAR : latest - 330 * DAY);
    const authored = from >= latest ? earliest : rng.range(from, latest);
    const request: MedicationRequest & { id: string } = {
      resourceType: 'MedicationRequest',
      id: ctx.ids.uuid(),
      status: stopped ? 'stopped' : 'active',
      intent: 'order',
      category: [
        concept('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community'),
      ],
      medicationCodeableConcept: concept(SYS.rxnorm, drug.rxnorm, drug.display, drug.text),
      subject: patientRef(ctx),
      authoredOn: fhirDateTime(authored),
      requester: ref('Practitioner', order.prescriber.id, order.prescriber.display),
      reasonReference: [ref('Condition', condition.id)],
      dosageInstruction: [dosage(order)],
      dispenseRequest: {
        validityPeriod: { start: fhirDate(authored), end: fhirDate(authored + YEAR) },
        numberOfRepeatsAllowed: drug.route === 'oral' ? 3 : 5,
        quantity: { value: drug.dispense[0], unit: drug.dispense[1] },
        expectedSupplyDuration: ucum(drug.route === 'oral' ? 90 : 30, 'd', 'days'),
        performer: ref('Organization', ctx.dir.pharmacy.id, ctx.dir.pharmacy.name),
      },
    };
    if (order.stopped) request.statusReason = { text: order.stopped };
    else if (ctx.death !== undefined) request.statusReason = { text: 'Patient deceased' };
    put(ctx, request);
    if (!stopped) active++;
  }
  ctx.activeMedications = active;
}
