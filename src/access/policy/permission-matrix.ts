/**
 * The permission matrix: for each role, resource group and action, which records the role reaches.
 * docs/security.md shows this same table (rendered by `renderPermissionMatrix`, checked by a test), and
 * the store applies it on every path through visibility.ts.
 *
 * Reach:
 * - `all`: every record of the group;
 * - `related`: records of patients the user is related to: on the patient's active CareTeam (in
 *   person, through a PractitionerRole or through their organization), the attributed provider or
 *   organization (Patient.generalPractitioner / managingOrganization), an explicit assignment, or an
 *   active break-the-glass grant;
 * - `own`: the patient's own compartment;
 * - `proxy`: the patients a caregiver is authorized for by an active proxy Consent, patient-facing types only;
 * - `referrals`: Task and ServiceRequest addressed to the user's organization, and the minimum
 *   demographics of their patients (name, birth date, gender, contact details, language);
 * - `none`.
 */
import { searchableOn } from '../../fhir/search/readable-params.js';
import type { Role } from '../access-context.js';
import type { SensitiveCategory } from './access-facts.js';
import { type ResourceGroup, resourceGroups } from './resource-groups.js';

export const reaches = ['all', 'related', 'own', 'proxy', 'referrals', 'none'] as const;
export type Reach = (typeof reaches)[number];
export const actions = ['read', 'write', 'delete'] as const;
export type Action = (typeof actions)[number];

type Cell = Record<Action, Reach>;

const cell = (read: Reach, write: Reach = 'none', del: Reach = 'none'): Cell => ({
  read,
  write,
  delete: del,
});
const none = cell('none');
const dirRead = cell('all');

/** The matrix itself. Least privilege: administrators manage accounts, not records; auditors read the trail. */
export const permissionMatrix: Record<Role, Record<ResourceGroup, Cell>> = {
  admin: {
    demographics: none,
    clinical: none,
    'care-coordination': none,
    consent: none,
    financial: none,
    directory: cell('all', 'all', 'all'),
    audit: cell('all'),
  },
  'care-coordinator': {
    demographics: cell('related', 'related'),
    clinical: cell('related', 'related'),
    'care-coordination': cell('related', 'related', 'related'),
    consent: cell('related', 'related'),
    financial: cell('related'),
    directory: dirRead,
    audit: none,
  },
  physician: {
    demographics: cell('related', 'related'),
    clinical: cell('related', 'related', 'related'),
    'care-coordination': cell('related', 'related', 'related'),
    consent: cell('related', 'related'),
    financial: cell('related'),
    directory: dirRead,
    audit: none,
  },
  nurse: {
    demographics: cell('related', 'related'),
    clinical: cell('related', 'related'),
    'care-coordination': cell('related', 'related'),
    consent: cell('related'),
    financial: none,
    directory: dirRead,
    audit: none,
  },
  pharmacist: {
    demographics: cell('related'),
    clinical: cell('related', 'related'),
    'care-coordination': cell('related', 'related'),
    consent: cell('related'),
    financial: none,
    directory: dirRead,
    audit: none,
  },
  'social-worker': {
    demographics: cell('related', 'related'),
    clinical: cell('related'),
    'care-coordination': cell('related', 'related'),
    consent: cell('related', 'related'),
    financial: cell('related'),
    directory: dirRead,
    audit: none,
  },
  dietitian: {
    demographics: cell('related'),
    clinical: cell('related', 'related'),
    'care-coordination': cell('related', 'related'),
    consent: cell('related'),
    financial: none,
    directory: dirRead,
    audit: none,
  },
  'community-health-worker': {
    demographics: cell('related', 'related'),
    clinical: none,
    'care-coordination': cell('related', 'related'),
    consent: cell('related'),
    financial: none,
    directory: dirRead,
    audit: none,
  },
  'community-organization': {
    demographics: cell('referrals'),
    clinical: none,
    'care-coordination': cell('referrals', 'referrals'),
    consent: none,
    financial: none,
    directory: dirRead,
    audit: none,
  },
  patient: {
    demographics: cell('own', 'own'),
    clinical: cell('own'),
    'care-coordination': cell('own'),
    consent: cell('own', 'own'),
    financial: cell('own'),
    directory: dirRead,
    audit: none,
  },
  caregiver: {
    demographics: cell('proxy'),
    clinical: cell('proxy'),
    'care-coordination': cell('proxy'),
    consent: cell('proxy'),
    financial: none,
    directory: dirRead,
    audit: none,
  },
  auditor: {
    demographics: none,
    clinical: none,
    'care-coordination': none,
    consent: none,
    financial: none,
    directory: dirRead,
    audit: cell('all'),
  },
  integration: {
    demographics: cell('all', 'all', 'all'),
    clinical: cell('all', 'all', 'all'),
    'care-coordination': cell('all', 'all', 'all'),
    consent: cell('all', 'all', 'all'),
    financial: cell('all', 'all', 'all'),
    directory: cell('all', 'all', 'all'),
    audit: none,
  },
};

