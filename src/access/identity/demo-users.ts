/**
 * Demo sign-ins, one per role, linked to people in the generated demo population, so that a visitor
 * can see CareLoop as a coordinator, a nurse, a patient, a caregiver... Never in production: they
 * share one published password.
 */
import type {
  CareTeam,
  Consent,
  HumanName,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  RelatedPerson,
  Resource,
  ServiceRequest,
  Task,
} from 'fhir/r4.js';
import type { ResourceStore } from '../../fhir/store/store.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/database.js';
import type { Role } from '../access-context.js';
import { createUser } from './users.service.js';

/** The one password of every demo user (published in the README and the start-up log). */
export const DEMO_PASSWORD = 'careloop-demo-2026';
const DOMAIN = 'demo.careloop.org';
const SNOMED = 'http://snomed.info/sct';

export interface DemoUser {
  email: string;
  role: Role;
  name: string;
  resource?: string;
}

/**
 * The CareTeam participant role that marks each clinical role in the generated population (SNOMED
 * occupations; NUCC for community health workers, which SNOMED lacks; see generator/care-team.ts).
 */
const teamRoleCodes: [Role, string, string][] = [
  ['care-coordinator', 'coordinator', '768832004'],
  ['physician', 'physician', '446050000'],
  ['nurse', 'nurse', '224535009'],
  ['pharmacist', 'pharmacist', '46255001'],
  ['social-worker', 'social-worker', '106328005'],
  ['dietitian', 'dietitian', '159033005'],
  ['community-health-worker', 'chw', '172V00000X'],
];

const nameOf = (names: HumanName[] | undefined, fallback: string): string => {
  const n = names?.[0];
  if (!n) return fallback;
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ');
};

/**
 * Creates the demo users when the users table is empty (else returns undefined), linking each
 * clinical role to the Practitioner on the most active care teams in that role, the patient user to a
 * patient of the coordinator, and creating what the population lacks: a caregiver with a proxy
 * Consent, a community food bank with referrals from the coordinator, and practitioners for the
 * auditor and the admin. Throws under NODE_ENV=production.
 */
