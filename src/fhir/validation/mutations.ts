/**
 * Deterministic mutations of valid resources for the differential test (test support only): each takes
 * a fresh copy, picks a location with the element plans (so that it hits real elements at any depth,
 * inside backbone elements, datatypes, extensions, contained and Bundle entry resources) and breaks or
 * bends one thing there.
 */
import type { Json } from './differential-corpus.js';
import { pick } from './differential-corpus.js';
import { type ElementPlan, elementValueSet, type TypePlan, typePlan } from './element-plans.js';

/** One value in the resource, with the element it belongs to. */
interface Site {
  path: string;
  holder: Json | unknown[];
  slot: string | number;
  /** The object holding the element's key (for arrays: the object holding the array). */
  owner: Json;
  key: string;
  element: ElementPlan;
  value: unknown;
  inArray: boolean;
}

/** One object in the resource (the resource itself, a datatype, a backbone element, a nested resource). */
interface ObjectSite {
  path: string;
  obj: Json;
  plan: TypePlan;
}

interface Sites {
  values: Site[];
  objects: ObjectSite[];
}

function collect(resource: Json): Sites {
  const sites: Sites = { values: [], objects: [] };
  const plan = typePlan(resource.resourceType as string);
  if (plan) collectObject(resource, plan, resource.resourceType as string, sites);
  return sites;
}

function collectObject(obj: Json, plan: TypePlan, path: string, sites: Sites): void {
  sites.objects.push({ path, obj, plan });
  for (const key of Object.keys(obj)) {
    const element = plan.keys.get(key);
    const value = obj[key];
    if (!element || value === null || value === undefined) continue;
    const site = { holder: obj, owner: obj, slot: key, key, element, value, inArray: false };
    sites.values.push({ ...site, path: `${path}.${key}` });
    if (!Array.isArray(value)) {
      collectValue(value, element, `${path}.${key}`, sites);
      continue;
    }
    value.forEach((item, i) => {
      if (item === null) return;
      const itemPath = `${path}.${key}[${i}]`;
      sites.values.push({ ...site, holder: value, slot: i, value: item, inArray: true, path: itemPath });
      collectValue(item, element, itemPath, sites);
    });
  }
}

function collectValue(value: unknown, element: ElementPlan, path: string, sites: Sites): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const obj = value as Json;
  const type = element.kind === 'resource' ? (obj.resourceType as string) : element.type;
  const plan = element.kind === 'element' ? typePlan('Element') : typePlan(type);
  if (plan) collectObject(obj, plan, path, sites);
}

function set(site: Site, value: unknown): void {
  (site.holder as Record<string | number, unknown>)[site.slot] = value;
}

type Random = () => number;
type Mutation = (sites: Sites, random: Random) => string | undefined;

/** Valid sample values per FHIR type, for added choice variants. */
const SAMPLES: Record<string, unknown> = {
  string: 'sample',
  boolean: true,
  integer: 7,
  decimal: 1.5,
  dateTime: '2021-04-05T10:00:00Z',
  date: '2021-04-05',
  code: 'sample',
  uri: 'http://example.org/x',
  Quantity: { value: 1, unit: 'mg' },
  CodeableConcept: { text: 'sample' },
  Coding: { system: 'http://example.org', code: 'x' },
  Reference: { reference: 'Patient/p1' },
  Period: { start: '2021-01-01' },
  Range: { low: { value: 1 } },
  Age: { value: 40, system: 'http://unitsofmeasure.org', code: 'a' },
};

/** Invalid values per primitive type (each right JSON type, wrong format or range). */
const BAD_FORMATS: Record<string, unknown[]> = {
  date: ['2021-13-01', '2021-02-32', '21-01-01', '2021-1-5', '2021-04-05T10:00:00Z', 'yesterday'],
  dateTime: ['2021-04-05T25:00:00Z', '2021-04-05T10:00', '2021-04-05 10:00:00', '2021-04-05T10:00:00+1:00'],
  instant: ['2021-04-05T10:00:00', '2021-04-05', '2021-04-05T10:00:00.123', 'now'],
  time: ['25:00:00', '10:00', '10:00:00Z'],
  id: ['has space', 'under_score', 'x'.repeat(65), 'slash/y'],
  code: [' leading', 'trailing ', 'double  space', 'tab\tcode'],
  uri: ['has space', 'http://x.org/a b'],
  url: ['http://x.org/a b'],
  canonical: ['http://x.org/a b'],
  oid: ['1.2.3', 'urn:oid:1.02'],
  uuid: ['urn:uuid:ABC', '5f7c0d2e-0b0c-4f41-9f0e-3f1d2f0a9b11'],
  base64Binary: ['not base64!', 'abc'],
  positiveInt: [0, -3, 1.5],
  unsignedInt: [-1, 2.5],
  integer: [1.5],
  string: ['bell\u0007char'],
  markdown: ['nul\u0000char'],
};

