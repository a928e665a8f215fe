/** The patient's health insurance as a Coverage (none for the uninsured). */
import type { Coverage } from 'fhir/r4.js';
import { coding, concept, ref, SYS } from './codes.js';
import { type PatientContext, patientRef, put } from './patient-context.js';
import type { Rng } from './prng.js';
import type { Site } from './staffing.js';
import { DAY, fhirDate, YEAR } from './time.js';

/** A Medicare Beneficiary Identifier shaped per CMS's MBI format (11 characters, no S, L, O, I, B, Z). */
function mbi(rng: Rng): string {
  const letters = 'ACDEFGHJKMNPQRTUVWXY';
  const digits = '0123456789';
  const alnum = digits + letters;
  const pattern = [
    '123456789',
    letters,
    alnum,
    digits,
    letters,
    alnum,
    digits,
    letters,
    letters,
    digits,
    digits,
  ];
  return pattern.map((chars) => chars[rng.int(0, chars.length - 1)]).join('');
}

function memberId(rng: Rng, prefix: string): string {
  let id = prefix;
  for (let i = 0; i < 9; i++) id += String(rng.int(0, 9));
  return id;
}

/** Adds the patient's Coverage. */
export function addCoverage(ctx: PatientContext): void {
  if (ctx.payer === 'uninsured') return;
  const { rng, dir } = ctx;
  let payor: Site;
  let subscriberId: string;
  let start: number;
  let plan: [string, string];
  // PHDSC Source of Payment Typology codes, with the matching HL7 v3 ActCode policy type.
  let type: [string, string, string, string];
  if (ctx.payer === 'medicare') {
    payor = dir.payers.medicare;
    subscriberId = mbi(rng);
    const at65 = ctx.birth + 65 * YEAR;
    start = ctx.age >= 65 ? at65 : ctx.windowEnd - rng.range(1, 8) * YEAR;
    plan = rng.chance(0.5)
      ? ['MA-PPO', 'Medicare Advantage PPO']
      : ['MEDICARE-AB', 'Original Medicare Parts A & B'];
    type = ['1', 'MEDICARE', 'PUBLICPOL', 'public healthcare'];
  } else if (ctx.payer === 'medicaid') {
    payor = dir.payers.medicaid;
    subscriberId = memberId(rng, '');
    start = ctx.windowEnd - rng.range(0.2, 6) * YEAR;
    plan = ['MCD-MCO', 'Ohio Medicaid Managed Care'];
    type = ['2', 'MEDICAID', 'PUBLICPOL', 'public healthcare'];
  } else {
    payor = rng.pick(dir.payers.commercial);
    subscriberId = memberId(rng, payor.name.slice(0, 3).toUpperCase());
    start = ctx.windowEnd - rng.range(0.2, 8) * YEAR;
    plan = rng.chance(0.6) ? ['PPO-500', 'PPO 500'] : ['HMO-STD', 'HMO Standard'];
    type = ['5', 'PRIVATE HEALTH INSURANCE', 'HIP', 'health insurance plan policy'];
  }
  start = Math.max(start, ctx.birth + DAY);
  const coverage: Coverage & { id: string } = {
    resourceType: 'Coverage',
    id: ctx.ids.uuid(),
    status: ctx.death === undefined ? 'active' : 'cancelled',
    type: {
      coding: [coding(SYS.payerType, type[0], type[1]), coding(SYS.actCode, type[2], type[3])],
      text: type[1][0] + type[1].slice(1).toLowerCase(),
    },
    subscriberId,
    beneficiary: patientRef(ctx),
    relationship:
      ctx.age < 18
        ? concept(SYS.subscriberRelationship, 'child', 'Child')
        : concept(SYS.subscriberRelationship, 'self', 'Self'),
    period: { start: fhirDate(start) },
    payor: [ref('Organization', payor.id, payor.name)],
    class: [{ type: concept(SYS.coverageClass, 'plan', 'Plan'), value: plan[0], name: plan[1] }],
  };
  if (ctx.death !== undefined) coverage.period!.end = fhirDate(ctx.death);
  put(ctx, coverage);
}
