/**
 * Longitudinal care-coordination teams for patients with two or more chronic conditions, led by a care
 * coordinator / case manager and shaped by the patient's needs (specialists for their conditions, a
 * pharmacist for polypharmacy, social work and community partners for social needs).
 */
import type { CareTeam, CareTeamParticipant, CodeableConcept } from 'fhir/r4.js';
import { type CodeDisplay, concept, ref, SYS } from './codes.js';
import { has, type PatientContext, patientRef, put } from './patient-context.js';
import type { Site, StaffMember } from './staffing.js';
import { fhirDate, YEAR } from './time.js';

/** SNOMED CT occupations (US Core Care Team Member Function value set, NUCC-to-SNOMED map). */
const ROLE = {
  caseManager: ['768832004', 'Case manager (occupation)'],
  pcp: ['446050000', 'Primary care physician (occupation)'],
  cardiology: ['17561000', 'Cardiologist (occupation)'],
  endocrinology: ['61894003', 'Endocrinologist (occupation)'],
  nephrology: ['11911009', 'Nephrologist (occupation)'],
  nurse: ['224535009', 'Registered nurse (occupation)'],
  pharmacist: ['46255001', 'Pharmacist (occupation)'],
  socialWorker: ['106328005', 'Social worker (occupation)'],
  dietitian: ['159033005', 'Dietitian (occupation)'],
  patient: ['116154003', 'Patient (person)'],
} as const satisfies Record<string, CodeDisplay>;

function role(code: CodeDisplay): CodeableConcept[] {
  return [concept(SYS.snomed, code[0], code[1])];
}

/** Adds a CareTeam when the patient has at least two chronic conditions. */
export function addCareTeam(ctx: PatientContext): void {
  if (ctx.chronic.size < 2) return;
  const { rng, dir } = ctx;
  // The team forms when the second chronic condition is diagnosed (programs here are at most ~5 years old).
  const onsets = [...ctx.chronic.values()].map((c) => c.onset).sort((a, b) => a - b);
  const start = Math.max(onsets[1], ctx.windowStart - 2 * YEAR);
  const participants: CareTeamParticipant[] = [];
  const member = (code: CodeDisplay, who: StaffMember): void => {
    participants.push({ role: role(code), member: ref('Practitioner', who.id, who.display) });
  };

  // The lead is the care coordinator (listed first, by convention of the CareLoop worklists).
  const coordinators =
    ctx.practice.staff.caseManager.length > 0 ? ctx.practice.staff.caseManager : dir.staff.caseManager;
  member(ROLE.caseManager, rng.pick(coordinators));
  member(ROLE.pcp, ctx.pcp);
  if (has(ctx, 'heartFailure') || has(ctx, 'afib') || has(ctx, 'cad'))
    member(ROLE.cardiology, rng.pick(dir.staff.cardiology));
  if (has(ctx, 'diabetes1') || (ctx.a1c && ctx.a1c.start > 8.5))
    member(ROLE.endocrinology, rng.pick(dir.staff.endocrinology));
  if (has(ctx, 'ckd')) member(ROLE.nephrology, rng.pick(dir.staff.nephrology));
  const nurses = ctx.practice.staff.nurse.length > 0 ? ctx.practice.staff.nurse : dir.staff.nurse;
  member(ROLE.nurse, rng.pick(nurses));
  if (ctx.activeMedications >= 5) member(ROLE.pharmacist, rng.pick(dir.staff.pharmacist));
  const socialNeeds = ctx.payer === 'medicaid' || ctx.payer === 'uninsured';
  if (socialNeeds || has(ctx, 'depression')) member(ROLE.socialWorker, rng.pick(dir.staff.socialWorker));
  if (has(ctx, 'diabetes2') || has(ctx, 'diabetes1') || has(ctx, 'obesity'))
    member(ROLE.dietitian, rng.pick(dir.staff.dietitian));
  if (socialNeeds || ctx.language !== 'en' ? rng.chance(0.6) : rng.chance(0.1)) {
    const chws = ctx.practice.staff.chw.length > 0 ? ctx.practice.staff.chw : dir.staff.chw;
    const chw = rng.pick(chws);
    // SNOMED has no community-health-worker occupation; the NUCC taxonomy code is used instead.
    participants.push({
      role: [concept(SYS.nucc, '172V00000X', 'Community Health Worker')],
      member: ref('Practitioner', chw.id, chw.display),
    });
  }
  // Community partners (food insecurity, housing, transportation), mostly for patients with social needs.
  const partner = (site: Site, text: string): void => {
    participants.push({ role: [{ text }], member: ref('Organization', site.id, site.name) });
  };
  if (rng.chance(socialNeeds ? 0.35 : 0.05)) partner(dir.community.foodBank, 'Food assistance');
  if (rng.chance(socialNeeds ? 0.15 : 0.01)) partner(dir.community.housing, 'Housing assistance');
  if (rng.chance(ctx.age >= 75 || socialNeeds ? 0.2 : 0.02))
    partner(dir.community.transport, 'Transportation');
  participants.push({ role: role(ROLE.patient), member: patientRef(ctx) });

  const team: CareTeam & { id: string } = {
    resourceType: 'CareTeam',
    id: ctx.ids.uuid(),
    status: ctx.death === undefined ? 'active' : 'inactive',
    category: [concept('http://loinc.org', 'LA28865-6', 'Longitudinal care-coordination focused care team')],
    name: `${ctx.given} ${ctx.family} care team`,
    subject: patientRef(ctx),
    period:
      ctx.death === undefined
        ? { start: fhirDate(start) }
        : { start: fhirDate(start), end: fhirDate(ctx.death) },
    participant: participants,
    reasonReference: [...ctx.chronic.values()].map((c) => ref('Condition', c.id, c.def.text)),
    managingOrganization: [ref('Organization', ctx.practice.id, ctx.practice.name)],
  };
  put(ctx, team);
}
