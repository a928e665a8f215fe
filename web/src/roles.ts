/**
 * What each role sees in the web app. Role names and labels come from the server's list
 * (src/access/access-context.ts), so the two never drift apart.
 */
import { type Role, roleLabels } from '../../src/access/access-context';

export type { Role };
export { roleLabels };

/** Staff who work with patient records: their home is the patient list. */
const staffRoles: readonly Role[] = [
  'care-coordinator',
  'physician',
  'nurse',
  'pharmacist',
  'social-worker',
  'dietitian',
  'community-health-worker',
  'community-organization',
];

/** Roles that may use break-the-glass emergency access. */
const breakGlassRoles: readonly Role[] = ['physician', 'nurse', 'care-coordinator'];

/** Roles whose day is a list of tasks: the worklist is their home. */
const worklistRoles: readonly Role[] = [
  'care-coordinator',
  'nurse',
  'social-worker',
  'community-health-worker',
];

export const isStaff = (role: Role): boolean => staffRoles.includes(role);
/** Clinical staff who follow patients across settings: the transitions board. */
export const seesTransitions = (role: Role): boolean => isStaff(role) && role !== 'community-organization';
/** Who looks after the HL7 feed: its dead letters and replays. */
export const managesIntegrations = (role: Role): boolean => role === 'admin' || role === 'integration';
export const hasWorklist = (role: Role): boolean => worklistRoles.includes(role);
export const isPortalUser = (role: Role): boolean => role === 'patient' || role === 'caregiver';
export const canBreakGlass = (role: Role): boolean => breakGlassRoles.includes(role);
export const canAdminUsers = (role: Role): boolean => role === 'admin';
export const canAudit = (role: Role): boolean => role === 'admin' || role === 'auditor';

export interface NavItem {
  href: string;
  label: string;
}

/** The staff navigation for a role: only what exists and what the role may use. */
export function staffNavigation(role: Role): NavItem[] {
  const items: NavItem[] = [];
  if (hasWorklist(role)) items.push({ href: '/worklist', label: 'Worklist' });
  if (isStaff(role)) items.push({ href: '/patients', label: 'Patients' });
  if (seesTransitions(role)) items.push({ href: '/transitions', label: 'Transitions' });
  if (canAdminUsers(role)) items.push({ href: '/users', label: 'Users' });
  if (canAudit(role)) items.push({ href: '/audit-trail', label: 'Audit' });
  if (managesIntegrations(role)) items.push({ href: '/integrations/hl7', label: 'HL7 feed' });
  return items;
}

/** Where a role lands after sign-in. */
export function homeFor(role: Role): string {
  if (isPortalUser(role)) return '/portal';
  return staffNavigation(role)[0]?.href ?? '/account';
}
