/**
 * Readmission risk at discharge (LACE always, HOSPITAL when the stay's hemoglobin and sodium are
 * known), stored as FHIR RiskAssessments the worklist reads for its risk tier; and the 30-day
 * readmission flag raised when an inpatient admission follows an inpatient discharge within 30 days.
 */
import type {
  Condition,
  Encounter,
  Flag,
  Observation,
  Reference,
  Resource,
  RiskAssessment,
} from 'fhir/r4.js';
import { coversSensitivity, sensitivityOf, withLabelsOf } from '../../access/policy/access-facts.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { localDaysBetween } from '../worklists/local-day.js';
import { identifierQuery } from './adt-fields.js';
import { charlsonIndex } from './charlson.rules.js';
import { hospitalScore, laceScore, lengthOfStayDays, type RiskScore } from './readmission-risk.rules.js';
import {
  admissionTypeMap,
  icd10Systems,
  READMISSION_ID_SYSTEM,
  READMISSION_TAG,
  READMITTED_TAG,
  RELATED_ENCOUNTER_EXTENSION,
  RISK_FACTOR_EXTENSION,
  RISK_ID_SYSTEM,
  RISK_SCORE_SYSTEM,
  TRANSITION_SYSTEM,
  V2_ADMISSION_TYPE,
} from './transitions.rules.js';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const LOINC = 'http://loinc.org';
/** LOINC 718-7 Hemoglobin [Mass/volume] in Blood; 2951-2 Sodium [Moles/volume] in Serum or Plasma. */
const HEMOGLOBIN = '718-7';
const SODIUM = '2951-2';
/** Extension on a RiskAssessment carrying the instrument's total points. */
export const RISK_TOTAL_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/risk-score-total';

/** Instrument band → HL7 risk-probability code (what the worklist's risk tier reads). */
const tierOf: Record<RiskScore['band'], { code: string; display: string }> = {
  low: { code: 'low', display: 'Low likelihood' },
  moderate: { code: 'moderate', display: 'Moderate likelihood' },
  intermediate: { code: 'moderate', display: 'Moderate likelihood' },
  high: { code: 'high', display: 'High likelihood' },
};

/** True for an admission the PV1-4 admission type (E, U, A) or an emergency class calls acute/emergent. */
export function isAcuteAdmission(encounter: Encounter): boolean {
  const type = encounter.priority?.coding?.find((c) => c.system === V2_ADMISSION_TYPE)?.code;
  if (type) return admissionTypeMap[type]?.acute ?? false;
  const priority = encounter.priority?.coding?.[0]?.code;
  return priority === 'EM' || priority === 'UR' || encounter.class?.code === 'EMER';
}

const isLive = (e: Encounter) => e.status !== 'cancelled' && e.status !== 'entered-in-error';
const monthsBefore = (iso: string, months: number) => {
  const d = new Date(iso);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
};

