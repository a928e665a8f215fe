/**
 * Charlson comorbidity index from ICD-10 codes: Quan et al.'s ICD-10 coding algorithm with the
 * original 1987 Charlson weights. A code counts when it starts with one of the condition's prefixes
 * (dots removed). ICD-10-CM adds E08, E09 and E13 to the diabetes families. Where a mild and a severe
 * form are both present (liver, diabetes, cancer) only the severe one counts.
 */

export const CHARLSON_SOURCE = {
  title:
    'Quan H et al. Coding algorithms for defining comorbidities in ICD-9-CM and ICD-10 administrative data. Med Care 2005;43(11):1130-1139 (ICD-10 codes); weights from Charlson ME et al. J Chronic Dis 1987;40(5):373-383',
  url: 'https://doi.org/10.1097/01.mlr.0000182534.19832.83',
  weights: 'https://doi.org/10.1016/0021-9681(87)90171-8',
} as const;

export interface CharlsonCondition {
  id: string;
  name: string;
  weight: number;
  /** ICD-10 prefixes without the dot. */
  prefixes: readonly string[];
}

/** `from`..`to` inclusive for codes that share a letter and differ in their numeric tail (I60..I69, K700..K703). */
function range(from: string, to: string): string[] {
  const letter = from[0]!;
  const width = from.length - 1;
  const out: string[] = [];
  for (let n = Number(from.slice(1)); n <= Number(to.slice(1)); n++) {
    out.push(letter + String(n).padStart(width, '0'));
  }
  return out;
}

/** E08–E14 with the 4th characters of a diabetes category (Quan: .0 .1 .6 .8 .9 uncomplicated; .2–.5 .7 complicated). */
function diabetes(fourthCharacters: string[]): string[] {
  const families = ['E08', 'E09', 'E10', 'E11', 'E12', 'E13', 'E14'];
  return families.flatMap((f) => fourthCharacters.map((c) => f + c));
}

