/**
 * The two facts about a resource that every access decision needs, computed once when it is written
 * and stored beside it (resources.patient_id, resources.sensitivity) so that reads and searches can
 * filter inside the query:
 * - the patient whose compartment it is in (R4 CompartmentDefinition/patient), and
 * - its sensitive-record labels (meta.security codes from HL7 v3 ActCode and Confidentiality).
 */
import type { Coding, Resource } from 'fhir/r4.js';
import { patientCompartment } from '../../fhir/search/compartment.js';

/**
 * Sensitive-record categories and the meta.security codes that put a record in them. Sources: HL7 v3
 * ActCode (InformationSensitivityPolicy: ETH, SUD, PSY, PSYTHPN, BH, HIV, STD, SDV, SEX, GDIS) and
 * v3 Confidentiality (R restricted, V very restricted); 42 CFR Part 2 governs ETH/SUD.
 */
export const sensitiveLabels = {
  restricted: ['R', 'V'],
  'substance-use': ['ETH', 'SUD'],
  'behavioral-health': ['PSY', 'PSYTHPN', 'BH', 'MH'],
  'hiv-sti': ['HIV', 'STD'],
  'sexual-domestic-violence': ['SDV', 'SEX'],
  genetic: ['GDIS'],
} as const;
export type SensitiveCategory = keyof typeof sensitiveLabels;
export const sensitiveCategories = Object.keys(sensitiveLabels) as SensitiveCategory[];

const categoryOfCode = new Map<string, SensitiveCategory>();
for (const [category, codes] of Object.entries(sensitiveLabels))
  for (const code of codes) categoryOfCode.set(code, category as SensitiveCategory);

const labelSystems = new Set([
  'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
]);

/** The category a meta.security label puts a record in, if it is a sensitivity label. */
function categoryOfSecurityLabel(label: Coding): SensitiveCategory | undefined {
  if (!label.code || (label.system && !labelSystems.has(label.system))) return undefined;
  return categoryOfCode.get(label.code);
}

/** The sensitive categories a resource's meta.security puts it in, as stored: ` behavioral-health substance-use `. */
export function sensitivityOf(resource: Resource): string | null {
  const found = new Set<SensitiveCategory>();
  for (const label of resource.meta?.security ?? []) {
    const category = categoryOfSecurityLabel(label);
    if (category) found.add(category);
  }
  if (found.size === 0) return null;
  return ` ${[...found].sort().join(' ')} `;
}

/**
 * The sensitivity labels of `sources` (their meta.security codes that put them in a sensitive
 * category), each once. A record derived from them that quotes them carries all of these: a reader
 * must be allowed every category, so it is as restricted as the most restricted source, and more when
 * the sources are restricted in different ways (HIV on one, PSY on another).
 */
export function sensitivityLabelsOf(sources: readonly (Resource | undefined)[]): Coding[] {
  const labels = new Map<string, Coding>();
  for (const source of sources)
    for (const label of source?.meta?.security ?? [])
      if (categoryOfSecurityLabel(label)) labels.set(`${label.system ?? ''}|${label.code}`, label);
  return [...labels.values()];
}

/**
 * `derived` with the sensitivity labels of the records it quotes added to its meta.security (its own
 * labels kept), so that a summary the server writes is never seen by someone who may not see what it
 * summarizes (docs/security.md, "Records the server derives").
 */
export function withLabelsOf<T extends Resource>(derived: T, sources: readonly (Resource | undefined)[]): T {
  return withSensitivityLabels(derived, sensitivityLabelsOf(sources));
}

/** `derived` with `labels` (sensitivity labels, from sensitivityLabelsOf) added to its meta.security. */
export function withSensitivityLabels<T extends Resource>(derived: T, added: readonly Coding[]): T {
  const labels = sensitivityLabelsOf([derived, { resourceType: 'Basic', meta: { security: [...added] } }]);
  const own = derived.meta?.security ?? [];
  const others = own.filter((label) => !categoryOfSecurityLabel(label));
  if (labels.length === 0 && own.length === others.length) return derived;
  const security = [...others, ...labels];
  return { ...derived, meta: { ...derived.meta, ...(security.length ? { security } : {}) } };
}

/** True when every sensitive category of `quoted` is also one of `holder`'s (a reader of one may see the other). */
export function coversSensitivity(holder: string | null, quoted: string | null): boolean {
  if (!quoted) return true;
  return quoted
    .trim()
    .split(' ')
    .every((category) => holder?.includes(` ${category} `) ?? false);
}

/** The sensitive category a Consent provision's security label names, if any. */
export function categoryOfLabel(code: string | undefined): SensitiveCategory | undefined {
  return code ? categoryOfCode.get(code) : undefined;
}

// The parameters that name the record's own patient come first: an Observation's performer or a
// Coverage's policy holder may be another patient, its subject or beneficiary is the one it is about.
const ownerParams = ['patient', 'subject', 'beneficiary', 'individual'];
let paramsByType: Map<string, string[]> | undefined;

function compartmentParams(resourceType: string): string[] | undefined {
  if (!paramsByType) {
    paramsByType = new Map();
    for (const { type, params } of patientCompartment()) {
      // A Group lists many patients: it is a cohort, not one patient's record.
      if (type === 'Group' || type === 'Patient') continue;
      const ordered = [...ownerParams.filter((p) => params.includes(p)), ...params];
      // Task's compartment parameter "patient" is Task.for; `focus` may be anything.
      paramsByType.set(
        type,
        [...new Set(ordered)].filter((p) => p !== 'focus'),
      );
    }
  }
  return paramsByType.get(resourceType);
}

/**
 * The patient a resource belongs to, from its reference index rows (`param`, `target_type`,
 * `target_id`); a Patient belongs to itself. Undefined for shared resources (Practitioner, Medication).
 */
export function patientOf(
  resource: Resource,
  referenceRows: readonly Record<string, unknown>[],
): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  const params = compartmentParams(resource.resourceType);
  if (!params) return undefined;
  for (const param of params) {
    const row = referenceRows.find((r) => r.param === param && r.target_type === 'Patient' && r.target_id);
    if (row) return row.target_id as string;
  }
  return undefined;
}