const UNKNOWN_KEYS = ['foo', 'statuss', 'Status', 'extensions', 'note_', 'valueFoo', 'xyz123'];

const MUTATIONS: Record<string, Mutation> = {
  'drop-required': ({ objects }, random) => {
    const candidates = objects.flatMap((o) =>
      o.plan.required.filter((r) => r.keys.some((k) => k in o.obj)).map((r) => ({ o, r })),
    );
    if (candidates.length === 0) return undefined;
    const { o, r } = pick(random, candidates);
    for (const k of r.keys) delete o.obj[k];
    return `${o.path}.${r.name}`;
  },
  'drop-optional': ({ values }, random) => {
    const candidates = values.filter((s) => !s.inArray && s.element.min === 0);
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    delete site.owner[site.key];
    return site.path;
  },
  'unknown-key': ({ objects }, random) => {
    const o = pick(random, objects);
    const key = pick(random, UNKNOWN_KEYS);
    if (key in o.obj) return undefined;
    o.obj[key] = random() < 0.8 ? 'x' : { a: null };
    return `${o.path}.${key}`;
  },
  'bad-choice-variant': ({ values }, random) => {
    const candidates = values.filter((s) => s.element.choice && !s.inArray && s.element.kind !== 'element');
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    const bogus = `${site.element.choice!.slice(0, -3)}${pick(random, ['Foo', 'Strin', 'Datetime'])}`;
    delete site.owner[site.key];
    site.owner[bogus] = site.value;
    return site.path.replace(/[^.]+$/, bogus);
  },
  'two-choice-variants': ({ values, objects }, random) => {
    const candidates = values.filter((s) => s.element.choice && !s.inArray && s.element.kind !== 'element');
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    const plan = objects.find((o) => o.obj === site.owner)!.plan;
    const others = [...plan.keys.values()].filter(
      (e) =>
        e.choice === site.element.choice && e.key !== site.key && e.type in SAMPLES && e.kind !== 'element',
    );
    if (others.length === 0) return undefined;
    const other = pick(random, others);
    site.owner[other.key] = structuredClone(SAMPLES[other.type]);
    return site.path.replace(/[^.]+$/, other.key);
  },
  'json-type': ({ values }, random) => {
    const candidates = values.filter((s) => s.element.kind === 'primitive');
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    const v = site.value;
    const r = random();
    if (r < 0.15) set(site, { value: v });
    else if (typeof v === 'string') set(site, r < 0.6 ? 42 : true);
    else if (typeof v === 'number') set(site, String(v));
    else set(site, r < 0.6 ? String(v) : 1);
    return site.path;
  },
  'complex-as-primitive': ({ values }, random) => {
    const candidates = values.filter((s) => s.element.kind === 'complex');
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, pick(random, ['text', 12, false]));
    return site.path;
  },
  'array-for-single': ({ values }, random) => {
    const candidates = values.filter((s) => !s.inArray && !s.element.isArray);
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, [site.value]);
    return site.path;
  },
  'single-for-array': ({ values }, random) => {
    const candidates = values.filter((s) => !s.inArray && s.element.isArray && Array.isArray(s.value));
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, (site.value as unknown[])[0]);
    return site.path;
  },
  'bad-format': ({ values }, random) => {
    const candidates = values.filter((s) => s.element.primitive && BAD_FORMATS[s.element.primitive.type]);
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, pick(random, BAD_FORMATS[site.element.primitive!.type]));
    return site.path;
  },
  'bad-resource-id': ({ objects }, random) => {
    const resources = objects.filter((o) => o.plan.isResource);
    const o = pick(random, resources);
    o.obj.id = pick(random, BAD_FORMATS.id);
    return `${o.path}.id`;
  },
  'empty-string': ({ values }, random) => {
    const candidates = values.filter((s) => s.element.primitive?.json === 'string');
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, random() < 0.7 ? '' : '   ');
    return site.path;
  },
  null: ({ values }, random) => {
    const site = pick(random, values);
    set(site, null);
    return site.path;
  },
  'empty-object': ({ values }, random) => {
    const candidates = values.filter((s) => s.element.kind !== 'primitive' && !Array.isArray(s.value));
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, {});
    return site.path;
  },
  'empty-array': ({ values }, random) => {
    const candidates = values.filter((s) => !s.inArray && Array.isArray(s.value));
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, []);
    return site.path;
  },
  'bogus-code': ({ values }, random) => {
    const candidates = values.filter(
      (s) => s.element.requiredValueSet && elementValueSet(s.element) !== null,
    );
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    if (site.element.kind === 'primitive') set(site, 'bogus-code');
    else
      set(site, random() < 0.7 ? { coding: [{ system: 'http://example.org', code: 'x' }] } : { text: 'x' });
    return site.path;
  },
  'extension-no-url': (sites, random) => {
    const extensions = extensionSites(sites).filter((s) => 'url' in (s.value as Json));
    if (extensions.length === 0) return addExtension(sites, random, { valueString: 'no url' });
    const site = pick(random, extensions);
    delete (site.value as Json).url;
    return site.path;
  },
  'extension-value-and-children': (sites, random) => {
    const extensions = extensionSites(sites);
    if (extensions.length === 0) {
      const both = {
        url: 'http://example.org/e',
        valueString: 'v',
        extension: [{ url: 'a', valueString: 'b' }],
      };
      return addExtension(sites, random, both);
    }
    const site = pick(random, extensions);
    const ext = site.value as Json;
    const valueKey = Object.keys(ext).find((k) => k.startsWith('value'));
    if (valueKey && random() < 0.5) delete ext[valueKey];
    else if (valueKey) ext.extension = [{ url: 'child', valueBoolean: true }];
    else ext.valueString = 'both';
    return site.path;
  },
  'primitive-companion': ({ values }, random) => {
    const site = pick(random, values);
    if (site.inArray) return undefined;
    const r = random();
    const ext = [{ url: 'http://example.org/e', valueString: 'x' }];
    if (r < 0.35) site.owner[`_${site.key}`] = { extension: ext };
    else if (r < 0.6) site.owner[`_${site.key}`] = { extension: [{ valueString: 'no url' }] };
    else if (r < 0.8) site.owner[`_${site.key}`] = { id: 'a', extension: ext, foo: 1 };
    else site.owner[`_${site.key}`] = 'not an object';
    return site.path.replace(/[^.]+$/, `_${site.key}`);
  },
  'resource-type-in-datatype': ({ objects }, random) => {
    const datatypes = objects.filter((o) => !o.plan.isResource);
    if (datatypes.length === 0) return undefined;
    const o = pick(random, datatypes);
    o.obj.resourceType = o.plan.type;
    return `${o.path}.resourceType`;
  },
  'nested-array': ({ values }, random) => {
    const candidates = values.filter((s) => s.inArray);
    if (candidates.length === 0) return undefined;
    const site = pick(random, candidates);
    set(site, [site.value]);
    return site.path;
  },
};

export const MUTATION_KINDS: readonly string[] = Object.keys(MUTATIONS);

function extensionSites({ values }: Sites): Site[] {
  return values.filter((s) => s.element.type === 'Extension' && s.inArray && typeof s.value === 'object');
}

function addExtension({ objects }: Sites, random: Random, extension: Json): string | undefined {
  const holders = objects.filter((o) => o.plan.keys.has('extension'));
  if (holders.length === 0) return undefined;
  const o = pick(random, holders);
  const list = Array.isArray(o.obj.extension) ? o.obj.extension : [];
  o.obj.extension = [...list, extension];
  return `${o.path}.extension[${list.length}]`;
}

/** Applies mutation `kind` to a copy of `resource`; undefined when it has nowhere to apply. */
export function mutate(
  resource: Json,
  kind: string,
  random: Random,
): { resource: Json; target: string } | undefined {
  const copy = structuredClone(resource);
  const target = MUTATIONS[kind](collect(copy), random);
  return target === undefined ? undefined : { resource: copy, target };
}
