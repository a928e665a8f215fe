/**
 * Finding and rewriting the references inside a resource: used for referential integrity on write and
 * for resolving `urn:uuid:` and conditional references (`Patient?identifier=...`) in bundles.
 */
import type { Resource } from 'fhir/r4.js';

export interface FoundReference {
  /** The reference string as written. */
  reference: string;
  /** Where it sits, e.g. `Observation.subject` or `CareTeam.participant[1].member`. */
  path: string;
}

/**
 * Type and id of a relative reference (`Patient/123`, `Patient/123/_history/2`): a resource of this
 * server. Absolute URLs, `#contained`, `urn:` and conditional references give undefined.
 */
export function parseRelativeReference(reference: string): { type: string; id: string } | undefined {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/** Every `reference` string inside the resource (not those inside contained resources or narrative). */
export function findReferences(resource: Resource): FoundReference[] {
  const found: FoundReference[] = [];
  walk(resource, resource.resourceType, (holder, path) => {
    found.push({ reference: holder.reference as string, path });
  });
  return found;
}

/** Replaces reference strings in place by `rewrite(reference)` (when it returns a string). */
export function rewriteReferences(
  resource: Resource,
  rewrite: (reference: string) => string | undefined,
): void {
  walk(resource, resource.resourceType, (holder) => {
    const next = rewrite(holder.reference as string);
    if (next !== undefined) holder.reference = next;
  });
}

// A loop over a stack, not recursion: a bundle's resources are rewritten before they are validated,
// and a resource nested some thousands of levels deep overflowed the call stack (a 500).
function walk(
  value: unknown,
  path: string,
  visit: (holder: Record<string, unknown>, path: string) => void,
): void {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [current, at] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    // Children are pushed last first, so that references are visited in document order.
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--)
        if (current[i] !== null && typeof current[i] === 'object') stack.push([current[i], `${at}[${i}]`]);
      continue;
    }
    const obj = current as Record<string, unknown>;
    if (typeof obj.reference === 'string') visit(obj, `${at}.reference`);
    const keys = Object.keys(obj);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child = obj[key];
      if (key !== 'contained' && key !== 'text' && child !== null && typeof child === 'object')
        stack.push([child, `${at}.${key}`]);
    }
  }
}
