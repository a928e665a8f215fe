/**
 * Medication reconciliation as data: which drug is which ingredient and therapeutic class, which
 * same-class pairs are intended (not duplicates), and how HL7 v2 timing codes read as frequencies.
 * docs/medication-reconciliation.md and docs/clinical-rules.md render the same tables.
 *
 * Class source: WHO ATC/DDD Index (https://atcddd.fhi.no/atc_ddd_index/), level 4 (chemical
 * subgroup), e.g. C09AA "ACE inhibitors, plain". Where level 4 is broader than the clinical question
 * (insulins by onset, C10AA statins are already fine) the class is split and says so. Ingredient and
 * product codes are RxNorm concept ids (IN, SCD, SBD) from the NLM RxNav browser
 * (https://mor.nlm.nih.gov/RxNav/); the generator's products are in src/generator/medications-data.ts.
 */

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const NDC = 'http://hl7.org/fhir/sid/ndc';

export interface TherapeuticClass {
  /** CareLoop key, used in duplicate rules and shown to the pharmacist. */
  id: string;
  label: string;
  /** WHO ATC level-4 code(s) the class stands for. */
  atc: string;
  source: string;
}

const ATC = 'WHO ATC/DDD Index 2025, level 4';

/** The classes CareLoop flags duplicates in. */
export const therapeuticClasses: readonly TherapeuticClass[] = [
  { id: 'ace-inhibitor', label: 'ACE inhibitor', atc: 'C09AA', source: ATC },
  { id: 'arb', label: 'Angiotensin II receptor blocker', atc: 'C09CA', source: ATC },
  { id: 'beta-blocker', label: 'Beta blocker', atc: 'C07AA, C07AB, C07AG', source: ATC },
  { id: 'dihydropyridine-ccb', label: 'Dihydropyridine calcium-channel blocker', atc: 'C08CA', source: ATC },
  { id: 'thiazide', label: 'Thiazide diuretic', atc: 'C03AA', source: ATC },
  { id: 'loop-diuretic', label: 'Loop diuretic', atc: 'C03CA', source: ATC },
  { id: 'aldosterone-antagonist', label: 'Aldosterone antagonist', atc: 'C03DA', source: ATC },
  { id: 'statin', label: 'HMG-CoA reductase inhibitor (statin)', atc: 'C10AA', source: ATC },
  { id: 'biguanide', label: 'Biguanide', atc: 'A10BA', source: ATC },
  { id: 'sulfonylurea', label: 'Sulfonylurea', atc: 'A10BB', source: ATC },
  { id: 'sglt2-inhibitor', label: 'SGLT2 inhibitor', atc: 'A10BK', source: ATC },
  {
    id: 'insulin',
    label: 'Insulin',
    atc: 'A10AB (fast-acting), A10AC (intermediate), A10AE (long-acting)',
    source: `${ATC}; CareLoop groups the three subgroups as one class and keeps the ATC onset as the subclass`,
  },
  {
    id: 'anticoagulant',
    label: 'Anticoagulant',
    atc: 'B01AA (vitamin K antagonists), B01AF (direct factor Xa), B01AE (direct thrombin), B01AB (heparins)',
    source: `${ATC}; grouped because any two together are a duplication of anticoagulation`,
  },
  {
    id: 'antiplatelet',
    label: 'Platelet aggregation inhibitor',
    atc: 'B01AC',
    source: ATC,
  },
  { id: 'ppi', label: 'Proton-pump inhibitor', atc: 'A02BC', source: ATC },
  { id: 'ssri', label: 'Selective serotonin reuptake inhibitor', atc: 'N06AB', source: ATC },
  {
    id: 'opioid',
    label: 'Opioid',
    atc: 'N02AA (natural opium alkaloids), N02AX (other opioids)',
    source: ATC,
  },
  { id: 'saba', label: 'Short-acting beta2 agonist (inhaled)', atc: 'R03AC', source: ATC },
  { id: 'inhaled-corticosteroid', label: 'Inhaled corticosteroid', atc: 'R03BA', source: ATC },
];

export interface Ingredient {
  /** RxNorm ingredient (TTY=IN) concept id. */
  rxcui: string;
  name: string;
  class: string;
  /** Within a class, a subgroup the exceptions speak of (insulin onset, P2Y12 vs aspirin). */
  subclass?: string;
  /** Brand names that mean this ingredient alone (a brand name typed into a list). */
  brands?: readonly string[];
}

