/**
 * The transitions board: recent discharges with what a coordinator works from (patient, stay, risk,
 * complexity, TCM tasks with their deadlines, contact attempts, readmission flag). Read through the
 * store as the user, so only patients they may see appear and every read is audited.
 */
import type { Communication, Encounter, Flag, Patient, RiskAssessment, Task } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { openStatuses } from '../tasks/tasks.rules.js';
import { displayName } from '../worklists/worklist-projection.js';
import { searchEscape } from './adt-fields.js';
import { RISK_TOTAL_EXTENSION } from './readmission.service.js';
import { complexityOf } from './tcm.service.js';
import { CONTACT_ATTEMPT_CATEGORY, outcomeOf } from './tcm-contact.service.js';
import { type RiskView, type TcmTaskKind, type TransitionView, tcmTaskKinds } from './transition-view.js';
import {
  DISCHARGE_TAG,
  RELATED_ENCOUNTER_EXTENSION,
  RISK_FACTOR_EXTENSION,
  RISK_SCORE_SYSTEM,
  TCM_PERIOD_EXTENSION,
  TCM_TASK_ID_SYSTEM,
  V2_DISPOSITION,
} from './transitions.rules.js';

function ageAt(birthDate: string | undefined, now: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(birthDate ?? '');
  if (!m) return null;
  let age = now.getUTCFullYear() - Number(m[1]);
  const beforeBirthday =
    now.getUTCMonth() + 1 < Number(m[2]) ||
    (now.getUTCMonth() + 1 === Number(m[2]) && now.getUTCDate() < Number(m[3]));
  if (beforeBirthday) age--;
  return age;
}

async function byRefs<T>(store: ResourceStore, type: string, param: string, refs: string[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < refs.length; i += 50) {
    const chunk = refs.slice(i, i + 50);
    const bundle = await store.search(
      type,
      [
        [param, chunk.map(searchEscape).join(',')],
        ['_count', String(store.options.maxPageSize)],
      ],
      '',
    );
    out.push(...(bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T));
  }
  return out;
}

function riskView(ra: RiskAssessment | undefined, withFactors: boolean): RiskView | null {
  if (!ra || ra.status === 'cancelled' || ra.status === 'entered-in-error') return null;
  const prediction = ra.prediction?.[0]?.qualitativeRisk;
  const tier = prediction?.coding?.[0]?.code;
  const factors = (ra.extension ?? [])
    .filter((e) => e.url === RISK_FACTOR_EXTENSION)
    .map((e) => {
      const part = (url: string) => e.extension?.find((x) => x.url === url);
      return {
        code: part('code')?.valueString ?? '',
        label: part('label')?.valueString ?? '',
        value: part('value')?.valueString ?? '',
        points: part('points')?.valueInteger ?? 0,
      };
    });
  return {
    score: ra.extension?.find((e) => e.url === RISK_TOTAL_EXTENSION)?.valueInteger ?? 0,
    band: prediction?.text?.split(' ')[0] ?? tier ?? '',
    ...(tier ? { tier } : {}),
    ...(withFactors ? { factors } : {}),
  };
}

