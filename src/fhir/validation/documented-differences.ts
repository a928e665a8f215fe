/**
 * The documented differences between the store's validator (walk-resource.ts) and the reference
 * (@medplum/core's `validateResource` plus the old gap walk, medplum-reference.ts), for the
 * differential test (test support only). Each is a case where the reference is wrong or reports a
 * location that is not the instance's, with a predicate that recognises exactly that situation from
 * both issue lists, so that any other disagreement fails the test.
 */
import type { Json } from './differential-corpus.js';
import type { ValidationIssue } from './validation-issue.js';

/** One validated case: both validators' issues and the error paths only one of them reports. */
export interface Outcome {
  resource: Json;
  fresh: ValidationIssue[];
  reference: ValidationIssue[];
  onlyNew: string[];
  onlyRef: string[];
}

/**
 * A documented difference explains single error paths: ones that only the walk reports (`fresh`) and
 * ones that only the reference reports (`reference`). A case is explained when every path that differs
 * is explained by some difference.
 */
export interface Difference {
  id: string;
  reason: string;
  fresh?: (o: Outcome, path: string) => boolean;
  reference?: (o: Outcome, path: string) => boolean;
}

const EMPTY = /^empty objects and arrays are not allowed/;

function says(o: Outcome, path: string, pattern: RegExp): boolean {
  return o.fresh.some((i) => i.severity === 'error' && i.expression === path && pattern.test(i.diagnostics));
}