/** Single-ingredient drugs by RxNorm ingredient. */
export const ingredients: readonly Ingredient[] = [
  { rxcui: '29046', name: 'lisinopril', class: 'ace-inhibitor', brands: ['zestril', 'prinivil'] },
  { rxcui: '3827', name: 'enalapril', class: 'ace-inhibitor', brands: ['vasotec'] },
  { rxcui: '35296', name: 'ramipril', class: 'ace-inhibitor', brands: ['altace'] },
  { rxcui: '52175', name: 'losartan', class: 'arb', brands: ['cozaar'] },
  { rxcui: '69749', name: 'valsartan', class: 'arb', brands: ['diovan'] },
  { rxcui: '20352', name: 'carvedilol', class: 'beta-blocker', brands: ['coreg'] },
  { rxcui: '6918', name: 'metoprolol', class: 'beta-blocker', brands: ['toprol', 'lopressor'] },
  { rxcui: '1202', name: 'atenolol', class: 'beta-blocker', brands: ['tenormin'] },
  { rxcui: '19484', name: 'bisoprolol', class: 'beta-blocker' },
  { rxcui: '17767', name: 'amlodipine', class: 'dihydropyridine-ccb', brands: ['norvasc'] },
  { rxcui: '5487', name: 'hydrochlorothiazide', class: 'thiazide', brands: ['microzide'] },
  { rxcui: '4603', name: 'furosemide', class: 'loop-diuretic', brands: ['lasix'] },
  { rxcui: '1808', name: 'bumetanide', class: 'loop-diuretic', brands: ['bumex'] },
  { rxcui: '38413', name: 'torsemide', class: 'loop-diuretic', brands: ['demadex'] },
  { rxcui: '9997', name: 'spironolactone', class: 'aldosterone-antagonist', brands: ['aldactone'] },
  { rxcui: '83367', name: 'atorvastatin', class: 'statin', brands: ['lipitor'] },
  { rxcui: '36567', name: 'simvastatin', class: 'statin', brands: ['zocor'] },
  { rxcui: '301542', name: 'rosuvastatin', class: 'statin', brands: ['crestor'] },
  { rxcui: '42463', name: 'pravastatin', class: 'statin', brands: ['pravachol'] },
  { rxcui: '6809', name: 'metformin', class: 'biguanide', brands: ['glucophage'] },
  { rxcui: '4815', name: 'glipizide', class: 'sulfonylurea', brands: ['glucotrol'] },
  { rxcui: '1545653', name: 'empagliflozin', class: 'sglt2-inhibitor', brands: ['jardiance'] },
  { rxcui: '1488564', name: 'dapagliflozin', class: 'sglt2-inhibitor', brands: ['farxiga'] },
  { rxcui: '1373458', name: 'canagliflozin', class: 'sglt2-inhibitor', brands: ['invokana'] },
  {
    rxcui: '274783',
    name: 'insulin glargine',
    class: 'insulin',
    subclass: 'basal',
    brands: ['lantus', 'basaglar', 'toujeo'],
  },
  { rxcui: '139825', name: 'insulin detemir', class: 'insulin', subclass: 'basal', brands: ['levemir'] },
  {
    rxcui: '86009',
    name: 'insulin lispro',
    class: 'insulin',
    subclass: 'rapid',
    brands: ['humalog', 'admelog'],
  },
  { rxcui: '51428', name: 'insulin aspart', class: 'insulin', subclass: 'rapid', brands: ['novolog'] },
  { rxcui: '11289', name: 'warfarin', class: 'anticoagulant', brands: ['coumadin', 'jantoven'] },
  { rxcui: '1364430', name: 'apixaban', class: 'anticoagulant', brands: ['eliquis'] },
  { rxcui: '1114195', name: 'rivaroxaban', class: 'anticoagulant', brands: ['xarelto'] },
  { rxcui: '1037042', name: 'dabigatran', class: 'anticoagulant', brands: ['pradaxa'] },
  { rxcui: '67108', name: 'enoxaparin', class: 'anticoagulant', brands: ['lovenox'] },
  { rxcui: '1191', name: 'aspirin', class: 'antiplatelet', subclass: 'aspirin' },
  { rxcui: '32968', name: 'clopidogrel', class: 'antiplatelet', subclass: 'p2y12', brands: ['plavix'] },
  { rxcui: '1116632', name: 'ticagrelor', class: 'antiplatelet', subclass: 'p2y12', brands: ['brilinta'] },
  { rxcui: '613391', name: 'prasugrel', class: 'antiplatelet', subclass: 'p2y12', brands: ['effient'] },
  { rxcui: '7646', name: 'omeprazole', class: 'ppi', brands: ['prilosec'] },
  { rxcui: '40790', name: 'pantoprazole', class: 'ppi', brands: ['protonix'] },
  { rxcui: '283742', name: 'esomeprazole', class: 'ppi', brands: ['nexium'] },
  { rxcui: '36437', name: 'sertraline', class: 'ssri', brands: ['zoloft'] },
  { rxcui: '321988', name: 'escitalopram', class: 'ssri', brands: ['lexapro'] },
  { rxcui: '2556', name: 'citalopram', class: 'ssri', brands: ['celexa'] },
  { rxcui: '4493', name: 'fluoxetine', class: 'ssri', brands: ['prozac'] },
  { rxcui: '32937', name: 'paroxetine', class: 'ssri', brands: ['paxil'] },
  { rxcui: '7804', name: 'oxycodone', class: 'opioid', brands: ['oxycontin', 'roxicodone'] },
  { rxcui: '7052', name: 'morphine', class: 'opioid' },
  { rxcui: '3423', name: 'hydromorphone', class: 'opioid', brands: ['dilaudid'] },
  { rxcui: '10689', name: 'tramadol', class: 'opioid', brands: ['ultram'] },
  { rxcui: '435', name: 'albuterol', class: 'saba', brands: ['proair', 'ventolin', 'proventil'] },
  { rxcui: '41126', name: 'fluticasone', class: 'inhaled-corticosteroid', brands: ['flovent'] },
];