async function all<T>(store: ResourceStore, type: string, query: [string, string][]): Promise<T[]> {
  const bundle = await store.search(type, [...query, ['_count', String(store.options.maxPageSize)]], '');
  return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

async function encountersOfClass(store: ResourceStore, patient: string, code: string): Promise<Encounter[]> {
  return (
    await all<Encounter>(store, 'Encounter', [
      ['patient', patient],
      ['class', `${ACT_CODE}|${code}`],
    ])
  ).filter(isLive);
}

const icd10CodesOf = (conditions: Condition[]) =>
  conditions.flatMap((c) =>
    (c.code?.coding ?? [])
      .filter((x) => Object.values(icd10Systems).includes(x.system ?? ''))
      .map((x) => x.code!),
  );

/** The latest result of a LOINC code during the stay, in g/dL (hemoglobin) or mmol/L (sodium). */
async function latestDuring(
  store: ResourceStore,
  patient: string,
  code: string,
  start: string,
  end: string,
): Promise<{ value: number; reference: Reference; source: Observation } | undefined> {
  const observations = await all<Observation>(store, 'Observation', [
    ['patient', patient],
    ['code', `${LOINC}|${code}`],
    ['date', `ge${start}`],
    ['date', `le${end}`],
  ]);
  const usable = observations
    .filter(
      (o) => ['final', 'amended', 'corrected'].includes(o.status) && o.valueQuantity?.value !== undefined,
    )
    .sort((a, b) => (b.effectiveDateTime ?? '').localeCompare(a.effectiveDateTime ?? ''));
  const latest = usable[0];
  if (!latest) return undefined;
  let value = latest.valueQuantity!.value!;
  // Hemoglobin reported in g/L (SI) is converted to the g/dL HOSPITAL's threshold is written in.
  if (code === HEMOGLOBIN && (latest.valueQuantity!.code ?? latest.valueQuantity!.unit) === 'g/L')
    value = value / 10;
  return { value, reference: { reference: `Observation/${latest.id}` } as Reference, source: latest };
}

/** The Conditions whose ICD-10 codes are among `codes` (the ones a score counted). */
const conditionsWith = (conditions: Condition[], codes: string[]) =>
  conditions.filter((c) => icd10CodesOf([c]).some((code) => codes.includes(code)));

/**
 * The discharge's LACE and HOSPITAL scores, from the record as stored, each with the records it was
 * computed from (`sources`: the stay, the conditions and visits it counted, the results it used),
 * whose sensitivity labels its RiskAssessment carries, since it quotes them.
 */
export async function computeReadmissionRisk(
  store: ResourceStore,
  encounter: Encounter,
  timeZone: string,
): Promise<{
  lace?: RiskScore;
  hospital?: RiskScore;
  basis: Reference[];
  sources: Partial<Record<RiskScore['instrument'], Resource[]>>;
}> {
  const start = encounter.period?.start;
  const end = encounter.period?.end;
  if (!start || !end || Date.parse(end) < Date.parse(start)) return { basis: [], sources: {} };
  const patient = encounter.subject!.reference!;
  const los = lengthOfStayDays(new Date(start), new Date(end), timeZone);
  const acute = isAcuteAdmission(encounter);
  const active = await all<Condition>(store, 'Condition', [
    ['patient', patient],
    ['clinical-status', 'active'],
  ]);
  const ofStay = await all<Condition>(store, 'Condition', [['encounter', `Encounter/${encounter.id}`]]);
  const charlson = charlsonIndex([...new Set([...icd10CodesOf(active), ...icd10CodesOf(ofStay)])]);
  const admittedMs = Date.parse(start);
  const before = (e: Encounter, from: number) => {
    const at = Date.parse(e.period?.start ?? '');
    return e.id !== encounter.id && at >= from && at < admittedMs;
  };
  const edVisits = (await encountersOfClass(store, patient, 'EMER')).filter((e) =>
    before(e, monthsBefore(start, 6)),
  );
  const lace = laceScore({
    lengthOfStayDays: los,
    acuteAdmission: acute,
    charlson: charlson.score,
    emergencyVisits6Months: edVisits.length,
  });
  const counted = charlson.conditions.flatMap((c) => c.codes);
  const sources: Partial<Record<RiskScore['instrument'], Resource[]>> = {
    LACE: [encounter, ...conditionsWith([...active, ...ofStay], counted), ...edVisits],
  };

  const hemoglobin = await latestDuring(store, patient, HEMOGLOBIN, start, end);
  const sodium = await latestDuring(store, patient, SODIUM, start, end);
  const basis: Reference[] = [
    { reference: `Encounter/${encounter.id}` },
    ...ofStay.map((c) => ({ reference: `Condition/${c.id}` })),
  ];
  if (!hemoglobin || !sodium) return { lace, basis, sources };
  const oncologyCodes = icd10CodesOf(ofStay).filter((code) => {
    const c = code.replace('.', '').toUpperCase();
    return /^C([0-8]\d|9[0-7])/.test(c) || /^D(3[7-9]|4[0-8])/.test(c);
  });
  const procedures = await all<Resource>(store, 'Procedure', [['encounter', `Encounter/${encounter.id}`]]);
  const admissions = (await encountersOfClass(store, patient, 'IMP')).filter((e) =>
    before(e, monthsBefore(start, 12)),
  );
  const hospital = hospitalScore({
    hemoglobinGdl: hemoglobin.value,
    sodiumMmolL: sodium.value,
    oncologyDischarge: oncologyCodes.length > 0,
    procedureDuringStay: procedures.length > 0,
    nonElectiveAdmission: acute,
    admissionsPrior12Months: admissions.length,
    lengthOfStayDays: los,
  });
  if (hospital)
    sources.HOSPITAL = [
      encounter,
      hemoglobin.source,
      sodium.source,
      ...conditionsWith(ofStay, oncologyCodes),
      ...procedures,
      ...admissions,
    ];
  return {
    lace,
    ...(hospital ? { hospital } : {}),
    basis: [...basis, hemoglobin.reference, sodium.reference],
    sources,
  };
}

/** A score as a RiskAssessment: band as qualitativeRisk, every factor (value, points) as an extension. */
export function riskAssessmentOf(encounter: Encounter, score: RiskScore, basis: Reference[]): RiskAssessment {
  const tier = tierOf[score.band];
  return {
    resourceType: 'RiskAssessment',
    extension: [
      { url: RISK_TOTAL_EXTENSION, valueInteger: score.total },
      ...score.factors.map((f) => ({
        url: RISK_FACTOR_EXTENSION,
        extension: [
          { url: 'code', valueString: f.code },
          { url: 'label', valueString: f.label },
          { url: 'value', valueString: String(f.value) },
          { url: 'points', valueInteger: f.points },
        ],
      })),
    ],
    identifier: [{ system: RISK_ID_SYSTEM, value: `${encounter.id}:${score.instrument}` }],
    status: 'final',
    method: { text: `${score.source.title} ${score.source.url}` },
    code: {
      coding: [{ system: RISK_SCORE_SYSTEM, code: score.instrument }],
      text: `${score.instrument} readmission risk`,
    },
    subject: encounter.subject!,
    encounter: { reference: `Encounter/${encounter.id}` },
    occurrenceDateTime: encounter.period!.end!,
    basis,
    prediction: [
      {
        outcome: { text: 'Unplanned readmission or death within 30 days of discharge' },
        // The scores give a band, not a calibrated probability: qualitativeRisk only (R4 allows a
        // prediction without probability[x]; ras-2 is about a probability that is given).
        qualitativeRisk: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', ...tier }],
          text: `${score.band} (${score.instrument} ${score.total}/${score.max})`,
        },
      },
    ],
    note: [
      {
        text: `${score.instrument} ${score.total}/${score.max}, ${score.band}: ${score.factors.map((f) => `${f.code} ${f.label} = ${f.value} (${f.points})`).join('; ')}`,
      },
    ],
  };
}