export async function createDemoUsers(
  database: Database,
  store: ResourceStore,
  clock: Clock,
): Promise<{ password: string; users: DemoUser[] } | undefined> {
  if (process.env.NODE_ENV === 'production')
    throw new Error('demo users are not created when NODE_ENV=production: they share a published password');
  const any = await database.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;

  return store.transaction(async (s) => {
    const now = clock.now().toISOString();
    const create = async <T extends Resource>(resource: T): Promise<T & { id: string }> =>
      (await s.create(resource)).resource as T & { id: string };
    const read = async <T extends Resource>(reference: string): Promise<T> => {
      const [type, id] = reference.split('/');
      return (await s.read(type, id)) as T;
    };

    const teams = (
      await s.executor
        .selectFrom('resources')
        .select('content')
        .where('resource_type', '=', 'CareTeam')
        .where('deleted', '=', 0)
        .execute()
    )
      .map((r) => JSON.parse(r.content) as CareTeam)
      .filter((t) => t.status === 'active');

    /** The practitioner on the most active teams in this role; ties go to the smallest id, for repeatability. */
    const busiest = (code: string): { reference: string; teams: CareTeam[] } | undefined => {
      const byMember = new Map<string, CareTeam[]>();
      for (const team of teams)
        for (const p of team.participant ?? []) {
          const reference = p.member?.reference;
          if (!reference?.startsWith('Practitioner/')) continue;
          if (!p.role?.some((r) => r.coding?.some((c) => c.code === code))) continue;
          byMember.set(reference, [...(byMember.get(reference) ?? []), team]);
        }
      const ranked = [...byMember].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
      return ranked[0] && { reference: ranked[0][0], teams: ranked[0][1] };
    };
    const newPractitioner = async (given: string, family: string) =>
      `Practitioner/${(await create<Practitioner>({ resourceType: 'Practitioner', active: true, name: [{ given: [given], family }] })).id}`;

    const users: DemoUser[] = [];
    const add = async (local: string, role: Role, resource: string | undefined, name?: string) => {
      const display =
        name ??
        (resource ? nameOf((await read<Practitioner>(resource)).name, `Demo ${role}`) : `Demo ${role}`);
      const email = `${local}@${DOMAIN}`;
      await createUser(s.executor, clock, { email, name: display, role, resource, password: DEMO_PASSWORD });
      users.push({ email, role, name: display, ...(resource ? { resource } : {}) });
    };

    let coordinator: { reference: string; teams: CareTeam[] } | undefined;
    for (const [role, local, code] of teamRoleCodes) {
      const found = busiest(code);
      if (role === 'care-coordinator') coordinator = found;
      await add(local, role, found?.reference ?? (await newPractitioner('Demo', role)));
    }
    const coordinatorRef = users[0].resource!;

    // The coordinator's patients, in a stable order; a new one when the population has none.
    const patients = [...new Set((coordinator?.teams ?? []).map((t) => t.subject?.reference).filter(Boolean))]
      .map(String)
      .sort();
    if (patients.length === 0)
      patients.push(
        `Patient/${(await create<Patient>({ resourceType: 'Patient', name: [{ given: ['Demo'], family: 'Patient' }] })).id}`,
      );
    const patientRef = patients[0];
    const patient = await read<Patient>(patientRef);
    await add('patient', 'patient', patientRef, nameOf(patient.name, 'Demo patient'));

    // A daughter who acts for the patient under an active proxy Consent.
    const family = patient.name?.[0]?.family ?? 'Rivera';
    const caregiver = await create<RelatedPerson>({
      resourceType: 'RelatedPerson',
      active: true,
      patient: { reference: patientRef },
      relationship: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
              code: 'DAU',
              display: 'natural daughter',
            },
          ],
        },
      ],
      name: [{ given: ['Maya'], family }],
      telecom: [
        { system: 'phone', value: '555-0142', use: 'mobile' },
        { system: 'email', value: `caregiver@${DOMAIN}` },
      ],
    });
    await create<Consent>({
      resourceType: 'Consent',
      status: 'active',
      scope: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
      },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Consent Document' }] }],
      patient: { reference: patientRef },
      dateTime: now,
      // ppc-1 wants a policy or a rule: the patient opted in.
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: {
        type: 'permit',
        actor: [
          {
            role: {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
                  code: 'PRS',
                  display: 'personal relationship',
                },
              ],
            },
            reference: { reference: `RelatedPerson/${caregiver.id}` },
          },
        ],
      },
    });
    await add('caregiver', 'caregiver', `RelatedPerson/${caregiver.id}`, `Maya ${family}`);

    // A community food bank, its case worker, and the coordinator's referrals of three patients to it.
    const foodBank = await create<Organization>({
      resourceType: 'Organization',
      active: true,
      type: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/organization-type',
              code: 'cg',
              display: 'Community Group',
            },
          ],
        },
      ],
      name: 'Eastside Food Bank',
      telecom: [{ system: 'phone', value: '555-0190', use: 'work' }],
    });
    const orgRef = `Organization/${foodBank.id}`;
    const staff = await newPractitioner('Jordan', 'Ellis');
    const staffRole = await create<PractitionerRole>({
      resourceType: 'PractitionerRole',
      active: true,
      practitioner: { reference: staff },
      organization: { reference: orgRef },
      code: [{ text: 'Food bank case worker' }],
    });
    await add('community-org', 'community-organization', `PractitionerRole/${staffRole.id}`, 'Jordan Ellis');
    for (const subject of patients.slice(0, 3)) {
      const referral = await create<ServiceRequest>({
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        // SNOMED 3457005 |Patient referral (procedure)|, narrowed by the text to what is referred for.
        code: {
          coding: [{ system: SNOMED, code: '3457005', display: 'Patient referral' }],
          text: 'Referral to food bank',
        },
        subject: { reference: subject },
        authoredOn: now,
        requester: { reference: coordinatorRef },
        performer: [{ reference: orgRef, display: 'Eastside Food Bank' }],
      });
      await create<Task>({
        resourceType: 'Task',
        status: 'requested',
        intent: 'order',
        code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
        description: 'Food bank referral',
        for: { reference: subject },
        focus: { reference: `ServiceRequest/${referral.id}` },
        owner: { reference: orgRef },
        requester: { reference: coordinatorRef },
        authoredOn: now,
      });
    }

    await add('auditor', 'auditor', await newPractitioner('Morgan', 'Reyes'));
    await add('admin', 'admin', await newPractitioner('Sam', 'Taylor'));
    await add('integration', 'integration', undefined, 'Demo integration');
    return { password: DEMO_PASSWORD, users };
  });
}
