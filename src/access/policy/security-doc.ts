/**
 * Keeps docs/security.md's tables equal to the code's: `npm run docs:security` rewrites the blocks
 * between the markers; a test fails when they differ (so the doc and the enforced policy cannot drift).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  breakGlassMinutes,
  breakGlassRoles,
  consentRequired,
  renderPermissionMatrix,
  renderReferralElements,
  renderSensitiveAccess,
} from './permission-matrix.js';
import { patientFacingTypes, renderResourceGroups } from './resource-groups.js';

export const securityDocPath = new URL('../../../docs/security.md', import.meta.url);

const blocks = {
  'resource-groups': renderResourceGroups,
  'permission-matrix': renderPermissionMatrix,
  'sensitive-access': renderSensitiveAccess,
  'referral-elements': renderReferralElements,
  'consent-required': () =>
    `Categories that need the patient's explicit permission: ${consentRequired.join(', ')}.`,
  'patient-facing': () =>
    `Patient-facing types (what a caregiver may see): ${[...patientFacingTypes].join(', ')}.`,
  'break-glass-roles': () =>
    `Roles that may break the glass: ${breakGlassRoles.join(', ')}; a grant lasts ${breakGlassMinutes} minutes.`,
} as const;

/** The text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function docBlock(markdown: string, name: keyof typeof blocks): string {
  const m = markdown.match(new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`));
  if (!m) throw new Error(`docs/security.md has no ${name} block`);
  return m[1]!;
}

/** The doc with every block regenerated from the code. */
export function regenerate(markdown: string): string {
  let out = markdown;
  for (const [name, render] of Object.entries(blocks))
    out = out.replace(
      new RegExp(`(<!-- ${name}:start -->)\\n(?:[\\s\\S]*?\\n)?(<!-- ${name}:end -->)`),
      (_m, start: string, end: string) => `${start}\n${render()}\n${end}`,
    );
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/src\//, 'src/'))) {
  const text = readFileSync(securityDocPath, 'utf8');
  writeFileSync(securityDocPath, regenerate(text));
  console.log('docs/security.md: tables regenerated from src/access/policy/permission-matrix.ts');
}
