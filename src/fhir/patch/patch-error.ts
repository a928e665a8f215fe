/**
 * A patch that is malformed or cannot be applied; `expression` names the offending part or path.
 * `malformed` patches (not a list of operations, a bad path, a name no element has) answer 400; a
 * well-formed patch that does not fit the resource (a path with no content, a failed test) answers 422.
 */
export class PatchError extends Error {
  constructor(
    message: string,
    public readonly expression?: string,
    public readonly malformed = false,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** Names that reach an object's prototype in JavaScript; no FHIR element has them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses a property name a patch would navigate or write when it reaches an object's prototype:
 * looked up as an element it found Object.prototype and failed with a 500, and written it would
 * change every object in the server.
 */
export function refusePrototypeKey(name: string, expression: string): void {
  if (PROTOTYPE_KEYS.has(name))
    throw new PatchError(`'${name}' is not a FHIR element, and patches may not name it`, expression, true);
}

/**
 * Runs `apply`, turning a call stack overflowed by a patch nested thousands of levels deep (a 500)
 * into a malformed-patch error naming the deepest of `items` as `where(index)`.
 */
export function refuseTooDeep<T>(items: unknown, where: (index: number) => string, apply: () => T): T {
  try {
    return apply();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const list = Array.isArray(items) ? items : [];
    const depths = list.map(depthOf);
    const deepest = depths.indexOf(Math.max(...depths));
    throw new PatchError('the patch is nested too deeply to apply', where(Math.max(deepest, 0)), true);
  }
}

/** How deeply `value` nests, counted without recursion. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    max = Math.max(max, depth);
    if (current !== null && typeof current === 'object')
      for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return max;
}