/**
 * What a role with `referrals` reach sees of these types: only the listed elements (with resourceType,
 * id and meta), the minimum a referral needs to reach the person. Other types it reaches it sees
 * whole. The same table decides what the role may search on: a search parameter that reads any other
 * element is refused (docs/security.md lists both).
 */
export const referralElements: Readonly<Record<string, readonly string[]>> = {
  Patient: ['name', 'birthDate', 'gender', 'telecom', 'address', 'communication'],
};

/**
 * Sensitive categories each role may see at all (the patient's Consent then decides, see below).
 * Patients see their whole record; caregivers and community organizations see no sensitive record.
 */
export const sensitiveAccess: Record<Role, readonly SensitiveCategory[]> = {
  admin: [],
  'care-coordinator': ['behavioral-health', 'sexual-domestic-violence'],
  physician: [
    'restricted',
    'substance-use',
    'behavioral-health',
    'hiv-sti',
    'sexual-domestic-violence',
    'genetic',
  ],
  nurse: ['substance-use', 'behavioral-health', 'hiv-sti', 'sexual-domestic-violence'],
  pharmacist: ['substance-use', 'hiv-sti'],
  'social-worker': ['substance-use', 'behavioral-health', 'sexual-domestic-violence'],
  dietitian: [],
  'community-health-worker': [],
  'community-organization': [],
  patient: [
    'restricted',
    'substance-use',
    'behavioral-health',
    'hiv-sti',
    'sexual-domestic-violence',
    'genetic',
  ],
  caregiver: [],
  auditor: [],
  integration: [
    'restricted',
    'substance-use',
    'behavioral-health',
    'hiv-sti',
    'sexual-domestic-violence',
    'genetic',
  ],
};

/**
 * Categories that need the patient's explicit permission (an active Consent permitting the label):
 * substance-use records under 42 CFR Part 2 (§2.31 written consent) and records the source marked
 * restricted. The others are shared with allowed roles unless the patient's Consent denies them.
 */
export const consentRequired: readonly SensitiveCategory[] = ['substance-use', 'restricted'];

/** Roles that may break the glass (a clinician in an emergency). */
export const breakGlassRoles: readonly Role[] = ['physician', 'nurse', 'care-coordinator', 'pharmacist'];

/** How long a break-the-glass grant lasts. */
export const breakGlassMinutes = 60;

const reachLabel = (c: Cell): string => {
  const parts = actions.filter((a) => c[a] !== 'none').map((a) => `${a[0]!.toUpperCase()}:${c[a]}`);
  return parts.length ? parts.join(' ') : '—';
};

/** The matrix as the Markdown table in docs/security.md (R = read and search, W = create/update/patch, D = delete). */
export function renderPermissionMatrix(): string {
  const header = `| role | ${resourceGroups.join(' | ')} |`;
  const rule = `| --- | ${resourceGroups.map(() => '---').join(' | ')} |`;
  const rows = Object.entries(permissionMatrix).map(
    ([role, groups]) => `| ${role} | ${resourceGroups.map((g) => reachLabel(groups[g])).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

/** Parses a table in the shape `renderPermissionMatrix` writes (how the access-matrix test reads docs/security.md). */
export function parsePermissionMatrix(markdown: string): Record<string, Record<string, Cell>> {
  const lines = markdown.split('\n').filter((l) => l.startsWith('|'));
  const header = lines[0]!
    .split('|')
    .slice(2, -1)
    .map((s) => s.trim());
  const out: Record<string, Record<string, Cell>> = {};
  for (const line of lines.slice(2)) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((s) => s.trim());
    const role = cells[0]!;
    out[role] = {};
    header.forEach((group, i) => {
      const parsed: Cell = { read: 'none', write: 'none', delete: 'none' };
      for (const part of cells[i + 1]!.split(/\s+/)) {
        const m = part.match(/^([RWD]):(\w+)$/);
        if (!m) continue;
        const action = ({ R: 'read', W: 'write', D: 'delete' } as const)[m[1] as 'R' | 'W' | 'D'];
        parsed[action] = m[2] as Reach;
      }
      out[role]![group] = parsed;
    });
  }
  return out;
}

/** The sensitive-record table in docs/security.md. */
export function renderSensitiveAccess(): string {
  const cats = [
    'restricted',
    'substance-use',
    'behavioral-health',
    'hiv-sti',
    'sexual-domestic-violence',
    'genetic',
  ] as const;
  const header = `| role | ${cats.join(' | ')} |`;
  const rule = `| --- | ${cats.map(() => '---').join(' | ')} |`;
  const rows = Object.entries(sensitiveAccess).map(
    ([role, allowed]) => `| ${role} | ${cats.map((c) => (allowed.includes(c) ? 'yes' : '—')).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

/** What `referrals` reach sees of each trimmed type and which search parameters it may use on it, for docs/security.md. */
export function renderReferralElements(): string {
  return Object.entries(referralElements)
    .map(([type, elements]) => {
      const visible = new Set(['resourceType', 'id', 'meta', ...elements]);
      return `- ${type}: sees ${['id', 'meta', ...elements].join(', ')}; may search on ${searchableOn(type, visible).join(', ')}.`;
    })
    .join('\n');
}
