/**
 * RxNorm clinical drugs the generator prescribes. Codes are RxNorm SCD/SBD concept ids (as used by Synthea's
 * medication modules and the US Core examples); doses follow usual US starting regimens.
 */

export type Route = 'oral' | 'subcutaneous' | 'inhalation';

export interface DrugDef {
  readonly rxnorm: string;
  readonly display: string;
  readonly text: string;
  readonly route: Route;
  /** UCUM code and display of one administered unit. */
  readonly doseUnit: readonly [string, string];
  /** Dispensed per fill, and its unit display. */
  readonly dispense: readonly [number, string];
}

const oral = (rxnorm: string, display: string, text: string): DrugDef => ({
  rxnorm,
  display,
  text,
  route: 'oral',
  doseUnit: ['{tbl}', 'tablet'],
  dispense: [90, 'tablet'],
});

export const DRUGS = {
  lisinopril10: oral('314076', 'lisinopril 10 MG Oral Tablet', 'Lisinopril 10 mg tablet'),
  lisinopril20: oral('314077', 'lisinopril 20 MG Oral Tablet', 'Lisinopril 20 mg tablet'),
  amlodipine5: oral('197361', 'amlodipine 5 MG Oral Tablet', 'Amlodipine 5 mg tablet'),
  amlodipine10: oral('308135', 'amlodipine 10 MG Oral Tablet', 'Amlodipine 10 mg tablet'),
  hctz25: oral('310798', 'hydrochlorothiazide 25 MG Oral Tablet', 'Hydrochlorothiazide 25 mg tablet'),
  metformin500: oral('861007', 'metformin hydrochloride 500 MG Oral Tablet', 'Metformin 500 mg tablet'),
  atorvastatin20: oral('617310', 'atorvastatin 20 MG Oral Tablet', 'Atorvastatin 20 mg tablet'),
  atorvastatin40: oral('617311', 'atorvastatin 40 MG Oral Tablet', 'Atorvastatin 40 mg tablet'),
  atorvastatin80: oral('259255', 'atorvastatin 80 MG Oral Tablet', 'Atorvastatin 80 mg tablet'),
  aspirin81: oral('243670', 'aspirin 81 MG Oral Tablet', 'Aspirin 81 mg tablet'),
  furosemide40: oral('313988', 'furosemide 40 MG Oral Tablet', 'Furosemide 40 mg tablet'),
  carvedilol6: oral('200031', 'carvedilol 6.25 MG Oral Tablet', 'Carvedilol 6.25 mg tablet'),
  carvedilol12: oral('200032', 'carvedilol 12.5 MG Oral Tablet', 'Carvedilol 12.5 mg tablet'),
  carvedilol25: oral('200033', 'carvedilol 25 MG Oral Tablet', 'Carvedilol 25 mg tablet'),
  spironolactone25: oral('313096', 'spironolactone 25 MG Oral Tablet', 'Spironolactone 25 mg tablet'),
  metoprololEr25: oral(
    '866427',
    '24 HR metoprolol succinate 25 MG Extended Release Oral Tablet',
    'Metoprolol succinate ER 25 mg tablet',
  ),
  apixaban5: oral('1364445', 'apixaban 5 MG Oral Tablet', 'Apixaban 5 mg tablet'),
  warfarin5: oral('855332', 'warfarin sodium 5 MG Oral Tablet', 'Warfarin 5 mg tablet'),
  sertraline50: oral('312940', 'sertraline 50 MG Oral Tablet', 'Sertraline 50 mg tablet'),
  escitalopram10: oral('349332', 'escitalopram 10 MG Oral Tablet', 'Escitalopram 10 mg tablet'),
  insulinGlargine: {
    rxnorm: '847232',
    display: '3 ML insulin glargine 100 UNT/ML Pen Injector [Lantus]',
    text: 'Insulin glargine (Lantus) 100 units/mL pen',
    route: 'subcutaneous',
    doseUnit: ['[IU]', 'units'],
    dispense: [5, 'pen'],
  },
  albuterol: {
    rxnorm: '745679',
    display: '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler',
    text: 'Albuterol 90 mcg/actuation inhaler',
    route: 'inhalation',
    doseUnit: ['{puff}', 'puff'],
    dispense: [1, 'inhaler'],
  },
  fluticasone: {
    rxnorm: '895994',
    display: '120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler',
    text: 'Fluticasone 44 mcg/actuation inhaler',
    route: 'inhalation',
    doseUnit: ['{puff}', 'puff'],
    dispense: [1, 'inhaler'],
  },
} as const satisfies Record<string, DrugDef>;

export type DrugKey = keyof typeof DRUGS;

/** SNOMED CT route codes. Inhaled drugs use the respiratory tract route concept. */
export const ROUTES: Record<Route, readonly [string, string]> = {
  oral: ['26643006', 'Oral route'],
  subcutaneous: ['34206005', 'Subcutaneous route'],
  inhalation: ['447694001', 'Respiratory tract route'],
};
