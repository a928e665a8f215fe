/**
 * The ADT message mix of the HL7 intake benchmark (bench/hl7.ts), deterministic for a seed: A04
 * outpatient registrations of new patients, A01 inpatient admits (1 in 8 a readmission of a patient
 * discharged earlier), A08 updates of admitted patients, A03 discharges of earlier admits with 1–3
 * diagnoses (readmission risk, TCM tasks, care-team notices: the heavy ones).
 */
import { adtMessage } from '../src/modules/transitions/adt-fixture.js';
import { rng } from './random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** HL7 DTM in UTC: YYYYMMDDHHMMSS+0000. */
function dtm(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace(/[-T:]/g, '')}+0000`;
}

/**
 * Names from syllables (about 400 family-prefix × given-prefix pairs and 75 birth years), so the
 * patient match's blocking searches find a handful of candidates per registration, as in a real
 * population, rather than a tenth of everyone (which a list of ten names would give).
 */
const syllables = [
  'MAR',
  'GAR',
  'SAN',
  'NGU',
  'KIM',
  'LOP',
  'WIL',
  'CHE',
  'PAT',
  'BRO',
  'JOH',
  'DAV',
  'HER',
  'ROD',
  'MIL',
  'AND',
  'TAY',
  'THO',
  'MOO',
  'JAC',
];
const endings = ['A', 'EZ', 'ER', 'SON', 'IN', 'ELL', 'ON', 'ES', 'IS', 'EN', 'OVA', 'ICK'];
const nameFrom = (n: number) =>
  `${syllables[n % 20]}${syllables[Math.floor(n / 20) % 20]}${endings[Math.floor(n / 400) % 12]}`;
const hash = (n: number, salt: number) => {
  let h = Math.imul(n ^ salt, 0x9e3779b1);
  h ^= h >>> 15;
  return (Math.imul(h, 0x85ebca6b) ^ (h >>> 13)) >>> 0;
};

const diagnoses = [
  'I50.9^Heart failure, unspecified^I10',
  'E11.9^Type 2 diabetes mellitus without complications^I10',
  'J44.1^Chronic obstructive pulmonary disease with acute exacerbation^I10',
  'N18.4^Chronic kidney disease, stage 4^I10',
  'J18.9^Pneumonia, unspecified organism^I10',
  'I10^Essential hypertension^I10',
];

export interface Planned {
  index: number;
  event: 'A01' | 'A03' | 'A04' | 'A08';
  patient: number;
  controlId: string;
  text: string;
}

/**
 * The message sequence: event weights A04 30 %, A01 30 % (1 in 8 a readmission), A08 15 %, A03 25 %
 * (of a patient admitted earlier; an A01 when none is in hospital).
 */
export function plan(count: number, tag: string, seed: number): Planned[] {
  const random = rng(seed);
  // Admits from four to two days ago; discharges in the last half day (TCM deadlines still ahead,
  // as when a feed runs in real time).
  const now = Date.now();
  const start = now - 4 * DAY;
  const step = (2 * DAY) / Math.max(1, count);
  const admitted: { patient: number; visit: string; admitAt: number }[] = [];
  const discharged: { patient: number; dischargeAt: number }[] = [];
  const visits = new Map<number, number>();
  let patients = 0;
  const out: Planned[] = [];
  const patientFields = (p: number) => ({
    mrn: `${tag}-MRN-${p}`,
    name: `${nameFrom(hash(p, 1) % 4800)}^${nameFrom(hash(p, 2) % 4800)}^^^^^L`,
    birthDate: new Date(Date.UTC(1930, 0, 1) + (hash(p, 3) % 27_000) * DAY)
      .toISOString()
      .slice(0, 10)
      .replaceAll('-', ''),
    sex: p % 2 ? 'F' : 'M',
  });
  const newVisit = (p: number) => {
    const n = (visits.get(p) ?? 0) + 1;
    visits.set(p, n);
    return `${tag}-V-${p}-${n}`;
  };
  for (let i = 0; i < count; i++) {
    const sentAt = start + i * step;
    const controlId = `${tag}-${i}`;
    const r = random();
    let planned: Omit<Planned, 'index' | 'controlId'>;
    if (r < 0.25 && admitted.length > 0) {
      const [stay] = admitted.splice(Math.floor(random() * admitted.length), 1);
      const dischargeAt = Math.max(stay!.admitAt + HOUR / 2, now - HOUR - Math.floor(random() * 12 * HOUR));
      discharged.push({ patient: stay!.patient, dischargeAt });
      planned = {
        event: 'A03',
        patient: stay!.patient,
        text: adtMessage('A03', {
          controlId,
          patient: patientFields(stay!.patient),
          visit: stay!.visit,
          patientClass: 'I',
          admitAt: dtm(stay!.admitAt),
          dischargeAt: dtm(dischargeAt),
          sentAt: dtm(dischargeAt),
          disposition: '01',
          diagnoses: [0, 1, 2]
            .slice(0, 1 + Math.floor(random() * 3))
            .map((k) => diagnoses[(stay!.patient + k) % diagnoses.length]!),
        }),
      };
    } else if (r < 0.4 && admitted.length > 0) {
      const stay = admitted[Math.floor(random() * admitted.length)]!;
      planned = {
        event: 'A08',
        patient: stay.patient,
        text: adtMessage('A08', {
          controlId,
          patient: patientFields(stay.patient),
          pid: {
            11: `${100 + i} MAIN ST^^SPRINGFIELD^IL^62701`,
            13: `^PRN^PH^^^217^555${String(i % 10000).padStart(4, '0')}`,
          },
          visit: stay.visit,
          patientClass: 'I',
          admitAt: dtm(stay.admitAt),
          sentAt: dtm(Math.max(sentAt, stay.admitAt + HOUR / 6)),
        }),
      };
    } else if (r < 0.7) {
      // A01: a new patient, or (1 in 8) a readmission of one discharged earlier.
      const candidates = discharged.filter((d) => d.dischargeAt < now - 3 * HOUR);
      const earlier =
        candidates.length > 0 && random() < 0.125
          ? candidates[Math.floor(random() * candidates.length)]
          : undefined;
      if (earlier) discharged.splice(discharged.indexOf(earlier), 1);
      const patient = earlier ? earlier.patient : patients++;
      // A readmission: back half an hour after the discharge (within 30 days: flagged).
      const admitAt = earlier ? earlier.dischargeAt + HOUR / 2 : sentAt;
      const visit = newVisit(patient);
      admitted.push({ patient, visit, admitAt });
      planned = {
        event: 'A01',
        patient,
        text: adtMessage('A01', {
          controlId,
          patient: patientFields(patient),
          visit,
          patientClass: 'I',
          admitAt: dtm(admitAt),
          diagnoses: [diagnoses[patient % diagnoses.length]!],
        }),
      };
    } else {
      const patient = patients++;
      planned = {
        event: 'A04',
        patient,
        text: adtMessage('A04', {
          controlId,
          patient: patientFields(patient),
          visit: newVisit(patient),
          patientClass: 'O',
          location: 'CLINIC^101^1^CLH',
          admitAt: dtm(sentAt),
        }),
      };
    }
    out.push({ index: i, controlId, ...planned });
  }
  return out;
}