async function viewsOf(
  store: ResourceStore,
  encounters: Encounter[],
  withFactors: boolean,
): Promise<TransitionView[]> {
  if (encounters.length === 0) return [];
  const now = store.options.clock.now();
  const encRefs = encounters.map((e) => `Encounter/${e.id}`);
  const patientIds = [...new Set(encounters.map((e) => e.subject!.reference!.replace(/^Patient\//, '')))];
  const patients = new Map(
    (await byRefs<Patient>(store, 'Patient', '_id', patientIds)).map((p) => [p.id!, p]),
  );
  const tasks = (await byRefs<Task>(store, 'Task', 'encounter', encRefs)).filter((t) =>
    t.identifier?.some((i) => i.system === TCM_TASK_ID_SYSTEM),
  );
  const risks = await byRefs<RiskAssessment>(store, 'RiskAssessment', 'encounter', encRefs);
  const attempts = (await byRefs<Communication>(store, 'Communication', 'encounter', encRefs)).filter((c) =>
    c.category?.some((x) => x.coding?.some((k) => k.code === CONTACT_ATTEMPT_CATEGORY.code)),
  );
  const flags = (
    await byRefs<Flag>(
      store,
      'Flag',
      'patient',
      patientIds.map((id) => `Patient/${id}`),
    )
  ).filter((f) => f.status === 'active');
  return encounters.map((e) => {
    const ref = `Encounter/${e.id}`;
    const patient = patients.get(e.subject!.reference!.replace(/^Patient\//, ''));
    const own = tasks.filter((t) => t.encounter?.reference === ref);
    const kindOf = (t: Task) =>
      t
        .identifier!.find((i) => i.system === TCM_TASK_ID_SYSTEM)!
        .value!.split(':')
        .pop() as TcmTaskKind;
    const contact = own.find((t) => kindOf(t) === 'tcm-interactive-contact');
    const period = contact?.extension?.find((x) => x.url === TCM_PERIOD_EXTENSION)?.valuePeriod;
    const riskOf = (code: string) =>
      risks.find(
        (r) =>
          r.encounter?.reference === ref &&
          r.code?.coding?.some((c) => c.system === RISK_SCORE_SYSTEM && c.code === code),
      );
    const flag = flags.find((f) =>
      f.extension?.some((x) => x.url === RELATED_ENCOUNTER_EXTENSION && x.valueReference?.reference === ref),
    );
    const disposition = e.hospitalization?.dischargeDisposition?.coding?.find(
      (c) => c.system === V2_DISPOSITION,
    );
    // The flag names the index stay first (flagReadmission), so the role needs no tag on the stay,
    // which is left off when the other stay is more sensitive.
    const related = flag?.extension?.filter((x) => x.url === RELATED_ENCOUNTER_EXTENSION) ?? [];
    const isIndex = related[0]?.valueReference?.reference === ref;
    return {
      encounterId: e.id!,
      patient: {
        id: patient?.id ?? e.subject!.reference!.replace(/^Patient\//, ''),
        name: patient ? displayName(patient) : null,
        age: ageAt(patient?.birthDate, now),
      },
      facility: e.serviceProvider?.display ?? null,
      class: e.class?.code ?? null,
      admittedAt: e.period?.start ?? null,
      dischargedAt: e.period?.end ?? null,
      disposition: disposition
        ? { code: disposition.code!, ...(disposition.display ? { display: disposition.display } : {}) }
        : null,
      risk: {
        lace: riskView(riskOf('LACE'), withFactors),
        hospital: riskView(riskOf('HOSPITAL'), withFactors),
      },
      complexity: complexityOf(own.find((t) => kindOf(t) === 'tcm-face-to-face')) ?? null,
      tcmPeriod: period
        ? { ...(period.start ? { start: period.start } : {}), ...(period.end ? { end: period.end } : {}) }
        : null,
      tasks: own
        .sort((a, b) => tcmTaskKinds.indexOf(kindOf(a)) - tcmTaskKinds.indexOf(kindOf(b)))
        .map((t) => {
          const dueAt = t.restriction?.period?.end ?? null;
          return {
            id: t.id!,
            kind: kindOf(t),
            title: t.code?.text ?? kindOf(t),
            status: t.status,
            ...(t.statusReason?.text ? { statusReason: t.statusReason.text } : {}),
            ...(t.owner?.reference ? { owner: t.owner.reference } : {}),
            dueAt,
            overdue:
              !!dueAt &&
              (openStatuses as readonly string[]).includes(t.status) &&
              Date.parse(dueAt) < now.getTime(),
          };
        }),
      contactAttempts: attempts
        .filter((c) => c.encounter?.reference === ref)
        .sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? ''))
        .map((c) => ({
          id: c.id!,
          at: c.sent ?? null,
          channel: c.medium?.[0]?.text ?? null,
          outcome: outcomeOf(c) ?? null,
          ...(c.note?.[0]?.text ? { note: c.note[0].text } : {}),
        })),
      readmission: flag
        ? {
            flagId: flag.id!,
            role: isIndex ? ('index' as const) : ('readmission' as const),
            otherEncounterId:
              flag.extension
                ?.find((x) => x.url === RELATED_ENCOUNTER_EXTENSION && x.valueReference?.reference !== ref)
                ?.valueReference?.reference?.replace(/^Encounter\//, '') ?? null,
          }
        : null,
    };
  });
}

/** Every discharge (A03) of the last `days` days the user may see, most recent first. */
export async function transitionBoard(store: ResourceStore, days: number): Promise<TransitionView[]> {
  const since = new Date(store.options.clock.now().getTime() - days * 86_400_000).toISOString();
  const bundle = await store.search(
    'Encounter',
    [
      ['_tag', `${DISCHARGE_TAG.system}|${DISCHARGE_TAG.code}`],
      ['status', 'finished'],
      ['date', `ge${since}`],
      ['_count', String(store.options.maxPageSize)],
    ],
    '',
  );
  const encounters = (bundle.entry ?? [])
    .map((e) => e.resource as Encounter)
    .filter((e) => e.period?.end && e.period.end >= since)
    .sort((a, b) => b.period!.end!.localeCompare(a.period!.end!));
  return viewsOf(store, encounters, false);
}

/** One transition with everything, risk factors included (404 when the user may not see it). */
export async function transitionDetail(store: ResourceStore, encounterId: string): Promise<TransitionView> {
  const encounter = (await store.read('Encounter', encounterId)) as Encounter;
  const [view] = await viewsOf(store, [encounter], true);
  return view!;
}
