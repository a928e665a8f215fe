/**
 * A caller may search only on what it may see. When a resource type is presented to the caller with
 * elements removed (community-organization staff see a Patient without identifier,
 * generalPractitioner or managingOrganization), a search parameter that reads a removed element would
 * let them test guesses ("is this patient's MRN 123?", "is Dr X their GP?") and learn the answer from
 * whether anything matched. Such a parameter is refused wherever a search names it: as a criterion,
 * at the end of a chain, in `_sort`, in `_include`/`_revinclude`, and as the link of a compartment
 * search. What the caller sees comes from the caller (the same table that trims the presentation);
 * what a parameter reads comes from its FHIRPath expression in the R4 definitions.
 */
import { FhirError } from '../outcome.js';
import { indexedParam, indexedParams } from './index-rows.js';
import type { ParsedSearch } from './parse.js';

/** The elements of a resource type the caller sees (top-level names), or undefined when it sees them all. */
export type VisibleElements = (resourceType: string) => ReadonlySet<string> | undefined;

/** Elements answered from the resources table rather than an expression. */
const tableParams: Record<string, string[]> = { _id: ['id'], _lastUpdated: ['meta'] };

/**
 * The top-level elements of `resourceType` that a search parameter's expression reads, or undefined
 * when the expression's shape is not understood (then it may read anything). Every path the
 * expression starts on counts, not only the first (`Patient.deceased.exists() and Patient.deceased !=
 * false`), and parts written for other types of a shared parameter (`Person.address`) read nothing here.
 */
export function elementsRead(resourceType: string, param: string): string[] | undefined {
  const fromTable = tableParams[param];
  if (fromTable) return fromTable;
  const expression = indexedParam(resourceType, param)?.definition.expression;
  if (!expression) return undefined;
  const own = `(?:${resourceType}|Resource|DomainResource)`;
  const path = new RegExp(`(?<![A-Za-z0-9_.%$])${own}\\.([a-z][A-Za-z0-9]*)`, 'g');
  const elements = new Set<string>();
  for (const raw of expression.split('|')) {
    const part = raw.trim().replace(/^\(+/, '');
    if (/^[A-Z][A-Za-z]+\./.test(part) && !new RegExp(`^${own}\\.`).test(part)) continue;
    const found = [...part.matchAll(path)].map((m) => m[1]!);
    if (found.length === 0) return undefined;
    for (const element of found) elements.add(element);
  }
  return [...elements];
}

/** The search parameters of `resourceType` that read only elements in `visible`, sorted (for docs/security.md). */
export function searchableOn(resourceType: string, visible: ReadonlySet<string>): string[] {
  const all = [...Object.keys(tableParams), ...indexedParams(resourceType).map((p) => p.code)];
  return all.filter((p) => hiddenElementsRead(resourceType, p, visible).length === 0).sort();
}

function hiddenElementsRead(resourceType: string, param: string, visible: ReadonlySet<string>): string[] {
  const read = elementsRead(resourceType, param);
  if (!read) return ['(the whole resource)'];
  return read.filter((e) => !visible.has(e));
}

/**
 * Refuses (403, naming the parameter) a search that reads an element the caller does not see, in
 * any of its parts; `compartmentParams` are the links of a compartment search.
 */
export function assertSearchesVisibleElements(
  search: ParsedSearch,
  visible: VisibleElements,
  compartmentParams: string[] = [],
): void {
  const check = (resourceType: string, param: string, expression: string) => {
    const elements = visible(resourceType);
    if (!elements) return;
    const hidden = hiddenElementsRead(resourceType, param, elements);
    if (hidden.length === 0) return;
    throw new FhirError(403, [
      {
        code: 'forbidden',
        diagnostics: `your role may not search ${resourceType} by "${param}": it reads ${hidden.map((e) => `${resourceType}.${e}`).join(', ')}, which your role does not see`,
        expression,
      },
    ]);
  };
  const type = search.resourceType;
  for (const criterion of search.criteria) {
    check(type, criterion.param, criterion.key);
    const chain = criterion.chain;
    if (chain) for (const target of chain.targetTypes) check(target, chain.criterion.param, criterion.key);
  }
  for (const rule of search.sort) check(type, rule.param, '_sort');
  for (const rule of search.includes) check(rule.sourceType, rule.param, '_include');
  for (const rule of search.revincludes) check(rule.sourceType, rule.param, '_revinclude');
  for (const param of compartmentParams) check(type, param, param);
}