function isUnder(path: string, parent: string): boolean {
  return path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`);
}

const stripIndices = (path: string) => path.replace(/\[\d+\]/g, '');

const canonical = (p: string) => p.replace(/\._/g, '.');

/** A reference path as a pattern: `_key` read as `key`, `x[x]` as any variant of x. */
function asPattern(path: string): RegExp {
  const escaped = canonical(path)
    .replace(/[.[\]]/g, '\\$&')
    .replace(/\\\[x\\\]/g, '[A-Z][A-Za-z]*');
  return new RegExp(`^${escaped}$`);
}

/** The object at a path like `Patient.contact[0].name` (first segment: the resource). */
function objectAt(resource: Json, path: string): Json | undefined {
  let current: unknown = resource;
  for (const segment of path.split('.').slice(1)) {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(segment);
    if (!m || typeof current !== 'object' || current === null) return undefined;
    current = (current as Json)[m[1]];
    if (m[2] !== undefined) current = Array.isArray(current) ? current[Number(m[2])] : undefined;
  }
  return typeof current === 'object' && current !== null ? (current as Json) : undefined;
}

/** The walk's error paths whose issue says `pattern`. */
function anchors(o: Outcome, pattern: RegExp): string[] {
  return o.fresh
    .filter((i) => i.severity === 'error' && pattern.test(i.diagnostics))
    .map((i) => i.expression);
}

/** Explains walk paths that say `pattern`, and reference paths below them. */
function anchored(pattern: RegExp): Pick<Difference, 'fresh' | 'reference'> {
  return {
    fresh: (o, path) => says(o, path, pattern),
    reference: (o, path) => anchors(o, pattern).some((a) => isUnder(path, a)),
  };
}

const CARDINALITY = /^\w+ (takes a single value|repeats)/;
const aborted = (o: Outcome) =>
  o.reference.some((i) => i.code === 'invalid' && /could not process/.test(i.diagnostics));

export const DIFFERENCES: readonly Difference[] = [
  {
    id: 'reference-aborted',
    reason:
      '@medplum/core throws on a `_key` companion that is not an object ("Primitive extension must be an ' +
      'object") and validates nothing else; the walk reports that key and goes on',
    fresh: (o) => aborted(o),
    reference: (o, path) => aborted(o) && path === o.resource.resourceType,
  },
  {
    id: 'empty-value',
    reason:
      "@medplum/core's property lookup drops empty values, so it takes {} and [] for absent and accepts " +
      'them unless the element is required; FHIR JSON forbids them (section 2.6.2, invariant ele-1)',
    fresh: (o, path) => says(o, path, EMPTY) || anchors(o, EMPTY).some((a) => isUnder(path, a)),
  },
  {
    id: 'indexless-paths',
    reason:
      '@medplum/core reports "Expected single value" and "Expected array of values" at the element path ' +
      'without array indices (Patient.name.given for Patient.name[0].given); the walk gives the instance path',
    fresh: (o, path) =>
      says(o, path, CARDINALITY) && o.reference.some((i) => asPattern(i.expression).test(stripIndices(path))),
    reference: (o, path) =>
      !/\[\d+\]/.test(path) &&
      [...anchors(o, CARDINALITY), ...anchors(o, ALIGNED)].some((a) =>
        asPattern(path).test(stripIndices(canonical(a))),
      ),
  },
  {
    id: 'primitive-given-for-object',
    reason:
      '@medplum/core crawls a string, number or boolean given for a complex element as an object: it ' +
      'accepts numbers and booleans, and reports each character of a string as an unknown element (.0, .1)',
    ...anchored(/must be a JSON object \(FHIR \w+\), but a (string|number|boolean)/),
  },
  {
    id: 'object-given-for-primitive',
    reason:
      "@medplum/core takes an object given for a primitive for the primitive's extension content: it " +
      'accepts {}, {id} and {extension}, and reports any other key below the element',
    ...anchored(/must be a JSON (string|number|boolean) .*but an object/),
  },
  {
    id: 'nested-array',
    reason:
      '@medplum/core crawls an array given as an item of an array as an object, and reports its items as ' +
      'unknown elements named 0, 1, ...; the walk reports the nested array',
    ...anchored(/^wrong JSON type: .* but an array was given/),
  },
  {
    id: 'companion-of-complex',
    reason:
      'FHIR JSON has `_key` companions for primitive elements only (section 2.6.2); @medplum/core accepts one ' +
      'for a complex element, merges it into that element (writing into the resource) and validates it there',
    fresh: (o, path) => says(o, path, COMPANION_OF_COMPLEX),
    reference: (o, path) =>
      anchors(o, COMPANION_OF_COMPLEX).some((a) => isUnder(path, a.replace(/\._([^.]+)$/, '.$1'))),
  },
  {
    id: 'companion-not-array',
    reason:
      'the `_key` companion of a repeating primitive must be an array aligned with its values (section ' +
      '2.6.2); @medplum/core ignores a single object there',
    fresh: (o, path) => says(o, path, ALIGNED),
    reference: (o, path) => anchors(o, ALIGNED).some((a) => stripIndices(canonical(a)) === path),
  },
  {
    id: 'null-item-children',
    reason:
      '@medplum/core crawls a null item of an array of objects as an object and lists its required elements ' +
      'as missing, besides the null; the walk reports the null',
    reference: (o, path) => anchors(o, /^null is not allowed/).some((a) => isUnder(path, a)),
  },
  {
    id: 'companion-paths',
    reason:
      "inside a primitive's `_key` companion the walk locates issues at the primitive, as FHIRPath and " +
      '@medplum/core do (Timing.event[0].extension[0]); the old gap walk used the JSON key (_event[0]), and ' +
      '@medplum/core cannot resolve value[x] to the key present there',
    fresh: (o, path) => o.onlyRef.some((r) => asPattern(r).test(canonical(path))),
    reference: (o, path) =>
      (path.includes('._') || path.includes('[x]')) &&
      o.onlyNew.some((n) => asPattern(path).test(canonical(n))),
  },
  {
    id: 'misspelled-required-choice',
    reason:
      "a required choice element present only under a misspelled key (medicationFoo): @medplum/core's path " +
      'resolution moves its "medication[x] is missing" onto the misspelled key; the walk reports both',
    fresh: (o, path) =>
      path.endsWith('[x]') &&
      o.fresh.some((i) => i.expression === path && i.code === 'required') &&
      o.reference.some(
        (i) =>
          i.expression.startsWith(path.slice(0, -3)) && /^[A-Z]/.test(i.expression.slice(path.length - 3)),
      ),
  },
  {
    id: 'implies-empty-condition',
    reason:
      '@medplum/core evaluates `{} implies {}` to {} as FHIRPath N1 does and fails the constraint (ras-2 on ' +
      'every prediction without probability); the HL7 validator, and the walk, take an empty condition for ' +
      'false, so the rule holds',
    reference: (o, path) =>
      !o.fresh.some((i) => i.expression === path) &&
      o.reference.some(
        (i) => i.expression === path && i.code === 'invariant' && /\bimplies\b/.test(i.diagnostics),
      ),
  },
  {
    id: 'misspelled-variant-next-to-valid',
    reason:
      '@medplum/core takes a misspelled choice key next to a valid variant (valueString and valueFoo) for a ' +
      'second variant of the choice and only warns; the walk reports it as an unknown element',
    fresh: (o, path) => {
      const dot = path.lastIndexOf('.');
      const key = path.slice(dot + 1);
      const base = /^([a-z]+)[A-Z]/.exec(key)?.[1];
      const parent = objectAt(o.resource, path.slice(0, dot));
      return (
        says(o, path, /^unknown element/) &&
        base !== undefined &&
        parent !== undefined &&
        Object.keys(parent).some(
          (k) => k !== key && k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length)),
        )
      );
    },
  },
];

const ALIGNED = /must be an array aligned with the values/;
const COMPANION_OF_COMPLEX = /a `_` companion exists only for primitive elements/;

/**
 * The documented differences that explain a disagreement, joined with '+', or 'UNEXPLAINED' when some
 * differing path is explained by none.
 */
export function explainDifference(o: Outcome): string {
  const used = new Set<string>();
  const explain = (path: string, side: 'fresh' | 'reference') => {
    const d = DIFFERENCES.find((x) => x[side]?.(o, path));
    if (d) used.add(d.id);
    return d !== undefined;
  };
  const all = o.onlyNew.map((p) => explain(p, 'fresh')).concat(o.onlyRef.map((p) => explain(p, 'reference')));
  return all.every(Boolean) ? [...used].sort().join('+') : 'UNEXPLAINED';
}
