/** Acute reasons for emergency visits and hospital stays, coded in ICD-10-CM and SNOMED CT. */
import type { CodeDisplay } from './codes.js';
import type { ChronicKey } from './conditions-data.js';

export interface AcuteDef {
  readonly key: string;
  readonly icd: CodeDisplay;
  readonly snomed: CodeDisplay;
  readonly text: string;
  /** A chronic condition whose exacerbation this is: the encounter then references that problem instead. */
  readonly exacerbates?: ChronicKey;
}

const a = (
  key: string,
  icd: CodeDisplay,
  snomed: CodeDisplay,
  text: string,
  exacerbates?: ChronicKey,
): AcuteDef => ({
  key,
  icd,
  snomed,
  text,
  exacerbates,
});

/** Reasons for emergency visits and hospital stays (the most frequent ones in HCUP NIS/NEDS statistical briefs). */
export const ACUTE = {
  chestPain: a(
    'chestPain',
    ['R07.9', 'Chest pain, unspecified'],
    ['29857009', 'Chest pain (finding)'],
    'Chest pain',
  ),
  abdominalPain: a(
    'abdominalPain',
    ['R10.9', 'Unspecified abdominal pain'],
    ['21522001', 'Abdominal pain (finding)'],
    'Abdominal pain',
  ),
  backPain: a(
    'backPain',
    ['M54.50', 'Low back pain, unspecified'],
    ['279039007', 'Low back pain (finding)'],
    'Low back pain',
  ),
  headache: a('headache', ['R51.9', 'Headache, unspecified'], ['25064002', 'Headache (finding)'], 'Headache'),
  uri: a(
    'uri',
    ['J06.9', 'Acute upper respiratory infection, unspecified'],
    ['54150009', 'Upper respiratory infection (disorder)'],
    'Upper respiratory infection',
  ),
  uti: a(
    'uti',
    ['N39.0', 'Urinary tract infection, site not specified'],
    ['68566005', 'Urinary tract infectious disease (disorder)'],
    'Urinary tract infection',
  ),
  ankleSprain: a(
    'ankleSprain',
    ['S93.401A', 'Sprain of unspecified ligament of right ankle, initial encounter'],
    ['44465007', 'Sprain of ankle (disorder)'],
    'Ankle sprain',
  ),
  dizziness: a(
    'dizziness',
    ['R42', 'Dizziness and giddiness'],
    ['404640003', 'Dizziness (finding)'],
    'Dizziness',
  ),
  syncope: a('syncope', ['R55', 'Syncope and collapse'], ['271594007', 'Syncope (disorder)'], 'Syncope'),
  otitis: a(
    'otitis',
    ['H66.90', 'Otitis media, unspecified, unspecified ear'],
    ['65363002', 'Otitis media (disorder)'],
    'Otitis media',
  ),
  pneumonia: a(
    'pneumonia',
    ['J18.9', 'Pneumonia, unspecified organism'],
    ['233604007', 'Pneumonia (disorder)'],
    'Pneumonia',
  ),
  sepsis: a('sepsis', ['A41.9', 'Sepsis, unspecified organism'], ['91302008', 'Sepsis (disorder)'], 'Sepsis'),
  cellulitis: a(
    'cellulitis',
    ['L03.90', 'Cellulitis, unspecified'],
    ['128045006', 'Cellulitis (disorder)'],
    'Cellulitis',
  ),
  stroke: a(
    'stroke',
    ['I63.9', 'Cerebral infarction, unspecified'],
    ['230690007', 'Cerebrovascular accident (disorder)'],
    'Stroke',
  ),
  giBleed: a(
    'giBleed',
    ['K92.2', 'Gastrointestinal hemorrhage, unspecified'],
    ['74474003', 'Gastrointestinal hemorrhage (disorder)'],
    'GI bleed',
  ),
  aki: a(
    'aki',
    ['N17.9', 'Acute kidney failure, unspecified'],
    ['14669001', 'Acute renal failure syndrome (disorder)'],
    'Acute kidney injury',
  ),
  dehydration: a(
    'dehydration',
    ['E86.0', 'Dehydration'],
    ['34095006', 'Dehydration (disorder)'],
    'Dehydration',
  ),
  covid: a(
    'covid',
    ['U07.1', 'COVID-19'],
    ['840539006', 'Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)'],
    'COVID-19',
  ),
  hipFracture: a(
    'hipFracture',
    [
      'S72.001A',
      'Fracture of unspecified part of neck of right femur, initial encounter for closed fracture',
    ],
    ['5913000', 'Fracture of neck of femur (disorder)'],
    'Hip fracture',
  ),
  copdExacerbation: a(
    'copdExacerbation',
    ['J44.1', 'Chronic obstructive pulmonary disease with (acute) exacerbation'],
    ['195951007', 'Acute exacerbation of chronic obstructive airways disease (disorder)'],
    'COPD exacerbation',
    'copd',
  ),
  heartFailureExacerbation: a(
    'heartFailureExacerbation',
    ['I50.9', 'Heart failure, unspecified'],
    ['84114007', 'Heart failure (disorder)'],
    'Heart failure exacerbation',
    'heartFailure',
  ),
  afibRvr: a(
    'afibRvr',
    ['I48.91', 'Unspecified atrial fibrillation'],
    ['49436004', 'Atrial fibrillation (disorder)'],
    'Atrial fibrillation with rapid ventricular response',
    'afib',
  ),
} as const satisfies Record<string, AcuteDef>;
