/**
 * The resolution record of a reconciliation as a FHIR List (docs/medication-reconciliation.md):
 * mode `working` while lines are being resolved, `snapshot` once the task is complete; one entry per
 * resolved line, its flag the decision (HL7 "Patient Medicine Change Types" and the CareLoop decision
 * code), an extension holding the line (id, kind, detail, class, the medication before admission),
 * the note, who decided and the new dosage of a change. Pure: building and reading, no store.
 */
import type { Dosage, Extension, List, ListEntry, Reference } from 'fhir/r4.js';
import type { DiffKind, DiffLine } from './medication-diff.js';

/** List.identifier system; the value is the Task id (one record per reconciliation task). */
export const RECONCILIATION_SYSTEM = 'https://careloop.org/fhir/medication-reconciliation';
export const LINE_EXTENSION = 'https://careloop.org/fhir/StructureDefinition/medication-reconciliation-line';
export const DECISION_SYSTEM = 'https://careloop.org/fhir/CodeSystem/medication-reconciliation-decision';
/** R4 "Patient Medicine Change Types" (ValueSet list-item-flag), the example binding of List.entry.flag. */
export const LIST_ITEM_FLAG = 'http://terminology.hl7.org/CodeSystem/list-item-flag';

export const decisions = ['continue', 'stop', 'change', 'keep-both'] as const;
export type DecisionCode = (typeof decisions)[number];

export interface Resolution {
  decision: DecisionCode;
  note?: string;
  /** The new dosage of a `change`. */
  dosage?: Dosage;
  /** Who decided: `Practitioner/x` or the account's actor. */
  by: string;
  at: string;
}

/** The list-item-flag that says what the decision does to the medication. */
function changeType(kind: DiffKind, decision: DecisionCode): { code: string; display: string } {
  if (decision === 'stop')
    return kind === 'new' ? { code: '03', display: 'Cancelled' } : { code: '05', display: 'Ceased' };
  if (decision === 'change') return { code: '02', display: 'Changed' };
  if (decision === 'continue' && kind === 'new') return { code: '04', display: 'Prescribed' };
  if (decision === 'continue' && (kind === 'dose-changed' || kind === 'frequency-changed'))
    return { code: '02', display: 'Changed' };
  return { code: '01', display: 'Unchanged' };
}

/** The List entry recording `resolution` of `line`. */
export function entryFor(line: DiffLine, resolution: Resolution): ListEntry {
  const flag = changeType(line.kind, resolution.decision);
  const item = (line.kind === 'stopped' ? line.before : line.after)!.reference;
  const parts: Extension[] = [
    { url: 'lineId', valueString: line.id },
    { url: 'kind', valueCode: line.kind },
    { url: 'detail', valueString: line.detail },
    ...(line.class ? [{ url: 'class', valueString: line.class }] : []),
    ...(line.kind !== 'stopped' && line.before
      ? [{ url: 'before', valueReference: { reference: line.before.reference } }]
      : []),
    { url: 'decision', valueCode: resolution.decision },
    // In the extension, not entry.date: R4 invariant lst-3 allows entry.date only in a working list.
    { url: 'at', valueDateTime: resolution.at },
    ...(resolution.note ? [{ url: 'note', valueString: resolution.note }] : []),
    ...(resolution.dosage ? [{ url: 'dosage', valueDosage: resolution.dosage }] : []),
    /^(Practitioner|PractitionerRole|Patient|Device)\//.test(resolution.by)
      ? { url: 'author', valueReference: { reference: resolution.by } }
      : { url: 'author', valueString: resolution.by },
  ];
  return {
    extension: [{ url: LINE_EXTENSION, extension: parts }],
    flag: {
      coding: [
        { system: LIST_ITEM_FLAG, ...flag },
        { system: DECISION_SYSTEM, code: resolution.decision },
      ],
      text: resolution.decision,
    },
    item: { reference: item },
  };
}

/** What a stored entry says: the line (with references in place of medications) and its resolution. */
export interface StoredLine {
  id: string;
  kind: DiffKind;
  detail: string;
  class?: string;
  before?: string;
  after?: string;
  resolution: Resolution;
}

/** Reads a List entry written by `entryFor`; undefined for entries CareLoop did not write. */
export function readEntry(entry: ListEntry): StoredLine | undefined {
  const parts = entry.extension?.find((e) => e.url === LINE_EXTENSION)?.extension ?? [];
  const part = (url: string) => parts.find((p) => p.url === url);
  const id = part('lineId')?.valueString;
  const kind = part('kind')?.valueCode as DiffKind | undefined;
  const decision = part('decision')?.valueCode as DecisionCode | undefined;
  if (!id || !kind || !decision) return undefined;
  const author = part('author');
  const item = entry.item.reference;
  const cls = part('class')?.valueString;
  const note = part('note')?.valueString;
  const dosage = part('dosage')?.valueDosage;
  const before =
    kind === 'stopped' ? item : (part('before')?.valueReference as Reference | undefined)?.reference;
  return {
    id,
    kind,
    detail: part('detail')?.valueString ?? '',
    ...(cls ? { class: cls } : {}),
    ...(before ? { before } : {}),
    ...(kind !== 'stopped' && item ? { after: item } : {}),
    resolution: {
      decision,
      ...(note ? { note } : {}),
      ...(dosage ? { dosage } : {}),
      by: author?.valueReference?.reference ?? author?.valueString ?? 'unknown',
      at: part('at')?.valueDateTime ?? '',
    },
  };
}

/** Resolutions by line id. */
export function resolutionsOf(list: List | undefined): Map<string, StoredLine> {
  const out = new Map<string, StoredLine>();
  for (const entry of list?.entry ?? []) {
    const stored = readEntry(entry);
    if (stored) out.set(stored.id, stored);
  }
  return out;
}

/** A new, empty working list for a reconciliation task. */
export function newList(input: {
  taskId: string;
  patient: string;
  encounter: string;
  now: string;
  source?: string;
}): List {
  return {
    resourceType: 'List',
    identifier: [{ system: RECONCILIATION_SYSTEM, value: input.taskId }],
    status: 'current',
    mode: 'working',
    title: 'Medication reconciliation at discharge',
    code: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/list-example-use-codes', code: 'medications' },
        { system: 'http://loinc.org', code: '10183-2', display: 'Hospital discharge medications Narrative' },
      ],
    },
    subject: { reference: input.patient },
    encounter: { reference: input.encounter },
    date: input.now,
    ...(input.source ? { source: { reference: input.source } } : {}),
  };
}