export interface Product {
  /** RxNorm clinical (SCD) or branded (SBD) drug concept id. */
  rxcui: string;
  ingredient: string;
  /** Amount of the ingredient in one unit (tablet, mL, actuation): lets "2 × 10 mg" equal "1 × 20 mg". */
  strength: { value: number; unit: string };
}

/** Products the generator prescribes (src/generator/medications-data.ts) and a few brands. */
export const products: readonly Product[] = [
  { rxcui: '314076', ingredient: '29046', strength: { value: 10, unit: 'mg' } },
  { rxcui: '314077', ingredient: '29046', strength: { value: 20, unit: 'mg' } },
  { rxcui: '197361', ingredient: '17767', strength: { value: 5, unit: 'mg' } },
  { rxcui: '308135', ingredient: '17767', strength: { value: 10, unit: 'mg' } },
  { rxcui: '310798', ingredient: '5487', strength: { value: 25, unit: 'mg' } },
  { rxcui: '861007', ingredient: '6809', strength: { value: 500, unit: 'mg' } },
  { rxcui: '617310', ingredient: '83367', strength: { value: 20, unit: 'mg' } },
  { rxcui: '617311', ingredient: '83367', strength: { value: 40, unit: 'mg' } },
  { rxcui: '259255', ingredient: '83367', strength: { value: 80, unit: 'mg' } },
  { rxcui: '243670', ingredient: '1191', strength: { value: 81, unit: 'mg' } },
  { rxcui: '313988', ingredient: '4603', strength: { value: 40, unit: 'mg' } },
  { rxcui: '200031', ingredient: '20352', strength: { value: 6.25, unit: 'mg' } },
  { rxcui: '200032', ingredient: '20352', strength: { value: 12.5, unit: 'mg' } },
  { rxcui: '200033', ingredient: '20352', strength: { value: 25, unit: 'mg' } },
  { rxcui: '313096', ingredient: '9997', strength: { value: 25, unit: 'mg' } },
  { rxcui: '866427', ingredient: '6918', strength: { value: 25, unit: 'mg' } },
  { rxcui: '1364445', ingredient: '1364430', strength: { value: 5, unit: 'mg' } },
  // Eliquis 5 MG Oral Tablet (SBD): the brand of 1364445.
  { rxcui: '1364447', ingredient: '1364430', strength: { value: 5, unit: 'mg' } },
  { rxcui: '855332', ingredient: '11289', strength: { value: 5, unit: 'mg' } },
  { rxcui: '312940', ingredient: '36437', strength: { value: 50, unit: 'mg' } },
  { rxcui: '349332', ingredient: '321988', strength: { value: 10, unit: 'mg' } },
  // Insulin glargine 100 units/mL pens: 847230 generic (SCD), 847232 Lantus (SBD).
  { rxcui: '847230', ingredient: '274783', strength: { value: 100, unit: '[IU]/mL' } },
  { rxcui: '847232', ingredient: '274783', strength: { value: 100, unit: '[IU]/mL' } },
  { rxcui: '745679', ingredient: '435', strength: { value: 0.09, unit: 'mg' } },
  { rxcui: '895994', ingredient: '41126', strength: { value: 0.044, unit: 'mg' } },
];

