/**
 * Recent hospital stays for the demo (`careloop serve --demo` on a fresh database): a few of the demo
 * coordinator's patients are admitted and discharged through the real HL7 intake, relative to now, so
 * the transitions board, notifications, readmission flags and medication reconciliations have work
 * on the first sign-in. Each scenario is one a coordinator meets every week.
 */
import type { CareTeam, Patient } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { hl7Timestamp } from '../../integrations/hl7/ack.js';
import type { Hl7Intake } from '../../integrations/hl7/hl7-intake.js';
import { type AdtMessageOptions, adtMessage } from './adt-fixture.js';

const HOUR = 3_600_000;
const DEMO_MRN_SYSTEM = 'http://careloop.example/mrn';

type Pid = NonNullable<AdtMessageOptions['patient']>;

function pidOf(patient: Patient): Pid | undefined {
  const mrn = patient.identifier?.find((i) => i.system === DEMO_MRN_SYSTEM)?.value;
  const name = patient.name?.[0];
  if (!mrn || !name?.family || !patient.birthDate) return undefined;
  return {
    mrn,
    authority: 'CARELOOP',
    name: `${name.family}^${name.given?.[0] ?? ''}`,
    birthDate: patient.birthDate.replace(/-/g, ''),
    sex: patient.gender === 'female' ? 'F' : patient.gender === 'male' ? 'M' : 'U',
  };
}

/**
 * The stays, as (messages) per patient: each item is [event, options] with times in hours before now.
 * Diagnoses are ICD-10 (they feed Charlson in LACE).
 */
function scenarios(now: number): ((pid: Pid, n: number) => string[])[] {
  const at = (hoursAgo: number) => hl7Timestamp(new Date(now - hoursAgo * HOUR), 'UTC');
  const stay = (
    pid: Pid,
    visit: string,
    admitH: number,
    dischargeH: number | undefined,
    extra: Partial<AdtMessageOptions>,
  ) => {
    const base: AdtMessageOptions = {
      patient: pid,
      visit,
      admitAt: at(admitH),
      sentAt: at(admitH),
      ...extra,
    };
    const messages = [adtMessage('A01', base)];
    if (dischargeH !== undefined)
      messages.push(
        adtMessage('A03', {
          ...base,
          dischargeAt: at(dischargeH),
          sentAt: at(dischargeH),
          disposition: '01',
        }),
      );
    return messages;
  };
  return [
    // Heart failure, discharged home yesterday: the 2-business-day call is due.
    (pid, n) =>
      stay(pid, `DEMO-${n}-HF`, 4 * 24 + 6, 20, {
        diagnoses: ['I50.9^Heart failure^I10', 'E11.9^Type 2 diabetes^I10', 'N18.3^CKD stage 3^I10'],
      }),
    // COPD exacerbation discharged five days ago, nobody has called yet: the contact step is overdue.
    (pid, n) =>
      stay(pid, `DEMO-${n}-COPD`, 9 * 24, 5 * 24, { diagnoses: ['J44.1^COPD with exacerbation^I10'] }),
    // Pneumonia three weeks ago, back in hospital ten days later: a readmission within 30 days.
    (pid, n) => [
      ...stay(pid, `DEMO-${n}-PNA1`, 24 * 24, 20 * 24, {
        diagnoses: ['J18.9^Pneumonia^I10', 'I10^Hypertension^I10'],
      }),
      ...stay(pid, `DEMO-${n}-PNA2`, 10 * 24, 7 * 24, {
        diagnoses: ['J18.9^Pneumonia^I10', 'A41.9^Sepsis^I10'],
      }),
    ],
    // In hospital now (admitted the day before yesterday): the team knows, discharge planning starts.
    (pid, n) => stay(pid, `DEMO-${n}-IN`, 2 * 24, undefined, { diagnoses: ['I21.4^NSTEMI^I10'] }),
    // An emergency visit this morning, sent home: the team hears of it.
    (pid, n) => [
      adtMessage('A04', {
        patient: pid,
        visit: `DEMO-${n}-ED`,
        patientClass: 'E',
        admitAt: at(6),
        sentAt: at(6),
      }),
      adtMessage('A03', {
        patient: pid,
        visit: `DEMO-${n}-ED`,
        patientClass: 'E',
        admitAt: at(6),
        dischargeAt: at(2),
        sentAt: at(2),
        disposition: '01',
      }),
    ],
  ];
}

/**
 * Sends the demo stays of up to five of the coordinator's patients through `intake` (each message
 * acknowledged after commit, as from a hospital). Returns how many messages were accepted.
 */
export async function feedDemoTransitions(
  store: ResourceStore,
  intake: Hl7Intake,
  coordinator: string,
): Promise<number> {
  const teams = await store.search(
    'CareTeam',
    [
      ['participant', coordinator],
      ['status', 'active'],
      ['_count', '50'],
    ],
    '',
  );
  const patientRefs = [
    ...new Set(
      (teams.entry ?? [])
        .map((e) => (e.resource as CareTeam).subject?.reference)
        .filter((r): r is string => !!r?.startsWith('Patient/')),
    ),
  ];
  const now = store.options.clock.now().getTime();
  const plan = scenarios(now);
  let accepted = 0;
  let n = 0;
  for (const ref of patientRefs) {
    if (n >= plan.length) break;
    const patient = (await store.read('Patient', ref.slice('Patient/'.length))) as Patient;
    const pid = pidOf(patient);
    if (!pid || patient.deceasedBoolean || patient.deceasedDateTime) continue;
    for (const message of plan[n]!(pid, n))
      if ((await intake.receive(message)).includes('MSA|AA')) accepted++;
    n++;
  }
  return accepted;
}
