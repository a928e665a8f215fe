/**
 * The ADT message handler (HL7 v2 ADT → FHIR): one function per trigger event, run inside the
 * message's transaction (src/integrations/hl7), so a message's effects commit together or not at
 * all. Every write is keyed (Patient by PID-3, Encounter by visit number, the rest by
 * (encounter, kind)), so a resend with a new control id changes nothing. docs/transitions.md has
 * the event table and the field mapping.
 */
import type { Encounter, Patient } from 'fhir/r4.js';
import type { Hl7Handler, Hl7HandlerContext } from '../../integrations/hl7/hl7-handler.js';
import { Hl7ProcessingError } from '../../integrations/hl7/hl7-handler.js';
import { type BusinessCalendar, createBusinessCalendar } from '../../platform/business-calendar.js';
import { linkPatients } from '../patient-matching/patient-matching.service.js';
import {
  applyPv1,
  eventTime,
  findEncounter,
  locationOf,
  moveTo,
  recordDiagnoses,
  recordProcedures,
  requireVisitIdentifier,
  visitIdentifier,
  visitKey,
} from './adt-encounter.js';
import { identifiersOf } from './adt-fields.js';
import { findPatientByIdentifier, pidReportsDeath, upsertPatient } from './adt-patient.js';
import { notifyCareTeam, withdrawNotifications } from './notifications.service.js';
import {
  assessReadmissionRisk,
  flagReadmission,
  withdrawReadmissionFlags,
  withdrawRiskAssessments,
} from './readmission.service.js';
import { cancelEncounterTasks, startTcm } from './tcm.service.js';
import {
  DISCHARGE_TAG,
  EXPIRED,
  HL7_ACCOUNT_PREFIX,
  HL7_VISIT_PREFIX,
  notificationKinds,
  patientClassMap,
  V2_DISPOSITION,
} from './transitions.rules.js';

/** The trigger events CareLoop processes (HL7 v2.5.1 chapter 3); others are answered AR 201. */
export const supportedEvents = [
  'A01',
  'A02',
  'A03',
  'A04',
  'A05',
  'A06',
  'A07',
  'A08',
  'A11',
  'A12',
  'A13',
  'A31',
  'A40',
] as const;

interface AdtRun extends Hl7HandlerContext {
  calendar: BusinessCalendar;
  /** When the event happened (EVN-6, EVN-2, MSH-7, reception). */
  at: string;
}

const facilityName = (e: Encounter) => e.serviceProvider?.display ?? 'the hospital';
const dispositionOf = (e: Encounter) =>
  e.hospitalization?.dischargeDisposition?.coding?.find((c) => c.system === V2_DISPOSITION);

async function save(run: AdtRun, encounter: Encounter): Promise<Encounter> {
  const { resource } = encounter.id
    ? await run.store.update('Encounter', encounter.id, encounter)
    : await run.store.create(encounter);
  return resource as Encounter;
}

/** The message's patient and visit, with the visit's stored Encounter (if any) updated from the PV1. */
async function visitOf(run: AdtRun): Promise<{ patient: Patient; stored?: Encounter; encounter: Encounter }> {
  const patient = await upsertPatient(run.store, run.message, run.timeZone);
  const visit = requireVisitIdentifier(run.message);
  const stored = await findEncounter(run.store, visit);
  const encounter = await applyPv1(run.store, stored, {
    message: run.message,
    patientId: patient.id!,
    visit,
    timeZone: run.timeZone,
  });
  return { patient, ...(stored ? { stored } : {}), encounter };
}

/** A cancel event's Encounter: it must exist (AE 204 unknown key otherwise). */
async function existingVisit(run: AdtRun): Promise<Encounter> {
  await upsertPatient(run.store, run.message, run.timeZone);
  const encounter = await findEncounter(run.store, requireVisitIdentifier(run.message));
  if (!encounter)
    throw new Hl7ProcessingError(
      'AE',
      '204',
      'PV1-19',
      `PV1-19: no visit ${run.message.get('PV1-19')} is known to cancel`,
    );
  return encounter;
}