/** Computes and stores LACE/HOSPITAL for a discharge (updated in place when the discharge is resent). */
export async function assessReadmissionRisk(
  store: ResourceStore,
  encounter: Encounter,
  timeZone: string,
): Promise<{ lace?: RiskScore; hospital?: RiskScore; assessments: RiskAssessment[] }> {
  const { lace, hospital, basis, sources } = await computeReadmissionRisk(store, encounter, timeZone);
  const assessments: RiskAssessment[] = [];
  for (const score of [lace, hospital]) {
    if (!score) continue;
    // Its note and factors quote the stay, the conditions, visits and results counted: it carries
    // their sensitivity labels, so only those who may see all of them see it.
    const resource = withLabelsOf(riskAssessmentOf(encounter, score, basis), sources[score.instrument] ?? []);
    const [id] = await store.matchIds('RiskAssessment', identifierQuery(resource.identifier![0]!), 1);
    const saved = id
      ? await store.update('RiskAssessment', id, { ...resource, id })
      : await store.create(resource);
    assessments.push(saved.resource as RiskAssessment);
  }
  return { ...(lace ? { lace } : {}), ...(hospital ? { hospital } : {}), assessments };
}

/** Cancels the discharge's risk assessments (A13): the discharge they scored did not happen. */
export async function withdrawRiskAssessments(store: ResourceStore, encounterId: string): Promise<void> {
  for (const instrument of ['LACE', 'HOSPITAL']) {
    const [id] = await store.matchIds(
      'RiskAssessment',
      identifierQuery({ system: RISK_ID_SYSTEM, value: `${encounterId}:${instrument}` }),
      1,
    );
    if (!id) continue;
    const ra = (await store.read('RiskAssessment', id)) as RiskAssessment;
    if (ra.status !== 'cancelled') await store.update('RiskAssessment', id, { ...ra, status: 'cancelled' });
  }
}

