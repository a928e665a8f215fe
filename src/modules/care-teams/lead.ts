/**
 * The lead coordinator of a patient: who is told when the patient's work falls behind, and whose
 * caseload the patient is in. Shared by tasks (escalation) and care-teams (editing the team).
 */
import type { CareTeam, CareTeamParticipant } from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';

/** Marks the lead participant explicitly (valueBoolean true); set by care-team editing. */
export const CARE_TEAM_LEAD = 'https://careloop.org/fhir/StructureDefinition/care-team-lead';
/** SNOMED CT 768832004 Case manager (occupation): the care coordinator's role on a team. */
export const CASE_MANAGER = '768832004';

export interface LeadCoordinator {
  /** `Practitioner/x` or `PractitionerRole/x`. */
  reference: string;
  display?: string;
  /** The CareTeam the lead was found on. */
  careTeamId: string;
}

/** True when the participant is marked as the team's lead. */
export function isMarkedLead(p: CareTeamParticipant): boolean {
  return (p.extension ?? []).some((e) => e.url === CARE_TEAM_LEAD && e.valueBoolean === true);
}

/** True when the participant's role is case manager (SNOMED 768832004). */
export function isCaseManager(p: CareTeamParticipant): boolean {
  return (p.role ?? []).some((r) => (r.coding ?? []).some((c) => c.code === CASE_MANAGER));
}

/**
 * The lead of a care team at `now`: the participant marked with the care-team-lead extension, else
 * the first case manager (the generator and the worklists list the coordinator first). Participants
 * whose period has ended, and members that are not people, are skipped.
 */
export function leadOfTeam(team: CareTeam, now: Date): Omit<LeadCoordinator, 'careTeamId'> | undefined {
  const current = (team.participant ?? []).filter((p) => {
    const ref = p.member?.reference ?? '';
    if (!/^(Practitioner|PractitionerRole)\//.test(ref)) return false;
    const end = p.period?.end;
    return !end || Date.parse(end) >= now.getTime();
  });
  const lead = current.find(isMarkedLead) ?? current.find(isCaseManager);
  if (!lead) return undefined;
  return {
    reference: lead.member!.reference!,
    ...(lead.member!.display ? { display: lead.member!.display } : {}),
  };
}

/**
 * The lead coordinator of `patientId`, from the patient's active CareTeams (as `store` may see them;
 * jobs pass a system store). Undefined when no active team names one.
 */
export async function leadCoordinatorOf(
  store: ResourceStore,
  patientId: string,
): Promise<LeadCoordinator | undefined> {
  const bundle = await store.search(
    'CareTeam',
    [
      ['patient', `Patient/${patientId}`],
      ['status', 'active'],
    ],
    '',
  );
  const now = store.options.clock.now();
  for (const entry of bundle.entry ?? []) {
    const team = entry.resource as CareTeam;
    const lead = leadOfTeam(team, now);
    if (lead) return { ...lead, careTeamId: team.id! };
  }
  return undefined;
}