async function recordClinical(run: AdtRun, encounter: Encounter): Promise<void> {
  await recordDiagnoses(run.store, run.message, encounter, run.timeZone);
  await recordProcedures(run.store, run.message, encounter, run.timeZone);
}

async function notifyDeath(run: AdtRun, encounter: Encounter): Promise<void> {
  const pid = run.message.segment('PID');
  if ((pid && pidReportsDeath(pid)) || dispositionOf(encounter)?.code === EXPIRED)
    await notifyCareTeam(run.store, {
      encounter,
      kind: 'death',
      text: `Death reported by ${facilityName(encounter)}.`,
      at: run.at,
    });
}

/** A01 admit, A04 register, A05 pre-admit: the visit starts (or is planned). */
async function admit(run: AdtRun, event: 'A01' | 'A04' | 'A05'): Promise<void> {
  const { stored, encounter } = await visitOf(run);
  const from = stored?.status;
  if (event === 'A05') encounter.status = from && from !== 'cancelled' ? from : 'planned';
  // A late or replayed admit never reopens a finished visit; after a cancel (A11) it is a new admit.
  else encounter.status = from === 'finished' ? 'finished' : 'in-progress';
  if (event !== 'A05' && !encounter.period?.start) encounter.period = { ...encounter.period, start: run.at };
  const pv1 = run.message.segment('PV1');
  const place = pv1 ? await locationOf(run.store, pv1.field(3)) : undefined;
  // The first location starts with the stay; a new one on a later admit message starts now.
  let saved = await save(
    run,
    moveTo(encounter, place, stored ? run.at : (encounter.period?.start ?? run.at)),
  );
  await recordClinical(run, saved);
  if (event === 'A05') return;
  if (saved.class.code === 'EMER')
    await notifyCareTeam(run.store, {
      encounter: saved,
      kind: 'emergency',
      text: `Emergency department visit at ${facilityName(saved)}.`,
      at: run.at,
    });
  if (event === 'A01') {
    await notifyCareTeam(run.store, {
      encounter: saved,
      kind: 'admission',
      text: `Admitted (${saved.class.display ?? saved.class.code}) at ${facilityName(saved)}.`,
      at: run.at,
    });
    const readmitted = await flagReadmission(run.store, saved, run.timeZone);
    if (readmitted) {
      saved = readmitted.readmission;
      await notifyCareTeam(run.store, {
        encounter: saved,
        kind: 'readmission',
        text: `Readmitted within 30 days of a discharge from ${facilityName(readmitted.index)}.`,
        at: run.at,
        alsoAbout: [readmitted.index],
      });
    }
  }
  await notifyDeath(run, saved);
}

/** A03 discharge: the visit ends; risk is scored, TCM starts, the team hears of it. */
async function discharge(run: AdtRun): Promise<void> {
  const { encounter } = await visitOf(run);
  if (!encounter.period?.end) encounter.period = { ...encounter.period, end: run.at };
  const { start, end } = encounter.period;
  if (start && end && Date.parse(end) < Date.parse(start))
    throw new Hl7ProcessingError(
      'AE',
      '102',
      'PV1-45',
      `PV1-45: the discharge (${end}) is before the admission (${start})`,
    );
  encounter.status = 'finished';
  encounter.meta = {
    ...encounter.meta,
    tag: [...(encounter.meta?.tag ?? []).filter((t) => t.code !== DISCHARGE_TAG.code), DISCHARGE_TAG],
  };
  const saved = await save(run, encounter);
  await recordClinical(run, saved);
  const risk = await assessReadmissionRisk(run.store, saved, run.timeZone);
  await startTcm(
    run.store,
    saved,
    {
      ...(risk.lace ? { lace: risk.lace.total } : {}),
      ...(risk.hospital ? { hospital: risk.hospital.total } : {}),
    },
    run,
  );
  const disposition = dispositionOf(saved);
  await notifyCareTeam(run.store, {
    encounter: saved,
    kind: 'discharge',
    text: `Discharged from ${facilityName(saved)}${disposition?.display ? ` (${disposition.display.toLowerCase()})` : ''}.`,
    at: run.at,
  });
  await notifyDeath(run, saved);
}

