/**
 * Turns the planned timeline into Encounter resources (with their diagnoses as Conditions) and the
 * observations taken during each encounter.
 */
import type { Condition, Encounter, Reference } from 'fhir/r4.js';
import { ACUTE, type AcuteDef } from './acute-conditions-data.js';
import { type CodeDisplay, concept, dualCoded, ref, SYS } from './codes.js';
import { type PlannedStay, planEncounters, type VisitKind } from './encounter-timeline.js';
import { addLabs, addPhq9, addSmokingStatus, addVitals, type LabKey } from './observations.js';
import {
  type EncounterKind,
  type EncounterRecord,
  hadBy,
  has,
  type PatientContext,
  patientRef,
  put,
} from './patient-context.js';
import type { StaffMember } from './staffing.js';
import { DAY, fhirDateTime, HOUR } from './time.js';

const CLASS: Record<EncounterKind, CodeDisplay> = {
  AMB: ['AMB', 'ambulatory'],
  EMER: ['EMER', 'emergency'],
  IMP: ['IMP', 'inpatient encounter'],
};

/** SNOMED CT encounter types (the ones Synthea and US Core examples use). */
const TYPE = {
  checkup: ['185349003', 'Encounter for check up (procedure)'],
  wellChild: ['410620009', 'Well child visit (procedure)'],
  followup: ['390906007', 'Follow-up encounter (procedure)'],
  symptom: ['185345009', 'Encounter for symptom (procedure)'],
  consult: ['11429006', 'Consultation (procedure)'],
  emergency: ['50849002', 'Emergency room admission (procedure)'],
  admission: ['32485007', 'Hospital admission (procedure)'],
  emergencyAdmission: ['183452005', 'Emergency hospital admission (procedure)'],
} as const satisfies Record<string, CodeDisplay>;

const MINOR_REASONS = ['uri', 'backPain', 'headache', 'uti', 'otitis', 'ankleSprain', 'dizziness'] as const;

interface Diagnosis {
  readonly id: string;
}