/** Quan 2005 ICD-10 table, 1987 weights (reference: docs/clinical-rules.md). */
export const CHARLSON_CONDITIONS: readonly CharlsonCondition[] = [
  { id: 'mi', name: 'Myocardial infarction', weight: 1, prefixes: ['I21', 'I22', 'I252'] },
  {
    id: 'chf',
    name: 'Congestive heart failure',
    weight: 1,
    prefixes: [
      'I43',
      'I50',
      'I099',
      'I110',
      'I130',
      'I132',
      'I255',
      'I420',
      ...range('I425', 'I429'),
      'P290',
    ],
  },
  {
    id: 'pvd',
    name: 'Peripheral vascular disease',
    weight: 1,
    prefixes: [
      'I70',
      'I71',
      'I731',
      'I738',
      'I739',
      'I771',
      'I790',
      'I792',
      'K551',
      'K558',
      'K559',
      'Z958',
      'Z959',
    ],
  },
  {
    id: 'cevd',
    name: 'Cerebrovascular disease',
    weight: 1,
    prefixes: ['G45', 'G46', ...range('I60', 'I69'), 'H340'],
  },
  { id: 'dementia', name: 'Dementia', weight: 1, prefixes: [...range('F00', 'F03'), 'G30', 'F051', 'G311'] },
  {
    id: 'copd',
    name: 'Chronic pulmonary disease',
    weight: 1,
    prefixes: [...range('J40', 'J47'), ...range('J60', 'J67'), 'I278', 'I279', 'J684', 'J701', 'J703'],
  },
  {
    id: 'rheumatic',
    name: 'Rheumatic disease',
    weight: 1,
    prefixes: ['M05', 'M06', ...range('M32', 'M34'), 'M315', 'M351', 'M353', 'M360'],
  },
  { id: 'pud', name: 'Peptic ulcer disease', weight: 1, prefixes: range('K25', 'K28') },
  {
    id: 'mild-liver',
    name: 'Mild liver disease',
    weight: 1,
    prefixes: [
      'B18',
      'K73',
      'K74',
      ...range('K700', 'K703'),
      'K709',
      ...range('K713', 'K715'),
      'K717',
      'K760',
      ...range('K762', 'K764'),
      'K768',
      'K769',
      'Z944',
    ],
  },
  {
    id: 'diabetes',
    name: 'Diabetes without chronic complications',
    weight: 1,
    prefixes: diabetes(['0', '1', '6', '8', '9']),
  },
  {
    id: 'diabetes-complicated',
    name: 'Diabetes with chronic complications',
    weight: 2,
    prefixes: diabetes(['2', '3', '4', '5', '7']),
  },
  {
    id: 'hemiplegia',
    name: 'Hemiplegia or paraplegia',
    weight: 2,
    prefixes: ['G81', 'G82', 'G041', 'G114', 'G801', 'G802', ...range('G830', 'G834'), 'G839'],
  },
  {
    id: 'renal',
    name: 'Renal disease',
    weight: 2,
    prefixes: [
      'N18',
      'N19',
      'I120',
      'I131',
      ...range('N032', 'N037'),
      ...range('N052', 'N057'),
      'N250',
      ...range('Z490', 'Z492'),
      'Z940',
      'Z992',
    ],
  },
  {
    id: 'cancer',
    name: 'Any malignancy, including lymphoma and leukemia, except malignant neoplasm of skin',
    weight: 2,
    prefixes: [
      ...range('C00', 'C26'),
      ...range('C30', 'C34'),
      ...range('C37', 'C41'),
      'C43',
      ...range('C45', 'C58'),
      ...range('C60', 'C76'),
      ...range('C81', 'C85'),
      'C88',
      ...range('C90', 'C97'),
    ],
  },
  {
    id: 'severe-liver',
    name: 'Moderate or severe liver disease',
    weight: 3,
    prefixes: ['I850', 'I859', 'I864', 'I982', 'K704', 'K711', 'K721', 'K729', ...range('K765', 'K767')],
  },
  { id: 'metastatic', name: 'Metastatic solid tumor', weight: 6, prefixes: range('C77', 'C80') },
  { id: 'hiv', name: 'AIDS/HIV', weight: 6, prefixes: ['B20', 'B21', 'B22', 'B24'] },
];

/** When both are present the first (more severe) condition counts and the second does not (Quan 2005). */
export const CHARLSON_HIERARCHIES: readonly [severe: string, mild: string][] = [
  ['severe-liver', 'mild-liver'],
  ['diabetes-complicated', 'diabetes'],
  ['metastatic', 'cancer'],
];

/** Upper case, no dot, no spaces: "e11.22 " → "E1122". */
function normalize(code: string): string {
  return code.replace(/[.\s]/g, '').toUpperCase();
}

/**
 * The Charlson index of a patient's ICD-10(-CM) codes, with the conditions found and the codes that
 * matched each (as given). Codes that match nothing are ignored; a condition counts once however many
 * codes match it.
 */
export function charlsonIndex(icd10Codes: string[]): {
  score: number;
  conditions: { name: string; weight: number; codes: string[] }[];
} {
  const matched = new Map<string, string[]>();
  for (const code of icd10Codes) {
    const normalized = normalize(code);
    if (!normalized) continue;
    for (const condition of CHARLSON_CONDITIONS) {
      if (condition.prefixes.some((p) => normalized.startsWith(p))) {
        const codes = matched.get(condition.id) ?? [];
        if (!codes.includes(code)) codes.push(code);
        matched.set(condition.id, codes);
      }
    }
  }
  for (const [severe, mild] of CHARLSON_HIERARCHIES) {
    if (matched.has(severe)) matched.delete(mild);
  }
  const conditions = CHARLSON_CONDITIONS.filter((c) => matched.has(c.id)).map((c) => ({
    name: c.name,
    weight: c.weight,
    codes: matched.get(c.id)!,
  }));
  return { score: conditions.reduce((sum, c) => sum + c.weight, 0), conditions };
}
