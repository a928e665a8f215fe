/** Small helpers that turn FHIR R4 data into the words shown on screen. */

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  display?: string;
}
export interface HumanName {
  use?: string;
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
}
export interface Identifier {
  system?: string;
  value?: string;
  type?: CodeableConcept;
}
export interface Extension {
  url: string;
  valueBoolean?: boolean;
  valueCode?: string;
  valueString?: string;
  extension?: Extension[];
}
export interface Resource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}
export interface Patient extends Resource {
  resourceType: 'Patient';
  name?: HumanName[];
  birthDate?: string;
  gender?: string;
  deceasedDateTime?: string;
  deceasedBoolean?: boolean;
  identifier?: Identifier[];
  communication?: { language: CodeableConcept; preferred?: boolean }[];
  extension?: Extension[];
}
export interface Bundle<T extends Resource = Resource> {
  resourceType: 'Bundle';
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: { resource?: T; search?: { mode?: string } }[];
}

/** The resources of a search Bundle (matches only, not _include-d ones). */
export function resources<T extends Resource>(bundle: Bundle<T> | undefined): T[] {
  return (bundle?.entry ?? [])
    .filter((e) => e.resource && e.search?.mode !== 'include')
    .map((e) => e.resource as T);
}

/** "Maria García" from the official (or first) name. */
export function humanName(names: HumanName[] | undefined): string {
  const name = names?.find((n) => n.use === 'official') ?? names?.[0];
  if (!name) return 'Name not recorded';
  if (name.text) return name.text;
  return [...(name.given ?? []), name.family].filter(Boolean).join(' ') || 'Name not recorded';
}

/** "García, Maria" for sorted lists. */
export function sortableName(names: HumanName[] | undefined): string {
  const name = names?.find((n) => n.use === 'official') ?? names?.[0];
  if (!name?.family) return humanName(names);
  return `${name.family}, ${(name.given ?? []).join(' ')}`.trim();
}

/** Age in whole years at `now` from a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD). */
export function ageInYears(birthDate: string | undefined, now = new Date()): number | undefined {
  if (!birthDate) return undefined;
  const [y, m = 1, d = 1] = birthDate.split('-').map(Number);
  let age = now.getFullYear() - y;
  if (now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d)) age -= 1;
  return age;
}

/** The medical record number: the identifier typed MR, else the first one. */
export function mrn(patient: Patient): string | undefined {
  const ids = patient.identifier ?? [];
  return (ids.find((i) => i.type?.coding?.some((c) => c.code === 'MR')) ?? ids[0])?.value;
}

/** Text of a CodeableConcept: its text, else the first display, else the first code. */
export function conceptText(concept: CodeableConcept | CodeableConcept[] | undefined): string {
  const c = Array.isArray(concept) ? concept[0] : concept;
  if (!c) return '';
  return c.text ?? c.coding?.find((x) => x.display)?.display ?? c.coding?.[0]?.code ?? '';
}

const genderLabels: Record<string, string> = {
  female: 'Female',
  male: 'Male',
  other: 'Other',
  unknown: 'Unknown',
};

export function genderLabel(gender: string | undefined): string {
  return gender ? (genderLabels[gender] ?? gender) : 'Not recorded';
}

/** The preferred language (Patient.communication with preferred=true, else the first). */
export function preferredLanguage(patient: Patient): string | undefined {
  const comms = patient.communication ?? [];
  const c = comms.find((x) => x.preferred) ?? comms[0];
  return c ? conceptText(c.language) || undefined : undefined;
}

const INTERPRETER = 'http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired';

/**
 * Whether the patient needs an interpreter: the standard extension when present; otherwise
 * undefined (not recorded) — a non-English preferred language alone does not say so.
 */
export function interpreterNeeded(patient: Patient): boolean | undefined {
  const ext = patient.extension?.find((e) => e.url === INTERPRETER);
  return ext?.valueBoolean;
}

/** "12 Mar 2025" from a FHIR date or dateTime. */
export function formatDate(value: string | undefined, locale = 'en-US'): string {
  if (!value) return '';
  const date = new Date(value.length === 4 ? `${value}-01-01` : value);
  if (Number.isNaN(date.getTime())) return value;
  const options: Intl.DateTimeFormatOptions =
    value.length <= 10
      ? { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }
      : { year: 'numeric', month: 'short', day: 'numeric' };
  return date.toLocaleDateString(locale, options);
}

/** "12 Mar 2025, 14:05" for an instant. */
export function formatDateTime(value: string | undefined, locale = 'en-US'): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** The id part of `Patient/7`. */
export function idOf(reference: string | undefined | null): string | undefined {
  if (!reference) return undefined;
  const parts = reference.split('/');
  return parts.length >= 2 ? parts[parts.length - 1] : undefined;
}

interface Quantity {
  value?: number;
  unit?: string;
  code?: string;
}

/** The value of an Observation (or of one of its components) as text. */
export function observationValue(o: Record<string, unknown>): string {
  const q = o.valueQuantity as Quantity | undefined;
  if (q?.value !== undefined) return `${q.value} ${q.unit ?? q.code ?? ''}`.trim();
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept as CodeableConcept);
  if (typeof o.valueString === 'string') return o.valueString;
  if (typeof o.valueBoolean === 'boolean') return o.valueBoolean ? 'Yes' : 'No';
  if (typeof o.valueInteger === 'number') return String(o.valueInteger);
  const components = o.component as Record<string, unknown>[] | undefined;
  if (components?.length) {
    const values = components.map((c) => observationValue(c)).filter(Boolean);
    // Blood pressure: "128/82 mm[Hg]".
    const units = new Set(components.map((c) => (c.valueQuantity as Quantity | undefined)?.unit));
    if (values.length === 2 && units.size === 1) {
      const unit = [...units][0] ?? '';
      return `${values.map((v) => v.replace(` ${unit}`, '')).join('/')} ${unit}`.trim();
    }
    return values.join(', ');
  }
  if (o.dataAbsentReason) return `No value (${conceptText(o.dataAbsentReason as CodeableConcept)})`;
  return '';
}
