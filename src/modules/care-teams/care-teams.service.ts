/**
 * A patient's care team, read and replaced as the signed-in user: the patient's active CareTeam, its
 * members by role, and the lead coordinator (lead.ts). Writing the CareTeam through the store changes
 * access at once: the store derives the care-team relationships in the same transaction.
 */
import type { CareTeam, CareTeamParticipant, Period, Resource } from 'fhir/r4.js';
import { badRequest } from '../../fhir/outcome.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import { displayName } from '../worklists/worklist-projection.js';
import { careTeamRole, familyMemberTypes, staffMemberTypes } from './care-teams.rules.js';
import { CARE_TEAM_LEAD, leadOfTeam } from './lead.js';

export interface CareTeamMember {
  reference: string;
  display?: string;
  role: string;
  roleCode?: string;
  period?: { start?: string; end?: string };
  lead: boolean;
}

export interface CareTeamView {
  careTeam?: CareTeam;
  lead?: { reference: string; display?: string };
  members: CareTeamMember[];
}

export interface CareTeamInput {
  members: { reference: string; role: string; period?: { start?: string; end?: string }; lead?: boolean }[];
  reason?: string;
}

/** The patient's current team: the active CareTeam updated last (a patient normally has one). */
async function activeTeam(store: ResourceStore, patientId: string): Promise<CareTeam | undefined> {
  const bundle = await store.search(
    'CareTeam',
    [
      ['subject', `Patient/${patientId}`],
      ['status', 'active'],
    ],
    '',
  );
  const teams = (bundle.entry ?? []).map((e) => e.resource as CareTeam);
  teams.sort((a, b) => (b.meta?.lastUpdated ?? '').localeCompare(a.meta?.lastUpdated ?? ''));
  return teams[0];
}

/** The view of a CareTeam the API returns. */
export function presentCareTeam(team: CareTeam | undefined, now: Date): CareTeamView {
  if (!team) return { members: [] };
  const lead = leadOfTeam(team, now);
  const members = (team.participant ?? [])
    .filter((p) => p.member?.reference)
    .map((p): CareTeamMember => {
      const coding = p.role?.[0]?.coding?.[0];
      return {
        reference: p.member!.reference!,
        ...(p.member!.display ? { display: p.member!.display } : {}),
        role: p.role?.[0]?.text ?? coding?.display ?? coding?.code ?? 'member',
        ...(coding?.code ? { roleCode: coding.code } : {}),
        ...(p.period ? { period: p.period } : {}),
        lead: !!lead && lead.reference === p.member!.reference,
      };
    });
  return { careTeam: team, ...(lead ? { lead } : {}), members };
}

/** GET: the patient's care team (404 when the patient is out of reach). */
export async function getCareTeam(store: ResourceStore, patientId: string): Promise<CareTeamView> {
  return store.audited(
    'read',
    async (s) => {
      await s.read('Patient', patientId);
      return presentCareTeam(await activeTeam(s, patientId), s.options.clock.now());
    },
    (view) => ({
      resources: [`Patient/${patientId}`, ...(view.careTeam ? [`CareTeam/${view.careTeam.id}`] : [])],
      detail: 'care team',
    }),
    { resources: [`Patient/${patientId}`], detail: 'care team' },
  );
}

function checkPeriod(
  period: { start?: string; end?: string } | undefined,
  where: string,
): Period | undefined {
  if (!period) return undefined;
  for (const key of ['start', 'end'] as const)
    if (period[key] !== undefined && Number.isNaN(Date.parse(period[key]!)))
      throw badRequest(`${where}.period.${key}: not a date or instant`, `${where}.period.${key}`);
  if (period.start && period.end && Date.parse(period.end) < Date.parse(period.start))
    throw badRequest(`${where}.period: ends before it starts`, `${where}.period`);
  return { ...(period.start ? { start: period.start } : {}), ...(period.end ? { end: period.end } : {}) };
}

function nameOf(resource: Resource): string | undefined {
  const named = resource as { name?: unknown };
  if (typeof named.name === 'string') return named.name;
  if (Array.isArray(named.name)) return displayName({ name: named.name }) ?? undefined;
  return undefined;
}

/**
 * PUT: replaces the members of the patient's active team (creating the team when there is none).
 * Every member's role must be one CareLoop offers; at most one is the lead. The write is audited as
 * an update with the reason given.
 */
export async function putCareTeam(
  store: ResourceStore,
  patientId: string,
  input: CareTeamInput,
): Promise<CareTeamView> {
  const leads = input.members.filter((m) => m.lead);
  if (leads.length > 1) throw badRequest('members: at most one member can be the lead', 'members');
  const seen = new Set<string>();
  input.members.forEach((m, i) => {
    const where = `members[${i}]`;
    const role = careTeamRole(m.role);
    if (!role)
      throw badRequest(`${where}.role: "${m.role}" is not a care-team role CareLoop offers`, `${where}.role`);
    const pattern = role.member === 'family' ? familyMemberTypes : staffMemberTypes;
    if (!pattern.test(m.reference))
      throw badRequest(
        `${where}.reference: a ${role.display.toLowerCase()} must be ${role.member === 'family' ? 'a RelatedPerson' : 'a Practitioner, PractitionerRole or Organization'} reference`,
        `${where}.reference`,
      );
    const key = `${m.reference} ${m.role}`;
    if (seen.has(key)) throw badRequest(`${where}: listed twice with the same role`, where);
    seen.add(key);
    checkPeriod(m.period, where);
  });
  let teamId: string | undefined;
  return store.audited(
    'update',
    async (s) => {
      await s.read('Patient', patientId);
      const existing = await activeTeam(s, patientId);
      const names = new Map<string, string>();
      for (const m of input.members) {
        if (names.has(m.reference)) continue;
        const [type, id] = m.reference.split('/') as [string, string];
        const name = await s.read(type, id).then(nameOf, () => undefined);
        if (name) names.set(m.reference, name);
      }
      const participant: CareTeamParticipant[] = input.members.map((m, i) => {
        const role = careTeamRole(m.role)!;
        const period = checkPeriod(m.period, `members[${i}]`);
        const display = names.get(m.reference);
        return {
          ...(m.lead ? { extension: [{ url: CARE_TEAM_LEAD, valueBoolean: true }] } : {}),
          role: [
            { coding: [{ system: role.system, code: role.code, display: role.display }], text: role.display },
          ],
          member: { reference: m.reference, ...(display ? { display } : {}) },
          ...(period ? { period } : {}),
        };
      });
      const team: CareTeam = existing
        ? { ...existing, participant }
        : {
            resourceType: 'CareTeam',
            status: 'active',
            category: [
              {
                coding: [
                  {
                    system: 'http://loinc.org',
                    code: 'LA28865-6',
                    display: 'Longitudinal care-coordination focused care team',
                  },
                ],
              },
            ],
            subject: { reference: `Patient/${patientId}` },
            period: { start: s.options.clock.now().toISOString() },
            participant,
          };
      const { meta: _meta, ...content } = team;
      const saved = existing
        ? await s.update('CareTeam', existing.id!, content as CareTeam)
        : await s.create(content as CareTeam);
      teamId = saved.resource.id;
      return presentCareTeam(saved.resource as CareTeam, s.options.clock.now());
    },
    () => ({
      resources: [`CareTeam/${teamId}`],
      ...(input.reason ? { detail: `care team changed: ${input.reason}` } : { detail: 'care team changed' }),
    }),
    { resources: [`Patient/${patientId}`], detail: 'care team change' },
  );
}
