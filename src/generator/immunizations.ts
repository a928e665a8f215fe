/**
 * Vaccinations given during the patient's window: the CDC/ACIP childhood and adolescent schedule, seasonal
 * influenza and COVID-19, pneumococcal at 65, Tdap boosters and recombinant zoster from 50.
 */
import type { Immunization } from 'fhir/r4.js';
import { type CodeDisplay, concept, ref, SYS, ucum } from './codes.js';
import { type EncounterRecord, type PatientContext, patientRef, put } from './patient-context.js';
import { atLocalTime, DAY, fhirDateTime, toWeekday, YEAR } from './time.js';

/** CVX codes (CDC vaccine administered code set) with their short descriptions. */
const CVX = {
  hepB: ['08', 'Hep B, adolescent or pediatric'],
  rotavirus: ['119', 'rotavirus, monovalent'],
  dtap: ['20', 'DTaP'],
  hib: ['49', 'Hib (PRP-OMP)'],
  ipv: ['10', 'IPV'],
  pcv13: ['133', 'Pneumococcal conjugate PCV 13'],
  mmr: ['03', 'MMR'],
  varicella: ['21', 'varicella'],
  hepA: ['83', 'Hep A, ped/adol, 2 dose'],
  tdap: ['115', 'Tdap'],
  hpv9: ['165', 'HPV9'],
  menacwy: ['114', 'meningococcal MCV4P'],
  pcv20: ['216', 'Pneumococcal conjugate PCV20, polysaccharide CRM197 conjugate, adjuvant, PF'],
  zoster: ['187', 'zoster vaccine recombinant'],
  fluTrivalentPf: ['140', 'Influenza, seasonal, injectable, preservative free'],
  fluTrivalent: ['141', 'Influenza, seasonal, injectable'],
  fluQuadPf: ['150', 'Influenza, injectable, quadrivalent, preservative free'],
  fluQuad: ['158', 'influenza, injectable, quadrivalent, contains preservative'],
  // The original-formula mRNA codes, which most immunization-forecasting rules still recognise.
  covidPfizer: ['208', 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose'],
  covidModerna: ['207', 'COVID-19, mRNA, LNP-S, PF, 100 mcg/0.5mL dose or 50 mcg/0.25mL dose'],
} as const satisfies Record<string, CodeDisplay>;

/** ACIP routine schedule, birth to 18: [vaccine, age in months]. */
const CHILD_SCHEDULE: readonly (readonly [keyof typeof CVX, number])[] = [
  ['hepB', 0],
  ['hepB', 1],
  ['rotavirus', 2],
  ['dtap', 2],
  ['hib', 2],
  ['ipv', 2],
  ['pcv13', 2],
  ['rotavirus', 4],
  ['dtap', 4],
  ['hib', 4],
  ['ipv', 4],
  ['pcv13', 4],
  ['hepB', 6],
  ['dtap', 6],
  ['ipv', 6],
  ['pcv13', 6],
  ['mmr', 12],
  ['varicella', 12],
  ['hepA', 12],
  ['hib', 12],
  ['pcv13', 12],
  ['dtap', 15],
  ['hepA', 18],
  ['dtap', 48],
  ['ipv', 48],
  ['mmr', 48],
  ['varicella', 48],
  ['tdap', 132],
  ['hpv9', 132],
  ['hpv9', 138],
  ['menacwy', 132],
  ['menacwy', 192],
];

/** Influenza vaccination coverage by age, CDC FluVaxView 2022-23 season. */
function fluCoverage(age: number): number {
  if (age < 18) return 0.57;
  if (age < 50) return 0.35;
  if (age < 65) return 0.47;
  return 0.7;
}

/** Updated COVID-19 vaccine coverage by age, CDC 2023-24 season (adults 22.5%, 65+ 41%, children 14%). */
function covidCoverage(age: number): number {
  if (age < 18) return 0.14;
  if (age < 65) return 0.18;
  return 0.41;
}

/** Adds the patient's immunizations within the window. */
export function addImmunizations(ctx: PatientContext): void {
  const { rng, windowStart: from, windowEnd: to } = ctx;
  const ageAt = (t: number): number => (t - ctx.birth) / YEAR;

  const give = (vaccine: keyof typeof CVX, at: number, pharmacy = false, visit?: EncounterRecord): void => {
    const when = visit ? visit.start + 20 * 60_000 : atLocalTime(toWeekday(at), rng.range(9, 17));
    if (when <= from || when >= to || when < ctx.birth) return;
    const [code, display] = CVX[vaccine];
    const site = pharmacy ? ctx.dir.pharmacy : ctx.practice;
    const imm: Immunization & { id: string } = {
      resourceType: 'Immunization',
      id: ctx.ids.uuid(),
      status: 'completed',
      vaccineCode: concept(SYS.cvx, code, display),
      patient: patientRef(ctx),
      occurrenceDateTime: fhirDateTime(when),
      primarySource: true,
      location: ref('Location', site.locationId, site.name),
      lotNumber: `${String.fromCharCode(65 + rng.int(0, 25))}${String.fromCharCode(65 + rng.int(0, 25))}${rng.int(1000, 9999)}`,
      doseQuantity: ucum(vaccine === 'rotavirus' ? 1 : 0.5, 'mL'),
    };
    if (visit) imm.encounter = ref('Encounter', visit.id);
    if (!pharmacy && ctx.practice.staff.nurse.length > 0) {
      const nurse = rng.pick(ctx.practice.staff.nurse);
      imm.performer = [
        {
          function: concept('http://terminology.hl7.org/CodeSystem/v2-0443', 'AP', 'Administering Provider'),
          actor: ref('Practitioner', nurse.id, nurse.display),
        },
      ];
    }
    put(ctx, imm);
  };

  // Routine childhood and adolescent doses (~92% on time, NIS-Child 2021) that fall inside the window, given
  // at the nearest well-child visit when there is one within six weeks.
  const checkups = ctx.encounters.filter((e) => e.checkup);
  const nearestCheckup = (at: number): EncounterRecord | undefined => {
    let best: EncounterRecord | undefined;
    for (const e of checkups) {
      if (Math.abs(e.start - at) < 42 * DAY && (!best || Math.abs(e.start - at) < Math.abs(best.start - at)))
        best = e;
    }
    return best;
  };
  for (const [vaccine, months] of CHILD_SCHEDULE) {
    const at = ctx.birth + months * 30.44 * DAY + rng.range(0, 20) * DAY;
    if (at > from && at < to && rng.chance(0.92)) give(vaccine, at, false, nearestCheckup(at));
  }

  // Seasonal vaccines, September to December of each year; people who vaccinate tend to do so every year.
  const propensity = rng.next();
  const firstSeason = new Date(from).getUTCFullYear();
  for (let year = firstSeason; year <= new Date(to).getUTCFullYear(); year++) {
    const at = Date.UTC(year, 8, 1) + rng.range(0, 100) * DAY;
    const age = ageAt(at);
    if (age < 0.5) continue;
    const pharmacy = age >= 18 && rng.chance(0.4);
    const coverage = fluCoverage(age);
    if (propensity < coverage ? rng.chance(0.9) : rng.chance(0.08)) {
      // US vaccines went from quadrivalent to trivalent for the 2024-25 season (FDA VRBPAC, March 2024).
      const vaccine =
        year < 2024
          ? rng.chance(0.8)
            ? 'fluQuadPf'
            : 'fluQuad'
          : rng.chance(0.85)
            ? 'fluTrivalentPf'
            : 'fluTrivalent';
      give(vaccine, at, pharmacy);
    }
    if (propensity < covidCoverage(age) * 1.1 && rng.chance(0.85)) {
      give(rng.chance(0.6) ? 'covidPfizer' : 'covidModerna', at + rng.range(0, 20) * DAY, pharmacy);
    }
  }

  if (ctx.age >= 19) {
    const years = (to - from) / YEAR;
    // Tdap every 10 years for adults: roughly 6-8% a year (NHIS 2019 Td/Tdap in past 10 years ~ 60%).
    if (rng.chance(0.07 * years)) give('tdap', rng.range(from, to));
    // PCV20 at 65 (ACIP 2022): most get it within a year of turning 65, a few catch up later.
    const at65 = ctx.birth + 65 * YEAR;
    if (at65 > from && at65 < to && rng.chance(0.6)) give('pcv20', at65 + rng.range(0, 365) * DAY);
    else if (ageAt(from) >= 65 && rng.chance(0.08 * years)) give('pcv20', rng.range(from, to));
    // Recombinant zoster, two doses 2-6 months apart, from 50 (NHIS 2021: ~30% of adults 50+ vaccinated).
    if (ageAt(from) >= 50 && rng.chance(0.05 * years)) {
      const first = rng.range(from, to);
      give('zoster', first, true);
      give('zoster', first + rng.range(60, 180) * DAY, true);
    }
  }
}