/** The Condition an acute encounter is about: the chronic problem it exacerbates, or a new encounter diagnosis. */
function diagnose(
  ctx: PatientContext,
  reason: AcuteDef,
  enc: EncounterRecord,
  existing?: Diagnosis,
): Diagnosis {
  if (existing) return existing;
  const chronic = reason.exacerbates ? ctx.chronic.get(reason.exacerbates) : undefined;
  if (chronic) return { id: chronic.id };
  const id = ctx.ids.uuid();
  const resolved = enc.end !== undefined;
  const condition: Condition & { id: string } = {
    resourceType: 'Condition',
    id,
    clinicalStatus: resolved
      ? concept(SYS.conditionClinical, 'resolved', 'Resolved')
      : concept(SYS.conditionClinical, 'active', 'Active'),
    verificationStatus: concept(SYS.conditionVerStatus, 'confirmed', 'Confirmed'),
    category: [concept(SYS.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis')],
    code: dualCoded(reason.icd, reason.snomed, reason.text),
    subject: patientRef(ctx),
    encounter: ref('Encounter', enc.id),
    onsetDateTime: fhirDateTime(Math.max(ctx.birth, enc.start - ctx.rng.range(2, 48) * HOUR)),
    recordedDate: fhirDateTime(enc.start + HOUR),
    recorder: ref('Practitioner', enc.practitioner.id, enc.practitioner.display),
  };
  if (resolved) {
    condition.abatementDateTime = fhirDateTime(
      Math.min(ctx.windowEnd, enc.end! + ctx.rng.range(1, 10) * DAY),
    );
  }
  put(ctx, condition);
  return { id };
}

function encounter(
  ctx: PatientContext,
  rec: EncounterRecord,
  type: CodeDisplay,
  typeText: string,
  provider: { id: string; name: string },
): Encounter & { id: string } {
  const finished = rec.end !== undefined;
  const period: Encounter['period'] = { start: fhirDateTime(rec.start) };
  if (finished) period.end = fhirDateTime(rec.end!);
  return {
    resourceType: 'Encounter',
    id: rec.id,
    status: finished ? 'finished' : 'in-progress',
    class: { system: SYS.actCode, code: CLASS[rec.kind][0], display: CLASS[rec.kind][1] },
    type: [concept(SYS.snomed, type[0], type[1], typeText)],
    subject: patientRef(ctx),
    participant: [
      {
        type: [
          rec.kind === 'AMB'
            ? concept(SYS.participationType, 'PPRF', 'primary performer')
            : concept(SYS.participationType, 'ATND', 'attender'),
        ],
        individual: ref('Practitioner', rec.practitioner.id, rec.practitioner.display),
      },
    ],
    period,
    location: [{ location: ref('Location', rec.locationId), status: finished ? 'completed' : 'active' }],
    serviceProvider: ref('Organization', provider.id, provider.name),
  };
}

/** Builds every encounter of the patient's history, chronologically. */
export function addEncounters(ctx: PatientContext): void {
  const { rng, dir } = ctx;
  const staysDx = new Map<PlannedStay, Diagnosis>();
  let lastA1c = -Infinity;
  let lastRenal = -Infinity;
  let lastLdl = -Infinity;
  // Problems known at an instant: follow-ups, monitoring labs and comorbidities only cover diagnosed ones.
  const known = (at: number) => [...ctx.chronic.values()].filter((c) => c.onset <= at);

  for (const plan of planEncounters(ctx)) {
    if (plan.kind === 'stay') {
      const rec: EncounterRecord = {
        id: ctx.ids.uuid(),
        kind: 'IMP',
        start: plan.start,
        end: plan.end,
        practitioner: rng.pick(dir.staff.hospitalist),
        locationId: plan.icu ? dir.hospital.icuId : dir.hospital.wardId,
      };
      ctx.encounters.push(rec);
      const enc = encounter(
        ctx,
        rec,
        plan.viaEd ? TYPE.emergencyAdmission : TYPE.admission,
        'Inpatient admission',
        dir.hospital,
      );
      const dx = diagnose(ctx, plan.reason, rec, staysDx.get(plan));
      staysDx.set(plan, dx);
      const diagnosis: Encounter['diagnosis'] = [
        {
          condition: ref('Condition', dx.id),
          use: concept(SYS.diagnosisRole, 'AD', 'Admission diagnosis'),
          rank: 1,
        },
      ];
      if (rec.end !== undefined) {
        diagnosis.push({
          condition: ref('Condition', dx.id),
          use: concept(SYS.diagnosisRole, 'DD', 'Discharge diagnosis'),
          rank: 1,
        });
      }
      let rank = 2;
      for (const c of known(plan.start)) {
        if (c.id === dx.id || rank > 4 || c.def.burden < 1) continue;
        diagnosis.push({
          condition: ref('Condition', c.id),
          use: concept(SYS.diagnosisRole, 'CM', 'Comorbidity diagnosis'),
          rank: rank++,
        });
      }
      enc.reasonCode = [dualCoded(plan.reason.icd, plan.reason.snomed, plan.reason.text)];
      enc.diagnosis = diagnosis;
      enc.hospitalization = {
        admitSource: concept(SYS.admitSource, plan.admitSource[0], plan.admitSource[1]),
      };
      if (plan.disposition) {
        enc.hospitalization.dischargeDisposition = concept(
          SYS.dischargeDisposition,
          plan.disposition[0],
          plan.disposition[1],
        );
      }
      put(ctx, enc);
      addVitals(ctx, rec, plan.start + HOUR, false);
      addLabs(
        ctx,
        rec,
        plan.start + 2 * HOUR,
        ['hemoglobin', 'sodium', 'potassium', 'creatinine', 'glucose'],
        true,
      );
      if (rec.end !== undefined && rec.end - rec.start >= 3 * DAY) {
        addLabs(ctx, rec, rec.end - 6 * HOUR, ['hemoglobin', 'sodium', 'creatinine'], true);
      }
      continue;
    }

    if (plan.kind === 'ed') {
      const rec: EncounterRecord = {
        id: ctx.ids.uuid(),
        kind: 'EMER',
        start: plan.start,
        end: plan.end,
        practitioner: rng.pick(dir.staff.emergency),
        locationId: dir.hospital.edId,
      };
      ctx.encounters.push(rec);
      const enc = encounter(ctx, rec, TYPE.emergency, 'Emergency department visit', dir.hospital);
      // An ED visit that ends in admission shares its diagnosis with the stay (created here, first in time).
      const dx = diagnose(ctx, plan.reason, plan.admitted ? { ...rec, end: plan.admitted.end } : rec);
      if (plan.admitted) staysDx.set(plan.admitted, dx);
      enc.reasonCode = [dualCoded(plan.reason.icd, plan.reason.snomed, plan.reason.text)];
      enc.diagnosis = [
        {
          condition: ref('Condition', dx.id),
          use: concept(SYS.diagnosisRole, 'CC', 'Chief complaint'),
          rank: 1,
        },
      ];
      put(ctx, enc);
      addVitals(ctx, rec, plan.start + 0.25 * HOUR, false);
      continue;
    }

    // Office visit.
    const kind: VisitKind = plan.visitKind;
    const specialist = kind === 'cardiology' || kind === 'endocrinology' || kind === 'nephrology';
    const practitioner: StaffMember = specialist ? rng.pick(dir.staff[kind]) : ctx.pcp;
    const rec: EncounterRecord = {
      id: ctx.ids.uuid(),
      kind: 'AMB',
      start: plan.start,
      end: plan.end,
      practitioner,
      locationId: specialist ? dir.specialtyClinics[kind] : ctx.practice.locationId,
      checkup: kind === 'checkup',
    };
    ctx.encounters.push(rec);
    const child = (plan.start - ctx.birth) / (365.25 * DAY) < 18;
    const [type, typeText]: [CodeDisplay, string] =
      kind === 'checkup'
        ? child
          ? [TYPE.wellChild, 'Well-child visit']
          : [TYPE.checkup, 'Annual wellness visit']
        : kind === 'followup'
          ? [TYPE.followup, 'Chronic care follow-up']
          : kind === 'postDischarge'
            ? [TYPE.followup, 'Post-discharge follow-up']
            : kind === 'symptom'
              ? [TYPE.symptom, 'Sick visit']
              : [TYPE.consult, kind[0].toUpperCase() + kind.slice(1) + ' consultation'];
    const enc = encounter(ctx, rec, type, typeText, specialist ? dir.hospital : ctx.practice);
    if (kind === 'symptom') {
      const minor = minorComplaint(ctx, plan.start);
      enc.reasonCode = [dualCoded(minor.icd, minor.snomed, minor.text)];
    } else if (kind === 'postDischarge' && plan.after && staysDx.has(plan.after)) {
      enc.reasonReference = [ref('Condition', staysDx.get(plan.after)!.id)];
    } else if (kind !== 'checkup' && known(plan.start).length > 0) {
      enc.reasonReference = known(plan.start)
        .slice(0, 3)
        .map((c): Reference => ref('Condition', c.id));
    }
    put(ctx, enc);

    const at = plan.start + 5 * 60_000;
    addVitals(ctx, rec, at, kind === 'checkup');
    const labs: LabKey[] = [];
    const due = (last: number, days: number) => plan.start - last >= days * DAY;
    const had = (key: Parameters<typeof hadBy>[1]) => hadBy(ctx, key, plan.start);
    const diabetic = had('diabetes2') || had('diabetes1');
    if (
      diabetic &&
      (kind === 'checkup' || kind === 'followup' || kind === 'endocrinology') &&
      due(lastA1c, 80)
    ) {
      labs.push('a1c');
      lastA1c = plan.start;
    } else if (
      kind === 'checkup' &&
      !diabetic &&
      ctx.age >= 35 &&
      ctx.age <= 70 &&
      !has(ctx, 'diabetes2') &&
      ctx.bmi >= 25 &&
      rng.chance(0.4)
    ) {
      // USPSTF 2021: screen adults 35-70 with overweight or obesity for prediabetes and diabetes.
      labs.push('a1c');
    }
    const renalRisk = diabetic || had('ckd') || had('hypertension') || had('heartFailure');
    if (
      (renalRisk && (kind === 'checkup' || kind === 'nephrology') && due(lastRenal, 150)) ||
      (kind === 'postDischarge' && had('heartFailure'))
    ) {
      labs.push('sodium', 'potassium', 'creatinine', 'egfr');
      lastRenal = plan.start;
    }
    const lipidRisk = diabetic || had('hyperlipidemia') || had('cad');
    if (kind === 'checkup' && !child && (lipidRisk || rng.chance(0.2)) && due(lastLdl, 300)) {
      labs.push('ldl');
      lastLdl = plan.start;
    }
    if (labs.length > 0) addLabs(ctx, rec, plan.start + 15 * 60_000, labs);
    if (had('depression') && !specialist && (kind === 'checkup' || rng.chance(0.5))) addPhq9(ctx, rec, at);
    if (kind === 'checkup') addSmokingStatus(ctx, rec, at);
  }
}

/** Reason for a sick visit: a common minor complaint suited to the patient's age at the visit. */
function minorComplaint(ctx: PatientContext, at: number): AcuteDef {
  const age = (at - ctx.birth) / (365.25 * DAY);
  const minAge: Record<(typeof MINOR_REASONS)[number], number> = {
    uri: 0,
    otitis: 0,
    headache: 5,
    uti: 5,
    ankleSprain: 6,
    backPain: 16,
    dizziness: 40,
  };
  const options = MINOR_REASONS.filter((k) => age >= minAge[k] && !(k === 'otitis' && age >= 12));
  return ACUTE[ctx.rng.pick(options)];
}