export interface DuplicateException {
  id: string;
  class: string;
  /** The two subclasses that together are intended (order does not matter). */
  pair: readonly [string, string];
  reason: string;
  source: string;
}

/**
 * Same-class pairs that are intended therapy, not duplication: no duplicate line is raised for them.
 */
export const duplicateExceptions: readonly DuplicateException[] = [
  {
    id: 'basal-bolus-insulin',
    class: 'insulin',
    pair: ['basal', 'rapid'],
    reason: 'basal plus prandial (rapid-acting) insulin is the intended basal-bolus regimen',
    source:
      'ADA Standards of Care in Diabetes—2025, sec. 9 Pharmacologic Approaches to Glycemic Treatment, https://doi.org/10.2337/dc25-S009',
  },
  {
    id: 'dual-antiplatelet',
    class: 'antiplatelet',
    pair: ['aspirin', 'p2y12'],
    reason:
      'aspirin plus a P2Y12 inhibitor is dual antiplatelet therapy, intended after an acute coronary syndrome or a coronary stent',
    source:
      '2016 ACC/AHA Guideline Focused Update on Duration of Dual Antiplatelet Therapy (Levine et al., Circulation 2016;134:e123–e155), https://doi.org/10.1161/CIR.0000000000000404',
  },
];

/**
 * HL7 v2 repeat patterns (table 0335, as in TQ1-3 and the interval of RXE-1) → frequency per period.
 * Source: HL7 v2.5.1 Chapter 4, 4.5.4.3 Repeat pattern, table 0335. `Q<n>H`, `Q<n>D`, `Q<n>W` and
 * `Q<n>J<day>` are read by pattern in medication-dosage.ts.
 */
export const repeatPatterns: Record<
  string,
  { frequency: number; period: number; periodUnit: 'h' | 'd' | 'wk'; asNeeded?: boolean }
> = {
  QD: { frequency: 1, period: 1, periodUnit: 'd' },
  QAM: { frequency: 1, period: 1, periodUnit: 'd' },
  QPM: { frequency: 1, period: 1, periodUnit: 'd' },
  QHS: { frequency: 1, period: 1, periodUnit: 'd' },
  BID: { frequency: 2, period: 1, periodUnit: 'd' },
  TID: { frequency: 3, period: 1, periodUnit: 'd' },
  QID: { frequency: 4, period: 1, periodUnit: 'd' },
  QOD: { frequency: 1, period: 2, periodUnit: 'd' },
  PRN: { frequency: 1, period: 1, periodUnit: 'd', asNeeded: true },
};

/** Task codes a medication-reconciliation Task may carry (either marks the task as one). */
export const TASK_CODE_SYSTEM = 'https://careloop.org/fhir/CodeSystem/task-code';
export const RECONCILIATION_TASK_CODE = 'medication-reconciliation';
/** SNOMED CT 430193006 |Medication reconciliation (procedure)|. */
export const SNOMED_RECONCILIATION = { system: 'http://snomed.info/sct', code: '430193006' } as const;

/** Roles that may resolve reconciliation lines (the clinicians who reconcile in practice). */
export const reconcilingRoles = ['pharmacist', 'physician', 'nurse'] as const;

export const byIngredient = new Map(ingredients.map((i) => [i.rxcui, i]));
export const byProduct = new Map(products.map((p) => [p.rxcui, p]));
export const classById = new Map(therapeuticClasses.map((c) => [c.id, c]));

/** Generic and brand names → ingredient, for entries with no (known) code. */
export const byName = new Map<string, Ingredient>(
  ingredients.flatMap((i) => [[i.name, i] as const, ...(i.brands ?? []).map((b) => [b, i] as const)]),
);

/** The exception that makes two subclasses of a class intended together, if any. */
export function exceptionFor(
  cls: string,
  a: string | undefined,
  b: string | undefined,
): DuplicateException | undefined {
  if (!a || !b || a === b) return undefined;
  return duplicateExceptions.find(
    (e) => e.class === cls && ((e.pair[0] === a && e.pair[1] === b) || (e.pair[0] === b && e.pair[1] === a)),
  );
}
