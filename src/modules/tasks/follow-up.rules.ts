/**
 * Follow-up rules as data: when an Encounter is finished, which task is due, for which role, by when,
 * and on what authority. follow-up.service.ts applies them; docs/tasks.md lists them.
 */
import type { Encounter } from 'fhir/r4.js';
import type { Role } from '../../access/access-context.js';
import type { Priority } from './tasks.rules.js';

export interface FollowUpRule {
  /** Stable id: part of the Task.identifier that makes the rule fire once per encounter. */
  id: string;
  /** Which finished encounters the rule applies to. */
  applies(encounter: Encounter): boolean;
  title: string;
  role: Role;
  priority: Priority;
  /** Due this many days after the encounter ends (business days: Monday to Friday in the organization's zone). */
  due: { days: number; business?: boolean };
  source: { title: string; url?: string };
}

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const SNOMED = 'http://snomed.info/sct';

const classIs =
  (...codes: string[]) =>
  (e: Encounter): boolean =>
    e.class?.system === ACT_CODE && codes.includes(e.class.code ?? '');
const typeIs = (e: Encounter, code: string): boolean =>
  (e.type ?? []).some((t) => (t.coding ?? []).some((c) => c.system === SNOMED && c.code === code));

/** SNOMED 11429006 Consultation; 387713003 Surgical procedure. */
const CONSULTATION = '11429006';
const SURGICAL_PROCEDURE = '387713003';

export const followUpRules: readonly FollowUpRule[] = [
  {
    id: 'ed-follow-up-call',
    applies: classIs('EMER'),
    title: 'Follow-up call after emergency visit',
    role: 'care-coordinator',
    priority: 'urgent',
    due: { days: 2 },
    // The measure counts a visit within 7 days; a call within 2 leaves time to book it.
    source: {
      title: 'NCQA HEDIS FMC/FUM/FUA: follow-up within 7 days after an emergency department visit',
      url: 'https://www.ncqa.org/hedis/measures/follow-up-after-emergency-department-visit-for-people-with-multiple-high-risk-chronic-conditions/',
    },
  },
  // TCM after an inpatient discharge (contact, visit, medication reconciliation) is made by the
  // transitions module on the ADT discharge, with the TCM rules' deadlines: src/modules/transitions/tcm.service.ts.
  {
    id: 'specialist-consult-review',
    applies: (e) => classIs('AMB')(e) && typeIs(e, CONSULTATION),
    title: 'Review the specialist consult note',
    role: 'physician',
    priority: 'routine',
    due: { days: 7 },
    source: {
      title:
        'CareLoop policy (no published deadline): close the referral loop, as NCQA PCMH CC 04–08 asks practices to track referrals and their reports',
    },
  },
  {
    id: 'post-procedure-check',
    applies: (e) => classIs('SS')(e) || typeIs(e, SURGICAL_PROCEDURE),
    title: 'Post-procedure check',
    role: 'nurse',
    priority: 'routine',
    due: { days: 3 },
    source: {
      title:
        'CareLoop policy (no published deadline): a nurse check within 3 days of an outpatient procedure',
    },
  },
];

/** The rules a finished encounter triggers. */
export function rulesFor(encounter: Encounter): FollowUpRule[] {
  if (encounter.status !== 'finished') return [];
  return followUpRules.filter((r) => r.applies(encounter));
}