/** A02 transfer: a new current location; the previous one is kept, completed, in the history. */
async function transfer(run: AdtRun): Promise<void> {
  const { encounter } = await visitOf(run);
  const place = await locationOf(run.store, run.message.segment('PV1')!.field(3));
  if (!place) throw new Hl7ProcessingError('AE', '101', 'PV1-3', 'PV1-3: a transfer needs the new location');
  if (encounter.status === 'planned') encounter.status = 'in-progress';
  await save(run, moveTo(encounter, place, run.at));
}

/** A12 cancel transfer: back to the location before the last transfer. */
async function cancelTransfer(run: AdtRun): Promise<void> {
  const encounter = await existingVisit(run);
  const history = [...(encounter.location ?? [])];
  const currentIndex = history.findLastIndex((l) => l.status === 'active');
  const restoredTo = await locationOf(run.store, run.message.segment('PV1')!.field(3));
  // Already there (a resent A12): nothing to undo.
  if (currentIndex < 1 || (restoredTo && history[currentIndex]!.location.reference === restoredTo.reference))
    return;
  const previous = history[currentIndex - 1]!;
  const { end: _end, ...period } = previous.period ?? {};
  history.splice(currentIndex - 1, 2, { ...previous, status: 'active', period });
  await save(run, { ...encounter, location: history });
}

/** A06 outpatient → inpatient, A07 inpatient → outpatient: the class changes, the old one kept in classHistory. */
async function changeClass(run: AdtRun, event: 'A06' | 'A07'): Promise<void> {
  const patient = await upsertPatient(run.store, run.message, run.timeZone);
  const visit = requireVisitIdentifier(run.message);
  const mrg = run.message.segment('MRG');
  // The visit may arrive under a new number: MRG-5 (prior visit) or MRG-3 (prior account) finds the old one.
  let stored = await findEncounter(run.store, visit);
  // MRG-5 prior visit number, MRG-3 prior account number: keyed as PV1-19 and PID-18 are.
  const prior = mrg
    ? [
        visitKey(mrg.field(5), HL7_VISIT_PREFIX, run.message),
        visitKey(mrg.field(3), HL7_ACCOUNT_PREFIX, run.message),
      ]
    : [];
  for (const key of prior) if (!stored && key) stored = await findEncounter(run.store, key);
  const before = stored?.class;
  const encounter = await applyPv1(run.store, stored, {
    message: run.message,
    patientId: patient.id!,
    visit,
    timeZone: run.timeZone,
  });
  if (run.message.segment('PV1')?.field(2).isEmpty() !== false)
    encounter.class = patientClassMap[event === 'A06' ? 'I' : 'O']!;
  if (before && before.code !== encounter.class.code)
    encounter.classHistory = [
      ...(encounter.classHistory ?? []),
      {
        class: before,
        period: { ...(stored?.period?.start ? { start: stored.period.start } : {}), end: run.at },
      },
    ];
  if (!(encounter.identifier ?? []).some((i) => i.system === visit.system && i.value === visit.value))
    encounter.identifier = [...(encounter.identifier ?? []), visit];
  if (encounter.status !== 'finished') encounter.status = 'in-progress';
  await save(run, encounter);
}

/** A08 update: demographics, and the visit when it is known. A31: demographics only. */
async function update(run: AdtRun, event: 'A08' | 'A31'): Promise<void> {
  const patient = await upsertPatient(run.store, run.message, run.timeZone);
  const visit = event === 'A08' ? visitIdentifier(run.message) : undefined;
  const stored = visit ? await findEncounter(run.store, visit) : undefined;
  if (!visit || !stored) return;
  const saved = await save(
    run,
    await applyPv1(run.store, stored, {
      message: run.message,
      patientId: patient.id!,
      visit,
      timeZone: run.timeZone,
    }),
  );
  await recordClinical(run, saved);
  await notifyDeath(run, saved);
}

