/**
 * What docs/security.md says, read from its generated blocks the way a reader would: the access
 * suites take their expectations from the doc, not from the code that enforces them.
 */
import { readFileSync } from 'node:fs';
import { parsePermissionMatrix } from '../../src/access/policy/permission-matrix.js';

const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');

/** The text of the doc's `<!-- name:start -->` … `<!-- name:end -->` block. */
const block = (name: string) =>
  doc.match(new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`))![1]!;

function listAfterColon(line: string): string[] {
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\.$/, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseYesTable(table: string): Record<string, Set<string>> {
  const lines = table.split('\n');
  const header = lines[0]!
    .split('|')
    .slice(2, -1)
    .map((s) => s.trim());
  const out: Record<string, Set<string>> = {};
  for (const line of lines.slice(2)) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((s) => s.trim());
    out[cells[0]!] = new Set(header.filter((_, i) => cells[i + 1] === 'yes'));
  }
  return out;
}

/** The permission matrix: role → group → action → reach. */
export const docMatrix = parsePermissionMatrix(block('permission-matrix'));
/** The sensitive categories each role may see. */
export const docSensitiveAccess = parseYesTable(block('sensitive-access'));
/** Categories that need the patient's explicit permission. */
export const docConsentRequired = listAfterColon(block('consent-required'));
/** What a caregiver may see. */
export const docPatientFacing = new Set(listAfterColon(block('patient-facing')));
/** Roles that may break the glass. */
export const docBreakGlassRoles = listAfterColon(block('break-glass-roles').split(';')[0]!);