/** CMS's readmission window: an admission within 30 days of the previous discharge. */
export const READMISSION_WINDOW_DAYS = 30;

const withTag = (e: Encounter, tag: typeof READMISSION_TAG): Encounter => ({
  ...e,
  meta: {
    ...e.meta,
    tag: [...(e.meta?.tag ?? []).filter((t) => !(t.system === tag.system && t.code === tag.code)), tag],
  },
});

/**
 * On an inpatient admission: finds an inpatient discharge of the same patient within the previous
 * 30 local days and, if there is one, flags both stays (a Flag on the patient naming both, carrying
 * the sensitivity labels of both; a tag on each Encounter, unless it would tell of the other stay
 * someone who may not see that one). Returns the Flag and both stays; undefined when this is no
 * readmission.
 */
export async function flagReadmission(
  store: ResourceStore,
  encounter: Encounter,
  timeZone: string,
): Promise<{ flag: Flag; index: Encounter; readmission: Encounter } | undefined> {
  const admitted = encounter.period?.start;
  if (!admitted || encounter.class?.code !== 'IMP') return undefined;
  const patient = encounter.subject!.reference!;
  const admittedMs = Date.parse(admitted);
  const previous = (await encountersOfClass(store, patient, 'IMP'))
    .filter((e) => e.id !== encounter.id && e.status === 'finished' && e.period?.end)
    .filter((e) => {
      const end = Date.parse(e.period!.end!);
      return end <= admittedMs && localDaysBetween(end, admittedMs, timeZone) <= READMISSION_WINDOW_DAYS;
    })
    .sort((a, b) => b.period!.end!.localeCompare(a.period!.end!))[0];
  if (!previous) return undefined;
  const identifier = { system: READMISSION_ID_SYSTEM, value: `${previous.id}:${encounter.id}` };
  const flag: Flag = {
    resourceType: 'Flag',
    extension: [
      {
        url: RELATED_ENCOUNTER_EXTENSION,
        valueReference: { reference: `Encounter/${previous.id}`, display: 'index stay' },
      },
      {
        url: RELATED_ENCOUNTER_EXTENSION,
        valueReference: { reference: `Encounter/${encounter.id}`, display: 'readmission' },
      },
    ],
    identifier: [identifier],
    status: 'active',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/flag-category',
            code: 'clinical',
            display: 'Clinical',
          },
        ],
      },
    ],
    code: {
      coding: [
        {
          system: TRANSITION_SYSTEM,
          code: READMISSION_TAG.code!,
          display: 'Readmitted within 30 days of an inpatient discharge',
        },
      ],
      text: 'Readmitted within 30 days of an inpatient discharge',
    },
    subject: { reference: patient },
    period: { start: admitted },
    encounter: { reference: `Encounter/${encounter.id}` },
  };
  const saved = (
    await store.create(withLabelsOf(flag, [previous, encounter]), {
      ifNoneExist: identifierQuery(identifier),
    })
  ).resource as Flag;
  // A tag on one stay tells of the other: only when whoever may see this one may see that one too.
  const tagged = async (stay: Encounter, other: Encounter, tag: typeof READMISSION_TAG) =>
    coversSensitivity(sensitivityOf(stay), sensitivityOf(other))
      ? ((await store.update('Encounter', stay.id!, withTag(stay, tag))).resource as Encounter)
      : stay;
  const index = await tagged(previous, encounter, READMITTED_TAG);
  const readmission = await tagged(encounter, previous, READMISSION_TAG);
  return { flag: saved, index, readmission };
}

/** Withdraws the readmission flags naming this encounter (its admission was cancelled, A11). */
export async function withdrawReadmissionFlags(store: ResourceStore, encounter: Encounter): Promise<void> {
  const flags = await all<Flag>(store, 'Flag', [['patient', encounter.subject!.reference!]]);
  for (const flag of flags) {
    const names = flag.extension?.some(
      (e) =>
        e.url === RELATED_ENCOUNTER_EXTENSION && e.valueReference?.reference === `Encounter/${encounter.id}`,
    );
    if (names && flag.status !== 'entered-in-error')
      await store.update('Flag', flag.id!, { ...flag, status: 'entered-in-error' });
  }
}