/** A11 cancel admit/visit: the Encounter is cancelled and everything it set off is withdrawn. */
async function cancelAdmit(run: AdtRun): Promise<void> {
  const encounter = await existingVisit(run);
  if (encounter.status === 'cancelled') return;
  const saved = await save(run, { ...encounter, status: 'cancelled' });
  await cancelEncounterTasks(run.store, saved.id!, 'Admission cancelled by the hospital (ADT A11)', 'all');
  await withdrawNotifications(run.store, saved.id!, notificationKinds);
  await withdrawRiskAssessments(run.store, saved.id!);
  await withdrawReadmissionFlags(run.store, saved);
}

/** A13 cancel discharge: the visit is in progress again; the discharge's tasks, scores and notices are withdrawn. */
async function cancelDischarge(run: AdtRun): Promise<void> {
  const encounter = await existingVisit(run);
  if (encounter.status !== 'finished') return;
  const { end: _end, ...period } = encounter.period ?? {};
  const { dischargeDisposition: _d, ...hospitalization } = encounter.hospitalization ?? {};
  const next: Encounter = {
    ...encounter,
    status: 'in-progress',
    period,
    hospitalization,
  };
  const tags = (encounter.meta?.tag ?? []).filter((t) => t.code !== DISCHARGE_TAG.code);
  next.meta = { ...encounter.meta, tag: tags };
  if (tags.length === 0) delete next.meta.tag;
  if (Object.keys(hospitalization).length === 0) delete next.hospitalization;
  const saved = await save(run, next);
  await cancelEncounterTasks(
    run.store,
    saved.id!,
    'Discharge cancelled by the hospital (ADT A13)',
    'discharge',
  );
  await withdrawNotifications(run.store, saved.id!, ['discharge', 'death']);
  await withdrawRiskAssessments(run.store, saved.id!);
}

/** A40 merge: the MRG-1 patient is replaced by the PID's (Patient.link, the old one inactive). */
async function merge(run: AdtRun): Promise<void> {
  const survivor = await upsertPatient(run.store, run.message, run.timeZone);
  const mrg = run.message.segment('MRG');
  const identifiers = mrg ? identifiersOf(mrg.field(1), run.message.sendingFacility) : [];
  if (identifiers.length === 0)
    throw new Hl7ProcessingError('AE', '101', 'MRG-1', 'MRG-1: the prior patient identifier is missing');
  const old = await findPatientByIdentifier(run.store, identifiers);
  // A merge of a patient CareLoop never saw leaves nothing to link (the survivor is recorded above).
  if (!old.patientId || old.patientId === survivor.id) return;
  await linkPatients(run.store, { keep: survivor.id!, duplicate: old.patientId });
}

/** Builds the ADT handler with the organization's business calendar (TCM contact deadline). */
export function createAdtHandler(options: { calendar?: BusinessCalendar } = {}): Hl7Handler {
  const calendar = options.calendar ?? createBusinessCalendar();
  return async (context) => {
    const event = context.message.event.trim().toUpperCase();
    if (!(supportedEvents as readonly string[]).includes(event))
      throw new Hl7ProcessingError(
        'AR',
        '201',
        'MSH-9.2',
        `MSH-9.2: ADT event "${event}" is not supported (CareLoop processes ${supportedEvents.join(', ')})`,
      );
    const run: AdtRun = {
      ...context,
      calendar,
      at: eventTime(context.message, context.receivedAt, context.timeZone),
    };
    switch (event) {
      case 'A01':
      case 'A04':
      case 'A05':
        return admit(run, event);
      case 'A02':
        return transfer(run);
      case 'A03':
        return discharge(run);
      case 'A06':
      case 'A07':
        return changeClass(run, event);
      case 'A08':
      case 'A31':
        return update(run, event);
      case 'A11':
        return cancelAdmit(run);
      case 'A12':
        return cancelTransfer(run);
      case 'A13':
        return cancelDischarge(run);
      case 'A40':
        return merge(run);
    }
  };
}

/** The ADT handler with the default (US federal) business calendar; the app builds one from config. */
export const handleAdtMessage: Hl7Handler = createAdtHandler();
